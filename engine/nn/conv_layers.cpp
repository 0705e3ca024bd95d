// Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d and the pooling layers.
#include <fmt/format.h>

#include <cmath>

#include "engine/nn/conv_layer_support.hpp"
#include "engine/nn/init.hpp"
#include "engine/nn/layers.hpp"
#include "engine/ops.hpp"
#include "engine/ops/window_text.hpp"

namespace metagrad::nn {
namespace {

using metagrad::detail::int_or_tuple_str;
using metagrad::detail::tuple_str;

using detail::check_conv_layer;
using detail::reset_conv_parameters;
using detail::smallest_transposed_size;

bool same(IntPair a, IntPair b) { return a.h == b.h && a.w == b.w; }

void check_window(IntPair kernel, IntPair stride, IntPair padding, IntPair dilation,
                  const char* layer) {
  MG_CHECK(kernel.h > 0 && kernel.w > 0, "{}: kernel_size must be positive, got {}", layer,
           tuple_str(kernel));
  MG_CHECK(stride.h > 0 && stride.w > 0, "{}: stride must be positive, got {}", layer,
           tuple_str(stride));
  MG_CHECK(padding.h >= 0 && padding.w >= 0, "{}: padding must be non-negative, got {}", layer,
           tuple_str(padding));
  MG_CHECK(dilation.h > 0 && dilation.w > 0, "{}: dilation must be positive, got {}", layer,
           tuple_str(dilation));
}

}  // namespace

void detail::check_conv_layer(const char* layer, int64_t in_channels, int64_t out_channels,
                              int64_t groups, DType dtype) {
  MG_CHECK(in_channels > 0 && out_channels > 0,
           "{}: in_channels and out_channels must be positive, got {} and {}", layer, in_channels,
           out_channels);
  MG_CHECK(is_floating(dtype), "{}: parameters must be float32 or float64, got {}", layer,
           dtype_name(dtype));
  MG_CHECK(groups > 0 && in_channels % groups == 0 && out_channels % groups == 0,
           "{}: groups = {} must be positive and divide in_channels ({}) and out_channels ({})",
           layer, groups, in_channels, out_channels);
}

void detail::reset_conv_parameters(const Tensor& weight, const Tensor& bias, Generator* generator) {
  init::kaiming_uniform_(weight, std::sqrt(5.0), init::FanMode::FanIn,
                         init::Nonlinearity::LeakyReLU, generator);
  if (bias.defined()) {
    const int64_t fan_in = init::calculate_fan_in_and_fan_out(weight).first;
    init::uniform_(bias, -1.0 / std::sqrt(static_cast<double>(fan_in)),
                   1.0 / std::sqrt(static_cast<double>(fan_in)), generator);
  }
}

std::string detail::conv_options_repr(int64_t groups, bool has_bias, PadMode padding_mode) {
  std::string out;
  if (groups != 1) out += fmt::format(", groups={}", groups);
  if (!has_bias) out += ", bias=False";
  if (padding_mode != PadMode::Constant)
    out += fmt::format(", padding_mode={}", metagrad::detail::pad_mode_name(padding_mode));
  return out;
}

int64_t detail::smallest_transposed_size(int64_t in, int64_t stride, int64_t padding,
                                         int64_t dilation, int64_t kernel) {
  return (in - 1) * stride - 2 * padding + dilation * (kernel - 1) + 1;
}

Conv1d::Conv1d(int64_t in_channels, int64_t out_channels, int64_t kernel_size,
               const Conv1dOptions& options)
    : in_channels_(in_channels),
      out_channels_(out_channels),
      kernel_size_(kernel_size),
      options_(options) {
  check_conv_layer("Conv1d", in_channels, out_channels, options.groups, options.dtype);
  MG_CHECK(kernel_size > 0 && options.stride > 0 && options.dilation > 0,
           "Conv1d: kernel_size ({}), stride ({}) and dilation ({}) must be positive", kernel_size,
           options.stride, options.dilation);
  padding_sides_ = detail::conv_layer_padding_sides("Conv1d", options.padding, kernel_size,
                                                    options.stride, options.dilation);
  options_.generator = nullptr;  // used once, here; a copy of the layer must not keep it
  register_parameter(
      "weight", empty({out_channels, in_channels / options.groups, kernel_size}, options.dtype));
  register_parameter("bias", options.bias ? empty({out_channels}, options.dtype) : Tensor());
  reset_parameters(options.generator);
}

void Conv1d::reset_parameters(Generator* generator) {
  reset_conv_parameters(weight(), bias(), generator);
}

Tensor Conv1d::forward(const Tensor& input) {
  const auto x = metagrad::detail::pad_conv_input(input, padding_sides_, options_.padding_mode);
  return conv1d(x.input, weight(), bias(), options_.stride, x.padding[0], options_.dilation,
                options_.groups);
}

std::string Conv1d::extra_repr() const {
  // PyTorch prints a 1-D convolution's window parameters as 1-tuples: "(3,)".
  std::string out = fmt::format("{}, {}, kernel_size=({},), stride=({},)", in_channels_,
                                out_channels_, kernel_size_, options_.stride);
  out +=
      detail::conv_padding_repr(options_.padding, fmt::format("({},)", options_.padding.amounts));
  if (options_.dilation != 1) out += fmt::format(", dilation=({},)", options_.dilation);
  return out + detail::conv_options_repr(options_.groups, bias().defined(), options_.padding_mode);
}

Conv2d::Conv2d(int64_t in_channels, int64_t out_channels, IntPair kernel_size,
               const Conv2dOptions& options)
    : in_channels_(in_channels),
      out_channels_(out_channels),
      kernel_size_(kernel_size),
      options_(options) {
  check_conv_layer("Conv2d", in_channels, out_channels, options.groups, options.dtype);
  check_window(kernel_size, options.stride, options.padding.amounts, options.dilation, "Conv2d");
  padding_sides_ = detail::conv_layer_padding_sides("Conv2d", options.padding, kernel_size,
                                                    options.stride, options.dilation);
  options_.generator = nullptr;  // used once, here; a copy of the layer must not keep it
  register_parameter(
      "weight", empty({out_channels, in_channels / options.groups, kernel_size.h, kernel_size.w},
                      options.dtype));
  register_parameter("bias", options.bias ? empty({out_channels}, options.dtype) : Tensor());
  reset_parameters(options.generator);
}

void Conv2d::reset_parameters(Generator* generator) {
  reset_conv_parameters(weight(), bias(), generator);
}

Tensor Conv2d::forward(const Tensor& input) {
  const auto x = metagrad::detail::pad_conv_input(input, padding_sides_, options_.padding_mode);
  return conv2d(x.input, weight(), bias(), options_.stride, {x.padding[0], x.padding[1]},
                options_.dilation, options_.groups);
}

std::string Conv2d::extra_repr() const {
  std::string out = fmt::format("{}, {}, kernel_size={}, stride={}", in_channels_, out_channels_,
                                tuple_str(kernel_size_), tuple_str(options_.stride));
  out += detail::conv_padding_repr(options_.padding, tuple_str(options_.padding.amounts));
  if (!same(options_.dilation, 1)) out += ", dilation=" + tuple_str(options_.dilation);
  return out + detail::conv_options_repr(options_.groups, bias().defined(), options_.padding_mode);
}

ConvTranspose2d::ConvTranspose2d(int64_t in_channels, int64_t out_channels, IntPair kernel_size,
                                 const ConvTranspose2dOptions& options)
    : in_channels_(in_channels),
      out_channels_(out_channels),
      kernel_size_(kernel_size),
      options_(options) {
  check_conv_layer("ConvTranspose2d", in_channels, out_channels, options.groups, options.dtype);
  check_window(kernel_size, options.stride, options.padding, options.dilation, "ConvTranspose2d");
  const IntPair extra = options.output_padding;
  MG_CHECK(extra.h >= 0 && extra.w >= 0 &&
               (extra.h < options.stride.h || extra.h < options.dilation.h) &&
               (extra.w < options.stride.w || extra.w < options.dilation.w),
           "ConvTranspose2d: output_padding {} must be non-negative and smaller than either "
           "stride {} or dilation {}",
           tuple_str(extra), tuple_str(options.stride), tuple_str(options.dilation));
  options_.generator = nullptr;  // used once, here; a copy of the layer must not keep it
  register_parameter(
      "weight", empty({in_channels, out_channels / options.groups, kernel_size.h, kernel_size.w},
                      options.dtype));
  register_parameter("bias", options.bias ? empty({out_channels}, options.dtype) : Tensor());
  reset_parameters(options.generator);
}

void ConvTranspose2d::reset_parameters(Generator* generator) {
  reset_conv_parameters(weight(), bias(), generator);
}

Tensor ConvTranspose2d::forward(const Tensor& input) {
  return conv_transpose2d(input, weight(), bias(), options_.stride, options_.padding,
                          options_.output_padding, options_.groups, options_.dilation);
}

Tensor ConvTranspose2d::forward(const Tensor& input, IntPair output_size) {
  MG_CHECK(input.dim() >= 2, "ConvTranspose2d: expected input [N, C, H, W] or [C, H, W], got {}",
           shape_str(input.shape()));
  const IntPair s = options_.stride, p = options_.padding, d = options_.dilation;
  const IntPair low{smallest_transposed_size(input.size(-2), s.h, p.h, d.h, kernel_size_.h),
                    smallest_transposed_size(input.size(-1), s.w, p.w, d.w, kernel_size_.w)};
  MG_CHECK(output_size.h >= low.h && output_size.h < low.h + s.h && output_size.w >= low.w &&
               output_size.w < low.w + s.w,
           "ConvTranspose2d: requested an output size of {}, but valid sizes range from {} to {} "
           "(for an input of shape {})",
           tuple_str(output_size), tuple_str(low), tuple_str({low.h + s.h - 1, low.w + s.w - 1}),
           shape_str(input.shape()));
  return conv_transpose2d(input, weight(), bias(), options_.stride, options_.padding,
                          {output_size.h - low.h, output_size.w - low.w}, options_.groups,
                          options_.dilation);
}

std::string ConvTranspose2d::extra_repr() const {
  std::string out = fmt::format("{}, {}, kernel_size={}, stride={}", in_channels_, out_channels_,
                                tuple_str(kernel_size_), tuple_str(options_.stride));
  if (!same(options_.padding, 0)) out += ", padding=" + tuple_str(options_.padding);
  if (!same(options_.dilation, 1)) out += ", dilation=" + tuple_str(options_.dilation);
  if (!same(options_.output_padding, 0))
    out += ", output_padding=" + tuple_str(options_.output_padding);
  return out + detail::conv_options_repr(options_.groups, bias().defined());
}

ConvTranspose1d::ConvTranspose1d(int64_t in_channels, int64_t out_channels, int64_t kernel_size,
                                 const ConvTranspose1dOptions& options)
    : in_channels_(in_channels),
      out_channels_(out_channels),
      kernel_size_(kernel_size),
      options_(options) {
  check_conv_layer("ConvTranspose1d", in_channels, out_channels, options.groups, options.dtype);
  check_window({1, kernel_size}, {1, options.stride}, {0, options.padding}, {1, options.dilation},
               "ConvTranspose1d");
  const int64_t extra = options.output_padding;
  MG_CHECK(extra >= 0 && (extra < options.stride || extra < options.dilation),
           "ConvTranspose1d: output_padding ({},) must be non-negative and smaller than either "
           "stride ({},) or dilation ({},)",
           extra, options.stride, options.dilation);
  options_.generator = nullptr;  // used once, here; a copy of the layer must not keep it
  register_parameter(
      "weight", empty({in_channels, out_channels / options.groups, kernel_size}, options.dtype));
  register_parameter("bias", options.bias ? empty({out_channels}, options.dtype) : Tensor());
  reset_parameters(options.generator);
}

void ConvTranspose1d::reset_parameters(Generator* generator) {
  reset_conv_parameters(weight(), bias(), generator);
}

Tensor ConvTranspose1d::forward(const Tensor& input) {
  return conv_transpose1d(input, weight(), bias(), options_.stride, options_.padding,
                          options_.output_padding, options_.groups, options_.dilation);
}

Tensor ConvTranspose1d::forward(const Tensor& input, int64_t output_size) {
  MG_CHECK(input.dim() >= 2, "ConvTranspose1d: expected input [N, C, L] or [C, L], got {}",
           shape_str(input.shape()));
  const int64_t low = smallest_transposed_size(input.size(-1), options_.stride, options_.padding,
                                               options_.dilation, kernel_size_);
  MG_CHECK(output_size >= low && output_size < low + options_.stride,
           "ConvTranspose1d: requested an output size of ({},), but valid sizes range from ({},) "
           "to ({},) (for an input of shape {})",
           output_size, low, low + options_.stride - 1, shape_str(input.shape()));
  return conv_transpose1d(input, weight(), bias(), options_.stride, options_.padding,
                          output_size - low, options_.groups, options_.dilation);
}

std::string ConvTranspose1d::extra_repr() const {
  std::string out = fmt::format("{}, {}, kernel_size=({},), stride=({},)", in_channels_,
                                out_channels_, kernel_size_, options_.stride);
  if (options_.padding != 0) out += fmt::format(", padding=({},)", options_.padding);
  if (options_.dilation != 1) out += fmt::format(", dilation=({},)", options_.dilation);
  if (options_.output_padding != 0)
    out += fmt::format(", output_padding=({},)", options_.output_padding);
  return out + detail::conv_options_repr(options_.groups, bias().defined());
}

MaxPool2d::MaxPool2d(IntPair kernel_size, std::optional<IntPair> stride, IntPair padding,
                     IntPair dilation, bool ceil_mode)
    : kernel_size_(kernel_size),
      stride_(stride.value_or(kernel_size)),
      padding_(padding),
      dilation_(dilation),
      ceil_mode_(ceil_mode) {
  check_window(kernel_size_, stride_, padding_, dilation_, "MaxPool2d");
}

Tensor MaxPool2d::forward(const Tensor& input) {
  return max_pool2d(input, kernel_size_, stride_, padding_, dilation_, ceil_mode_);
}

std::string MaxPool2d::extra_repr() const {
  return fmt::format("kernel_size={}, stride={}, padding={}, dilation={}, ceil_mode={}",
                     int_or_tuple_str(kernel_size_), int_or_tuple_str(stride_),
                     int_or_tuple_str(padding_), int_or_tuple_str(dilation_),
                     ceil_mode_ ? "True" : "False");
}

AvgPool2d::AvgPool2d(IntPair kernel_size, std::optional<IntPair> stride, IntPair padding,
                     bool ceil_mode, bool count_include_pad)
    : kernel_size_(kernel_size),
      stride_(stride.value_or(kernel_size)),
      padding_(padding),
      ceil_mode_(ceil_mode),
      count_include_pad_(count_include_pad) {
  check_window(kernel_size_, stride_, padding_, 1, "AvgPool2d");
}

Tensor AvgPool2d::forward(const Tensor& input) {
  return avg_pool2d(input, kernel_size_, stride_, padding_, ceil_mode_, count_include_pad_);
}

std::string AvgPool2d::extra_repr() const {
  return fmt::format("kernel_size={}, stride={}, padding={}", int_or_tuple_str(kernel_size_),
                     int_or_tuple_str(stride_), int_or_tuple_str(padding_));
}

AdaptiveAvgPool2d::AdaptiveAvgPool2d(IntPair output_size) : output_size_(output_size) {
  MG_CHECK(output_size.h > 0 && output_size.w > 0,
           "AdaptiveAvgPool2d: output_size must be positive, got {}", tuple_str(output_size));
}

Tensor AdaptiveAvgPool2d::forward(const Tensor& input) {
  return adaptive_avg_pool2d(input, output_size_);
}

std::string AdaptiveAvgPool2d::extra_repr() const {
  return "output_size=" + int_or_tuple_str(output_size_);
}

AdaptiveMaxPool2d::AdaptiveMaxPool2d(IntPair output_size) : output_size_(output_size) {
  MG_CHECK(output_size.h > 0 && output_size.w > 0,
           "AdaptiveMaxPool2d: output_size must be positive, got {}", tuple_str(output_size));
}

Tensor AdaptiveMaxPool2d::forward(const Tensor& input) {
  return adaptive_max_pool2d(input, output_size_);
}

std::string AdaptiveMaxPool2d::extra_repr() const {
  return "output_size=" + int_or_tuple_str(output_size_);
}

}  // namespace metagrad::nn
