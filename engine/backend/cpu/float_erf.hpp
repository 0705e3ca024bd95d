#pragma once

// erf, and gelu with its derivative, of float arguments evaluated in double with straight-line
// code that the compiler vectorizes (glibc's erff is a scalar call of about 11 ns, and PyTorch's
// CPU erf and gelu vectorized ones). The double evaluation errs by under 1e-13 relatively, far
// below a float's half-unit of 3e-8, so the result is almost always the correctly rounded one: of
// all 2^32 floats, erf differs from the correctly rounded value on 260, by one ulp.
#include <cmath>

#include "engine/backend/cpu/straight_line_math.hpp"

namespace metagrad::cpu {

/// erf(y) / y for |y| <= 1: a degree-10 fit in y^2 (relative error 2e-14).
MG_FORCE_INLINE double erf_over_y_near_zero(double y) {
  return horner(y * y, 0x1.36d02d78294fep-27, -0x1.4242673c2b15ep-23, 0x1.b4d80d0198cd4p-20,
                -0x1.f44541345dd41p-17, 0x1.f99939ea6f83dp-14, -0x1.c02d4102cf9fap-11,
                0x1.565bc9cf32aacp-8, -0x1.b82ce2f7174e7p-6, 0x1.ce2f219fcaa2bp-4,
                -0x1.812746b036c2fp-2, 0x1.20dd750429b39p+0);
}

/// erfcx(a) = e^(a^2) erfc(a) for a in [1, 4]: a degree-18 fit in a - 5/2 (relative error 3e-13).
MG_FORCE_INLINE double erfcx_from_one_to_four(double a) {
  return horner(
      a - 2.5, 0x1.26181ed550baap-36, -0x1.4bdc00a8c2510p-34, 0x1.6aef05f179f29p-33,
      -0x1.930e308cd6969p-31, 0x1.0d16f8258baf1p-28, -0x1.1c73174835c28p-26, 0x1.1faa806615845p-24,
      -0x1.24748bb41ae31p-22, 0x1.235b301eddb34p-20, -0x1.1ada0fa67d31bp-18, 0x1.0bcb3555bf131p-16,
      -0x1.edd38bf13e945p-15, 0x1.ba8a6c99f6a4cp-13, -0x1.809ceb5ca516bp-11, 0x1.435c04d47a0e2p-9,
      -0x1.063207627cc01p-7, 0x1.98958a7aabf9fp-6, -0x1.3086d7f0217ccp-4, 0x1.afbb3f3b7333cp-3);
}

/// erfcx(a) for a >= 4 (0 at +inf): a erfcx(a) as a degree-10 fit in 1/a^2 on [0, 1/16]
/// (relative error 2e-14), divided by a (with one division, the slowest vector instruction here).
MG_FORCE_INLINE double erfcx_from_four(double a) {
  const double inverse = 1.0 / a;
  const double scaled = horner(inverse * inverse, 0x1.8bacdd9100319p+14, -0x1.77f40b89bc015p+13,
                               0x1.6ddbd4ab229b2p+11, -0x1.08fe7ac240ff5p+9, 0x1.66cd9cd0b25a9p+6,
                               -0x1.09f7da54031e7p+4, 0x1.d9db880b3889cp+1, -0x1.0ecf61389bd12p+0,
                               0x1.b14c2e9617fedp-2, -0x1.20dd7503cbdd7p-2, 0x1.20dd750429b11p-1);
  return scaled * inverse;
}

/// erf(x) for any float x (NaN gives NaN, +-inf gives +-1), without branches.
///
/// For |x| < 1, x erf_over_y_near_zero(x); beyond, erf |x| = 1 - e^(-x^2) erfcx(|x|), x^2 of a
/// float being exact in double. Beyond 4, 1 - erfc x rounds to 1 in float, so |x| is clamped to 4.
MG_FORCE_INLINE float float_erf_in_double(float xf) {
  const double x = xf;
  const double a = std::fabs(x);
  const double clamped = a < 4.0 ? a : 4.0;
  const double erfc_a = exp_in_double(-(clamped * clamped)) * erfcx_from_one_to_four(clamped);
  const double large = std::copysign(1.0 - erfc_a, x);
  // NaN fails a >= 1 and takes the near-zero branch, which gives NaN.
  return static_cast<float>(a >= 1.0 ? large : x * erf_over_y_near_zero(x));
}

/// e^(-x^2 / 2) for a double x that holds a float (so that x^2 is exact), or NaN; e^-708 where it
/// underflows (below x = -37.6 or above 37.6).
MG_FORCE_INLINE double half_gaussian_of_float(double x) {
  const double minus_half_x2 = -0.5 * (x * x);
  return exp_in_double(minus_half_x2 > -708.0 ? minus_half_x2 : -708.0);
}

/// Phi(x), the standard normal CDF, for a double x that holds a float, or NaN (which gives NaN),
/// given gaussian = half_gaussian_of_float(x); without branches, and relative-accurate in both
/// tails: Phi(x) = (1 + erf(x / sqrt 2)) / 2 near zero, and e^(-x^2 / 2) erfcx(|x| / sqrt 2) / 2
/// is Phi(x) below and 1 - Phi(x) above.
MG_FORCE_INLINE double normal_cdf_of_float(double x, double gaussian) {
  constexpr double kInverseSqrt2 = 0x1.6a09e667f3bcdp-1;
  const double y = x * kInverseSqrt2;
  const double a = std::fabs(y);
  const double near_zero = 0.5 + 0.5 * (y * erf_over_y_near_zero(y));
  const double erfcx_a = a < 4.0 ? erfcx_from_one_to_four(a < 1.0 ? 1.0 : a) : erfcx_from_four(a);
  const double tail = 0.5 * gaussian * erfcx_a;
  const double far = x > 0.0 ? 1.0 - tail : tail;
  return a >= 1.0 ? far : near_zero;
}

/// gelu(x) = x Phi(x) for any float x, as float_erf_in_double.
MG_FORCE_INLINE float float_gelu_in_double(float xf) {
  const double x = xf;
  return static_cast<float>(x * normal_cdf_of_float(x, half_gaussian_of_float(x)));
}

/// gelu'(x) = Phi(x) + x phi(x), phi(x) = e^(-x^2 / 2) / sqrt(2 pi), for any float x.
MG_FORCE_INLINE float float_gelu_derivative_in_double(float xf) {
  constexpr double kInverseSqrt2Pi = 0x1.9884533d43651p-2;
  const double x = xf;
  const double gaussian = half_gaussian_of_float(x);
  // Where e^(-x^2 / 2) underflows in double the result is 1 or -0 (the sign of x phi(x)), and
  // NaN at +-inf, where PyTorch's x phi(x) is inf * 0.
  const double beyond = x > 0.0 ? 1.0 + x * 0.0 : x * 0.0;
  const double slope = normal_cdf_of_float(x, gaussian) + x * (kInverseSqrt2Pi * gaussian);
  return static_cast<float>(-0.5 * (x * x) > -708.0 ? slope : beyond);
}

}  // namespace metagrad::cpu
