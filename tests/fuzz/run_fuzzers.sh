#!/usr/bin/env bash
# Runs every fuzz target of a fuzz build for <seconds> each (./run fuzz).
#
#   run_fuzzers.sh <build folder> <seconds> [name ...]
#
# Work (new corpus entries, crash inputs, logs): <build folder>/fuzz-runs.
set -uo pipefail
build=$1 seconds=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
failed=()
while read -r name binary dictionary; do
  [ -n "$name" ] || continue
  if [ $# -gt 0 ] && [[ " $* " != *" $name "* ]]; then continue; fi
  "$here/run_fuzzer.sh" "$name" "$binary" "$seconds" "$build/fuzz-runs" "${dictionary:-}" || failed+=("$name")
done <"$build/tests/fuzz/fuzzers.txt"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: ${failed[*]} failed; see $build/fuzz-runs/logs and artifacts" >&2
  exit 1
fi
