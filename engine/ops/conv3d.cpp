// conv3d and conv_transpose3d composed from the 2-D family (engine/ops/volume.hpp):
// - conv3d(x, W): the depth windows of x are unfolded into channels (unfold of [N, C*H*W, 1, D]
//   with a (1, kd) kernel gives [N, C*H*W*kd, D']), so that output plane z is one conv2d of the
//   [C*kd, H, W] stack of its kd input planes with W read as [O, C/G*kd, kh, kw] (a view);
//   all N*D' planes run as one batch;
// - conv_transpose3d(x, W): one conv_transpose2d of every input plane with W read as
//   [C_in, C_out/G*kd, kh, kw] gives each plane's kd output-plane contributions, and fold (the
//   adjoint of unfold) sums them into the depth positions z = d stride - padding + j dilation.
// unfold, fold, conv2d and conv_transpose2d differentiate to every order, so both ops do.
#include <fmt/format.h>

#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"
#include "engine/ops/volume.hpp"
#include "engine/ops/window_text.hpp"

namespace metagrad {
namespace {

using detail::tuple_str;

// The checks both convolutions make of their window parameters.
void check_conv_window(IntTriple stride, IntTriple padding, IntTriple dilation, const char* op) {
  MG_CHECK(stride.d > 0 && stride.h > 0 && stride.w > 0 && dilation.d > 0 && dilation.h > 0 &&
               dilation.w > 0 && padding.d >= 0 && padding.h >= 0 && padding.w >= 0,
           "{}: stride {} and dilation {} must be positive and padding {} non-negative", op,
           tuple_str(stride), tuple_str(dilation), tuple_str(padding));
}

// The operands as a batch: an unbatched [C, D, H, W] input gets a leading 1.
Tensor as_batch(const Tensor& input) { return input.dim() == 4 ? unsqueeze(input, 0) : input; }

// The number of windows of a (dilated) kernel along a dim, PyTorch's floor rule.
int64_t window_count(int64_t size, int64_t kernel, int64_t stride, int64_t padding,
                     int64_t dilation, const char* op) {
  const int64_t extent = checked_mul(dilation, kernel - 1, op, "dilated kernel extent") + 1;
  return (checked_add(size, 2 * padding, op, "padded size") - extent) / stride + 1;
}

}  // namespace

Tensor conv3d(const Tensor& input, const Tensor& weight, const Tensor& bias, IntTriple stride,
              IntTriple padding, IntTriple dilation, int64_t groups) {
  constexpr const char* op = "conv3d";
  detail::check_floating(input, op);
  detail::check_defined(weight, op, "weight");
  MG_CHECK(input.dim() == 4 || input.dim() == 5,
           "conv3d: expected input [N, C, D, H, W] or unbatched [C, D, H, W], got shape {}",
           shape_str(input.shape()));
  MG_CHECK(weight.dim() == 5,
           "conv3d: expected a 5-D weight [out_channels, in_channels / groups, kd, kh, kw], got "
           "shape {}",
           shape_str(weight.shape()));
  detail::check_same_kind(input, weight, op);
  check_conv_window(stride, padding, dilation, op);
  const int64_t channels = input.size(-4), out_channels = weight.size(0);
  MG_CHECK(groups > 0 && weight.size(1) * groups == channels && out_channels % groups == 0,
           "conv3d: input shape {} has {} channels but weight shape {} with groups = {} expects "
           "{} (and out_channels divisible by groups); the input must be [N, C, D, H, W] with C "
           "= in_channels",
           shape_str(input.shape()), channels, shape_str(weight.shape()), groups,
           weight.size(1) * groups);
  if (bias.defined()) {
    detail::check_same_kind(input, bias, op);
    MG_CHECK(bias.shape() == Dims{out_channels}, "conv3d: bias must have shape [{}], got {}",
             out_channels, shape_str(bias.shape()));
  }
  const IntTriple kernel{weight.size(2), weight.size(3), weight.size(4)};
  const std::array<int64_t, 3> sizes{input.size(-3), input.size(-2), input.size(-1)};
  const std::array<int64_t, 3> pads{padding.d, padding.h, padding.w};
  const std::array<int64_t, 3> kernels{kernel.d, kernel.h, kernel.w};
  const std::array<int64_t, 3> dilations{dilation.d, dilation.h, dilation.w};
  for (size_t i = 0; i < 3; ++i) {
    const int64_t extent = checked_mul(dilations[i], kernels[i] - 1, op, "dilated kernel") + 1;
    MG_CHECK(checked_add(sizes[i], 2 * pads[i], op, "padded size") >= extent,
             "conv3d: the padded input size {} of input shape {} along dim {} is smaller than the "
             "kernel's extent {} (kernel {}, dilation {}); pad the input or use a smaller kernel",
             sizes[i] + 2 * pads[i], shape_str(input.shape()), i + 2, extent, tuple_str(kernel),
             tuple_str(dilation));
  }
  const Tensor x = as_batch(input);
  const int64_t n = x.size(0), depth = sizes[0], height = sizes[1], width = sizes[2];
  const int64_t out_depth = window_count(depth, kernel.d, stride.d, padding.d, dilation.d, op);
  checked_mul(checked_mul(checked_mul(channels, height * width, op, "unfolded depth windows"),
                          kernel.d, op, "unfolded depth windows"),
              checked_mul(n, out_depth, op, "unfolded depth windows"), op,
              "unfolded depth windows");
  // [N, C*H*W*kd, D']: row (c, h, w, j) of column z holds x[n, c, z stride - padding + j dil, h,
  // w].
  const Tensor lines =
      reshape(permute(x, {0, 1, 3, 4, 2}), {n, channels * height * width, 1, depth});
  const Tensor columns =
      unfold(lines, {1, kernel.d}, {1, dilation.d}, {0, padding.d}, {1, stride.d});
  // Plane z of sample n stacks the kd input planes of its windows: [N*D', C*kd, H, W].
  const Tensor planes =
      reshape(permute(reshape(columns, {n, channels, height, width, kernel.d, out_depth}),
                      {0, 5, 1, 4, 2, 3}),
              {n * out_depth, channels * kernel.d, height, width});
  const Tensor plane_weight =
      reshape(weight, {out_channels, weight.size(1) * kernel.d, kernel.h, kernel.w});
  const Tensor y = conv2d(planes, plane_weight, bias, stride.plane(), padding.plane(),
                          dilation.plane(), groups);  // [N*D', O, H', W']
  const Tensor out =
      permute(reshape(y, {n, out_depth, out_channels, y.size(2), y.size(3)}), {0, 2, 1, 3, 4})
          .contiguous();
  return input.dim() == 4 ? squeeze(out, 0) : out;
}

Tensor conv_transpose3d(const Tensor& input, const Tensor& weight, const Tensor& bias,
                        IntTriple stride, IntTriple padding, IntTriple output_padding,
                        int64_t groups, IntTriple dilation) {
  constexpr const char* op = "conv_transpose3d";
  detail::check_floating(input, op);
  detail::check_defined(weight, op, "weight");
  MG_CHECK(input.dim() == 4 || input.dim() == 5,
           "conv_transpose3d: expected input [N, C_in, D, H, W] or unbatched [C_in, D, H, W], got "
           "shape {}",
           shape_str(input.shape()));
  MG_CHECK(weight.dim() == 5,
           "conv_transpose3d: expected a 5-D weight [C_in, C_out / groups, kd, kh, kw], got shape "
           "{}",
           shape_str(weight.shape()));
  detail::check_same_kind(input, weight, op);
  check_conv_window(stride, padding, dilation, op);
  const int64_t in_channels = input.size(-4);
  MG_CHECK(groups > 0 && in_channels % groups == 0 && weight.size(0) == in_channels,
           "conv_transpose3d: weight of shape {} expects input [N, {}, D, H, W] divisible into "
           "groups = {}, got input shape {}",
           shape_str(weight.shape()), weight.size(0), groups, shape_str(input.shape()));
  const int64_t out_channels = weight.size(1) * groups;
  if (bias.defined()) {
    detail::check_same_kind(input, bias, op);
    MG_CHECK(bias.shape() == Dims{out_channels},
             "conv_transpose3d: bias must have shape [{}] (C_out), got {}", out_channels,
             shape_str(bias.shape()));
  }
  const auto below_step = [](int64_t extra, int64_t step, int64_t dil) {
    return extra >= 0 && (extra < step || extra < dil);
  };
  MG_CHECK(below_step(output_padding.d, stride.d, dilation.d) &&
               below_step(output_padding.h, stride.h, dilation.h) &&
               below_step(output_padding.w, stride.w, dilation.w),
           "conv_transpose3d: output_padding {} must be non-negative and smaller than either "
           "stride {} or dilation {}",
           tuple_str(output_padding), tuple_str(stride), tuple_str(dilation));
  const IntTriple kernel{weight.size(2), weight.size(3), weight.size(4)};
  const auto transposed = [&](int64_t in, int64_t k, int64_t s, int64_t p, int64_t extra,
                              int64_t dil) {
    const int64_t spread = checked_mul(in - 1, s, op, "output size");
    const int64_t extent = checked_mul(dil, k - 1, op, "dilated kernel extent");
    return checked_add(checked_add(spread, extent, op, "output size"), extra + 1, op,
                       "output size") -
           2 * p;
  };
  const int64_t depth = input.size(-3);
  const int64_t out_depth =
      transposed(depth, kernel.d, stride.d, padding.d, output_padding.d, dilation.d);
  const int64_t out_height =
      transposed(input.size(-2), kernel.h, stride.h, padding.h, output_padding.h, dilation.h);
  const int64_t out_width =
      transposed(input.size(-1), kernel.w, stride.w, padding.w, output_padding.w, dilation.w);
  MG_CHECK(out_depth > 0 && out_height > 0 && out_width > 0,
           "conv_transpose3d: input shape {} with kernel {}, stride {}, padding {}, dilation {} "
           "and output_padding {} gives output size ({}, {}, {}); use less padding",
           shape_str(input.shape()), tuple_str(kernel), tuple_str(stride), tuple_str(padding),
           tuple_str(dilation), tuple_str(output_padding), out_depth, out_height, out_width);
  const Tensor x = as_batch(input);
  const int64_t n = x.size(0);
  // Every input plane's contributions to its kd output planes: [N*D, C_out*kd, H', W'], channel
  // (o, j) in the order of weight's [C_in, C_out/G, kd] (groups keep their blocks).
  const Tensor planes = reshape(permute(x, {0, 2, 1, 3, 4}),
                                {n * depth, in_channels, input.size(-2), input.size(-1)});
  const Tensor plane_weight =
      reshape(weight, {in_channels, weight.size(1) * kernel.d, kernel.h, kernel.w});
  const Tensor y = conv_transpose2d(planes, plane_weight, {}, stride.plane(), padding.plane(),
                                    output_padding.plane(), groups, dilation.plane());
  // Columns [N, C_out*H'*W'*kd, D] folded along the depth; the fold's geometry over out_depth
  // has more windows than D when output_padding >= stride, and those take no input (zeros).
  Tensor columns =
      reshape(permute(reshape(y, {n, depth, out_channels, kernel.d, out_height, out_width}),
                      {0, 2, 4, 5, 3, 1}),
              {n, out_channels * out_height * out_width * kernel.d, depth});
  const int64_t windows = window_count(out_depth, kernel.d, stride.d, padding.d, dilation.d, op);
  if (windows > depth) columns = pad(columns, {0, windows - depth});
  const Tensor volume = fold(columns, {1, out_depth}, {1, kernel.d}, {1, dilation.d},
                             {0, padding.d}, {1, stride.d});  // [N, C_out*H'*W', 1, D']
  Tensor out =
      permute(reshape(volume, {n, out_channels, out_height, out_width, out_depth}), {0, 1, 4, 2, 3})
          .contiguous();
  if (bias.defined()) out = out + reshape(bias, {out_channels, 1, 1, 1});
  return input.dim() == 4 ? squeeze(out, 0) : out;
}

}  // namespace metagrad
