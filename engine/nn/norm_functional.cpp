// batch_norm. Training mode is one op, "BatchNormBackward", computed by the per-channel kernels of
// Note [batch-norm kernels]; eval mode is composed of sub / mul / rsqrt / reshape.
#include "engine/autograd/function.hpp"
#include "engine/grad_mode.hpp"
#include "engine/nn/batch_norm_grad.hpp"
#include "engine/nn/channel_check.hpp"
#include "engine/nn/functional.hpp"
#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"

// Note [batch-norm backward]
// Training-mode batch norm records a single node. Its backward is detail::batch_norm_grad: one
// reduction pass (Σg, Σg (x - mean)) and one affine pass over the data, recorded, when the
// backward itself records (create_graph: MAML's inner loop, HVPs), as an op whose own backward
// is the closed-form second derivative (Note [batch-norm double backward]), so derivatives of
// every order are exact.

namespace metagrad {
namespace {

// Training mode (input non-empty, more than one value per channel): batch statistics from
// channel_moments, y = (x - mean) scale + bias in one pass, the running-stat update, one recorded
// node.
Tensor batch_norm_training(const Tensor& input, const Tensor& running_mean,
                           const Tensor& running_var, const Tensor& weight, const Tensor& bias,
                           double momentum, double eps) {
  const int64_t channels = input.size(1);
  const double count = static_cast<double>(input.numel() / channels);
  const Tensor x = detail::channel_mergeable(input);
  Backend& backend = detail::backend_of(input);
  const Tensor batch_mean = make_empty({channels}, input.dtype(), input.device());
  const Tensor sum_sq = make_empty({channels}, input.dtype(), input.device());
  backend.channel_moments(detail::ncs_view(x), detail::view_of(batch_mean),
                          detail::view_of(sum_sq));
  // y = (x - mean) / sqrt(var_biased + eps) * weight + bias = (x - mean) scale + shift, and the
  // running statistics' update, in one call (Note [batch-norm coefficients]).
  const Tensor inv_std = make_empty({channels}, input.dtype(), input.device());
  const Tensor scale = make_empty({channels}, input.dtype(), input.device());
  const Tensor shift = make_empty({channels}, input.dtype(), input.device());
  const View in[bn::forward::kInCount] = {
      detail::view_of(batch_mean),         detail::view_of(sum_sq),
      detail::optional_view(weight),       detail::optional_view(bias),
      detail::optional_view(running_mean), detail::optional_view(running_var)};
  const View out[bn::forward::kOutCount] = {
      detail::view_of(inv_std), detail::view_of(scale), detail::view_of(shift),
      detail::optional_view(running_mean), detail::optional_view(running_var)};
  backend.channel_coefficients(ChannelFormula::Forward, in, bn::forward::kInCount, out,
                               bn::forward::kOutCount, {count, eps, momentum}, channels);
  if (running_mean.defined()) {  // updated in place
    running_mean.storage()->bump_version();
    running_var.storage()->bump_version();
  }
  Tensor y = make_empty_in_layout_of(x);  // a permuted input keeps its layout
  backend.channel_affine(detail::ncs_view(x), detail::view_of(batch_mean), View{},
                         detail::view_of(scale), View{}, detail::view_of(shift),
                         detail::ncs_view(y));
  if (needs_grad({&input, &weight, &bias})) {
    // Note [batch-norm backward]
    const SavedTensor saved_input(input, false), saved_weight(weight, false);
    const std::shared_ptr<Node> node =
        record("BatchNormBackward", {input, weight, bias}, {y},
               [saved_input, saved_weight, stats = detail::BatchNormStats{batch_mean, inv_std},
                eps](const TensorList& grads, Node& self) -> TensorList {
                 const detail::BatchNormNeeds needs{self.next_edges()[0].valid(),
                                                    self.next_edges()[1].valid(),
                                                    self.next_edges()[2].valid()};
                 return detail::batch_norm_grad(grads[0], saved_input.unpack(self),
                                                saved_weight.unpack(self), stats, eps, needs);
               },
               {{"input", saved_input}, {"weight", saved_weight}});
    describe_attrs(node, {{"eps", eps}, {"training", true}});
  }
  return y;
}

}  // namespace

Tensor batch_norm(const Tensor& input, const Tensor& running_mean, const Tensor& running_var,
                  const Tensor& weight, const Tensor& bias, bool training, double momentum,
                  double eps) {
  detail::check_defined(input, "batch_norm");
  detail::check_floating(input, "batch_norm");
  MG_CHECK(input.dim() >= 2, "batch_norm: input must be [N, C] or [N, C, *], got shape {}",
           shape_str(input.shape()));
  detail::check_channel_vector(running_mean, input, "batch_norm", "running_mean");
  detail::check_channel_vector(running_var, input, "batch_norm", "running_var");
  detail::check_channel_vector(weight, input, "batch_norm", "weight");
  detail::check_channel_vector(bias, input, "batch_norm", "bias");
  MG_CHECK(running_mean.defined() == running_var.defined(),
           "batch_norm: running_mean and running_var must both be given or both be undefined");
  MG_CHECK(training || running_mean.defined(),
           "batch_norm: running_mean and running_var must be given in eval mode (training = "
           "false); pass them or use training = true for batch statistics");

  const int64_t channels = input.size(1);
  Dims stat_shape(input.dim(), 1);  // [1, C, 1, ...]: broadcasts a per-channel value
  stat_shape[1] = channels;
  const int64_t count = channels == 0 ? 0 : input.numel() / channels;  // values per channel
  if (training) {
    if (input.numel() == 0) return clone(input);
    MG_CHECK(count > 1,
             "batch_norm: expected more than 1 value per channel when training, got input shape "
             "{}",
             shape_str(input.shape()));
    return batch_norm_training(input, running_mean, running_var, weight, bias, momentum, eps);
  }
  // y = (x - running_mean) / sqrt(running_var + eps)
  const Tensor centered = input - reshape(running_mean, stat_shape);
  const Tensor inv_std = rsqrt(reshape(running_var, stat_shape) + eps);
  const Tensor scale = weight.defined() ? inv_std * reshape(weight, stat_shape) : inv_std;
  const Tensor y = centered * scale;
  return bias.defined() ? y + reshape(bias, stat_shape) : y;
}

}  // namespace metagrad
