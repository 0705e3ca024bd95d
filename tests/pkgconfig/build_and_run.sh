#!/usr/bin/env bash
# Builds tests/pkgconfig/app.cpp against the uninstalled library exactly as the README tells an
# application to, then runs it. Arguments: the build directory and the source directory.
set -euo pipefail
build_dir=$1
source_dir=$2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
flags=$(PKG_CONFIG_PATH="$build_dir/meson-uninstalled" pkg-config --cflags --libs metagrad)
c++ -std=c++20 "$source_dir/tests/pkgconfig/app.cpp" $flags -o "$out/app"
LD_LIBRARY_PATH="$build_dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$out/app"
