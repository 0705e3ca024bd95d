#pragma once

#include <fmt/format.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/dtype.hpp"
#include "engine/ops/conv_padding.hpp"
#include "engine/ops/index_ops.hpp"
#include "engine/ops/volume.hpp"
#include "engine/random/generator.hpp"
#include "engine/tensor.hpp"

// The checks and initialisation every convolution layer (1-D, 2-D and 3-D, plain and
// transposed) shares; not public.
namespace metagrad::nn::detail {

/// Throws, naming `layer`, unless both channel counts are positive, `groups` divides both and
/// dtype is a float dtype.
void check_conv_layer(const char* layer, int64_t in_channels, int64_t out_channels, int64_t groups,
                      DType dtype);

/// PyTorch's convolution initialisation, in place: kaiming_uniform_(a = sqrt(5)) of the weight,
/// i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and the (defined) bias likewise, fan_in = in_channels
/// / groups * kernel size.
void reset_conv_parameters(const Tensor& weight, const Tensor& bias, Generator* generator);

/// The end of a convolution layer's repr, PyTorch's: ", groups=G" unless 1, ", bias=False"
/// without a bias, and ", padding_mode=M" for a padding mode other than zeros.
std::string conv_options_repr(int64_t groups, bool has_bias,
                              PadMode padding_mode = PadMode::Constant);

/// The shortest output a transposed convolution reaches along one dim, with output_padding 0:
/// (in - 1) stride - 2 padding + dilation (kernel - 1) + 1; output_padding adds up to stride - 1
/// more (PyTorch's _output_padding).
int64_t smallest_transposed_size(int64_t in, int64_t stride, int64_t padding, int64_t dilation,
                                 int64_t kernel);

/// A window parameter's values, spatial dims first to last.
inline std::array<int64_t, 1> spatial_values(int64_t value) { return {value}; }
/// \overload
inline std::array<int64_t, 2> spatial_values(IntPair value) { return {value.h, value.w}; }
/// \overload
inline std::array<int64_t, 3> spatial_values(IntTriple value) {
  return {value.d, value.h, value.w};
}

/// The amounts a convolution layer pads before and after each spatial dim, pad()'s order, from
/// its padding option (metagrad::detail::conv_padding_sides). Throws, naming `layer`, for "same"
/// with a stride other than 1 or negative amounts.
template <class Amounts>
std::vector<int64_t> conv_layer_padding_sides(const char* layer,
                                              const ConvPadding<Amounts>& padding,
                                              const Amounts& kernel, const Amounts& stride,
                                              const Amounts& dilation) {
  return metagrad::detail::conv_padding_sides(layer, padding.rule, spatial_values(padding.amounts),
                                              spatial_values(kernel), spatial_values(stride),
                                              spatial_values(dilation));
}

/// The padding part of a convolution layer's repr, PyTorch's: ", padding=same" (or valid) for a
/// rule, ", padding=" + `amounts_text` for amounts other than zero, else nothing.
template <class Amounts>
std::string conv_padding_repr(const ConvPadding<Amounts>& padding,
                              const std::string& amounts_text) {
  if (padding.rule) return fmt::format(", padding={}", padding.rule->name());
  for (const int64_t amount : spatial_values(padding.amounts))
    if (amount != 0) return ", padding=" + amounts_text;
  return {};
}

}  // namespace metagrad::nn::detail
