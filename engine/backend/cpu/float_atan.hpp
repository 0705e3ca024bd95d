#pragma once

// atan of float arguments evaluated in double with straight-line code that the compiler vectorizes
// (glibc's atanf is a scalar call, and PyTorch's CPU atan a vectorized one). The double evaluation
// errs by about 1e-15 relatively, so the result is almost always the correctly rounded one.
#include <cmath>

#include "engine/backend/cpu/straight_line_math.hpp"

namespace metagrad::cpu {

/// atan(x) for any float x (NaN gives NaN, +-inf gives +-pi/2), without branches.
///
/// |x| is reduced to |t| <= tan(pi/8) with one division: atan |x| = pi/2 + atan(-1/|x|) above
/// tan(3 pi/8), pi/4 + atan((|x| - 1) / (|x| + 1)) above tan(pi/8), and then atan t = t + t u
/// Q(u), u = t^2, Q a degree-9 fit of (atan(t)/t - 1)/u on [0, tan^2(pi/8)] (relative error 1e-15).
MG_FORCE_INLINE float float_atan_in_double(float xf) {
  constexpr double kTanPiOver8 = 0x1.a827999fcef32p-2;
  constexpr double kTan3PiOver8 = 0x1.3504f333f9de6p+1;
  constexpr double kHalfPi = 0x1.921fb54442d18p+0;
  constexpr double kQuarterPi = 0x1.921fb54442d18p-1;
  const double x = xf;
  const double a = std::fabs(x);
  const bool beyond = a > kTan3PiOver8;
  const bool middle = a > kTanPiOver8;
  const double numerator = beyond ? -1.0 : (middle ? a - 1.0 : a);
  const double denominator = beyond ? a : (middle ? a + 1.0 : 1.0);
  const double offset = beyond ? kHalfPi : (middle ? kQuarterPi : 0.0);
  const double t = numerator / denominator;
  const double u = t * t;
  const double q = horner(u, 0x1.793bbd5a1b11cp-6, -0x1.70ebddb58416ep-5, 0x1.d66c19cf9b71dp-5,
                          -0x1.1068c8fdfa83fp-4, 0x1.3b078fedc5b2cp-4, -0x1.745c8de34aef5p-4,
                          0x1.c71c6e461549fp-4, -0x1.2492491ec986dp-3, 0x1.99999999929aep-3,
                          -0x1.555555555551ep-2);
  // (NaN fails both comparisons and gives t = NaN; atan(+-0) = +-0 through the sign of x.)
  return static_cast<float>(std::copysign(offset + (t + t * u * q), x));
}

}  // namespace metagrad::cpu
