#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "engine/nn/module.hpp"
#include "engine/ops/conv.hpp"
#include "engine/tensor.hpp"

// The 1-D pooling layers of torch.nn and the unpooling layers (max_pool's partial inverse), with
// PyTorch's constructor arguments, defaults and reprs. None has parameters.
namespace metagrad::nn {
/// \addtogroup nn
/// @{

/// Max over sliding windows of [N, C, L] (torch.nn.MaxPool1d); stride defaults to kernel_size.
/// See metagrad::max_pool1d.
class MaxPool1d : public Cloneable<MaxPool1d> {
 public:
  /// torch.nn.MaxPool1d(kernel_size, stride, padding, dilation, ceil_mode). Throws unless kernel,
  /// stride and dilation are positive and padding at most half the kernel.
  explicit MaxPool1d(int64_t kernel_size, std::optional<int64_t> stride = std::nullopt,
                     int64_t padding = 0, int64_t dilation = 1, bool ceil_mode = false);
  Tensor forward(const Tensor& input) override;
  /// The values and their positions along L (PyTorch's return_indices = true), for MaxUnpool1d.
  std::tuple<Tensor, Tensor> forward_with_indices(const Tensor& input);
  std::string extra_repr() const override;

 private:
  int64_t kernel_size_, stride_, padding_, dilation_;
  bool ceil_mode_;
};

/// Mean over sliding windows of [N, C, L] (torch.nn.AvgPool1d); stride defaults to kernel_size.
/// See metagrad::avg_pool1d.
class AvgPool1d : public Cloneable<AvgPool1d> {
 public:
  /// torch.nn.AvgPool1d(kernel_size, stride, padding, ceil_mode, count_include_pad). Throws
  /// unless kernel and stride are positive and padding at most half the kernel.
  explicit AvgPool1d(int64_t kernel_size, std::optional<int64_t> stride = std::nullopt,
                     int64_t padding = 0, bool ceil_mode = false, bool count_include_pad = true);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;

 private:
  int64_t kernel_size_, stride_, padding_;
  bool ceil_mode_, count_include_pad_;
};

/// Mean over PyTorch's adaptive windows of [N, C, L] to a fixed length
/// (torch.nn.AdaptiveAvgPool1d); see metagrad::adaptive_avg_pool1d.
class AdaptiveAvgPool1d : public Cloneable<AdaptiveAvgPool1d> {
 public:
  /// torch.nn.AdaptiveAvgPool1d(output_size). Throws unless it is positive.
  explicit AdaptiveAvgPool1d(int64_t output_size);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;

 private:
  int64_t output_size_;
};

/// Max over PyTorch's adaptive windows of [N, C, L] to a fixed length
/// (torch.nn.AdaptiveMaxPool1d); see metagrad::adaptive_max_pool1d_with_indices for the indices.
class AdaptiveMaxPool1d : public Cloneable<AdaptiveMaxPool1d> {
 public:
  /// torch.nn.AdaptiveMaxPool1d(output_size). Throws unless it is positive.
  explicit AdaptiveMaxPool1d(int64_t output_size);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;

 private:
  int64_t output_size_;
};

/// Puts each value back at its max_pool1d index, zeros elsewhere (torch.nn.MaxUnpool1d): called
/// as unpool(input, indices) or unpool(input, indices, output_size); see metagrad::max_unpool1d.
class MaxUnpool1d : public Cloneable<MaxUnpool1d> {
 public:
  /// torch.nn.MaxUnpool1d(kernel_size, stride, padding); stride defaults to kernel_size.
  explicit MaxUnpool1d(int64_t kernel_size, std::optional<int64_t> stride = std::nullopt,
                       int64_t padding = 0);
  /// Throws: unpooling needs the indices.
  Tensor forward(const Tensor& input) override;
  /// max_unpool1d(input, indices, kernel_size, stride, padding, output_size).
  Tensor forward(const Tensor& input, const Tensor& indices,
                 std::optional<int64_t> output_size = std::nullopt);
  using Module::operator();
  /// forward(input, indices, output_size).
  Tensor operator()(const Tensor& input, const Tensor& indices,
                    std::optional<int64_t> output_size = std::nullopt) {
    return forward(input, indices, output_size);
  }
  std::string extra_repr() const override;

 private:
  int64_t kernel_size_, stride_, padding_;
};

/// Puts each value back at its max_pool2d index, zeros elsewhere (torch.nn.MaxUnpool2d): called
/// as unpool(input, indices) or unpool(input, indices, output_size); see metagrad::max_unpool2d.
class MaxUnpool2d : public Cloneable<MaxUnpool2d> {
 public:
  /// torch.nn.MaxUnpool2d(kernel_size, stride, padding); stride defaults to kernel_size.
  explicit MaxUnpool2d(IntPair kernel_size, std::optional<IntPair> stride = std::nullopt,
                       IntPair padding = 0);
  /// Throws: unpooling needs the indices.
  Tensor forward(const Tensor& input) override;
  /// max_unpool2d(input, indices, kernel_size, stride, padding, output_size).
  Tensor forward(const Tensor& input, const Tensor& indices,
                 std::optional<IntPair> output_size = std::nullopt);
  using Module::operator();
  /// forward(input, indices, output_size).
  Tensor operator()(const Tensor& input, const Tensor& indices,
                    std::optional<IntPair> output_size = std::nullopt) {
    return forward(input, indices, output_size);
  }
  std::string extra_repr() const override;

 private:
  IntPair kernel_size_, stride_, padding_;
};

/// @}
}  // namespace metagrad::nn
