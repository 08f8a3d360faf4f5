#!/usr/bin/env bash
# Starts Debian's tinyproxy in the background for CTest (fixture `tinyproxy`): an HTTP
# proxy on 127.0.0.1 that opens CONNECT tunnels to any port, for clients that present
# the Basic credentials USER and PASSWORD.
#   start.sh OUTPUT_DIRECTORY USER PASSWORD
# Writes OUTPUT/tinyproxy.conf, tinyproxy.pid, tinyproxy.log and, once the proxy accepts
# connections, OUTPUT/port. The port is a free one from 20000-32767 (below Linux's
# ephemeral range), tried again elsewhere if another process takes it first.
# TINYPROXY may name the binary (default: tinyproxy on PATH).
set -euo pipefail
output=${1:?usage: start.sh OUTPUT_DIRECTORY USER PASSWORD}
user=${2:?usage: start.sh OUTPUT_DIRECTORY USER PASSWORD}
password=${3:?usage: start.sh OUTPUT_DIRECTORY USER PASSWORD}
tinyproxy=${TINYPROXY:-tinyproxy}
here=$(cd "$(dirname "$0")" && pwd)

if ! command -v "$tinyproxy" >/dev/null; then
  echo "tinyproxy: not installed (Debian: apt-get install tinyproxy)" >&2
  exit 1
fi

mkdir -p "$output"
output=$(cd "$output" && pwd)
config=$output/tinyproxy.conf
pid_file=$output/tinyproxy.pid
port_file=$output/port
log=$output/tinyproxy.log

# A proxy left over from an interrupted run with this output directory goes first.
"$here/stop.sh" "$output" >/dev/null 2>&1 || true

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

write_config() {  # port
  # No ConnectPort line: CONNECT is allowed to every port (the test FHIR server's is a
  # high, random one). No User line: it stays the user that runs the tests.
  cat >"$config" <<CONFIG
Listen 127.0.0.1
Port $1
Timeout 60
MaxClients 50
Allow 127.0.0.1
DisableViaHeader Yes
BasicAuth $user $password
LogFile "$log"
LogLevel Info
PidFile "$pid_file"
CONFIG
}

for _ in $(seq 1 10); do
  port=$((20000 + RANDOM % 12768))
  listening "$port" && continue
  write_config "$port"
  : >"$log"
  rm -f "$pid_file"
  # Foreground mode (-d) in the background: no daemon fork to lose track of. setsid
  # and closed standard streams: it must not hold CTest's pipes open.
  setsid "$tinyproxy" -d -c "$config" </dev/null >>"$log" 2>&1 &
  pid=$!
  for _ in $(seq 1 50); do  # 50 x 0.1 s = 5 s
    kill -0 "$pid" 2>/dev/null || break  # exited: most likely the port was taken
    if listening "$port"; then
      echo "$pid" >"$pid_file"
      echo "$port" >"$port_file.tmp" && mv "$port_file.tmp" "$port_file"
      echo "tinyproxy: up at http://127.0.0.1:$port (pid $pid, log $log)"
      exit 0
    fi
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
done
echo "tinyproxy: could not start on a free port; end of $log:" >&2
tail -n 30 "$log" >&2 || true
exit 1
