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
