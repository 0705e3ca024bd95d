// instance_norm, as PyTorch computes it: the input [N, C, *] viewed as one sample of N C channels
// and batch-normalised, with the running statistics repeated per sample and their updates
// averaged back over the batch. batch_norm brings the fused kernels and derivatives of every
// order.
#include "engine/grad_mode.hpp"
#include "engine/nn/channel_check.hpp"
#include "engine/nn/functional.hpp"
#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"

namespace metagrad {
namespace {

// A per-channel vector repeated for each of the `samples` samples (undefined stays undefined).
Tensor per_instance(const Tensor& p, int64_t samples) {
  return p.defined() ? repeat(p, {samples}) : Tensor();
}

}  // namespace

Tensor instance_norm(const Tensor& input, const Tensor& running_mean, const Tensor& running_var,
                     const Tensor& weight, const Tensor& bias, bool use_input_stats,
                     double momentum, double eps) {
  detail::check_floating(input, "instance_norm");
  MG_CHECK(input.dim() >= 3,
           "instance_norm: input must be [N, C, *] with at least one spatial dim, got shape {}",
           shape_str(input.shape()));
  MG_CHECK(running_mean.defined() == running_var.defined(),
           "instance_norm: give both running_mean and running_var, or neither");
  MG_CHECK(use_input_stats || running_mean.defined(),
           "instance_norm: use_input_stats = false normalises with the running statistics, which "
           "must be given");
  detail::check_channel_vector(running_mean, input, "instance_norm", "running_mean");
  detail::check_channel_vector(running_var, input, "instance_norm", "running_var");
  detail::check_channel_vector(weight, input, "instance_norm", "weight");
  detail::check_channel_vector(bias, input, "instance_norm", "bias");
  const int64_t samples = input.size(0), channels = input.size(1);
  const int64_t spatial = channels == 0 || samples == 0 ? 0 : input.numel() / (samples * channels);
  MG_CHECK(!use_input_stats || spatial > 1,
           "instance_norm: expected more than 1 spatial element when using input statistics, got "
           "input shape {}",
           shape_str(input.shape()));
  Dims merged{1, samples * channels};
  for (int d = 2; d < input.dim(); ++d) merged.push_back(input.size(d));
  const Tensor mean_per_instance = per_instance(running_mean, samples);
  const Tensor var_per_instance = per_instance(running_var, samples);
  const Tensor y = batch_norm(reshape(input, merged), mean_per_instance, var_per_instance,
                              per_instance(weight, samples), per_instance(bias, samples),
                              use_input_stats, momentum, eps);
  if (use_input_stats && running_mean.defined()) {
    // running <- the mean over samples of each sample's updated running statistic
    NoGradGuard no_grad;
    Tensor mean_target = running_mean, var_target = running_var;  // handles to the same storage
    mean_target.copy_(mean(reshape(mean_per_instance, {samples, channels}), {0}));
    var_target.copy_(mean(reshape(var_per_instance, {samples, channels}), {0}));
  }
  return reshape(y, input.shape());
}

}  // namespace metagrad
