// torch.special's regularized incomplete gamma functions (gammainc, gammaincc) and Hurwitz zeta
// function: one backend call each for the value; the backwards are composed of differentiable ops
// (the derivative in the gamma order through the series of Note [implicit gamma gradient]).
#include <cmath>
#include <limits>

#include "engine/grad_mode.hpp"
#include "engine/ops/binary_support.hpp"
#include "engine/ops/gamma_series.hpp"
#include "engine/ops/special.hpp"

namespace metagrad {
namespace {

using detail::binary_forward;
using detail::check_float_operands;
using detail::Needs;
using detail::needs_of;
using detail::record_binary;

// Beyond x = a + 20 sqrt(a) + 50, |dP/da| < 1e-23 (mpmath at a = 0.001 .. 1e4), and the series
// terms would grow past double's range for large a: the derivative is taken as 0 there.
constexpr double kOrderGradSpread = 20.0;
constexpr double kOrderGradMargin = 50.0;

// x^(a-1) e^-x / Gamma(a), the density of Gamma(a, 1): dP/dx. xlogy makes it 1 at a = 1, x = 0.
Tensor gamma_density(const Tensor& a, const Tensor& x) {
  return exp(xlogy(a - 1.0, x) - x - lgamma(a));
}

// dP/da = -f(x; a) S(x, a), S the series of Note [implicit gamma gradient] (standard_gamma_grad),
// over the elements with a finite a > 0 and 0 < x < a + 20 sqrt(a) + 50; elsewhere 0 (P is
// constant in a at x = 0 and x = inf, and flat beyond the bound), or NaN where a or x is NaN.
Tensor gammainc_order_slope(const Tensor& a, const Tensor& x) {
  const Dims shape = broadcast_shapes(a.shape(), x.shape(), "gammainc");
  const Tensor order = expand(a, shape), point = expand(x, shape);
  Tensor in_series, undefined;
  {
    NoGradGuard no_grad;
    const Tensor bound = order + kOrderGradSpread * sqrt(order) + kOrderGradMargin;
    in_series = logical_and(logical_and(gt(point, 0.0), lt(point, bound)),
                            logical_and(gt(order, 0.0), isfinite(order)));
    undefined = logical_or(isnan(order), isnan(point));
  }
  const Tensor safe_a = where(in_series, order, 1.0), safe_x = where(in_series, point, 1.0);
  const Tensor slope =
      -(gamma_density(safe_a, safe_x) * detail::standard_gamma_grad(safe_x, safe_a));
  return where(in_series, slope,
               where(undefined, std::numeric_limits<double>::quiet_NaN(), zeros_like(slope)));
}

// P (sign 1) or Q = 1 - P (sign -1): the backend value and the gradients sign (dP/da, dP/dx).
Tensor incomplete_gamma(BinaryOp op, const Tensor& a, const Tensor& x, const char* name,
                        const char* node, double sign) {
  check_float_operands(a, x, name);
  Tensor out = binary_forward(op, a, x);
  if (needs_grad(a, x)) {
    // d P(a, x) = -f S da + f dx, f = x^(a-1) e^-x / Gamma(a); d Q = -d P
    record_binary(node, a, x, out,
                  [sign](const Tensor& g, const Tensor& order, const Tensor& point, Node& self) {
                    const Needs n = needs_of(self);
                    const Tensor signed_grad = sign * g;
                    return std::pair{
                        n.a ? signed_grad * gammainc_order_slope(order, point) : Tensor(),
                        n.b ? signed_grad * gamma_density(order, point) : Tensor()};
                  });
  }
  return out;
}

}  // namespace

Tensor gammainc(const Tensor& a, const Tensor& x) {
  return incomplete_gamma(BinaryOp::Igamma, a, x, "gammainc", "IgammaBackward", 1.0);
}

Tensor gammaincc(const Tensor& a, const Tensor& x) {
  return incomplete_gamma(BinaryOp::Igammac, a, x, "gammaincc", "IgammacBackward", -1.0);
}

Tensor igamma(const Tensor& a, const Tensor& x) { return gammainc(a, x); }

Tensor igammac(const Tensor& a, const Tensor& x) { return gammaincc(a, x); }

Tensor zeta(const Tensor& x, const Tensor& q) {
  check_float_operands(x, q, "zeta");
  Tensor out = binary_forward(BinaryOp::Zeta, x, q);
  if (needs_grad(x, q)) {
    // d zeta(x, q) = -x zeta(x + 1, q) dq (the derivative in x is not implemented)
    record_binary("ZetaBackward", x, q, out,
                  [](const Tensor& g, const Tensor& order, const Tensor& shift, Node& self) {
                    const Needs n = needs_of(self);
                    MG_CHECK(!n.a,
                             "zeta: the derivative in x (the order, shape {}) is not implemented, "
                             "as in PyTorch; detach x (or leave requires_grad off) to "
                             "differentiate in q",
                             shape_str(order.shape()));
                    return std::pair{Tensor(), -(g * order * zeta(order + 1.0, shift))};
                  });
  }
  return out;
}

}  // namespace metagrad
