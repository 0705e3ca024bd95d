// The precompiled header of the Catch2 test programs (tests/meson.build, `test_pch`): the umbrella
// header, Catch2 and the test helpers, which nearly every test file includes and which take about
// three seconds to parse. The compiler force-includes it in each file of those programs, so a
// test file still includes what it uses; this header only makes that cheaper.

// clang-format off (include regrouping would move it after headers that include fmt)
#include "engine/pch/fmt_optimize_pragma_off.hpp"
// clang-format on

#include <functional>
#include <string>
#include <vector>

#include "tests/support/helpers.hpp"
