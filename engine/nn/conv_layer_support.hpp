#pragma once

#include <cstdint>
#include <string>

#include "engine/dtype.hpp"
#include "engine/ops/index_ops.hpp"
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

}  // namespace metagrad::nn::detail
