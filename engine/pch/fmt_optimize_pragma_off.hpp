#pragma once

// Included first by the precompiled headers (engine/pch/library_pch.hpp,
// tests/support/pch/test_pch.hpp), before any header that includes fmt.
// fmt 9 wraps its headers in `#pragma GCC optimize("Og")` when the file is not optimised, and GCC
// restores that pragma's state wrongly from a precompiled header: an -O0 file then parses
// <xmmintrin.h> (through Eigen) as if optimised and fails in _mm_prefetch. With FMT_GCC_PRAGMA
// defined empty, fmt leaves the pragma out and its inline functions compile like the rest of the
// file.
#ifndef FMT_GCC_PRAGMA
#define FMT_GCC_PRAGMA(arg)
#endif
