#!/usr/bin/env bash
# Runs each libFuzzer target of tests/fuzz for SECONDS seconds, one after another, and prints per
# target the executions and the final coverage (cov, ft). Usage: run_fuzzers.sh BUILD_DIR SECONDS
# [MAX_LEN]. The corpora grow in BUILD_DIR/fuzz-corpus/<target> across runs (seeded by
# make_seeds); a crash, a sanitizer report or an exception other than metagrad::Error leaves its
# input in BUILD_DIR/fuzz-artifacts/ and makes the script exit non-zero after all targets ran.
set -uo pipefail

build_dir="${1:?usage: run_fuzzers.sh BUILD_DIR SECONDS [MAX_LEN]}"
seconds="${2:?usage: run_fuzzers.sh BUILD_DIR SECONDS [MAX_LEN]}"
max_len="${3:-}"
targets=(safetensors npy checkpoint idx jhf)

seeds="$build_dir/fuzz-seeds"
rm -rf "$seeds"
"$build_dir/tests/fuzz/make_seeds" "$seeds" || { echo "make_seeds failed"; exit 1; }
mkdir -p "$build_dir/fuzz-artifacts" "$build_dir/fuzz-logs"

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

failed=()
for t in "${targets[@]}"; do
  corpus="$build_dir/fuzz-corpus/$t"
  log="$build_dir/fuzz-logs/$t.log"
  mkdir -p "$corpus"
  args=(-max_total_time="$seconds" -print_final_stats=1 -rss_limit_mb=4096
        -artifact_prefix="$build_dir/fuzz-artifacts/$t-")
  if [ -n "$max_len" ]; then args+=(-max_len="$max_len"); fi
  "$build_dir/tests/fuzz/fuzz_$t" "${args[@]}" "$corpus" "$seeds/$t" > "$log" 2>&1
  rc=$?
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  last=$(grep -E '^#[0-9]+' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' <<<"$last" | grep -o '[0-9]*')
  ft=$(grep -o 'ft: [0-9]*' <<<"$last" | grep -o '[0-9]*')
  echo "fuzz_$t: ${seconds}s, ${execs:-?} executions, cov ${cov:-?}, ft ${ft:-?}, exit $rc"
  if [ "$rc" -ne 0 ]; then
    failed+=("$t")
    grep -E 'ERROR|runtime error|terminate|SUMMARY|Test unit written' "$log" | head -20
  fi
done
rm -f /dev/shm/metagrad_fuzz_* 2>/dev/null

if [ "${#failed[@]}" -ne 0 ]; then
  echo "fuzzing found problems in: ${failed[*]} (logs in $build_dir/fuzz-logs)"
  exit 1
fi
echo "fuzzing: all targets clean"
