#!/usr/bin/env bash
# Runs one libFuzzer target for a bounded time and prints one line about it.
#
#   run_fuzzer.sh <name> <binary> <seconds> <work folder> [dictionary]
#
# It reads the seeds (corpus/<name>/) and the regressions (regressions/<name>/) first,
# then mutates them. New corpus entries, crash inputs and the log go under the work
# folder (a build folder), never into the repository. Exits non-zero when the target
# crashed, leaked, hung, ran out of memory or broke a promise (fuzz_check.hpp).
set -euo pipefail
name=$1 binary=$2 seconds=$3 work=$4 dictionary=${5:-}
here=$(cd "$(dirname "$0")" && pwd)

corpus=$work/corpus/$name
artifacts=$work/artifacts/$name/$(date -u +%Y%m%dT%H%M%SZ)
log=$work/logs/$name.log
mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"

# Bounded: inputs up to 64 KiB (above every parser's own limit but the configuration's
# 256 KiB and the history page's), 2 GiB of memory, 25 s for one input (a parser takes
# milliseconds; on a loaded machine a niced run was starved past 10 s on a 24-byte input).
options=(
  -max_total_time="$seconds" -max_len="${ALLIANCE_FUZZ_MAX_LEN:-65536}" -rss_limit_mb=2048 -timeout=25
  -print_final_stats=1 -artifact_prefix="$artifacts/"
)
[ -n "$dictionary" ] && options+=(-dict="$dictionary")
# The first folder is where libFuzzer writes what it finds: the work folder's.
inputs=("$corpus" "$here/corpus/$name")
[ -d "$here/regressions/$name" ] && inputs+=("$here/regressions/$name")

status=0
"$binary" "${options[@]}" "${inputs[@]}" >"$log" 2>&1 || status=$?

stat() { awk -v key="stat::$1:" '$1 == key { print $2 }' "$log" | tail -n 1; }
executions=$(stat number_of_executed_units)
per_second=$(stat average_exec_per_sec)
new_entries=$(stat new_units_added)
coverage_start=$(awk '/INITED cov:/ { for (i = 1; i <= NF; i++) if ($i == "cov:") print $(i + 1) }' "$log" | tail -n 1)
coverage_end=$(awk '/ cov: / { for (i = 1; i <= NF; i++) if ($i == "cov:") print $(i + 1) }' "$log" | tail -n 1)
crashes=$(find "$artifacts" -type f | wc -l)
if [ "$crashes" -eq 0 ]; then rmdir "$artifacts" 2>/dev/null || true; fi

printf 'fuzz %-21s %10s executions %7s exec/s  coverage %s -> %s  %s new corpus entries  %s crashes\n' \
  "$name" "${executions:-?}" "${per_second:-?}" "${coverage_start:-?}" "${coverage_end:-?}" "${new_entries:-?}" "$crashes"
if [ "$status" -ne 0 ] || [ "$crashes" -ne 0 ]; then
  mkdir -p "$artifacts" && cp "$log" "$artifacts/libfuzzer.log"  # the next run of this target overwrites $log
  echo "fuzz $name: FAILED (exit $status); inputs and log kept in $artifacts" >&2
  grep -E 'ERROR|broken promise|SUMMARY|deadly|Test unit written|^    #[0-9]' "$log" | head -n 40 >&2 || true
  exit 1
fi
