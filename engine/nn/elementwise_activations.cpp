// The elementwise activations of torch.nn.functional beyond relu, tanh and sigmoid: gelu, silu,
// mish, softplus, log_sigmoid, elu, selu and leaky_relu, composed of public differentiable ops
// (no backward here, so every derivative order comes from the ops'), except for fused backend
// passes whose backwards are themselves compositions: log(1 + e^z), the exact gelu and elu, each
// with its derivative.
//
// Note [saturated branches]
// A composite that selects between two formulas with where() differentiates both: where's
// backward sends zeros to the branch not taken, and that branch's own backward then multiplies
// those zeros by its local derivative. When the untaken branch overflows (exp(1000) = inf) that
// product is 0 * inf = NaN, and the NaN reaches the input. So every overflowing function here
// only sees the inputs of the region where its branch is taken: log1p_exp replaces the others by
// 0 (elu's single pass has no untaken branch to differentiate). In its own region such a substitute
// is the identity with gradient 1 (a clamp passes the gradient at its bound too), so values and
// derivatives there are exactly the unguarded formula's.
#include <cmath>
#include <numbers>

#include "engine/grad_mode.hpp"
#include "engine/nn/functional.hpp"
#include "engine/nn/log1p_exp.hpp"
#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"
#include "engine/ops/unary_support.hpp"

namespace metagrad {

Tensor detail::log1p_exp(const Tensor& z) {
  // d log(1 + e^z) = sigmoid(z) dz
  return detail::unary_with_input(
      UnaryOp::Softplus, z, "log1p_exp", "SoftplusBackward",
      [](const Tensor& g, const Tensor& in) { return g * sigmoid(in); });
}

namespace {

// gelu'(z) = Phi(z) + z phi(z) in one backend pass.
Tensor gelu_derivative(const Tensor& z) {
  // d gelu'(z) = phi(z) (2 - z^2) dz, phi(z) = e^(-z^2 / 2) / sqrt(2 pi)
  return detail::unary_with_input(
      UnaryOp::GeluDerivative, z, "gelu_derivative", "GeluDerivativeBackward",
      [](const Tensor& g, const Tensor& in) {
        const Tensor in_squared = in * in;
        const double inverse_sqrt_2pi = 1.0 / std::sqrt(2.0 * std::numbers::pi);
        return g * (exp(in_squared * -0.5) * inverse_sqrt_2pi) * (2.0 - in_squared);
      });
}

// elu'(z) = 1 for z > 0, alpha e^z otherwise, in one backend pass.
Tensor elu_derivative(const Tensor& z, double alpha) {
  // d elu'(z) = (elu'(z) - [z > 0]) dz: 0 for z > 0, alpha e^z otherwise (alpha at 0)
  return detail::unary_with_input(
      UnaryOp::EluDerivative, z, "elu_derivative", "EluDerivativeBackward",
      [alpha](const Tensor& g, const Tensor& in) {
        return g * (elu_derivative(in, alpha) - gt(in, 0.0).to(in.dtype()));
      },
      UnaryParams{.alpha = alpha});
}

}  // namespace

Tensor gelu(const Tensor& x, GeluApproximate approximate) {
  detail::check_floating(x, "gelu");
  if (approximate == GeluApproximate::Tanh) {
    // 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))), PyTorch's constants.
    const double k = std::sqrt(2.0 / std::numbers::pi);
    return x * 0.5 * (tanh((x + pow(x, 3.0) * 0.044715) * k) + 1.0);
  }
  // x Phi(x) = 0.5 x (1 + erf(x / sqrt 2)); d gelu(x) = gelu'(x) dx
  return detail::unary_with_input(
      UnaryOp::Gelu, x, "gelu", "GeluBackward",
      [](const Tensor& g, const Tensor& in) { return g * gelu_derivative(in); });
}

Tensor silu(const Tensor& x) {
  detail::check_floating(x, "silu");
  return x * sigmoid(x);
}

Tensor mish(const Tensor& x) {
  detail::check_floating(x, "mish");
  return x * tanh(softplus(x));
}

Tensor softplus(const Tensor& x, double beta, double threshold) {
  detail::check_floating(x, "softplus");
  MG_CHECK(beta != 0.0 && std::isfinite(beta),
           "softplus: beta must be finite and non-zero, got {} (input shape {})", beta,
           shape_str(x.shape()));
  // log(1 + exp(beta x)) / beta, and x itself where beta x > threshold (PyTorch's formula).
  if (beta == 1.0) return where(gt(x, threshold), x, detail::log1p_exp(x));
  const Tensor scaled = x * beta;
  return where(gt(scaled, threshold), x, detail::log1p_exp(scaled) / beta);
}

Tensor log_sigmoid(const Tensor& x) {
  detail::check_floating(x, "log_sigmoid");
  // log sigmoid(x) = -log(1 + e^-x).
  return -detail::log1p_exp(-x);
}

Tensor elu(const Tensor& x, double alpha) {
  detail::check_floating(x, "elu");
  // x for x > 0, alpha (e^x - 1) otherwise, in one pass; d elu(x) = elu'(x) dx, alpha at 0 as
  // PyTorch's.
  return detail::unary_with_input(
      UnaryOp::Elu, x, "elu", "EluBackward",
      [alpha](const Tensor& g, const Tensor& in) { return g * elu_derivative(in, alpha); },
      UnaryParams{.alpha = alpha});
}

Tensor selu(const Tensor& x) {
  detail::check_floating(x, "selu");
  // The constants of Klambauer et al. (2017), as PyTorch's.
  constexpr double kAlpha = 1.6732632423543772848170429916717;
  constexpr double kScale = 1.0507009873554804934193349852946;
  return elu(x, kAlpha) * kScale;
}

Tensor leaky_relu(const Tensor& x, double negative_slope) {
  detail::check_floating(x, "leaky_relu");
  // x for x > 0, negative_slope x otherwise (gradient negative_slope at 0, as PyTorch's).
  return where(gt(x, 0.0), x, x * negative_slope);
}

Tensor rrelu(const Tensor& x, double lower, double upper, bool training, Generator* generator) {
  detail::check_floating(x, "rrelu");
  MG_CHECK(lower <= upper, "rrelu: lower bound ({}) must not exceed upper bound ({})", lower,
           upper);
  if (!training) return leaky_relu(x, (lower + upper) / 2.0);
  Tensor slope;
  {
    NoGradGuard no_grad;
    slope =
        rand(x.shape(), TensorOptions(x.dtype(), x.device()), generator) * (upper - lower) + lower;
  }
  // x for x >= 0, a x below with a ~ U[lower, upper] per element (gradient 1 or a).
  return where(ge(x, 0.0), x, x * slope);
}

}  // namespace metagrad
