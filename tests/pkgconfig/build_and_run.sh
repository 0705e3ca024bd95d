#!/usr/bin/env bash
# Runs the README's "build an application" line exactly as written (taken from README.md), in a
# directory that holds app.cpp and the build directory as `build`, then runs the program it made
# as a user would: no LD_LIBRARY_PATH. Arguments: the build directory and the source directory.
set -euo pipefail
build_dir=$(cd "$1" && pwd)
source_dir=$(cd "$2" && pwd)
unset LD_LIBRARY_PATH
line=$(grep -E '^c\+\+ .*app\.cpp.*meson-uninstalled' "$source_dir/README.md" || true)
if [[ $(printf '%s' "$line" | grep -c '^') -ne 1 ]]; then
  echo "README.md should hold exactly one 'c++ ... app.cpp ... meson-uninstalled ...' line" >&2
  exit 1
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cp "$source_dir/tests/pkgconfig/app.cpp" "$out/app.cpp"
ln -s "$build_dir" "$out/build"
cd "$out"
echo "+ $line"
bash -c "$line"
./a.out
