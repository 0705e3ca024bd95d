// PyTorch's string paddings of the convolutions (conv_padding.hpp) and the functional conv1d,
// conv2d and conv3d that take one.
//
// Note [same padding]
// "same" keeps a stride-1 output at the input's size: a window of extent dilation (k - 1) + 1
// needs dilation (k - 1) extra cells along its dim. PyTorch puts half of them (rounded down)
// before and the rest after, so an even kernel pads one more after than before. The
// convolutions pad symmetrically themselves; uneven sides (or a padding mode other than zeros)
// are applied to the input by pad() first, and the convolution then runs without padding. Both
// are differentiable ops, so the padded convolutions keep every derivative order.
#include "engine/ops/conv_padding.hpp"

#include <fmt/format.h>

#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"

namespace metagrad {
namespace {

std::string list_str(std::span<const int64_t> values) {
  return values.size() == 1 ? fmt::format("{}", values[0])
                            : fmt::format("({})", fmt::join(values, ", "));
}

}  // namespace

PaddingRule PaddingRule::parse(std::string_view name) {
  if (name == "same") return PaddingRule(Kind::Same);
  if (name == "valid") return PaddingRule(Kind::Valid);
  MG_FAIL(
      "PaddingRule: invalid padding string '{}', should be one of 'same' or 'valid' (or give "
      "the amounts as integers)",
      name);
}

std::vector<int64_t> detail::conv_padding_sides(const char* op,
                                                const std::optional<PaddingRule>& rule,
                                                std::span<const int64_t> amounts,
                                                std::span<const int64_t> kernel,
                                                std::span<const int64_t> stride,
                                                std::span<const int64_t> dilation) {
  const size_t dims = kernel.size();
  std::vector<int64_t> sides(2 * dims, 0);
  if (rule && rule->kind() == PaddingRule::Kind::Valid) return sides;
  if (rule)
    for (const int64_t s : stride)
      MG_CHECK(s == 1,
               "{}: padding='same' is not supported for strided convolutions (stride {}); use "
               "stride 1 or give the padding as integers",
               op, list_str(stride));
  for (size_t i = 0; i < dims; ++i) {
    int64_t before = 0, after = 0;
    if (rule) {  // Note [same padding]
      const int64_t total = checked_mul(dilation[i], kernel[i] - 1, op, "dilated kernel extent");
      before = total / 2;
      after = total - before;
    } else {
      before = after = amounts[i];
      MG_CHECK(before >= 0, "{}: padding must be non-negative, got {}", op, list_str(amounts));
    }
    const size_t slot = 2 * (dims - 1 - i);  // pad() lists the last dim first
    sides[slot] = before;
    sides[slot + 1] = after;
  }
  return sides;
}

detail::PaddedConvInput detail::pad_conv_input(const Tensor& input,
                                               const std::vector<int64_t>& sides, PadMode mode) {
  const size_t dims = sides.size() / 2;
  bool even = true;
  std::vector<int64_t> padding(dims);
  for (size_t i = 0; i < dims; ++i) {
    const size_t slot = 2 * (dims - 1 - i);
    padding[i] = sides[slot];
    even = even && sides[slot] == sides[slot + 1];
  }
  if (even && mode == PadMode::Constant) return {input, std::move(padding)};
  std::fill(padding.begin(), padding.end(), 0);
  const int batched_rank = static_cast<int>(dims) + 2;
  if (mode == PadMode::Constant || input.dim() <= batched_rank)
    return {pad(input, sides, mode), std::move(padding)};
  // pad's modes take one batch dim: fold the leading (per-task) dims into it and back.
  const Dims& shape_in = input.shape();
  Dims folded(
      std::span<const int64_t>(shape_in.begin() + (input.dim() - batched_rank), shape_in.end()));
  folded[0] = -1;
  const Tensor padded = pad(reshape(input, folded), sides, mode);
  Dims shape = input.shape();
  for (int i = 1; i <= static_cast<int>(dims); ++i) shape[shape.size() - i] = padded.size(-i);
  return {reshape(padded, shape), std::move(padding)};
}

Tensor conv1d(const Tensor& input, const Tensor& weight, const Tensor& bias, int64_t stride,
              PaddingRule padding, int64_t dilation, int64_t groups) {
  detail::check_defined(weight, "conv1d", "weight");
  MG_CHECK(weight.dim() == 3,
           "conv1d: expected a 3-D weight [out_channels, in_channels / groups, k], got shape {}",
           shape_str(weight.shape()));
  const int64_t kernel[] = {weight.size(2)}, strides[] = {stride}, dilations[] = {dilation};
  const detail::PaddedConvInput x = detail::pad_conv_input(
      input, detail::conv_padding_sides("conv1d", padding, {}, kernel, strides, dilations),
      PadMode::Constant);
  return conv1d(x.input, weight, bias, stride, x.padding[0], dilation, groups);
}

Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias, IntPair stride,
              PaddingRule padding, IntPair dilation, int64_t groups) {
  detail::check_defined(weight, "conv2d", "weight");
  MG_CHECK(weight.dim() == 4 || weight.dim() == 5,
           "conv2d: expected a 4-D weight [out_channels, in_channels / groups, kh, kw] (or a 5-D "
           "per-task weight), got shape {}",
           shape_str(weight.shape()));
  const int64_t kernel[] = {weight.size(-2), weight.size(-1)}, strides[] = {stride.h, stride.w},
                dilations[] = {dilation.h, dilation.w};
  const detail::PaddedConvInput x = detail::pad_conv_input(
      input, detail::conv_padding_sides("conv2d", padding, {}, kernel, strides, dilations),
      PadMode::Constant);
  return conv2d(x.input, weight, bias, stride, {x.padding[0], x.padding[1]}, dilation, groups);
}

Tensor conv3d(const Tensor& input, const Tensor& weight, const Tensor& bias, IntTriple stride,
              PaddingRule padding, IntTriple dilation, int64_t groups) {
  detail::check_defined(weight, "conv3d", "weight");
  MG_CHECK(weight.dim() == 5,
           "conv3d: expected a 5-D weight [out_channels, in_channels / groups, kd, kh, kw], got "
           "shape {}",
           shape_str(weight.shape()));
  const int64_t kernel[] = {weight.size(2), weight.size(3), weight.size(4)},
                strides[] = {stride.d, stride.h, stride.w},
                dilations[] = {dilation.d, dilation.h, dilation.w};
  const detail::PaddedConvInput x = detail::pad_conv_input(
      input, detail::conv_padding_sides("conv3d", padding, {}, kernel, strides, dilations),
      PadMode::Constant);
  return conv3d(x.input, weight, bias, stride, {x.padding[0], x.padding[1], x.padding[2]}, dilation,
                groups);
}

}  // namespace metagrad
