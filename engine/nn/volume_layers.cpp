// The volume layers (volume_layers.hpp): 3-D convolutions, pooling, normalisation and padding,
// each a thin holder of PyTorch's arguments around its op, with PyTorch's reprs.
#include "engine/nn/volume_layers.hpp"

#include <fmt/format.h>

#include "engine/nn/conv_layer_support.hpp"
#include "engine/ops.hpp"
#include "engine/ops/window_text.hpp"

namespace metagrad::nn {
namespace {

using metagrad::detail::int_or_tuple_str;
using metagrad::detail::python_bool;
using metagrad::detail::tuple_str;

bool all_equal(IntTriple t, int64_t value) { return t.d == value && t.h == value && t.w == value; }

void check_window(IntTriple kernel, IntTriple stride, IntTriple padding, IntTriple dilation,
                  const char* layer) {
  MG_CHECK(kernel.d > 0 && kernel.h > 0 && kernel.w > 0, "{}: kernel_size must be positive, got {}",
           layer, tuple_str(kernel));
  MG_CHECK(stride.d > 0 && stride.h > 0 && stride.w > 0, "{}: stride must be positive, got {}",
           layer, tuple_str(stride));
  MG_CHECK(padding.d >= 0 && padding.h >= 0 && padding.w >= 0,
           "{}: padding must be non-negative, got {}", layer, tuple_str(padding));
  MG_CHECK(dilation.d > 0 && dilation.h > 0 && dilation.w > 0,
           "{}: dilation must be positive, got {}", layer, tuple_str(dilation));
}

// Pooling's extra constraint: padding at most half the kernel along each dim.
void check_pool_padding(IntTriple kernel, IntTriple padding, const char* layer) {
  MG_CHECK(padding.d <= kernel.d / 2 && padding.h <= kernel.h / 2 && padding.w <= kernel.w / 2,
           "{}: padding should be at most half of the kernel size, got padding {} for kernel_size "
           "{}",
           layer, tuple_str(padding), tuple_str(kernel));
}

void check_output_size(IntTriple size, const char* layer) {
  MG_CHECK(size.d > 0 && size.h > 0 && size.w > 0, "{}: output_size must be positive, got {}",
           layer, tuple_str(size));
}

// The common tail of the convolutions' reprs (PyTorch's order).
std::string conv_repr(int64_t in, int64_t out, IntTriple kernel, IntTriple stride,
                      const ConvPadding<IntTriple>& padding, IntTriple dilation) {
  std::string text = fmt::format("{}, {}, kernel_size={}, stride={}", in, out, tuple_str(kernel),
                                 tuple_str(stride));
  text += detail::conv_padding_repr(padding, tuple_str(padding.amounts));
  if (!all_equal(dilation, 1)) text += ", dilation=" + tuple_str(dilation);
  return text;
}

}  // namespace

Conv3d::Conv3d(int64_t in_channels, int64_t out_channels, IntTriple kernel_size,
               const Conv3dOptions& options)
    : in_channels_(in_channels),
      out_channels_(out_channels),
      kernel_size_(kernel_size),
      options_(options) {
  detail::check_conv_layer("Conv3d", in_channels, out_channels, options.groups, options.dtype);
  check_window(kernel_size, options.stride, options.padding.amounts, options.dilation, "Conv3d");
  padding_sides_ = detail::conv_layer_padding_sides("Conv3d", options.padding, kernel_size,
                                                    options.stride, options.dilation);
  options_.generator = nullptr;  // used once, here; a copy of the layer must not keep it
  register_parameter("weight", empty({out_channels, in_channels / options.groups, kernel_size.d,
                                      kernel_size.h, kernel_size.w},
                                     options.dtype));
  register_parameter("bias", options.bias ? empty({out_channels}, options.dtype) : Tensor());
  reset_parameters(options.generator);
}

void Conv3d::reset_parameters(Generator* generator) {
  detail::reset_conv_parameters(weight(), bias(), generator);
}

Tensor Conv3d::forward(const Tensor& input) {
  const auto x = metagrad::detail::pad_conv_input(input, padding_sides_, options_.padding_mode);
  return conv3d(x.input, weight(), bias(), options_.stride,
                {x.padding[0], x.padding[1], x.padding[2]}, options_.dilation, options_.groups);
}

std::string Conv3d::extra_repr() const {
  std::string out = conv_repr(in_channels_, out_channels_, kernel_size_, options_.stride,
                              options_.padding, options_.dilation);
  return out + detail::conv_options_repr(options_.groups, bias().defined(), options_.padding_mode);
}

ConvTranspose3d::ConvTranspose3d(int64_t in_channels, int64_t out_channels, IntTriple kernel_size,
                                 const ConvTranspose3dOptions& options)
    : in_channels_(in_channels),
      out_channels_(out_channels),
      kernel_size_(kernel_size),
      options_(options) {
  detail::check_conv_layer("ConvTranspose3d", in_channels, out_channels, options.groups,
                           options.dtype);
  check_window(kernel_size, options.stride, options.padding, options.dilation, "ConvTranspose3d");
  const IntTriple extra = options.output_padding, s = options.stride, d = options.dilation;
  MG_CHECK(extra.d >= 0 && extra.h >= 0 && extra.w >= 0 && (extra.d < s.d || extra.d < d.d) &&
               (extra.h < s.h || extra.h < d.h) && (extra.w < s.w || extra.w < d.w),
           "ConvTranspose3d: output_padding {} must be non-negative and smaller than either "
           "stride {} or dilation {}",
           tuple_str(extra), tuple_str(s), tuple_str(d));
  options_.generator = nullptr;  // used once, here; a copy of the layer must not keep it
  register_parameter("weight", empty({in_channels, out_channels / options.groups, kernel_size.d,
                                      kernel_size.h, kernel_size.w},
                                     options.dtype));
  register_parameter("bias", options.bias ? empty({out_channels}, options.dtype) : Tensor());
  reset_parameters(options.generator);
}

void ConvTranspose3d::reset_parameters(Generator* generator) {
  detail::reset_conv_parameters(weight(), bias(), generator);
}

Tensor ConvTranspose3d::forward(const Tensor& input) {
  return conv_transpose3d(input, weight(), bias(), options_.stride, options_.padding,
                          options_.output_padding, options_.groups, options_.dilation);
}

Tensor ConvTranspose3d::forward(const Tensor& input, IntTriple output_size) {
  MG_CHECK(input.dim() >= 3,
           "ConvTranspose3d: expected input [N, C, D, H, W] or [C, D, H, W], got {}",
           shape_str(input.shape()));
  const IntTriple s = options_.stride, p = options_.padding, d = options_.dilation;
  const IntTriple low{
      detail::smallest_transposed_size(input.size(-3), s.d, p.d, d.d, kernel_size_.d),
      detail::smallest_transposed_size(input.size(-2), s.h, p.h, d.h, kernel_size_.h),
      detail::smallest_transposed_size(input.size(-1), s.w, p.w, d.w, kernel_size_.w)};
  const auto within = [](int64_t size, int64_t lowest, int64_t step) {
    return size >= lowest && size < lowest + step;
  };
  MG_CHECK(within(output_size.d, low.d, s.d) && within(output_size.h, low.h, s.h) &&
               within(output_size.w, low.w, s.w),
           "ConvTranspose3d: requested an output size of {}, but valid sizes range from {} to {} "
           "(for an input of shape {})",
           tuple_str(output_size), tuple_str(low),
           tuple_str({low.d + s.d - 1, low.h + s.h - 1, low.w + s.w - 1}),
           shape_str(input.shape()));
  return conv_transpose3d(input, weight(), bias(), s, p,
                          {output_size.d - low.d, output_size.h - low.h, output_size.w - low.w},
                          options_.groups, d);
}

std::string ConvTranspose3d::extra_repr() const {
  std::string out = conv_repr(in_channels_, out_channels_, kernel_size_, options_.stride,
                              options_.padding, options_.dilation);
  if (!all_equal(options_.output_padding, 0))
    out += ", output_padding=" + tuple_str(options_.output_padding);
  return out + detail::conv_options_repr(options_.groups, bias().defined());
}

MaxPool3d::MaxPool3d(IntTriple kernel_size, std::optional<IntTriple> stride, IntTriple padding,
                     IntTriple dilation, bool ceil_mode)
    : kernel_size_(kernel_size),
      stride_(stride.value_or(kernel_size)),
      padding_(padding),
      dilation_(dilation),
      ceil_mode_(ceil_mode) {
  check_window(kernel_size_, stride_, padding_, dilation_, "MaxPool3d");
  check_pool_padding(kernel_size_, padding_, "MaxPool3d");
}

Tensor MaxPool3d::forward(const Tensor& input) {
  return max_pool3d(input, kernel_size_, stride_, padding_, dilation_, ceil_mode_);
}

std::tuple<Tensor, Tensor> MaxPool3d::forward_with_indices(const Tensor& input) {
  return max_pool3d_with_indices(input, kernel_size_, stride_, padding_, dilation_, ceil_mode_);
}

std::string MaxPool3d::extra_repr() const {
  return fmt::format("kernel_size={}, stride={}, padding={}, dilation={}, ceil_mode={}",
                     int_or_tuple_str(kernel_size_), int_or_tuple_str(stride_),
                     int_or_tuple_str(padding_), int_or_tuple_str(dilation_),
                     python_bool(ceil_mode_));
}

AvgPool3d::AvgPool3d(IntTriple kernel_size, std::optional<IntTriple> stride, IntTriple padding,
                     bool ceil_mode, bool count_include_pad,
                     std::optional<int64_t> divisor_override)
    : kernel_size_(kernel_size),
      stride_(stride.value_or(kernel_size)),
      padding_(padding),
      ceil_mode_(ceil_mode),
      count_include_pad_(count_include_pad),
      divisor_override_(divisor_override) {
  check_window(kernel_size_, stride_, padding_, 1, "AvgPool3d");
  check_pool_padding(kernel_size_, padding_, "AvgPool3d");
  MG_CHECK(!divisor_override || *divisor_override != 0,
           "AvgPool3d: divisor_override must be non-zero (or absent), got 0");
}

Tensor AvgPool3d::forward(const Tensor& input) {
  return avg_pool3d(input, kernel_size_, stride_, padding_, ceil_mode_, count_include_pad_,
                    divisor_override_);
}

std::string AvgPool3d::extra_repr() const {
  return fmt::format("kernel_size={}, stride={}, padding={}", int_or_tuple_str(kernel_size_),
                     int_or_tuple_str(stride_), int_or_tuple_str(padding_));
}

AdaptiveAvgPool3d::AdaptiveAvgPool3d(IntTriple output_size) : output_size_(output_size) {
  check_output_size(output_size, "AdaptiveAvgPool3d");
}

Tensor AdaptiveAvgPool3d::forward(const Tensor& input) {
  return adaptive_avg_pool3d(input, {output_size_.d, output_size_.h, output_size_.w});
}

std::string AdaptiveAvgPool3d::extra_repr() const {
  return "output_size=" + int_or_tuple_str(output_size_);
}

AdaptiveMaxPool3d::AdaptiveMaxPool3d(IntTriple output_size) : output_size_(output_size) {
  check_output_size(output_size, "AdaptiveMaxPool3d");
}

Tensor AdaptiveMaxPool3d::forward(const Tensor& input) {
  return adaptive_max_pool3d(input, output_size_);
}

std::string AdaptiveMaxPool3d::extra_repr() const {
  return "output_size=" + int_or_tuple_str(output_size_);
}

MaxUnpool3d::MaxUnpool3d(IntTriple kernel_size, std::optional<IntTriple> stride, IntTriple padding)
    : kernel_size_(kernel_size), stride_(stride.value_or(kernel_size)), padding_(padding) {
  check_window(kernel_size_, stride_, padding_, 1, "MaxUnpool3d");
}

Tensor MaxUnpool3d::forward(const Tensor& /*input*/) {
  MG_FAIL("MaxUnpool3d: unpooling needs max_pool3d's indices; call it as unpool(input, indices)");
}

Tensor MaxUnpool3d::forward(const Tensor& input, const Tensor& indices,
                            std::optional<IntTriple> output_size) {
  return max_unpool3d(input, indices, kernel_size_, stride_, padding_, output_size);
}

std::string MaxUnpool3d::extra_repr() const {
  return fmt::format("kernel_size={}, stride={}, padding={}", tuple_str(kernel_size_),
                     tuple_str(stride_), tuple_str(padding_));
}

BatchNorm3d::BatchNorm3d(int64_t num_features, const BatchNormOptions& options)
    : Cloneable("BatchNorm3d", num_features, options, 5, 5) {}

InstanceNorm3d::InstanceNorm3d(int64_t num_features, const InstanceNormOptions& options)
    : Cloneable("InstanceNorm3d", num_features, options, 3) {}

ZeroPad3d::ZeroPad3d(const PaddingSizes& padding)
    : detail::PaddingLayer("ZeroPad3d", padding, 6, PadMode::Constant, 0.0) {}

Tensor ZeroPad3d::forward(const Tensor& input) { return pad_input(input); }

std::string ZeroPad3d::extra_repr() const { return pads_repr(); }

ConstantPad3d::ConstantPad3d(const PaddingSizes& padding, double value)
    : detail::PaddingLayer("ConstantPad3d", padding, 6, PadMode::Constant, value) {}

Tensor ConstantPad3d::forward(const Tensor& input) { return pad_input(input); }

std::string ConstantPad3d::extra_repr() const {
  return fmt::format("padding={}, value={}", pads_repr(), detail::float_repr(value()));
}

ReflectionPad3d::ReflectionPad3d(const PaddingSizes& padding)
    : detail::PaddingLayer("ReflectionPad3d", padding, 6, PadMode::Reflect, 0.0) {}

Tensor ReflectionPad3d::forward(const Tensor& input) { return pad_input(input); }

std::string ReflectionPad3d::extra_repr() const { return pads_repr(); }

ReplicationPad3d::ReplicationPad3d(const PaddingSizes& padding)
    : detail::PaddingLayer("ReplicationPad3d", padding, 6, PadMode::Replicate, 0.0) {}

Tensor ReplicationPad3d::forward(const Tensor& input) { return pad_input(input); }

std::string ReplicationPad3d::extra_repr() const { return pads_repr(); }

}  // namespace metagrad::nn
