#!/usr/bin/env bash
# Stops the FHIR test server that start.sh started with the same OUTPUT_DIRECTORY:
# SIGTERM, SIGKILL after 5 s, then removes the pid and port files.
#   stop.sh OUTPUT_DIRECTORY
set -euo pipefail
output=${1:?usage: stop.sh OUTPUT_DIRECTORY}
pid_file=$output/fhir-server.pid
port_file=$output/fhir-server.port

# Only a pid that still belongs to our server: pids get reused.
is_server() { grep -qs 'server.mjs' "/proc/$1/cmdline"; }

if [ -f "$pid_file" ]; then
  pid=$(cat "$pid_file")
  if [ -n "$pid" ] && is_server "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do  # 50 x 0.1 s = 5 s
      is_server "$pid" || break
      sleep 0.1
    done
    if is_server "$pid"; then
      echo "fhir-server: pid $pid ignored SIGTERM for 5 s, sending SIGKILL" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
fi
rm -f "$pid_file" "$port_file"
echo "fhir-server: stopped"
