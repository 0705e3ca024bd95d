# Sourced by the examples' smoke scripts, which are run as SCRIPT BINARY SCRATCH_DIR: sets `bin`
# and `out` from those arguments, starts an empty scratch folder and defines `fail MESSAGE`
# (prints "FAIL: MESSAGE" and exits 1).
set -u
bin=$1
out=$2
rm -rf "$out"
mkdir -p "$out"

fail() {
  echo "FAIL: $*"
  exit 1
}

# check_device_flag ARGS...: "$bin" ARGS --device cuda must run, or, where no CUDA device is
# visible, fail with the message that says so; --device gpu must be rejected clearly.
check_device_flag() {
  if ! "$bin" "$@" --device cuda > "$out/cuda.log" 2>&1; then
    grep -q -- "--device cuda: no CUDA device is available" "$out/cuda.log" ||
      { cat "$out/cuda.log"; fail "--device cuda: no clear error"; }
  fi
  if "$bin" "$@" --device gpu > "$out/gpu.log" 2>&1; then fail "--device gpu accepted"; fi
  grep -q -- "--device expects cpu or cuda, got 'gpu'" "$out/gpu.log" ||
    { cat "$out/gpu.log"; fail "--device gpu: no clear error"; }
}
