// The precompiled header of libmetagrad's C++ files (meson.build: `cpp_pch` of the library): the
// op interface and the standard headers that most files include. Parsing them is a third of a
// typical library file's compile time, and CI compiles the library five times (release, its
// Meson-subproject install check, ASan/UBSan, fuzzing, TSan). Measured on ten library files: 35 %
// less compile time at -O0, 23 % at -O2. The whole umbrella header made -O2 files slower than no
// precompiled header at all, so it stays out. The compiler force-includes this header in each C++
// file of the library; a file still includes what it uses. Not installed; no third-party header
// but fmt (which the public headers include).

// clang-format off (include regrouping would move it after headers that include fmt)
#include "engine/pch/fmt_optimize_pragma_off.hpp"
// clang-format on

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/error.hpp"
#include "engine/grad_mode.hpp"
#include "engine/ops.hpp"
