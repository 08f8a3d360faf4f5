#!/usr/bin/env bash
# Starts the FHIR test server in the background for CTest (fixture `fhir_server`) and
# for ./run demo, and waits until it answers.
#   start.sh CERTIFICATE_DIRECTORY OUTPUT_DIRECTORY [--client-ca] [--port N] [SERVER_OPTION...]
# Writes OUTPUT/fhir-server.port, .pid and .log. Base URL: https://localhost:PORT/fhir/R4.
# --client-ca: the server requires client certificates signed by the test CA (mTLS).
# --port N: listen on port N instead of any free one, e.g. to start the server later on
# a port a client was configured with while nothing listened there (fails if N is taken).
# Other options go to server.mjs as they are (e.g. --jwks PATH --require-token,
# --no-transactions, --granted-scopes "SCOPE ...").
# Exits 0 once GET /healthz answers over TLS with the test CA, else non-zero with the
# end of the log. NODE may name the node binary (default: node on PATH).
set -euo pipefail
certificates=${1:?usage: start.sh CERTIFICATE_DIRECTORY OUTPUT_DIRECTORY}
output=${2:?usage: start.sh CERTIFICATE_DIRECTORY OUTPUT_DIRECTORY}
certificates=$(cd "$certificates" && pwd)
node=${NODE:-node}
here=$(cd "$(dirname "$0")" && pwd)

mkdir -p "$output"
output=$(cd "$output" && pwd)
port_file=$output/fhir-server.port
pid_file=$output/fhir-server.pid
log=$output/fhir-server.log

if [ ! -d "$here/node_modules/@medplum/fhir-router" ] || [ ! -d "$here/node_modules/fhir" ] ||
   [ ! -d "$here/node_modules/jose" ]; then
  echo "fhir-server: installing its packages (npm ci)"
  (cd "$here" && npm ci --no-audit --no-fund)
fi

# A server left over from an interrupted run with this output directory goes first.
"$here/stop.sh" "$output" >/dev/null 2>&1 || true
rm -f "$port_file"
: >"$log"

server_options=() curl_options=() fixed_port=0 port_follows=false
for option in "${@:3}"; do
  if [ "$port_follows" = true ]; then
    fixed_port=$option port_follows=false
  elif [ "$option" = --port ]; then
    port_follows=true
  elif [ "$option" = --client-ca ]; then
    server_options+=(--client-ca "$certificates/ca.pem")
    curl_options=(--cert "$certificates/client.pem" --key "$certificates/client.key")
  else
    server_options+=("$option")
  fi
done

# setsid and closed standard streams: the server must not hold CTest's pipes open.
setsid "$node" "$here/server.mjs" \
  --certificate "$certificates/server.pem" --key "$certificates/server.key" \
  --port "$fixed_port" --port-file "$port_file" --log "$log" "${server_options[@]}" \
  </dev/null >>"$log" 2>&1 &
echo $! >"$pid_file"

fail() {
  echo "fhir-server: $1; end of $log:" >&2
  tail -n 30 "$log" >&2 || true
  "$here/stop.sh" "$output" >/dev/null 2>&1 || true
  exit 1
}

for _ in $(seq 1 100); do  # 100 x 0.2 s = 20 s
  kill -0 "$(cat "$pid_file")" 2>/dev/null || fail "the server exited"
  if [ -s "$port_file" ]; then
    port=$(cat "$port_file")
    if curl -fsS --max-time 2 --cacert "$certificates/ca.pem" "${curl_options[@]}" "https://localhost:$port/healthz" >/dev/null 2>&1; then
      echo "fhir-server: up at https://localhost:$port/fhir/R4 (pid $(cat "$pid_file"), log $log)"
      exit 0
    fi
  fi
  sleep 0.2
done
fail "no answer from /healthz within 20 s"
