#pragma once

// log1p of float arguments evaluated in double with straight-line code that the compiler
// vectorizes (glibc's log1pf is a scalar call, and PyTorch's CPU log1p a vectorized one). The
// double evaluation errs by a few 1e-16 relatively, so the result is almost always the correctly
// rounded one.
#include <cmath>
#include <limits>

#include "engine/backend/cpu/straight_line_math.hpp"

namespace metagrad::cpu {

/// log1p(x) for any float x (-inf at -1, NaN below it and for NaN, +inf at +inf), without branches.
///
/// u = 1 + x is exact in double for 2^-29 <= |x| < 2^29; below, log(1 + x) = log u + (x - (u - 1))
/// to first order in the rounding error of u, which the correction term restores (above, log u
/// itself is within an ulp). u >= 2^-24 > 0 for every float x > -1, so log_of_normal applies.
MG_FORCE_INLINE float float_log1p_in_double(float xf) {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  const double x = xf;
  const double u = 1.0 + x;
  const bool regular = u > 0.0 && u < kInf;
  const double correction = std::fabs(x) < 1.0 ? x - (u - 1.0) : 0.0;
  const double value = log_of_normal(regular ? u : 1.0) + correction;
  // -inf at -1, NaN below it and for NaN, +inf at +inf; log1p(+-0) = +-0.
  const double edge =
      u == 0.0 ? -kInf : (u == kInf ? kInf : std::numeric_limits<double>::quiet_NaN());
  return static_cast<float>(x == 0.0 ? x : (regular ? value : edge));
}

}  // namespace metagrad::cpu
