// conv_transpose2d / conv_transpose1d: the transposed convolution is the input gradient of the
// convolution it inverts (Note [conv2d adjoint family]): with weight W [C_in, C_out / groups, kh,
// kw] read as a convolution from C_out to C_in channels, conv_transpose2d(x, W) = fold(W^T x),
// which is detail::conv2d_input_grad over an output image of PyTorch's size
//   out = (in - 1) stride - 2 padding + dilation (k - 1) + output_padding + 1.
// Its gradients are again members of the family (conv2d for x, the weight gradient for W), so it
// has derivatives of every order and saves no columns. Groups, and the tasks of per-task
// operands (nn::task_batched), become tasks of the task-batched family (Note [task-batched
// conv]), as in conv2d.
#include <fmt/format.h>

#include "engine/ops.hpp"
#include "engine/ops/conv2d_ops.hpp"
#include "engine/ops/op_support.hpp"
#include "engine/ops/window_text.hpp"

namespace metagrad {
namespace {

using detail::tuple_str;

// PyTorch's output size of a transposed convolution along one dim (checked for overflow).
int64_t transposed_size(int64_t in, int64_t kernel, int64_t stride, int64_t padding,
                        int64_t output_padding, int64_t dilation) {
  const char* op = "conv_transpose2d";
  const int64_t spread = checked_mul(in - 1, stride, op, "output size");
  const int64_t extent = checked_mul(dilation, kernel - 1, op, "dilated kernel extent");
  return checked_add(checked_add(spread, extent, op, "output size"), output_padding + 1, op,
                     "output size") -
         2 * padding;
}

}  // namespace

Tensor conv_transpose2d(const Tensor& input, const Tensor& weight, const Tensor& bias,
                        IntPair stride, IntPair padding, IntPair output_padding, int64_t groups,
                        IntPair dilation) {
  const char* op = "conv_transpose2d";
  detail::check_floating(input, op);
  detail::check_defined(weight, op, "weight");
  // Per-task operands (Note [task-batched conv]): input [T, N, C_in, H, W], weight [T, C_in,
  // C_out / groups, kh, kw], bias [T, C_out].
  const bool per_task = weight.dim() == 5;
  MG_CHECK(per_task ? input.dim() == 5 : (input.dim() == 3 || input.dim() == 4),
           "conv_transpose2d: expected input [N, C_in, H, W] or unbatched [C_in, H, W] (with a "
           "4-D weight) or [T, N, C_in, H, W] (with a per-task 5-D weight), got input shape {} "
           "and weight shape {}",
           shape_str(input.shape()), shape_str(weight.shape()));
  MG_CHECK(weight.dim() == 4 || (per_task && weight.size(0) == input.size(0)),
           "conv_transpose2d: expected a 4-D weight [C_in, C_out / groups, kh, kw] or a per-task "
           "[T, C_in, C_out / groups, kh, kw] with the input's T, got shape {}",
           shape_str(weight.shape()));
  detail::check_same_kind(input, weight, op);
  const int64_t in_channels = input.size(-3);
  MG_CHECK(groups > 0 && in_channels % groups == 0 && weight.size(-4) == in_channels,
           "conv_transpose2d: weight of shape {} expects input [N, {}, H, W] divisible into "
           "groups = {}, got input shape {}",
           shape_str(weight.shape()), weight.size(-4), groups, shape_str(input.shape()));
  const int64_t out_channels = weight.size(-3) * groups;
  const int64_t tasks = per_task ? input.size(0) : 1;
  if (bias.defined()) {
    detail::check_same_kind(input, bias, op);
    const Dims expected = per_task ? Dims{tasks, out_channels} : Dims{out_channels};
    MG_CHECK(bias.shape() == expected,
             "conv_transpose2d: bias must have shape {} ({}C_out), got {}", shape_str(expected),
             per_task ? "T, " : "", shape_str(bias.shape()));
  }
  MG_CHECK(stride.h > 0 && stride.w > 0 && dilation.h > 0 && dilation.w > 0 && padding.h >= 0 &&
               padding.w >= 0,
           "conv_transpose2d: stride {} and dilation {} must be positive and padding {} "
           "non-negative",
           tuple_str(stride), tuple_str(dilation), tuple_str(padding));
  MG_CHECK(output_padding.h >= 0 && output_padding.w >= 0 &&
               (output_padding.h < stride.h || output_padding.h < dilation.h) &&
               (output_padding.w < stride.w || output_padding.w < dilation.w),
           "conv_transpose2d: output_padding {} must be non-negative and smaller than either "
           "stride {} or dilation {}",
           tuple_str(output_padding), tuple_str(stride), tuple_str(dilation));
  const IntPair kernel{weight.size(-2), weight.size(-1)};
  const int64_t height =
      transposed_size(input.size(-2), kernel.h, stride.h, padding.h, output_padding.h, dilation.h);
  const int64_t width =
      transposed_size(input.size(-1), kernel.w, stride.w, padding.w, output_padding.w, dilation.w);
  MG_CHECK(height > 0 && width > 0,
           "conv_transpose2d: input shape {} with kernel {}, stride {}, padding {}, dilation {} "
           "and output_padding {} gives output size ({}, {}); use less padding",
           shape_str(input.shape()), tuple_str(kernel), tuple_str(stride), tuple_str(padding),
           tuple_str(dilation), tuple_str(output_padding), height, width);
  const ConvGeometry g =
      detail::conv_geometry({height, width}, kernel, stride, padding, dilation, false, op);

  Tensor x = input.dim() == 3 ? unsqueeze(input, 0) : input;
  // The convolution over the output has g.out_h >= H windows (more when output_padding >=
  // stride): the extra windows take no input, so x is padded with zeros.
  if (g.out_h > x.size(-2) || g.out_w > x.size(-1))
    x = pad(x, {0, g.out_w - x.size(-1), 0, g.out_h - x.size(-2)});
  Tensor out;
  if (!per_task && groups == 1) {
    out = detail::conv2d_input_grad(x, weight, height, width, g);
    if (bias.defined()) out = out + reshape(bias, {out_channels, 1, 1});
    return input.dim() == 3 ? squeeze(out, 0) : out;
  }
  // Group j of task t becomes task t G + j of the task-batched family:
  // x [T, N, G Cg, H, W] -> [T G, N, Cg, H, W]; weight [T, G Cg, Og, kh, kw] -> [T G, Cg, Og, ...].
  const Tensor xt = per_task ? x : unsqueeze(x, 0);
  const Tensor wt = per_task ? weight : unsqueeze(weight, 0);
  const int64_t n = xt.size(1), group_in = in_channels / groups, group_out = weight.size(-3);
  const int64_t units = tasks * groups;
  const Tensor xg = reshape(
      permute(reshape(xt, {tasks, n, groups, group_in, g.out_h, g.out_w}), {0, 2, 1, 3, 4, 5}),
      {units, n, group_in, g.out_h, g.out_w});
  const Tensor wg = reshape(wt, {units, group_in, group_out, kernel.h, kernel.w});
  const Tensor y = detail::conv2d_input_grad(xg, wg, height, width, g);  // [T G, N, Og, H', W']
  out =
      reshape(permute(reshape(y, {tasks, groups, n, group_out, height, width}), {0, 2, 1, 3, 4, 5}),
              {tasks, n, out_channels, height, width});
  if (bias.defined()) out = out + reshape(bias, {tasks, 1, out_channels, 1, 1});
  if (per_task) return out;
  out = squeeze(out, 0);
  return input.dim() == 3 ? squeeze(out, 0) : out;
}

Tensor conv_transpose1d(const Tensor& input, const Tensor& weight, const Tensor& bias,
                        int64_t stride, int64_t padding, int64_t output_padding, int64_t groups,
                        int64_t dilation) {
  detail::check_floating(input, "conv_transpose1d");
  detail::check_defined(weight, "conv_transpose1d", "weight");
  MG_CHECK(input.dim() == 2 || input.dim() == 3,
           "conv_transpose1d: expected input [N, C_in, L] or unbatched [C_in, L], got shape {}",
           shape_str(input.shape()));
  MG_CHECK(weight.dim() == 3,
           "conv_transpose1d: expected a 3-D weight [C_in, C_out / groups, k], got shape {}",
           shape_str(weight.shape()));
  MG_CHECK(groups > 0 && input.size(-2) == weight.size(0) && weight.size(0) % groups == 0,
           "conv_transpose1d: weight of shape {} expects input [N, {}, L] divisible into groups "
           "= {}, got input shape {}",
           shape_str(weight.shape()), weight.size(0), groups, shape_str(input.shape()));
  MG_CHECK(output_padding >= 0 && (output_padding < stride || output_padding < dilation),
           "conv_transpose1d: output_padding {} must be non-negative and smaller than either "
           "stride {} or dilation {}",
           output_padding, stride, dilation);
  // Images of height 1 (stride, padding and dilation 1/0/1 along the height).
  const Tensor image =
      conv_transpose2d(unsqueeze(input, -2), unsqueeze(weight, 2), bias, {1, stride}, {0, padding},
                       {0, output_padding}, groups, {1, dilation});
  return squeeze(image, -2);
}

}  // namespace metagrad
