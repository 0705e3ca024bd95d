#!/usr/bin/env bash
# Checks metagrad as another build system consumes it: `meson install` of the already-built
# library into a staging directory, then
#   headers     the installed include tree holds the public headers only (no .cpp, no meson.build,
#               no private header), exactly the include closure of metagrad.hpp, needing no
#               third-party header but fmt's, and `#include "metagrad.hpp"` compiles from it alone;
#   pkgconfig   tests/install/app.cpp built with `pkg-config --cflags --libs metagrad`;
#   cmake       the same program built with CMake's find_package(metagrad CONFIG);
#   subproject  the same program built by a Meson project that gets metagrad from a wrap file
#               (a [wrap-file] of the working tree, offline), as dependency('metagrad').
# Each program runs without LD_LIBRARY_PATH and checks a gradient and the version.
# Usage: run.sh MODE MESON BUILD_DIR SOURCE_DIR WORK_DIR VERSION
set -euo pipefail
mode=$1
meson=$2
build_dir=$(cd "$3" && pwd)
source_dir=$(cd "$4" && pwd)
work=$5
version=$6
unset LD_LIBRARY_PATH

# A fixed work directory (not mktemp) keeps the compile commands the same from run to run, so
# ccache serves the subproject build again. Removed when the check passes.
rm -rf "$work"
mkdir -p "$work"
work=$(cd "$work" && pwd)

fail() {
  echo "FAIL ($mode): $*" >&2
  exit 1
}

stage() {
  "$meson" install -C "$build_dir" --no-rebuild --quiet --destdir "$work/stage" >/dev/null
  pc_file=$(find "$work/stage" -name metagrad.pc -path '*/pkgconfig/*' | head -n 1)
  cmake_config=$(find "$work/stage" -name metagradConfig.cmake | head -n 1)
  include_dir=$(find "$work/stage" -type d -path '*/include/metagrad' -prune | head -n 1)
  [[ -n $pc_file && -n $cmake_config && -n $include_dir ]] ||
    fail "meson install did not install metagrad.pc, metagradConfig.cmake and include/metagrad"
  # The prefix the build was configured with, inside the staging directory.
  prefix=${include_dir%/include/metagrad}
}

check_headers() {
  stage
  local stray
  stray=$(cd "$include_dir" && find . -type f ! -name '*.hpp' | sort)
  [[ -z $stray ]] || fail "non-header files installed under include/metagrad:"$'\n'"$stray"

  # metagrad.hpp compiles from the installed tree alone (plus fmt, from its default location).
  echo '#include "metagrad.hpp"' >"$work/only_metagrad.cpp"
  c++ -std=c++20 -fsyntax-only -I"$include_dir" "$work/only_metagrad.cpp" ||
    fail "#include \"metagrad.hpp\" does not compile from the installed include tree (a header it includes missing from public_headers in meson.build, or a private dependency such as Eigen?)"

  # Every installed header must be reached from metagrad.hpp and every header it reaches must be
  # installed (the compiler would not find it otherwise).
  local deps installed reached
  deps=$(c++ -std=c++20 -M -I"$include_dir" -x c++ "$include_dir/metagrad.hpp" -o - |
    tr ' \\' '\n\n' | grep -v -e '^$' -e ':$')
  installed=$(cd "$include_dir" && find . -type f -name '*.hpp' | sed 's|^\./||' | sort)
  reached=$(echo "$deps" | grep "^$include_dir/" | sed "s|^$include_dir/||" | sort -u)
  if [[ $installed != "$reached" ]]; then
    echo "installed but not included by metagrad.hpp (private headers stay uninstalled):" >&2
    comm -23 <(echo "$installed") <(echo "$reached") >&2
    fail "the installed headers are not the include closure of metagrad.hpp (public_headers in meson.build)"
  fi
  # The pkg-config file and the CMake config promise that fmt is the only library the public
  # headers need: Eigen, nlohmann-json, OpenMP and zlib stay private to the library.
  local third_party
  third_party=$(echo "$deps" | grep -E '/(eigen3|Eigen|unsupported|nlohmann)/|/(omp|zlib)\.h$' || true)
  [[ -z $third_party ]] || fail "public headers include private dependencies:"$'\n'"$third_party"

  echo "installed include tree: $(echo "$installed" | wc -l) public headers, nothing else"
}

check_pkgconfig() {
  stage
  local pc_dir
  pc_dir=$(dirname "$pc_file")
  # A .pc file made with -Dpkgconfig.relocatable=true (the default here) finds its prefix from its
  # own location; an older build directory's file names the configured prefix: point that at the
  # staging directory, as an install with --prefix there would have.
  if ! grep -q '^prefix=.*pcfiledir' "$pc_file"; then
    sed -i "s|^prefix=.*|prefix=$prefix|" "$pc_file"
  fi
  export PKG_CONFIG_PATH=$pc_dir
  local requires
  requires=$(pkg-config --print-requires metagrad | awk '{print $1}' | sort | tr '\n' ' ')
  [[ $requires == "fmt " ]] || fail "pkg-config Requires should be fmt only, is: $requires"
  [[ $(pkg-config --modversion metagrad) == "$version" ]] ||
    fail "pkg-config --modversion metagrad gives $(pkg-config --modversion metagrad), not $version"
  # shellcheck disable=SC2046  # the flags are meant to be split
  c++ -std=c++20 "$source_dir/tests/install/app.cpp" $(pkg-config --cflags --libs metagrad) \
    -o "$work/app"
  "$work/app" "$version"
}

check_cmake() {
  stage
  command -v cmake >/dev/null || fail "cmake is not installed (make deps installs it)"
  local generator=()
  if command -v ninja >/dev/null; then generator=(-G Ninja); fi
  cmake -S "$source_dir/tests/install/cmake" -B "$work/cmake-build" "${generator[@]}" \
    -DCMAKE_PREFIX_PATH="$prefix" -DMETAGRAD_EXPECTED_VERSION="$version" >"$work/cmake.log" ||
    { cat "$work/cmake.log" >&2; fail "cmake configure failed"; }
  cmake --build "$work/cmake-build" >>"$work/cmake.log" ||
    { cat "$work/cmake.log" >&2; fail "cmake build failed"; }
  "$work/cmake-build/app" "$version"
}

check_subproject() {
  # The working tree as a release tarball would hold it (tracked and untracked, not ignored files).
  if ! git -C "$source_dir" rev-parse --git-dir >/dev/null 2>&1; then
    fail "the subproject check packs the source tree with git ls-files; $source_dir is not a git checkout"
  fi
  local archive="$work/metagrad-$version.tar.gz"
  # A build directory inside the source tree stays out even when .gitignore does not name it.
  local exclude=()
  if [[ $build_dir == "$source_dir"/* ]]; then exclude=(":(exclude)${build_dir#"$source_dir"/}"); fi
  (cd "$source_dir" && git ls-files -z --cached --others --exclude-standard -- . "${exclude[@]}" |
    xargs -0 -r sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh |
    tar --null -T - --transform "s|^|metagrad-$version/|" -czf "$archive")
  local project="$work/project"
  mkdir -p "$project/subprojects"
  cp "$source_dir/tests/install/subproject/meson.build" "$source_dir/tests/install/app.cpp" \
    "$project/"
  cat >"$project/subprojects/metagrad.wrap" <<WRAP
[wrap-file]
directory = metagrad-$version
source_url = file://$archive
source_filename = metagrad-$version.tar.gz
source_hash = $(sha256sum "$archive" | cut -d' ' -f1)

[provide]
dependency_names = metagrad
WRAP
  # Without --force-fallback-for an installed metagrad would be used instead of the wrap.
  "$meson" setup "$work/build" "$project" --force-fallback-for=metagrad >"$work/setup.log" ||
    { cat "$work/setup.log" >&2; fail "meson setup of the subproject app failed"; }
  grep -q "Executing subproject metagrad" "$work/setup.log" ||
    fail "dependency('metagrad') did not come from the wrap file"
  "$meson" compile -C "$work/build" >"$work/compile.log" ||
    { tail -n 50 "$work/compile.log" >&2; fail "building the subproject app failed"; }
  "$work/build/app" "$version"
}

case $mode in
  headers) check_headers ;;
  pkgconfig) check_pkgconfig ;;
  cmake) check_cmake ;;
  subproject) check_subproject ;;
  *) fail "unknown mode (headers, pkgconfig, cmake, subproject)" ;;
esac
rm -rf "$work"
