#pragma once

// The regularized incomplete gamma functions P(a, x) and Q(a, x) = 1 - P(a, x)
// (torch.special.gammainc and gammaincc) and the Hurwitz zeta function of a real order
// (torch.special.zeta), for the CPU backend and the CUDA kernels alike (MG_SPECIAL_HD), computed
// in double.
//
// P and Q take the regions of Cephes' igam and igamc, as PyTorch's and SciPy's do: the power
// series of P where x is small against a, Legendre's continued fraction of Q where x > a and
// x > 1.1, and the series of Q of DLMF 8.7.3 for small x. Each region computes the smaller of P
// and Q directly and the other as 1 minus it. PyTorch switches to Temme's uniform expansion for
// a > 20 with x near a; here the series and the continued fraction serve there as well (they
// need about sqrt(a) terms), and the prefactor x^a e^-x / Gamma(a) comes from Stirling's series,
// so it keeps full precision where a log x - x - lgamma(a) would cancel.
#include "engine/backend/special_functions.hpp"

namespace metagrad::special {
namespace detail {

/// 2^-53: where the series and the continued fraction stop.
constexpr double kGammaEpsilon = 1.1102230246251565e-16;
/// The most terms a series or the continued fraction runs (about sqrt(a) near x = a).
constexpr int kGammaMaxTerms = 100000;

/// lgamma(a) - ((a - 1/2) log a - a + log(2 pi) / 2): Stirling's series to B_16, for a >= 10
/// (the first term left out is below 2e-18 there).
MG_SPECIAL_HD inline double stirling_remainder(double a) {
  const double z = 1.0 / (a * a);
  // B_2k / (2k (2k - 1)) for k = 1..8: 1/12, -1/360, 1/1260, -1/1680, 1/1188, -691/360360,
  // 1/156, -3617/122400.
  const double series =
      1.0 / 12 +
      z * (-1.0 / 360 +
           z * (1.0 / 1260 +
                z * (-1.0 / 1680 +
                     z * (1.0 / 1188 +
                          z * (-691.0 / 360360 + z * (1.0 / 156 + z * (-3617.0 / 122400)))))));
  return series / a;
}

/// t - log(1 + t) for |t| <= 0.4 by its Taylor series sum_{k>=2} (-t)^k / k (no cancellation).
MG_SPECIAL_HD inline double t_minus_log1p(double t) {
  double power = t * t, sum = 0.0;
  for (int k = 2; k < 80; ++k) {
    const double term = power / k;
    sum += k % 2 == 0 ? term : -term;
    if (::fabs(term) < 1e-17 * ::fabs(sum)) break;
    power *= t;
  }
  return sum;
}

/// log(x^a e^-x / Gamma(a)) for a, x > 0, the prefactor of P and Q. From a >= 10 on it is
/// a log(x / a) - (x - a) + log(a / (2 pi)) / 2 - stirling_remainder(a), the first two terms
/// as -a (t - log1p t), t = (x - a) / a, where |t| <= 0.4: a log x - x - lgamma(a) would cancel
/// to an absolute error of a few ulps of a log x.
MG_SPECIAL_HD inline double log_gamma_prefactor(double a, double x) {
  if (a < 10.0) return a * ::log(x) - x - lgamma(a);
  const double t = (x - a) / a;
  const double power_part = ::fabs(t) <= 0.4 ? -a * t_minus_log1p(t) : a * ::log(x / a) - (x - a);
  return power_part + 0.5 * ::log(a / (2.0 * kPi)) - stirling_remainder(a);
}

/// P(a, x) by its power series x^a e^-x / Gamma(a + 1) sum_{n>=0} x^n / ((a + 1) ... (a + n)).
MG_SPECIAL_HD inline double lower_gamma_series(double a, double x) {
  double term = 1.0, sum = 1.0, denominator = a;
  for (int n = 0; n < kGammaMaxTerms; ++n) {
    denominator += 1.0;
    term *= x / denominator;
    sum += term;
    if (term <= kGammaEpsilon * sum) break;
  }
  return sum * ::exp(log_gamma_prefactor(a, x)) / a;
}

/// Q(a, x) for x > a, x > 1 by Legendre's continued fraction (modified Lentz):
/// x^a e^-x / Gamma(a) / (x + 1 - a - 1 (1 - a) / (x + 3 - a - 2 (2 - a) / (x + 5 - a - ...))).
MG_SPECIAL_HD inline double upper_gamma_fraction(double a, double x) {
  constexpr double kTiny = 1e-300;
  double denominator = x + 1.0 - a;
  double c = 1.0 / kTiny, d = 1.0 / denominator, fraction = d;
  for (int i = 1; i < kGammaMaxTerms; ++i) {
    const double numerator = -i * (i - a);
    denominator += 2.0;
    d = numerator * d + denominator;
    if (::fabs(d) < kTiny) d = kTiny;
    c = denominator + numerator / c;
    if (::fabs(c) < kTiny) c = kTiny;
    d = 1.0 / d;
    const double step = d * c;
    fraction *= step;
    if (::fabs(step - 1.0) <= kGammaEpsilon) break;
  }
  return ::exp(log_gamma_prefactor(a, x)) * fraction;
}

/// Q(a, x) for x <= 1.1 where P is near 1 (DLMF 8.7.3):
/// 1 - x^a / Gamma(a + 1) - x^a / Gamma(a) sum_{n>=1} (-x)^n / (n! (a + n)), the first part by
/// expm1 so that it keeps its digits.
MG_SPECIAL_HD inline double upper_gamma_small_x(double a, double x) {
  double factor = 1.0, sum = 0.0;
  for (int n = 1; n < kGammaMaxTerms; ++n) {
    factor *= -x / n;
    const double term = factor / (a + n);
    sum += term;
    if (::fabs(term) <= kGammaEpsilon * ::fabs(sum)) break;
  }
  const double log_x = ::log(x);
  return -::expm1(a * log_x - lgamma(1.0 + a)) - ::exp(a * log_x - lgamma(a)) * sum;
}

/// True at +-inf (host and device alike).
MG_SPECIAL_HD inline bool is_infinite(double v) {
  return ::fabs(v) == static_cast<double>(INFINITY);
}

}  // namespace detail

/// Q(a, x) = Gamma(a, x) / Gamma(a), the regularized upper incomplete gamma function
/// (torch.special.gammaincc), with PyTorch's edge values: NaN where a < 0 or x < 0, 0 at a = 0
/// for x > 0 (NaN at x = 0), 1 at x = 0, 1 at a = +inf (NaN if x is +inf too), 0 at x = +inf.
MG_SPECIAL_HD inline double gammaincc(double a, double x) {
  constexpr double kNan = static_cast<double>(NAN);
  if (x < 0.0 || a < 0.0) return kNan;
  if (a == 0.0) return x > 0.0 ? 0.0 : kNan;
  if (x == 0.0) return 1.0;
  if (detail::is_infinite(a)) return detail::is_infinite(x) ? kNan : 1.0;
  if (detail::is_infinite(x)) return 0.0;
  if (x > 1.1) {
    return x < a ? 1.0 - detail::lower_gamma_series(a, x) : detail::upper_gamma_fraction(a, x);
  }
  const bool p_is_small = x <= 0.5 ? -0.4 / ::log(x) < a : x * 1.1 < a;
  return p_is_small ? 1.0 - detail::lower_gamma_series(a, x) : detail::upper_gamma_small_x(a, x);
}

/// P(a, x) = gamma(a, x) / Gamma(a), the regularized lower incomplete gamma function
/// (torch.special.gammainc), with PyTorch's edge values: NaN where a < 0 or x < 0, 1 at a = 0 for
/// x > 0 (NaN at x = 0), 0 at x = 0, 0 at a = +inf (NaN if x is +inf too), 1 at x = +inf.
MG_SPECIAL_HD inline double gammainc(double a, double x) {
  constexpr double kNan = static_cast<double>(NAN);
  if (x < 0.0 || a < 0.0) return kNan;
  if (a == 0.0) return x > 0.0 ? 1.0 : kNan;
  if (x == 0.0) return 0.0;
  if (detail::is_infinite(a)) return detail::is_infinite(x) ? kNan : 0.0;
  if (detail::is_infinite(x)) return 1.0;
  if (x > 1.0 && x > a) return 1.0 - gammaincc(a, x);
  return detail::lower_gamma_series(a, x);
}

/// The Hurwitz zeta function zeta(s, q) = sum_{k>=0} (q + k)^-s of a real order s
/// (torch.special.zeta, Cephes' zeta): +inf at s = 1, NaN below; where q <= 0, +inf at a whole q
/// and NaN unless s is whole (a power of a negative base); (1 / (s - 1) + 1 / (2q)) q^(1-s) above
/// q = 1e8 (DLMF 25.11.43).
MG_SPECIAL_HD inline double zeta(double s, double q) {
  if (s == 1.0) return static_cast<double>(INFINITY);
  if (s < 1.0) return static_cast<double>(NAN);
  if (q <= 0.0) {
    if (q == ::floor(q)) return static_cast<double>(INFINITY);
    if (s != ::floor(s)) return static_cast<double>(NAN);
  }
  if (q > 1e8) return (1.0 / (s - 1.0) + 0.5 / q) * ::pow(q, 1.0 - s);
  double sum = 0.0, a = q;
  int terms = 0;
  while (terms < 9 || a <= 9.0) {
    sum += ::pow(a, -s);
    a += 1.0;
    ++terms;
  }
  return detail::add_zeta_tail(sum, s, a, ::pow(a, -s));
}

}  // namespace metagrad::special
