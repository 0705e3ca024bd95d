// conv1d: a 1-D convolution is conv2d over images of height 1 (input [N, C, 1, L], weight
// [O, C / groups, 1, k]), so it shares conv2d's kernels and derivatives of every order.
#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"

namespace metagrad {

Tensor conv1d(const Tensor& input, const Tensor& weight, const Tensor& bias, int64_t stride,
              int64_t padding, int64_t dilation, int64_t groups) {
  detail::check_floating(input, "conv1d");
  detail::check_defined(weight, "conv1d", "weight");
  MG_CHECK(input.dim() == 2 || input.dim() == 3,
           "conv1d: expected input [N, C, L] or unbatched [C, L], got shape {}",
           shape_str(input.shape()));
  MG_CHECK(weight.dim() == 3,
           "conv1d: expected a 3-D weight [out_channels, in_channels / groups, k], got shape {}",
           shape_str(weight.shape()));
  MG_CHECK(stride > 0 && padding >= 0 && dilation > 0,
           "conv1d: stride ({}) and dilation ({}) must be positive and padding ({}) non-negative",
           stride, dilation, padding);
  const int64_t channels = input.size(-2), length = input.size(-1), k = weight.size(2);
  MG_CHECK(groups > 0 && weight.size(1) * groups == channels,
           "conv1d: input shape {} has {} channels but weight shape {} with groups = {} expects "
           "{}; the input must be [N, C, L] with C = in_channels",
           shape_str(input.shape()), channels, shape_str(weight.shape()), groups,
           weight.size(1) * groups);
  MG_CHECK(length + 2 * padding >= dilation * (k - 1) + 1,
           "conv1d: the padded length {} of input shape {} is shorter than the kernel's extent {} "
           "(k = {}, dilation = {}); pad the input or use a smaller kernel",
           length + 2 * padding, shape_str(input.shape()), dilation * (k - 1) + 1, k, dilation);
  const Tensor image = conv2d(unsqueeze(input, -2), unsqueeze(weight, 2), bias, {1, stride},
                              {0, padding}, {1, dilation}, groups);
  return squeeze(image, -2);
}

}  // namespace metagrad
