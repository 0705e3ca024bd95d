#pragma once

// The Bessel functions of the first and second kind of orders 0 and 1 (torch.special.bessel_j0,
// bessel_j1, bessel_y0, bessel_y1) for UnaryOp, shared by the CPU backend and the CUDA kernels so
// both give the same bits on the host. Computed in double, by region of |x|:
// - up to 2, the power series (A&S 9.1.10 and 9.1.11), whose terms shrink from the first;
// - up to 20, Miller's backward recurrence J_{k-1} = (2k / x) J_k - J_{k+1} from an order well
//   above x, normalised by J_0 + 2 sum_k J_{2k} = 1 (stable: it runs towards the dominant
//   solution), with Y_0 and Y_1 from the Neumann series of the same J_k (A&S 9.1.88 and its
//   derivative), so that no sum cancels;
// - above, Hankel's asymptotic expansion, stopped at its smallest term (below 5e-18 there), with
//   the phase x - pi/4 taken through sin x and cos x of the exact argument.
// Within a few 1e-16 absolute (relative away from the zeros) of mpmath.
#include <cmath>

#include "engine/backend/special_functions.hpp"

namespace metagrad::special {
namespace detail {

/// Up to this |x| the power series.
constexpr double kBesselJySeriesLimit = 2.0;
/// Up to this |x| Miller's recurrence, above it the asymptotic expansion.
constexpr double kBesselJyMillerLimit = 20.0;
/// Euler's constant gamma.
constexpr double kEulerGamma = 0.57721566490153286061;

/// The four values J0, J1, Y0, Y1 at one x > 0 (Y's only where asked).
struct BesselJy {
  double j0, j1, y0, y1;
};

/// J0, J1, Y0, Y1 for 0 < x <= kBesselJySeriesLimit, with t_k = (-x^2/4)^k / k!^2 and
/// u_k = (-x^2/4)^k / (k! (k+1)!): J0 = sum t_k, J1 = (x/2) sum u_k,
/// Y0 = (2/pi) (log(x/2) + gamma) J0 - (2/pi) sum H_k t_k,
/// Y1 = -2/(pi x) + (2/pi) log(x/2) J1 - (x/(2 pi)) sum (psi(k+1) + psi(k+2)) u_k.
MG_SPECIAL_HD inline BesselJy bessel_jy_series(double x) {
  const double minus_quarter_square = -0.25 * x * x;
  double t = 1.0, u = 1.0, harmonic = 0.0, psi = -kEulerGamma;  // H_0, psi(1)
  double j0 = 0.0, j1_sum = 0.0, y0_sum = 0.0, y1_sum = 0.0;
  for (int k = 0; k < 60; ++k) {
    if (k > 0) {
      t *= minus_quarter_square / (static_cast<double>(k) * k);
      u *= minus_quarter_square / (static_cast<double>(k) * (k + 1));
      harmonic += 1.0 / k;
      psi += 1.0 / k;
    }
    j0 += t;
    j1_sum += u;
    y0_sum += harmonic * t;
    y1_sum += (2.0 * psi + 1.0 / (k + 1)) * u;
    if (::fabs(t) < 1e-18) break;
  }
  const double log_half = ::log(0.5 * x), j1 = 0.5 * x * j1_sum;
  return {j0, j1, (2.0 / kPi) * ((log_half + kEulerGamma) * j0 - y0_sum),
          -2.0 / (kPi * x) + (2.0 / kPi) * log_half * j1 - x / (2.0 * kPi) * y1_sum};
}

/// J0, J1, Y0, Y1 for kBesselJySeriesLimit < x <= kBesselJyMillerLimit by Miller's recurrence
/// from the even order M >= 1.2 x + 40 (J_M(x) / J_0(x) < 1e-20 there), with
/// Y0 = (2/pi) (log(x/2) + gamma) J0 - (4/pi) sum_k (-1)^k J_{2k} / k and
/// Y1 = -Y0' = -(2/pi) J0 / x + (2/pi) (log(x/2) + gamma) J1
///      + (2/pi) sum_k (-1)^k (J_{2k-1} - J_{2k+1}) / k.
MG_SPECIAL_HD inline BesselJy bessel_jy_miller(double x) {
  const int top = 2 * (static_cast<int>(0.6 * x) + 20);
  const double two_over_x = 2.0 / x;
  // Unnormalised J_{k+1} and J_k, and the sums, all rescaled together when they grow large.
  double above = 0.0, current = 1e-30;
  double norm = 0.0, neumann_y0 = 0.0, neumann_y1 = 0.0, j1 = 0.0;
  double odd_above = 0.0;  // J_{2k+1}, for the Y1 sum's term at 2k
  for (int k = top; k >= 1; --k) {
    // current = J_k, above = J_{k+1}
    if (k % 2 == 0) {
      const double half = 0.5 * k;
      const double sign = (k / 2) % 2 == 0 ? 1.0 : -1.0;  // (-1)^(k/2)
      norm += 2.0 * current;
      neumann_y0 += sign * current / half;
      odd_above = above;
    } else {
      // k = 2m - 1: J_{2m-1} meets J_{2m+1} (odd_above) in the m-th Y1 term
      const int m = (k + 1) / 2;
      const double sign = m % 2 == 0 ? 1.0 : -1.0;  // (-1)^m
      neumann_y1 += sign * (current - odd_above) / m;
      if (k == 1) j1 = current;
    }
    const double below = k * two_over_x * current - above;
    above = current;
    current = below;
    if (::fabs(current) > 1e250) {
      above *= 1e-250;
      current *= 1e-250;
      norm *= 1e-250;
      neumann_y0 *= 1e-250;
      neumann_y1 *= 1e-250;
      odd_above *= 1e-250;
      j1 *= 1e-250;
    }
  }
  norm += current;  // + J_0
  const double j0 = current / norm;
  j1 /= norm;
  const double log_term = ::log(0.5 * x) + kEulerGamma;
  const double y0 = (2.0 / kPi) * (log_term * j0 - 2.0 * neumann_y0 / norm);
  const double y1 = (2.0 / kPi) * (-j0 / x + log_term * j1 + neumann_y1 / norm);
  return {j0, j1, y0, y1};
}

/// J_n and Y_n for n in {0, 1} and x > kBesselJyMillerLimit: with chi = x - (2n + 1) pi / 4,
/// J_n = sqrt(2 / (pi x)) (P cos chi - Q sin chi), Y_n = sqrt(2 / (pi x)) (P sin chi + Q cos chi),
/// P + i Q = sum_k i^k a_k / x^k, a_k = prod_{j<=k} (4n^2 - (2j - 1)^2) / (k! 8^k).
MG_SPECIAL_HD inline BesselJy bessel_jy_asymptotic(int n, double x) {
  const double mu = 4.0 * n * n;
  double term = 1.0, p = 1.0, q = 0.0;
  for (int k = 1; k < 200; ++k) {
    const double odd = 2.0 * k - 1.0;
    const double next = term * (mu - odd * odd) / (8.0 * k * x);
    if (::fabs(next) >= ::fabs(term) || next == 0.0) break;
    term = next;
    // i^k: k = 1 -> Q += a_1, k = 2 -> P -= a_2, k = 3 -> Q -= a_3, k = 4 -> P += a_4, ...
    switch (k % 4) {
      case 0:
        p += term;
        break;
      case 1:
        q += term;
        break;
      case 2:
        p -= term;
        break;
      default:
        q -= term;
        break;
    }
    if (::fabs(term) < 1e-18) break;
  }
  const double s = ::sin(x), c = ::cos(x), root_half = 0.70710678118654752440;
  // chi = x - pi/4: cos chi = (c + s) / sqrt 2, sin chi = (s - c) / sqrt 2;
  // chi = x - 3 pi/4: cos chi = (s - c) / sqrt 2, sin chi = -(s + c) / sqrt 2.
  const double cos_chi = n == 0 ? (c + s) * root_half : (s - c) * root_half;
  const double sin_chi = n == 0 ? (s - c) * root_half : -(s + c) * root_half;
  const double scale = ::sqrt(2.0 / (kPi * x));
  const double j = scale * (p * cos_chi - q * sin_chi), y = scale * (p * sin_chi + q * cos_chi);
  return n == 0 ? BesselJy{j, 0.0, y, 0.0} : BesselJy{0.0, j, 0.0, y};
}

/// J_n(x) (second_kind false) or Y_n(x) for n in {0, 1} and x > 0 finite.
MG_SPECIAL_HD inline double bessel_jy_positive(int n, double x, bool second_kind) {
  BesselJy v;
  if (x <= kBesselJySeriesLimit) {
    v = bessel_jy_series(x);
  } else if (x <= kBesselJyMillerLimit) {
    v = bessel_jy_miller(x);
  } else {
    v = bessel_jy_asymptotic(n, x);
  }
  if (second_kind) return n == 0 ? v.y0 : v.y1;
  return n == 0 ? v.j0 : v.j1;
}

}  // namespace detail

/// J0(x), even in x: 1 at 0, 0 at +-inf.
MG_SPECIAL_HD inline double bessel_j0(double x) {
  if (x != x) return x;  // NaN
  const double magnitude = ::fabs(x);
  if (magnitude == 0.0) return 1.0;
  if (magnitude == static_cast<double>(INFINITY)) return 0.0;  // +-inf
  return detail::bessel_jy_positive(0, magnitude, false);
}

/// J1(x), odd in x: 0 at 0 and at +-inf.
MG_SPECIAL_HD inline double bessel_j1(double x) {
  if (x != x) return x;  // NaN
  const double magnitude = ::fabs(x);
  if (magnitude == 0.0) return x;                              // +-0
  if (magnitude == static_cast<double>(INFINITY)) return 0.0;  // +-inf
  const double value = detail::bessel_jy_positive(1, magnitude, false);
  return x < 0.0 ? -value : value;
}

/// Y0(x) for x >= 0: -inf at 0, 0 at +inf, NaN below 0 (PyTorch's edges).
MG_SPECIAL_HD inline double bessel_y0(double x) {
  if (!(x >= 0.0)) return static_cast<double>(NAN);
  if (x == 0.0) return -static_cast<double>(INFINITY);
  if (x == static_cast<double>(INFINITY)) return 0.0;
  return detail::bessel_jy_positive(0, x, true);
}

/// Y1(x) for x >= 0: -inf at 0, 0 at +inf, NaN below 0.
MG_SPECIAL_HD inline double bessel_y1(double x) {
  if (!(x >= 0.0)) return static_cast<double>(NAN);
  if (x == 0.0) return -static_cast<double>(INFINITY);
  if (x == static_cast<double>(INFINITY)) return 0.0;
  return detail::bessel_jy_positive(1, x, true);
}

}  // namespace metagrad::special
