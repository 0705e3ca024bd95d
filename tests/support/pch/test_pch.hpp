// The precompiled header of the Catch2 test programs (tests/meson.build, `test_pch`): the umbrella
// header, Catch2 and the test helpers, which nearly every test file includes and which take about
// three seconds to parse. The compiler force-includes it in each file of those programs, so a
// test file still includes what it uses; this header only makes that cheaper.
// fmt 9 wraps its headers in `#pragma GCC optimize("Og")` when the file is not optimised, and GCC
// restores that pragma's state wrongly from a precompiled header: an -O0 file then parses
// <xmmintrin.h> (through Eigen) as if optimised and fails in _mm_prefetch. Without the pragma,
// fmt's inline functions compile like the rest of the file.
#ifndef FMT_GCC_PRAGMA
#define FMT_GCC_PRAGMA(arg)
#endif

#include <functional>
#include <string>
#include <vector>

#include "tests/support/helpers.hpp"
