#pragma once

// tan of float arguments evaluated in double with straight-line code that the compiler vectorizes
// (glibc's tanf is a scalar call, and PyTorch's CPU tan a vectorized one). The result is within a
// hair of correctly rounded: the double evaluation errs by about 1e-14 relatively, far below a
// float's half-unit of 3e-8.
#include <bit>
#include <cmath>
#include <cstdint>

#include "engine/backend/cpu/straight_line_math.hpp"

namespace metagrad::cpu {

/// Arguments up to this size take float_tan_in_double: the quadrant count k = round(2 x / pi)
/// stays below 2^20, so k times the 33-bit head of pi/2 is exact.
constexpr float kFloatTanReducedBound = 1048576.0f;  // 2^20

/// tan(x) for a float |x| <= kFloatTanReducedBound (or NaN, which gives NaN), without branches.
///
/// x = k pi/2 + r with |r| <= pi/4 by Cody-Waite reduction against pi/2 = head + tail (33 + 53
/// bits: r errs by under 1e-20 where the nearest float to a multiple of pi/2 leaves r near 1e-9);
/// then sin r and cos r by their Taylor series to r^13 and r^14 (truncation under 3e-14), and tan x
/// = sin r / cos r for even k, -cos r / sin r for odd k.
MG_FORCE_INLINE float float_tan_in_double(float xf) {
  constexpr double kTwoOverPi = 0x1.45f306dc9c883p-1;
  constexpr double kHalfPiHead = 0x1.921fb544p+0;        // pi/2 to 33 bits
  constexpr double kHalfPiTail = 0x1.0b4611a626331p-34;  // pi/2 - head, to 53 bits
  constexpr double kRoundingShift = 0x1.8p52;            // v + shift - shift = v rounded
  const double x = xf;
  const double shifted = x * kTwoOverPi + kRoundingShift;  // k in the low bits of the significand
  const double k = shifted - kRoundingShift;
  const double r = (x - k * kHalfPiHead) - k * kHalfPiTail;
  const double r2 = r * r;
  // sin r = r (1 - r^2/3! + ... + r^12/13!);  cos r = 1 - r^2/2! + ... + r^14/14!. (sin r as a
  // product keeps the sign of r = -0 for x = -0.)
  const double sin_r = r * horner(r2, 1.0 / 6227020800.0, -1.0 / 39916800, 1.0 / 362880,
                                  -1.0 / 5040, 1.0 / 120, -1.0 / 6, 1.0);
  const double cos_r = horner(r2, -1.0 / 87178291200.0, 1.0 / 479001600, -1.0 / 3628800,
                              1.0 / 40320, -1.0 / 720, 1.0 / 24, -1.0 / 2, 1.0);
  // One division of selected operands, so that the loop vectorizes.
  const bool odd = (std::bit_cast<std::uint64_t>(shifted) & 1) != 0;
  return static_cast<float>((odd ? -cos_r : sin_r) / (odd ? sin_r : cos_r));
}

}  // namespace metagrad::cpu
