#pragma once

// The modified Bessel functions of the first kind of orders 0 and 1 (torch.special.i0, i0e, i1,
// i1e) and of the second kind (modified_bessel_k0, k1 and their scaled forms) for UnaryOp, shared
// by the CPU backend and the CUDA kernels so both give the same bits on the host. Computed in
// double. I_n: the power series sum_k (x/2)^(2k+n) / (k! (k+n)!) (positive terms, no
// cancellation) up to |x| = 20, and Hankel's asymptotic expansion of e^-|x| I_n(|x|) above,
// stopped at its smallest term (below 4e-18 there). K_n: the logarithmic series up to x = 2, and
// above it the trapezoidal rule on e^x K_n(x) = int_0^inf e^(-x (cosh t - 1)) cosh(n t) dt, whose
// entire, strip-decaying integrand makes the rule converge geometrically (about 25 nodes). Within
// 1e-15 relative of mpmath everywhere.
#include <cmath>

#include "engine/backend/special_functions.hpp"

namespace metagrad::special {
namespace detail {

/// Below this |x| the power series, above it the asymptotic expansion.
constexpr double kBesselSeriesLimit = 20.0;

/// I_n(x) for n in {0, 1} and 0 <= x <= kBesselSeriesLimit by its power series.
MG_SPECIAL_HD inline double bessel_i_series(int n, double x) {
  const double half = 0.5 * x, quarter_square = half * half;
  double term = n == 0 ? 1.0 : half;
  double sum = term;
  for (int k = 1; k < 100 && term > sum * 1e-17; ++k) {
    term *= quarter_square / (k * (k + n));
    sum += term;
  }
  return sum;
}

/// e^-x I_n(x) for n in {0, 1} and x > kBesselSeriesLimit: (2 pi x)^(-1/2) sum_k
/// (-1)^k prod_{j<=k} (4n^2 - (2j - 1)^2) / (k! (8x)^k), summed while its terms shrink.
MG_SPECIAL_HD inline double bessel_i_scaled_asymptotic(int n, double x) {
  const double mu = 4.0 * n * n;
  double term = 1.0, sum = 1.0;
  for (int k = 1; k < 100; ++k) {
    const double odd = 2.0 * k - 1.0;
    const double next = -term * (mu - odd * odd) / (8.0 * k * x);
    if (::fabs(next) >= ::fabs(term)) break;
    term = next;
    sum += term;
    if (::fabs(term) <= 1e-17 * ::fabs(sum)) break;
  }
  return sum / ::sqrt(2.0 * kPi * x);
}

/// e^-|x| I_n(|x|) for n in {0, 1}: the exponentially scaled function of |x|.
MG_SPECIAL_HD inline double bessel_i_scaled_magnitude(int n, double magnitude) {
  if (magnitude <= kBesselSeriesLimit) return bessel_i_series(n, magnitude) * ::exp(-magnitude);
  return bessel_i_scaled_asymptotic(n, magnitude);
}

/// At and below this x the series of K_n, above it the integral.
constexpr double kBesselKSeriesLimit = 2.0;

/// K_n(x) for n in {0, 1} and 0 < x <= kBesselKSeriesLimit (A&S 9.6.11, 9.6.13), with
/// t_k = (x^2/4)^k / k!^2 and u_k = (x^2/4)^k / (k! (k+1)!):
/// K0 = -log(x/2) I0(x) + sum_k psi(k + 1) t_k,
/// K1 = 1/x + log(x/2) I1(x) - (x/4) sum_k (psi(k + 1) + psi(k + 2)) u_k.
MG_SPECIAL_HD inline double bessel_k_series(int n, double x) {
  const double quarter_square = 0.25 * x * x;
  double t = 1.0, u = 1.0, psi = -0.57721566490153286061;  // psi(1) = -Euler's gamma
  double i0 = 0.0, k0_sum = 0.0, i1_sum = 0.0, k1_sum = 0.0;
  for (int k = 0; k < 100; ++k) {
    if (k > 0) {
      t *= quarter_square / (static_cast<double>(k) * k);
      u *= quarter_square / (static_cast<double>(k) * (k + 1));
      psi += 1.0 / k;
    }
    i0 += t;
    k0_sum += psi * t;
    i1_sum += u;
    k1_sum += (2.0 * psi + 1.0 / (k + 1)) * u;
    if (t < 1e-17 * i0) break;
  }
  const double log_half = ::log(0.5 * x);
  if (n == 0) return -log_half * i0 + k0_sum;
  return 1.0 / x + log_half * 0.5 * x * i1_sum - 0.25 * x * k1_sum;
}

/// e^x K_n(x) for n in {0, 1} and x > kBesselKSeriesLimit: the trapezoidal rule of step
/// min(0.15, 0.5 / sqrt(x)) on int_0^inf e^(-2x sinh^2(t/2)) cosh(n t) dt (cosh t - 1 written
/// without cancellation), summed until a node adds less than 1e-18 of the total.
MG_SPECIAL_HD inline double bessel_k_scaled_integral(int n, double x) {
  const double step = ::fmin(0.15, 0.5 / ::sqrt(x));
  double sum = 0.5;  // half the node at t = 0, where the integrand is 1
  for (int j = 1; j < 10000; ++j) {
    const double t = j * step, half_sinh = ::sinh(0.5 * t);
    const double node = ::exp(-2.0 * x * half_sinh * half_sinh) * (n == 0 ? 1.0 : ::cosh(t));
    sum += node;
    if (node < 1e-18 * sum) break;
  }
  return step * sum;
}

/// e^x K_n(x) (scaled) or K_n(x) for n in {0, 1}, with Cephes' (PyTorch's) edges: NaN below 0
/// and for NaN, +inf at 0, 0 at +inf.
MG_SPECIAL_HD inline double bessel_k(int n, double x, bool scaled) {
  if (!(x >= 0.0)) return static_cast<double>(NAN);
  if (x == 0.0) return static_cast<double>(INFINITY);
  if (x > 1e300) return 0.0;  // +inf
  if (x <= kBesselKSeriesLimit) return bessel_k_series(n, x) * (scaled ? ::exp(x) : 1.0);
  return bessel_k_scaled_integral(n, x) * (scaled ? 1.0 : ::exp(-x));
}

}  // namespace detail

/// K0(x), the modified Bessel function of the second kind of order 0, for x >= 0.
MG_SPECIAL_HD inline double bessel_k0(double x) { return detail::bessel_k(0, x, false); }

/// e^x K0(x).
MG_SPECIAL_HD inline double bessel_k0e(double x) { return detail::bessel_k(0, x, true); }

/// K1(x), of order 1, for x >= 0.
MG_SPECIAL_HD inline double bessel_k1(double x) { return detail::bessel_k(1, x, false); }

/// e^x K1(x).
MG_SPECIAL_HD inline double bessel_k1e(double x) { return detail::bessel_k(1, x, true); }

/// I0(x), even in x; +inf beyond about |x| = 713.
MG_SPECIAL_HD inline double bessel_i0(double x) {
  const double magnitude = ::fabs(x);
  if (x != x) return x;  // NaN
  if (magnitude <= detail::kBesselSeriesLimit) return detail::bessel_i_series(0, magnitude);
  if (magnitude > 1e300) return magnitude;  // +inf (the scaled value times e^x would be 0 inf)
  return detail::bessel_i_scaled_asymptotic(0, magnitude) * ::exp(magnitude);
}

/// e^-|x| I0(x), even in x; 1 at 0 and about (2 pi |x|)^(-1/2) for large |x|.
MG_SPECIAL_HD inline double bessel_i0e(double x) {
  if (x != x) return x;  // NaN
  return detail::bessel_i_scaled_magnitude(0, ::fabs(x));
}

/// I1(x), odd in x; +-inf beyond about |x| = 713.
MG_SPECIAL_HD inline double bessel_i1(double x) {
  const double magnitude = ::fabs(x);
  if (x != x) return x;             // NaN
  if (magnitude > 1e300) return x;  // +-inf
  const double value = magnitude <= detail::kBesselSeriesLimit
                           ? detail::bessel_i_series(1, magnitude)
                           : detail::bessel_i_scaled_asymptotic(1, magnitude) * ::exp(magnitude);
  return ::copysign(value, x);
}

/// e^-|x| I1(x), odd in x.
MG_SPECIAL_HD inline double bessel_i1e(double x) {
  if (x != x) return x;  // NaN
  return ::copysign(detail::bessel_i_scaled_magnitude(1, ::fabs(x)), x);
}

}  // namespace metagrad::special
