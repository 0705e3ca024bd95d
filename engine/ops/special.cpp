// torch.special's Bessel, normal-distribution and entropy functions (special.hpp): one backend
// call each where a kernel computes the value, composed of differentiable ops elsewhere.
#include "engine/ops/special.hpp"

#include <cmath>
#include <limits>
#include <numbers>
#include <vector>

#include "engine/grad_mode.hpp"
#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"
#include "engine/ops/unary_support.hpp"

namespace metagrad {

using detail::unary_with_input;
using detail::unary_with_output;

namespace {

constexpr double kInverseSqrt2 = 0.70710678118654752440;

// 1 / x with x = 0 replaced by 1, for derivatives whose limit at 0 is patched in by the caller.
Tensor reciprocal_away_from_zero(const Tensor& x) { return reciprocal(where(eq(x, 0.0), 1.0, x)); }

}  // namespace

Tensor i0(const Tensor& x) {
  // d I0 = I1 dx
  return unary_with_input(UnaryOp::I0, x, "i0", "I0Backward",
                          [](const Tensor& g, const Tensor& in) { return g * i1(in); });
}

Tensor i0e(const Tensor& x) {
  // d i0e = (i1e - sign(x) i0e) dx
  return unary_with_input(
      UnaryOp::I0e, x, "i0e", "I0eBackward",
      [](const Tensor& g, const Tensor& in) { return g * (i1e(in) - sign(in) * i0e(in)); });
}

Tensor i1(const Tensor& x) {
  // d I1 = (I0 - I1 / x) dx, 1/2 at x = 0
  return unary_with_input(UnaryOp::I1, x, "i1", "I1Backward",
                          [](const Tensor& g, const Tensor& in) {
                            const Tensor slope = i0(in) - i1(in) * reciprocal_away_from_zero(in);
                            return g * where(eq(in, 0.0), 0.5, slope);
                          });
}

Tensor i1e(const Tensor& x) {
  // d i1e = (i0e - i1e (sign(x) + 1 / x)) dx, 1/2 at x = 0
  return unary_with_input(
      UnaryOp::I1e, x, "i1e", "I1eBackward", [](const Tensor& g, const Tensor& in) {
        const Tensor slope = i0e(in) - i1e(in) * (sign(in) + reciprocal_away_from_zero(in));
        return g * where(eq(in, 0.0), 0.5, slope);
      });
}

Tensor modified_bessel_i0(const Tensor& x) { return i0(x); }

Tensor modified_bessel_i1(const Tensor& x) { return i1(x); }

Tensor modified_bessel_k0(const Tensor& x) {
  // d K0 = -K1 dx
  return unary_with_input(
      UnaryOp::K0, x, "modified_bessel_k0", "ModifiedBesselK0Backward",
      [](const Tensor& g, const Tensor& in) { return -(g * modified_bessel_k1(in)); });
}

Tensor modified_bessel_k1(const Tensor& x) {
  // d K1 = -(K0 + K1 / x) dx
  return unary_with_input(UnaryOp::K1, x, "modified_bessel_k1", "ModifiedBesselK1Backward",
                          [](const Tensor& g, const Tensor& in) {
                            return -(g * (modified_bessel_k0(in) + modified_bessel_k1(in) / in));
                          });
}

Tensor scaled_modified_bessel_k0(const Tensor& x) {
  // d (e^x K0) = (e^x K0 - e^x K1) dx
  return unary_with_input(UnaryOp::K0e, x, "scaled_modified_bessel_k0",
                          "ScaledModifiedBesselK0Backward", [](const Tensor& g, const Tensor& in) {
                            return g *
                                   (scaled_modified_bessel_k0(in) - scaled_modified_bessel_k1(in));
                          });
}

Tensor scaled_modified_bessel_k1(const Tensor& x) {
  // d (e^x K1) = (e^x K1 (1 - 1 / x) - e^x K0) dx
  return unary_with_input(UnaryOp::K1e, x, "scaled_modified_bessel_k1",
                          "ScaledModifiedBesselK1Backward", [](const Tensor& g, const Tensor& in) {
                            return g * (scaled_modified_bessel_k1(in) * (1.0 - reciprocal(in)) -
                                        scaled_modified_bessel_k0(in));
                          });
}

Tensor bessel_j0(const Tensor& x) {
  // d J0 = -J1 dx
  return unary_with_input(UnaryOp::J0, x, "bessel_j0", "BesselJ0Backward",
                          [](const Tensor& g, const Tensor& in) { return -(g * bessel_j1(in)); });
}

Tensor bessel_j1(const Tensor& x) {
  // d J1 = (J0 - J1 / x) dx, 1/2 at x = 0
  return unary_with_input(
      UnaryOp::J1, x, "bessel_j1", "BesselJ1Backward", [](const Tensor& g, const Tensor& in) {
        const Tensor slope = bessel_j0(in) - bessel_j1(in) * reciprocal_away_from_zero(in);
        return g * where(eq(in, 0.0), 0.5, slope);
      });
}

Tensor bessel_y0(const Tensor& x) {
  // d Y0 = -Y1 dx
  return unary_with_input(UnaryOp::Y0, x, "bessel_y0", "BesselY0Backward",
                          [](const Tensor& g, const Tensor& in) { return -(g * bessel_y1(in)); });
}

Tensor bessel_y1(const Tensor& x) {
  // d Y1 = (Y0 - Y1 / x) dx
  return unary_with_input(
      UnaryOp::Y1, x, "bessel_y1", "BesselY1Backward",
      [](const Tensor& g, const Tensor& in) { return g * (bessel_y0(in) - bessel_y1(in) / in); });
}

Tensor spherical_bessel_j0(const Tensor& x) {
  detail::check_floating(x, "spherical_bessel_j0");
  // sum_k (-x^2)^k / (2k + 1)! to k = 9 below |x| = 0.5 (the next term is below 1e-26 there)
  Tensor small;
  {
    NoGradGuard no_grad;
    small = lt(abs(x), 0.5);
  }
  // The polynomial sees 0 where |x| >= 0.5 and the quotient 1 in the denominator where |x| < 0.5,
  // so neither branch's gradient meets an inf or a 0 / 0.
  const Tensor x_squared = square(where(small, x, 0.0));
  double factorial = 1.0;
  std::vector<double> coefficients(10);
  for (int k = 0; k < 10; ++k) {
    if (k > 0) factorial *= (2.0 * k) * (2.0 * k + 1.0);
    coefficients[k] = (k % 2 == 0 ? 1.0 : -1.0) / factorial;
  }
  Tensor polynomial = full_like(x, coefficients[9]);
  for (int k = 8; k >= 0; --k) polynomial = polynomial * x_squared + coefficients[k];
  return where(small, polynomial, sin(x) / where(small, 1.0, x));
}

Tensor erfcx(const Tensor& x) {
  // d erfcx = (2 x erfcx(x) - 2 / sqrt(pi)) dx
  return unary_with_input(UnaryOp::Erfcx, x, "erfcx", "ErfcxBackward",
                          [](const Tensor& g, const Tensor& in) {
                            return g * (2.0 * in * erfcx(in) - std::numbers::inv_sqrtpi * 2.0);
                          });
}

Tensor ndtri(const Tensor& p) {
  // d ndtri = sqrt(2 pi) e^(x^2 / 2) dp, x = ndtri(p)
  return unary_with_output(UnaryOp::Ndtri, p, "ndtri", "NdtriBackward",
                           [](const Tensor& g, const Tensor& y) {
                             return g * exp(square(y) * 0.5) * std::sqrt(2.0 * std::numbers::pi);
                           });
}

Tensor ndtr(const Tensor& x) {
  detail::check_floating(x, "ndtr");
  return erfc(x * -kInverseSqrt2) * 0.5;
}

Tensor log_ndtr(const Tensor& x) {
  detail::check_floating(x, "log_ndtr");
  // Each branch sees only its own range, so neither overflows where the other is chosen.
  const Tensor low = clamp(x, std::nullopt, -1.0);
  const Tensor high = clamp(x, -1.0, std::nullopt);
  const Tensor below = log(erfcx(low * -kInverseSqrt2) * 0.5) - square(low) * 0.5;
  const Tensor above = log1p(erfc(high * kInverseSqrt2) * -0.5);
  return where(lt(x, -1.0), below, above);
}

Tensor sinc(const Tensor& x) {
  detail::check_floating(x, "sinc");
  // sin(pi x) / (pi x) with x = 0 replaced by 1 inside, and 1 there.
  const Tensor zero = eq(x, 0.0);
  const Tensor scaled = where(zero, 1.0, x) * std::numbers::pi;
  return where(zero, 1.0, sin(scaled) / scaled);
}

Tensor entr(const Tensor& x) {
  detail::check_floating(x, "entr");
  // -x log x for x > 0 (x = 1 inside elsewhere), 0 at 0, -inf below; NaN stays NaN.
  const Tensor positive = gt(x, 0.0);
  const Tensor inside = -x * log(where(positive, x, 1.0));
  const double negative_infinity = -std::numeric_limits<double>::infinity();
  return where(positive, inside, where(lt(x, 0.0), negative_infinity, x * 0.0));
}

Tensor xlog1py(const Tensor& x, const Tensor& y) {
  detail::check_floating(x, "xlog1py");
  detail::check_floating(y, "xlog1py");
  // x log1p(y') with y' = 0 where x == 0 and log1p(y) is not a finite number: there the value and
  // the gradient to x are 0, while a NaN y still gives NaN.
  Tensor replace;
  {
    NoGradGuard no_grad;
    const Tensor finite_log = logical_and(gt(y, -1.0), isfinite(y));
    replace = logical_and(eq(x, 0.0), logical_and(logical_not(finite_log), logical_not(isnan(y))));
  }
  return x * log1p(where(replace, 0.0, y));
}

Tensor multigammaln(const Tensor& x, int64_t p) {
  detail::check_floating(x, "multigammaln");
  MG_CHECK(p >= 1 && p <= (int64_t{1} << 24), "multigammaln: p must be in [1, 2^24], got {}", p);
  {
    NoGradGuard no_grad;
    MG_CHECK(all(gt(x, 0.5 * static_cast<double>(p - 1))).item<bool>(),
             "multigammaln: every element of x (shape {}) must exceed (p - 1) / 2 = {} for p = {}",
             shape_str(x.shape()), 0.5 * static_cast<double>(p - 1), p);
  }
  // p (p - 1) / 4 log(pi) + sum_j lgamma(x - j / 2), the sum over a new last dim
  Dims shape = x.shape();
  shape.push_back(1);
  const Tensor halves = arange(static_cast<double>(p), TensorOptions(x.dtype(), x.device())) * 0.5;
  const double constant =
      static_cast<double>(p) * static_cast<double>(p - 1) * 0.25 * std::log(std::numbers::pi);
  return sum(lgamma(reshape(x, shape) - halves), {-1}) + constant;
}

}  // namespace metagrad
