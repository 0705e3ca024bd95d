#pragma once

// The elementwise math of UnaryOp and BinaryOp that neither the C++ library nor CUDA's math
// library offers alike on host and device: digamma, polygamma (through the Hurwitz zeta function),
// the inverse error function, thread-safe lgamma (and, through remainder_functions.hpp, the floored
// and truncated remainders). The CPU backend (engine/backend/cpu/cpu_elementwise.cpp) and the CUDA
// kernels (cuda/kernels/elementwise_kernels.hpp) both call these, so the two backends give the same
// bits on the host. Each is computed in double; float callers round the result.
//
// Conventions follow PyTorch's (ATen/native/Math.h): digamma(±0) = ∓inf, digamma and polygamma at
// a negative integer are NaN and +inf times polygamma's sign, erfinv(±1) = ±inf.
#include <cmath>
#include <type_traits>

#include "engine/backend/host_device.hpp"
#include "engine/backend/remainder_functions.hpp"

namespace metagrad::special {

/// The largest polygamma order: n! overflows double beyond it.
constexpr int kMaxPolygammaOrder = 170;

namespace detail {

constexpr double kPi = 3.14159265358979323846;

/// Below this (negative) argument, polygamma reflects instead of summing the ~|x| terms that
/// would carry the argument to the asymptotic region.
constexpr double kReflectBelow = -65536.0;

/// B_2j / (2j)! for j = 1..12: the coefficients of the Euler-Maclaurin corrections of the Hurwitz
/// zeta function.
MG_SPECIAL_HD inline double bernoulli_over_factorial(int j) {
  // B_2j / (2j)! for B_2 .. B_24 = 1/6, -1/30, 1/42, -1/30, 5/66, -691/2730, 7/6, -3617/510,
  // 43867/798, -174611/330, 854513/138, -236364091/2730.
  constexpr double kTable[12] = {
      1.0 / 12.0,
      -1.0 / 720.0,
      1.0 / 30240.0,
      -1.0 / 1209600.0,
      1.0 / 47900160.0,
      -691.0 / 1307674368000.0,
      1.0 / 74724249600.0,
      -3617.0 / 10670622842880000.0,
      43867.0 / 5109094217170944000.0,
      -174611.0 / 802857662698291200000.0,
      77683.0 / 14101100039391805440000.0,
      -236364091.0 / 1693824136731743669452800000.0,
  };
  return kTable[j - 1];
}

/// sum + sum_{k>=0} (a + k)^-s for a >= 9 and a_power = a^-s, by Euler-Maclaurin: the integral
/// a^(1-s) / (s - 1), half the first term and up to 12 Bernoulli corrections, stopped where one
/// falls below 1e-17 of the total.
MG_SPECIAL_HD inline double add_zeta_tail(double sum, double s, double a, double a_power) {
  sum += a * a_power / (s - 1.0) + 0.5 * a_power;
  // Correction j: B_2j / (2j)! * s (s + 1) ... (s + 2j - 2) * a^(-s - 2j + 1).
  double rising = s * a_power / a;
  for (int j = 1; j <= 12; ++j) {
    const double term = bernoulli_over_factorial(j) * rising;
    sum += term;
    if (::fabs(term) < 1e-17 * ::fabs(sum)) break;
    rising *= (s + 2.0 * j - 1.0) * (s + 2.0 * j) / (a * a);
  }
  return sum;
}

/// n-th derivative of cot(pi x), as the polynomial P_n(c) in c = cot(pi x) times pi^n:
/// P_0 = c, P_{k+1} = -(1 + c^2) P_k'(c). Only reached for x < kReflectBelow.
MG_SPECIAL_HD inline double cot_derivative(int n, double x) {
  double coefficient[kMaxPolygammaOrder + 3] = {};  // coefficient[i] of c^i
  coefficient[1] = 1.0;
  for (int k = 0; k < n; ++k) {
    // P' = sum i a_i c^(i-1); -(1 + c^2) P' has c^j coefficient -(j+1) a_(j+1) - (j-1) a_(j-1).
    double next[kMaxPolygammaOrder + 3] = {};
    for (int j = 0; j <= k + 2; ++j) {
      const double from_one = -(j + 1) * coefficient[j + 1];
      const double from_square = j >= 1 ? -(j - 1) * coefficient[j - 1] : 0.0;
      next[j] = from_one + from_square;
    }
    for (int j = 0; j <= k + 2; ++j) coefficient[j] = next[j];
  }
  const double fraction = x - ::trunc(x);  // pi x loses digits when |x| > 1; cot has period pi
  const double c = 1.0 / ::tan(kPi * fraction);
  double value = 0.0;
  for (int j = n + 1; j >= 0; --j) value = value * c + coefficient[j];
  return value * ::pow(kPi, n);
}

}  // namespace detail

/// log |Gamma(x)| without touching the global `signgam` (std::lgamma writes it: a data race
/// between threads).
MG_SPECIAL_HD inline double lgamma(double x) {
#if defined(__CUDA_ARCH__)
  return ::lgamma(x);
#else
  int sign = 0;
  return ::lgamma_r(x, &sign);
#endif
}

/// log |Gamma(x)| in float, as float callers of PyTorch's lgamma get it.
MG_SPECIAL_HD inline float lgamma(float x) {
#if defined(__CUDA_ARCH__)
  return ::lgammaf(x);
#else
  int sign = 0;
  return ::lgammaf_r(x, &sign);
#endif
}

/// digamma(x) = d/dx log Gamma(x): reflection to x > 0, the recurrence psi(x) = psi(x + 1) - 1/x up
/// to x >= 10, then the asymptotic series log x - 1/(2x) - sum B_2k / (2k x^2k).
MG_SPECIAL_HD inline double digamma(double x) {
  if (x == 0) return ::copysign(static_cast<double>(INFINITY), -x);
  double result = 0.0;
  if (x < 0) {
    if (x == ::floor(x)) return static_cast<double>(NAN);
    // psi(x) = psi(1 - x) - pi / tan(pi x), with x's fraction keeping pi x accurate.
    result = -detail::kPi / ::tan(detail::kPi * (x - ::trunc(x)));
    x = 1.0 - x;
  }
  while (x < 10.0) {
    result -= 1.0 / x;
    x += 1.0;
  }
  // B_2/2 = 1/12, B_4/4 = -1/120, B_6/6 = 1/252, B_8/8 = -1/240, B_10/10 = 1/132,
  // B_12/12 = -691/32760, B_14/14 = 1/12.
  const double z = 1.0 / (x * x);
  const double series =
      z *
      (1.0 / 12 + z * (-1.0 / 120 +
                       z * (1.0 / 252 +
                            z * (-1.0 / 240 + z * (1.0 / 132 + z * (-691.0 / 32760 + z / 12.0))))));
  return result + ::log(x) - 0.5 / x - series;
}

/// x^-s for a whole s >= 1, by repeated squaring of 1/x (a handful of products where pow would
/// take a logarithm and an exponential).
MG_SPECIAL_HD inline double inverse_power(double x, int s) {
  double base = 1.0 / x, result = 1.0;
  while (s > 0) {
    if (s & 1) result *= base;
    base *= base;
    s >>= 1;
  }
  return result;
}

/// The Hurwitz zeta function zeta(s, q) = sum over k >= 0 of (q + k)^-s, for a whole s >= 2:
/// direct terms until q + k >= 9, then the Euler-Maclaurin tail with up to 12 Bernoulli
/// corrections. +inf at the poles q = 0, -1, -2, ...
MG_SPECIAL_HD inline double hurwitz_zeta(int s, double q) {
  if (q != q) return static_cast<double>(NAN);
  if (q <= 0 && q == ::floor(q)) return static_cast<double>(INFINITY);
  double sum = 0.0;
  double a = q;
  int terms = 0;
  while (terms < 9 || a <= 9.0) {
    sum += inverse_power(a, s);
    a += 1.0;
    ++terms;
  }
  return detail::add_zeta_tail(sum, s, a, inverse_power(a, s));
}

/// trigamma(x) = polygamma(1, x), digamma's derivative (and so the hot path of its backward):
/// for x > 0 the recurrence psi_1(x) = psi_1(x + 1) + 1/x^2 up to x >= 10, then the asymptotic
/// series 1/x + 1/(2x^2) + sum B_2k / x^(2k+1); below 0 the reflection psi_1(x) = pi^2 / sin^2(pi
/// x) - psi_1(1 - x). +inf at 0, -1, -2, ...
MG_SPECIAL_HD inline double trigamma(double x) {
  if (x != x) return x;
  if (x <= 0 && x == ::floor(x)) return static_cast<double>(INFINITY);
  double result = 0.0, sign = 1.0;
  if (x < 0) {
    const double sine = ::sin(detail::kPi * (x - ::trunc(x)));
    result = detail::kPi * detail::kPi / (sine * sine);
    sign = -1.0;
    x = 1.0 - x;
  }
  double shift = 0.0;
  while (x < 10.0) {
    shift += 1.0 / (x * x);
    x += 1.0;
  }
  // B_2 .. B_18 = 1/6, -1/30, 1/42, -1/30, 5/66, -691/2730, 7/6, -3617/510, 43867/798: the first
  // term left out is below 1e-18 of the value at x = 10.
  const double inverse = 1.0 / x, z = inverse * inverse;
  const double bernoulli =
      1.0 / 6 +
      z * (-1.0 / 30 +
           z * (1.0 / 42 + z * (-1.0 / 30 +
                                z * (5.0 / 66 + z * (-691.0 / 2730 +
                                                     z * (7.0 / 6 + z * (-3617.0 / 510 +
                                                                         z * (43867.0 / 798))))))));
  const double series = inverse + 0.5 * z + inverse * z * bernoulli;
  return result + sign * (shift + series);
}

/// polygamma(n, x): the n-th derivative of digamma, (-1)^(n+1) n! zeta(n + 1, x) for n >= 1; n in
/// [0, kMaxPolygammaOrder].
MG_SPECIAL_HD inline double polygamma(int n, double x) {
  if (n == 0) return digamma(x);
  if (n == 1) return trigamma(x);
  double factorial = 1.0;
  for (int k = 2; k <= n; ++k) factorial *= k;
  const double sign = n % 2 == 1 ? 1.0 : -1.0;
  if (x < detail::kReflectBelow && x != ::floor(x)) {
    // psi^(n)(x) = (-1)^n psi^(n)(1 - x) - pi d^n/dx^n cot(pi x), from psi(1 - x) - psi(x) =
    // pi cot(pi x); 1 - x is far in the asymptotic region.
    const double reflected =
        (n % 2 == 0 ? 1.0 : -1.0) * sign * factorial * hurwitz_zeta(n + 1, 1.0 - x);
    return reflected - detail::kPi * detail::cot_derivative(n, x);
  }
  return sign * factorial * hurwitz_zeta(n + 1, x);
}

/// erfinv(y): the x with erf(x) = y, NaN outside [-1, 1]. Giles' single-precision approximation
/// (M. Giles, "Approximating the erfinv function", GPU Computing Gems, 2010) refined by Newton
/// steps, on log erfc for |y| > 1/2, where 1 - |y| is exact and erf(x) would round to 1.
MG_SPECIAL_HD inline double erfinv(double y) {
  if (!(y >= -1.0 && y <= 1.0)) return static_cast<double>(NAN);
  if (y == 1.0 || y == -1.0) return ::copysign(static_cast<double>(INFINITY), y);
  const double magnitude = ::fabs(y);
  double w = -::log((1.0 - magnitude) * (1.0 + magnitude));
  double p;
  if (w < 5.0) {
    w -= 2.5;
    p = 2.81022636e-08;
    p = 3.43273939e-07 + p * w;
    p = -3.5233877e-06 + p * w;
    p = -4.39150654e-06 + p * w;
    p = 0.00021858087 + p * w;
    p = -0.00125372503 + p * w;
    p = -0.00417768164 + p * w;
    p = 0.246640727 + p * w;
    p = 1.50140941 + p * w;
  } else {
    w = ::sqrt(w) - 3.0;
    p = -0.000200214257;
    p = 0.000100950558 + p * w;
    p = 0.00134934322 + p * w;
    p = -0.00367342844 + p * w;
    p = 0.00573950773 + p * w;
    p = -0.0076224613 + p * w;
    p = 0.00943887047 + p * w;
    p = 1.00167406 + p * w;
    p = 2.83297682 + p * w;
  }
  double x = p * magnitude;
  constexpr double kTwoOverSqrtPi = 1.12837916709551257390;
  if (magnitude <= 0.5) {
    // Newton on erf(x) - |y|, whose derivative is 2/sqrt(pi) exp(-x^2).
    for (int step = 0; step < 2; ++step)
      x -= (::erf(x) - magnitude) / (kTwoOverSqrtPi * ::exp(-x * x));
  } else {
    // Newton on log erfc(x) - log(1 - |y|): 1 - |y| is exact, and log erfc is near-linear in the
    // tail, where erf(x) - |y| would cancel to nothing.
    const double target = 1.0 - magnitude;
    // Giles' start is 7% off at 1 - |y| = 1e-15 (beyond float's range), so step until the step
    // is below an ulp: quadratic convergence takes at most 5 steps there, 2 or 3 elsewhere.
    for (int step = 0; step < 8; ++step) {
      const double tail = ::erfc(x);
      // log(tail) - log(target) as log1p of the relative miss: the difference of two logs near
      // -35 would carry an absolute error of an ulp of 35.
      const double miss = ::log1p((tail - target) / target);
      const double delta = miss * tail / (kTwoOverSqrtPi * ::exp(-x * x));
      x += delta;
      if (::fabs(delta) <= 1e-15 * x) break;
    }
  }
  return ::copysign(x, y);
}

}  // namespace metagrad::special
