#!/usr/bin/env bash
# Stops the tinyproxy that start.sh started with the same OUTPUT_DIRECTORY: SIGTERM,
# SIGKILL after 5 s, then removes the pid and port files (the log stays).
#   stop.sh OUTPUT_DIRECTORY
set -euo pipefail
output=${1:?usage: stop.sh OUTPUT_DIRECTORY}
[ -d "$output" ] || { echo "tinyproxy: stopped"; exit 0; }
output=$(cd "$output" && pwd)
pid_file=$output/tinyproxy.pid

# Only a pid that still runs our tinyproxy with our configuration: pids get reused.
is_ours() { tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -q "tinyproxy.* -c $output/tinyproxy.conf"; }

if [ -f "$pid_file" ]; then
  pid=$(cat "$pid_file")
  if [ -n "$pid" ] && is_ours "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do  # 50 x 0.1 s = 5 s
      is_ours "$pid" || break
      sleep 0.1
    done
    if is_ours "$pid"; then
      echo "tinyproxy: pid $pid ignored SIGTERM for 5 s, sending SIGKILL" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
fi
rm -f "$pid_file" "$output/port"
echo "tinyproxy: stopped"
