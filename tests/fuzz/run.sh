#!/usr/bin/env bash
# Runs every fuzz target for a bounded time; fails on any crash, leak or sanitizer report.
# Ends with "fuzz: N passed, N failed" (one per target) and prints each target's exec count.
#   tests/fuzz/run.sh BUILD_DIR SECONDS
set -uo pipefail
build=${1:-build}
seconds=${2:-15}
passed=0 failed=0
for target in "$build"/fuzz/*_fuzz; do
  [[ -f $target && -x $target ]] || continue
  name=$(basename "$target")
  corpus="$build/fuzz/$name.corpus"
  mkdir -p "$corpus"
  log=$(mktemp)
  # A crashing input is kept beside the corpus (not in the current folder), for a look afterwards.
  if "$target" -max_total_time="$seconds" -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$build/fuzz/$name-" \
      "$corpus" >"$log" 2>&1; then
    execs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$')
    echo "ok - $name: ${execs:-?} executions in ${seconds} s, no crash"
    passed=$((passed + 1))
  else
    echo "not ok - $name: crashed or reported (see below)"; tail -40 "$log" | sed 's/^/    | /'
    failed=$((failed + 1))
  fi
  rm -f "$log"
done
echo "fuzz: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
