#pragma once

// The scaled complementary error function, the standard normal quantile (torch.special.erfcx,
// ndtri) and gelu with its derivative for UnaryOp, shared by the CPU backend and the CUDA kernels.
// Computed in double.
#include <cmath>

#include "engine/backend/special_functions.hpp"

namespace metagrad::special {

/// erfcx(x) = e^(x^2) erfc(x): the product directly below x = 2 (erfc is relative-accurate and
/// e^(x^2) exact to a few ulps there; +inf below about -26.6, as the true value), Laplace's
/// continued fraction erfc(x) e^(x^2) = pi^(-1/2) / (x + (1/2) / (x + 1 / (x + (3/2) / ...)))
/// with 60 levels from 2 to 1e8, and 1 / (x sqrt(pi)) beyond. Within 3e-16 relative of mpmath.
MG_SPECIAL_HD inline double erfcx(double x) {
  constexpr double kInverseSqrtPi = 0.56418958354775628695;
  if (x != x) return x;  // NaN
  if (x < 2.0) return ::exp(x * x) * ::erfc(x);
  if (x > 1e8) return kInverseSqrtPi / x;
  double tail = x;
  for (int k = 60; k >= 1; --k) tail = x + 0.5 * k / tail;
  return kInverseSqrtPi / tail;
}

/// gelu(x) = x Phi(x) = x erfc(-x / sqrt 2) / 2, Phi the standard normal CDF (erfc keeps the
/// relative accuracy that 1 + erf(x / sqrt 2) loses for negative x).
MG_SPECIAL_HD inline double gelu(double x) {
  constexpr double kInverseSqrt2 = 0.70710678118654752440;
  return 0.5 * x * ::erfc(-x * kInverseSqrt2);
}

/// gelu'(x) = Phi(x) + x phi(x), phi(x) = e^(-x^2 / 2) / sqrt(2 pi).
MG_SPECIAL_HD inline double gelu_derivative(double x) {
  constexpr double kInverseSqrt2 = 0.70710678118654752440;
  constexpr double kInverseSqrt2Pi = 0.39894228040143267794;
  return 0.5 * ::erfc(-x * kInverseSqrt2) + x * (kInverseSqrt2Pi * ::exp(-0.5 * x * x));
}

/// log Phi(x), Phi the standard normal CDF: log(erfcx(-x / sqrt 2) / 2) - x^2 / 2 below -1 (where
/// Phi underflows), log1p(-erfc(x / sqrt 2) / 2) above.
MG_SPECIAL_HD inline double log_ndtr(double x) {
  constexpr double kInverseSqrt2 = 0.70710678118654752440;
  if (x < -1.0) return ::log(0.5 * erfcx(-x * kInverseSqrt2)) - 0.5 * x * x;
  return ::log1p(-0.5 * ::erfc(x * kInverseSqrt2));
}

/// ndtri(p): the x with Phi(x) = p (the standard normal quantile), -inf at 0, +inf at 1, NaN
/// outside [0, 1]. For p <= 1/2: a start from erfinv (p >= 0.02) or from the Abramowitz-Stegun
/// 26.2.23 tail approximation, then Newton steps on log Phi(x) = log p (near-linear in the tail,
/// and exact down to the smallest subnormal p); p > 1/2 by symmetry, 1 - p being exact there.
MG_SPECIAL_HD inline double ndtri(double p) {
  constexpr double kSqrt2 = 1.41421356237309504880;
  constexpr double kSqrtHalfPi = 1.25331413731550025121;
  constexpr double kInverseSqrt2 = 0.70710678118654752440;
  if (!(p >= 0.0 && p <= 1.0)) return static_cast<double>(NAN);
  if (p == 0.0) return -static_cast<double>(INFINITY);
  if (p == 1.0) return static_cast<double>(INFINITY);
  const bool upper = p > 0.5;
  const double lower = upper ? 1.0 - p : p;
  double x;
  if (lower >= 0.02) {
    x = kSqrt2 * erfinv(2.0 * lower - 1.0);
  } else {
    const double t = ::sqrt(-2.0 * ::log(lower));
    x = -(t - (2.515517 + t * (0.802853 + t * 0.010328)) /
                  (1.0 + t * (1.432788 + t * (0.189269 + t * 0.001308))));
  }
  const double log_target = ::log(lower);
  for (int step = 0; step < 8; ++step) {
    // d log Phi / dx = phi / Phi = 1 / (sqrt(pi / 2) erfcx(-x / sqrt 2))
    const double delta = (log_ndtr(x) - log_target) * kSqrtHalfPi * erfcx(-x * kInverseSqrt2);
    x -= delta;
    if (::fabs(delta) <= 1e-16 * ::fabs(x)) break;
  }
  return upper ? -x : x;
}

}  // namespace metagrad::special
