#pragma once

// Building blocks of the vectorized float kernels that evaluate in double (float_tan.hpp,
// float_atan.hpp, float_erf.hpp, float_exp_family.hpp, float_log1p.hpp): straight-line code without
// calls or branches, which GCC vectorizes along contiguous rows, accurate to a few double ulps.
#include <bit>
#include <cstdint>

#include "engine/backend/host_device.hpp"

namespace metagrad::cpu {

/// c_n x^n + ... + c_1 x + c_0 by Horner's rule, with the coefficients given from c_n down to c_0
/// (unrolled at compile time, so that loops calling it vectorize).
template <typename... Lower>
MG_FORCE_INLINE double horner(double x, double leading, Lower... lower) {
  double acc = leading;
  ((acc = acc * x + lower), ...);
  return acc;
}

/// e^m for a double m in [-708, 709] (NaN gives NaN), without branches: m = n ln2 + r with |r| <=
/// ln2 / 2 by Cody-Waite reduction (the 32-bit head of ln2 times n is exact), e^r by its Taylor
/// series to r^12 (truncation under 2e-16), and 2^n put straight into the exponent bits.
MG_FORCE_INLINE double exp_in_double(double m) {
  constexpr double kLog2e = 0x1.71547652b82fep+0;
  constexpr double kLn2Head = 0x1.62e42feep-1;         // ln 2 to 32 bits
  constexpr double kLn2Tail = 0x1.a39ef35793c76p-33;   // ln 2 - head, to 53 bits
  constexpr double kRoundingShift = 0x1.8p52;          // v + shift - shift = v rounded
  const double shifted = m * kLog2e + kRoundingShift;  // n in the low bits of the significand
  const double n = shifted - kRoundingShift;
  const double r = (m - n * kLn2Head) - n * kLn2Tail;
  const double e_r =
      horner(r, 1.0 / 479001600, 1.0 / 39916800, 1.0 / 3628800, 1.0 / 362880, 1.0 / 40320,
             1.0 / 5040, 1.0 / 720, 1.0 / 120, 1.0 / 24, 1.0 / 6, 1.0 / 2, 1.0, 1.0);
  // The low 12 bits of shifted's significand hold n mod 4096, so shifting n + 1023 into place
  // gives the bits of 2^n (-1021 <= n <= 1023 here: neither subnormal nor infinite).
  const double two_to_n =
      std::bit_cast<double>((std::bit_cast<std::uint64_t>(shifted) + 1023) << 52);
  return e_r * two_to_n;
}

/// log(u) for a normal positive finite double u, without branches: u = 2^k m with m in
/// [sqrt(1/2), sqrt 2) read off the bits, log m = 2 atanh(s) = 2 (s + s^3/3 + ... + s^21/21) with
/// s = (m - 1) / (m + 1) (|s| <= 0.172: truncation under 1e-17 relatively, and relative accuracy
/// near u = 1, where m - 1 is exact), and k ln 2 added as a 32-bit head (exact) and a tail.
MG_FORCE_INLINE double log_of_normal(double u) {
  constexpr std::uint64_t kSqrtHalfBits = 0x3fe6a09e667f3bcd;  // sqrt(1/2)
  constexpr std::uint64_t kExponentOne = std::uint64_t{1023} << 52;
  constexpr double kLn2Head = 0x1.62e42feep-1;
  constexpr double kLn2Tail = 0x1.a39ef35793c76p-33;
  const std::uint64_t bits = std::bit_cast<std::uint64_t>(u);
  // k + 1023 from a logical shift (AVX2 has no 64-bit arithmetic one): the sum is positive for
  // every normal u.
  const std::uint64_t biased_k = (bits - kSqrtHalfBits + kExponentOne) >> 52;
  const double m = std::bit_cast<double>(bits - (biased_k << 52) + kExponentOne);
  // k as a double without a 64-bit integer conversion: 2^52 + biased_k has it in its low bits.
  const double k = std::bit_cast<double>(biased_k | 0x4330000000000000) - (0x1p52 + 1023.0);
  const double s = (m - 1.0) / (m + 1.0);
  const double s2 = s * s;
  const double log_m = 2.0 * s *
                       horner(s2, 1.0 / 21, 1.0 / 19, 1.0 / 17, 1.0 / 15, 1.0 / 13, 1.0 / 11,
                              1.0 / 9, 1.0 / 7, 1.0 / 5, 1.0 / 3, 1.0);
  return k * kLn2Head + (k * kLn2Tail + log_m);
}

}  // namespace metagrad::cpu
