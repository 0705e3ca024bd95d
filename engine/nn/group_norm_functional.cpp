// group_norm, composed of public differentiable ops (mean, rsqrt, reshape), so it has derivatives
// of every order without a backward of its own.
#include "engine/nn/channel_check.hpp"
#include "engine/nn/functional.hpp"
#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"

namespace metagrad {

Tensor group_norm(const Tensor& input, int64_t num_groups, const Tensor& weight, const Tensor& bias,
                  double eps) {
  detail::check_floating(input, "group_norm");
  MG_CHECK(input.dim() >= 2, "group_norm: input must be [N, C, *], got shape {}",
           shape_str(input.shape()));
  const int64_t channels = input.size(1);
  MG_CHECK(num_groups > 0 && channels % num_groups == 0,
           "group_norm: num_groups {} must be positive and divide the {} channels of input "
           "shape {}",
           num_groups, channels, shape_str(input.shape()));
  MG_CHECK(eps >= 0.0, "group_norm: eps must be non-negative, got {}", eps);
  detail::check_channel_vector(weight, input, "group_norm", "weight");
  detail::check_channel_vector(bias, input, "group_norm", "bias");
  // Each sample's group of C / G channels (and all their positions) is normalised on its own:
  // y = (x - E[x]) / sqrt(Var[x] + eps) over [N, G, C / G * S], biased variance.
  const Tensor grouped = reshape(input, {input.size(0), num_groups, -1});
  const Tensor centered = grouped - mean(grouped, {2}, true);
  Tensor y = reshape(centered * rsqrt(mean(square(centered), {2}, true) + eps), input.shape());
  // weight and bias per channel: [C] viewed as [C, 1, ...] against [N, C, *].
  Dims channel_shape(input.dim() - 1, 1);
  channel_shape[0] = channels;
  if (weight.defined()) y = y * reshape(weight, channel_shape);
  if (bias.defined()) y = y + reshape(bias, channel_shape);
  return y;
}

}  // namespace metagrad
