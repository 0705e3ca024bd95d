// The likelihood losses of torch.nn.functional: poisson_nll_loss and gaussian_nll_loss, composed
// of public differentiable ops.
#include <cmath>
#include <numbers>

#include "engine/grad_mode.hpp"
#include "engine/nn/functional.hpp"
#include "engine/nn/loss_support.hpp"
#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"

namespace metagrad {

using detail::check_loss_operands;
using detail::reduce_loss;

Tensor poisson_nll_loss(const Tensor& input, const Tensor& target,
                        const PoissonNllLossOptions& options) {
  check_loss_operands(input, target, "poisson_nll_loss");
  // exp(x) - t x for log-rates x, x - t log(x + eps) for rates x
  Tensor loss =
      options.log_input ? exp(input) - target * input : input - target * log(input + options.eps);
  if (options.full) {
    // Stirling: t log t - t + log(2 pi t) / 2 where t > 1 (t = 1 where it is not counted, so no
    // log(0) reaches a gradient)
    Tensor counted;
    {
      NoGradGuard no_grad;
      counted = gt(target, 1.0);
    }
    const Tensor t = where(counted, target, 1.0);
    const Tensor stirling = t * log(t) - t + log(t * (2.0 * std::numbers::pi)) * 0.5;
    loss = loss + where(counted, stirling, 0.0);
  }
  return reduce_loss(loss, options.reduction);
}

Tensor gaussian_nll_loss(const Tensor& input, const Tensor& target, const Tensor& var,
                         const GaussianNllLossOptions& options) {
  const char* op = "gaussian_nll_loss";
  check_loss_operands(input, target, op);
  detail::check_defined(var, op, "var");
  detail::check_same_kind(input, var, op);
  MG_CHECK(options.eps >= 0.0, "gaussian_nll_loss: eps must be non-negative, got {}", options.eps);
  // var: input's shape, or it with the last dim 1 (broadcast), or without the last dim.
  const Dims& shape = input.shape();
  Dims leading = shape;  // input's shape without the last dim
  if (!leading.empty()) leading.pop_back();
  Dims var_leading = var.shape();
  if (!var_leading.empty()) var_leading.pop_back();
  Tensor variance = var;
  const bool same = var.shape() == shape;
  const bool last_one =
      !shape.empty() && var.dim() == input.dim() && var.size(-1) == 1 && var_leading == leading;
  const bool last_dropped =
      !shape.empty() && var.dim() + 1 == input.dim() && var.shape() == leading;
  MG_CHECK(same || last_one || last_dropped,
           "gaussian_nll_loss: var of shape {} must have input's shape {}, or it with the last "
           "dim 1 or dropped",
           shape_str(var.shape()), shape_str(shape));
  if (last_dropped) variance = var.unsqueeze(-1);
  {
    NoGradGuard no_grad;
    MG_CHECK(all(ge(var, 0.0)).item<bool>(),
             "gaussian_nll_loss: var has a negative entry (shape {})", shape_str(var.shape()));
  }
  // max(var, eps) in value with var's own gradient (PyTorch clamps a copy without recording)
  const Tensor clamped =
      variance + (clamp(variance, options.eps, std::nullopt) - variance).detach();
  Tensor loss = (log(clamped) + square(input - target) / clamped) * 0.5;
  if (options.full) loss = loss + 0.5 * std::log(2.0 * std::numbers::pi);
  return reduce_loss(loss, options.reduction);
}

}  // namespace metagrad
