// batch_norm, composed of mean / sub / mul / rsqrt / reshape so that every order of derivative
// (MAML differentiates through training-mode batch norm twice) follows from the primitives.
#include "engine/grad_mode.hpp"
#include "engine/nn/functional.hpp"
#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"

namespace metagrad {
namespace {

/// Throws unless the per-channel tensor `p` (when defined) is [channels] of input's dtype/device.
void check_channel_param(const Tensor& p, const Tensor& input, const char* what) {
  if (!p.defined()) return;
  detail::check_same_kind(input, p, "batch_norm");
  MG_CHECK(p.dim() == 1 && p.size(0) == input.size(1),
           "batch_norm: {} must have shape [{}] (one value per channel of input shape {}), got "
           "shape {}",
           what, input.size(1), shape_str(input.shape()), shape_str(p.shape()));
}

}  // namespace

Tensor batch_norm(const Tensor& input, const Tensor& running_mean, const Tensor& running_var,
                  const Tensor& weight, const Tensor& bias, bool training, double momentum,
                  double eps) {
  detail::check_defined(input, "batch_norm");
  detail::check_floating(input, "batch_norm");
  MG_CHECK(input.dim() >= 2, "batch_norm: input must be [N, C] or [N, C, *], got shape {}",
           shape_str(input.shape()));
  check_channel_param(running_mean, input, "running_mean");
  check_channel_param(running_var, input, "running_var");
  check_channel_param(weight, input, "weight");
  check_channel_param(bias, input, "bias");
  MG_CHECK(running_mean.defined() == running_var.defined(),
           "batch_norm: running_mean and running_var must both be given or both be undefined");
  MG_CHECK(training || running_mean.defined(),
           "batch_norm: running_mean and running_var must be given in eval mode (training = "
           "false); pass them or use training = true for batch statistics");

  const int64_t channels = input.size(1);
  Dims stat_shape(input.dim(), 1);  // [1, C, 1, ...]: broadcasts a per-channel value
  stat_shape[1] = channels;
  Dims reduce_dims{0};
  for (int d = 2; d < input.dim(); ++d) reduce_dims.push_back(d);
  const int64_t count = channels == 0 ? 0 : input.numel() / channels;  // values per channel

  Tensor centered, inv_std;
  if (training) {
    if (input.numel() == 0) return clone(input);
    MG_CHECK(count > 1,
             "batch_norm: expected more than 1 value per channel when training, got input shape "
             "{}",
             shape_str(input.shape()));
    const Tensor batch_mean = mean(input, reduce_dims, true);
    centered = input - batch_mean;
    const Tensor sum_sq = sum(square(centered), reduce_dims, true);
    // y = (x - mean) / sqrt(var_biased + eps)
    inv_std = rsqrt(sum_sq / static_cast<double>(count) + eps);
    if (running_mean.defined()) {
      // running = (1 - momentum) running + momentum stat, with the unbiased variance (PyTorch).
      NoGradGuard no_grad;
      Tensor rm = running_mean, rv = running_var;
      rm.mul_(1.0 - momentum).add_(reshape(batch_mean.detach(), {channels}), momentum);
      rv.mul_(1.0 - momentum)
          .add_(reshape(sum_sq.detach(), {channels}) / static_cast<double>(count - 1), momentum);
    }
  } else {
    centered = input - reshape(running_mean, stat_shape);
    inv_std = rsqrt(reshape(running_var, stat_shape) + eps);
  }
  const Tensor scale = weight.defined() ? inv_std * reshape(weight, stat_shape) : inv_std;
  const Tensor y = centered * scale;
  return bias.defined() ? y + reshape(bias, stat_shape) : y;
}

}  // namespace metagrad
