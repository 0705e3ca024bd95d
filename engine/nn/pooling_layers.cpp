// The 1-D pooling layers, the unpooling layers, LPPool1d/2d, Fold and Unfold
// (engine/nn/pooling_layers.hpp).
#include "engine/nn/pooling_layers.hpp"

#include <fmt/format.h>

#include <tuple>

#include "engine/nn/functional.hpp"
#include "engine/ops.hpp"
#include "engine/ops/window_text.hpp"

namespace metagrad::nn {
namespace {

using metagrad::detail::int_or_tuple_str;
using metagrad::detail::python_bool;
using metagrad::detail::tuple_str;

// Checks a 1-D pooling window at construction, naming the layer.
void check_line_window(int64_t kernel, int64_t stride, int64_t padding, int64_t dilation,
                       const char* layer) {
  MG_CHECK(kernel > 0 && stride > 0 && dilation > 0 && padding >= 0,
           "{}: kernel_size ({}), stride ({}) and dilation ({}) must be positive and padding ({}) "
           "non-negative",
           layer, kernel, stride, dilation, padding);
}

}  // namespace

MaxPool1d::MaxPool1d(int64_t kernel_size, std::optional<int64_t> stride, int64_t padding,
                     int64_t dilation, bool ceil_mode)
    : kernel_size_(kernel_size),
      stride_(stride.value_or(kernel_size)),
      padding_(padding),
      dilation_(dilation),
      ceil_mode_(ceil_mode) {
  check_line_window(kernel_size_, stride_, padding_, dilation_, "MaxPool1d");
}

Tensor MaxPool1d::forward(const Tensor& input) {
  return max_pool1d(input, kernel_size_, stride_, padding_, dilation_, ceil_mode_);
}

std::tuple<Tensor, Tensor> MaxPool1d::forward_with_indices(const Tensor& input) {
  return max_pool1d_with_indices(input, kernel_size_, stride_, padding_, dilation_, ceil_mode_);
}

std::string MaxPool1d::extra_repr() const {
  return fmt::format("kernel_size={}, stride={}, padding={}, dilation={}, ceil_mode={}",
                     kernel_size_, stride_, padding_, dilation_, python_bool(ceil_mode_));
}

AvgPool1d::AvgPool1d(int64_t kernel_size, std::optional<int64_t> stride, int64_t padding,
                     bool ceil_mode, bool count_include_pad)
    : kernel_size_(kernel_size),
      stride_(stride.value_or(kernel_size)),
      padding_(padding),
      ceil_mode_(ceil_mode),
      count_include_pad_(count_include_pad) {
  check_line_window(kernel_size_, stride_, padding_, 1, "AvgPool1d");
}

Tensor AvgPool1d::forward(const Tensor& input) {
  return avg_pool1d(input, kernel_size_, stride_, padding_, ceil_mode_, count_include_pad_);
}

std::string AvgPool1d::extra_repr() const {
  return fmt::format("kernel_size=({},), stride=({},), padding=({},)", kernel_size_, stride_,
                     padding_);
}

AdaptiveAvgPool1d::AdaptiveAvgPool1d(int64_t output_size) : output_size_(output_size) {
  MG_CHECK(output_size > 0, "AdaptiveAvgPool1d: output_size must be positive, got {}", output_size);
}

Tensor AdaptiveAvgPool1d::forward(const Tensor& input) {
  return adaptive_avg_pool1d(input, output_size_);
}

std::string AdaptiveAvgPool1d::extra_repr() const {
  return fmt::format("output_size={}", output_size_);
}

AdaptiveMaxPool1d::AdaptiveMaxPool1d(int64_t output_size) : output_size_(output_size) {
  MG_CHECK(output_size > 0, "AdaptiveMaxPool1d: output_size must be positive, got {}", output_size);
}

Tensor AdaptiveMaxPool1d::forward(const Tensor& input) {
  return adaptive_max_pool1d(input, output_size_);
}

std::string AdaptiveMaxPool1d::extra_repr() const {
  return fmt::format("output_size={}", output_size_);
}

MaxUnpool1d::MaxUnpool1d(int64_t kernel_size, std::optional<int64_t> stride, int64_t padding)
    : kernel_size_(kernel_size), stride_(stride.value_or(kernel_size)), padding_(padding) {
  check_line_window(kernel_size_, stride_, padding_, 1, "MaxUnpool1d");
}

Tensor MaxUnpool1d::forward(const Tensor& /*input*/) {
  MG_FAIL("MaxUnpool1d: unpooling needs max_pool1d's indices; call it as unpool(input, indices)");
}

Tensor MaxUnpool1d::forward(const Tensor& input, const Tensor& indices,
                            std::optional<int64_t> output_size) {
  return max_unpool1d(input, indices, kernel_size_, stride_, padding_, output_size);
}

std::string MaxUnpool1d::extra_repr() const {
  return fmt::format("kernel_size=({},), stride=({},), padding=({},)", kernel_size_, stride_,
                     padding_);
}

MaxUnpool2d::MaxUnpool2d(IntPair kernel_size, std::optional<IntPair> stride, IntPair padding)
    : kernel_size_(kernel_size), stride_(stride.value_or(kernel_size)), padding_(padding) {
  MG_CHECK(kernel_size_.h > 0 && kernel_size_.w > 0 && stride_.h > 0 && stride_.w > 0 &&
               padding_.h >= 0 && padding_.w >= 0,
           "MaxUnpool2d: kernel_size {} and stride {} must be positive and padding {} "
           "non-negative",
           tuple_str(kernel_size_), tuple_str(stride_), tuple_str(padding_));
}

Tensor MaxUnpool2d::forward(const Tensor& /*input*/) {
  MG_FAIL("MaxUnpool2d: unpooling needs max_pool2d's indices; call it as unpool(input, indices)");
}

Tensor MaxUnpool2d::forward(const Tensor& input, const Tensor& indices,
                            std::optional<IntPair> output_size) {
  return max_unpool2d(input, indices, kernel_size_, stride_, padding_, output_size);
}

std::string MaxUnpool2d::extra_repr() const {
  return fmt::format("kernel_size={}, stride={}, padding={}", tuple_str(kernel_size_),
                     tuple_str(stride_), tuple_str(padding_));
}

LPPool1d::LPPool1d(double norm_type, int64_t kernel_size, std::optional<int64_t> stride,
                   bool ceil_mode)
    : norm_type_(norm_type), kernel_size_(kernel_size), stride_(stride), ceil_mode_(ceil_mode) {
  MG_CHECK(norm_type != 0.0, "LPPool1d: norm_type must be non-zero");
  check_line_window(kernel_size_, stride.value_or(kernel_size), 0, 1, "LPPool1d");
}

Tensor LPPool1d::forward(const Tensor& input) {
  return lp_pool1d(input, norm_type_, kernel_size_, stride_, ceil_mode_);
}

std::string LPPool1d::extra_repr() const {
  return fmt::format("norm_type={}, kernel_size={}, stride={}, ceil_mode={}",
                     detail::float_repr(norm_type_), kernel_size_,
                     stride_ ? std::to_string(*stride_) : "None", python_bool(ceil_mode_));
}

LPPool2d::LPPool2d(double norm_type, IntPair kernel_size, std::optional<IntPair> stride,
                   bool ceil_mode)
    : norm_type_(norm_type), kernel_size_(kernel_size), stride_(stride), ceil_mode_(ceil_mode) {
  const IntPair step = stride.value_or(kernel_size);
  MG_CHECK(norm_type != 0.0, "LPPool2d: norm_type must be non-zero");
  MG_CHECK(kernel_size.h > 0 && kernel_size.w > 0 && step.h > 0 && step.w > 0,
           "LPPool2d: kernel_size {} and stride {} must be positive", tuple_str(kernel_size),
           tuple_str(step));
}

Tensor LPPool2d::forward(const Tensor& input) {
  return lp_pool2d(input, norm_type_, kernel_size_, stride_, ceil_mode_);
}

std::string LPPool2d::extra_repr() const {
  return fmt::format("norm_type={}, kernel_size={}, stride={}, ceil_mode={}",
                     detail::float_repr(norm_type_), int_or_tuple_str(kernel_size_),
                     stride_ ? int_or_tuple_str(*stride_) : "None", python_bool(ceil_mode_));
}

Unfold::Unfold(IntPair kernel_size, IntPair dilation, IntPair padding, IntPair stride)
    : kernel_size_(kernel_size), dilation_(dilation), padding_(padding), stride_(stride) {}

Tensor Unfold::forward(const Tensor& input) {
  return unfold(input, kernel_size_, dilation_, padding_, stride_);
}

std::string Unfold::extra_repr() const {
  return fmt::format("kernel_size={}, dilation={}, padding={}, stride={}",
                     int_or_tuple_str(kernel_size_), int_or_tuple_str(dilation_),
                     int_or_tuple_str(padding_), int_or_tuple_str(stride_));
}

Fold::Fold(IntPair output_size, IntPair kernel_size, IntPair dilation, IntPair padding,
           IntPair stride)
    : output_size_(output_size),
      kernel_size_(kernel_size),
      dilation_(dilation),
      padding_(padding),
      stride_(stride) {}

Tensor Fold::forward(const Tensor& input) {
  return fold(input, output_size_, kernel_size_, dilation_, padding_, stride_);
}

std::string Fold::extra_repr() const {
  return fmt::format("output_size={}, kernel_size={}, dilation={}, padding={}, stride={}",
                     int_or_tuple_str(output_size_), int_or_tuple_str(kernel_size_),
                     int_or_tuple_str(dilation_), int_or_tuple_str(padding_),
                     int_or_tuple_str(stride_));
}

}  // namespace metagrad::nn
