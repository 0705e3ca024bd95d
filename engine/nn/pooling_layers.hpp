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

/// The p-norm of each window of [N, C, L] (torch.nn.LPPool1d); see metagrad::lp_pool1d.
class LPPool1d : public Cloneable<LPPool1d> {
 public:
  /// torch.nn.LPPool1d(norm_type, kernel_size, stride, ceil_mode); stride defaults to the kernel.
  /// Throws unless norm_type is non-zero and kernel and stride are positive.
  LPPool1d(double norm_type, int64_t kernel_size, std::optional<int64_t> stride = std::nullopt,
           bool ceil_mode = false);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;

 private:
  double norm_type_;
  int64_t kernel_size_;
  std::optional<int64_t> stride_;
  bool ceil_mode_;
};

/// The p-norm of each window of [N, C, H, W] (torch.nn.LPPool2d); see metagrad::lp_pool2d.
class LPPool2d : public Cloneable<LPPool2d> {
 public:
  /// torch.nn.LPPool2d(norm_type, kernel_size, stride, ceil_mode); stride defaults to the kernel.
  /// Throws unless norm_type is non-zero and kernel and stride are positive.
  LPPool2d(double norm_type, IntPair kernel_size, std::optional<IntPair> stride = std::nullopt,
           bool ceil_mode = false);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;

 private:
  double norm_type_;
  IntPair kernel_size_;
  std::optional<IntPair> stride_;
  bool ceil_mode_;
};

/// Extracts sliding blocks as columns, im2col (torch.nn.Unfold); see metagrad::unfold.
class Unfold : public Cloneable<Unfold> {
 public:
  /// torch.nn.Unfold(kernel_size, dilation, padding, stride).
  explicit Unfold(IntPair kernel_size, IntPair dilation = 1, IntPair padding = 0,
                  IntPair stride = 1);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;

 private:
  IntPair kernel_size_, dilation_, padding_, stride_;
};

/// Sums columns of sliding blocks back into an image, col2im (torch.nn.Fold); see
/// metagrad::fold.
class Fold : public Cloneable<Fold> {
 public:
  /// torch.nn.Fold(output_size, kernel_size, dilation, padding, stride).
  Fold(IntPair output_size, IntPair kernel_size, IntPair dilation = 1, IntPair padding = 0,
       IntPair stride = 1);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;

 private:
  IntPair output_size_, kernel_size_, dilation_, padding_, stride_;
};

/// @}
}  // namespace metagrad::nn
