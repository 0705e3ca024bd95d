#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <tuple>

#include "engine/nn/layers.hpp"
#include "engine/nn/module.hpp"
#include "engine/ops/index_ops.hpp"
#include "engine/ops/volume.hpp"
#include "engine/tensor.hpp"

// The layers of torch.nn over volumes [N, C, D, H, W] (or unbatched [C, D, H, W]): 3-D
// convolutions, pooling, normalisation and padding, with PyTorch's constructor arguments,
// defaults, parameter slots, initialisation and reprs. See engine/ops/volume.hpp for the ops.
namespace metagrad::nn {
/// \addtogroup nn
/// @{

/// Options of Conv3d beyond channels and kernel (`Conv3d(1, 8, 3, {.stride = 2, .padding = 1})`).
struct Conv3dOptions {
  /// Stride of the convolution.
  IntTriple stride = 1;
  /// Padding added on both sides of each spatial dim, or "same" / "valid" as
  /// Conv2dOptions::padding.
  ConvPadding<IntTriple> padding = 0;
  /// Spacing between kernel elements.
  IntTriple dilation = 1;
  /// Blocked connections, as Conv2dOptions::groups (weight [out, in / groups, kd, kh, kw]).
  int64_t groups = 1;
  /// Whether the layer has a bias.
  bool bias = true;
  /// How the padding is filled: zeros (PadMode::Constant), or reflect, replicate, circular
  /// (the input padded by pad() first, as PyTorch's padding_mode).
  PadMode padding_mode = PadMode::Constant;
  /// dtype of the parameters.
  DType dtype = kFloat32;
  /// Draws the initial weights; the default generator when null.
  Generator* generator = nullptr;
};

/// 3-D cross-correlation (torch.nn.Conv3d). Parameters `weight` [out, in / groups, kd, kh, kw]
/// and `bias` [out], initialised as Conv2d's with fan_in = in / groups * kd * kh * kw.
/// input [N, in, D, H, W] (or [in, D, H, W]) -> [N, out, D', H', W']; see metagrad::conv3d.
class Conv3d : public Cloneable<Conv3d> {
 public:
  /// torch.nn.Conv3d(in_channels, out_channels, kernel_size, ...). Throws for non-positive
  /// channels, kernel, stride or dilation, negative padding, groups that do not divide both
  /// channel counts, or an integer dtype.
  Conv3d(int64_t in_channels, int64_t out_channels, IntTriple kernel_size,
         const Conv3dOptions& options = {});
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;
  /// Redraws weight and bias in place with the default initialisation.
  void reset_parameters(Generator* generator = nullptr);
  /// The tensors currently in the `weight` / `bias` slots (bias undefined without bias).
  const Tensor& weight() const { return parameter_at(0); }
  /// \copydoc weight
  const Tensor& bias() const { return parameter_at(1); }
  /// Stride, padding, dilation, groups, bias, padding mode and dtype (the generator is not kept).
  const Conv3dOptions& options() const { return options_; }

 private:
  int64_t in_channels_, out_channels_;
  IntTriple kernel_size_;
  Conv3dOptions options_;
  std::vector<int64_t> padding_sides_;  // before and after each spatial dim, pad()'s order
};

/// Options of ConvTranspose3d beyond channels and kernel
/// (`ConvTranspose3d(16, 8, 4, {.stride = 2, .padding = 1})`).
struct ConvTranspose3dOptions {
  /// Stride of the convolution this layer transposes.
  IntTriple stride = 1;
  /// dilation (kernel - 1) - padding zeros are added to each side of the input's spatial dims.
  IntTriple padding = 0;
  /// Cells added to one side of each output dim; smaller than stride or dilation.
  IntTriple output_padding = 0;
  /// Blocked connections (weight [in, out / groups, kd, kh, kw]).
  int64_t groups = 1;
  /// Whether the layer has a bias.
  bool bias = true;
  /// Spacing between kernel elements.
  IntTriple dilation = 1;
  /// dtype of the parameters.
  DType dtype = kFloat32;
  /// Draws the initial weights; the default generator when null.
  Generator* generator = nullptr;
};

/// 3-D transposed convolution (torch.nn.ConvTranspose3d). Parameters `weight`
/// [in, out / groups, kd, kh, kw] and `bias` [out], initialised as PyTorch's with fan_in =
/// out / groups * kd * kh * kw. input [N, in, D, H, W] (or [in, D, H, W]) -> [N, out, D', H', W'];
/// see metagrad::conv_transpose3d.
class ConvTranspose3d : public Cloneable<ConvTranspose3d> {
 public:
  /// torch.nn.ConvTranspose3d(in_channels, out_channels, kernel_size, ...). Throws as Conv3d and
  /// for output_padding not below stride or dilation.
  ConvTranspose3d(int64_t in_channels, int64_t out_channels, IntTriple kernel_size,
                  const ConvTranspose3dOptions& options = {});
  Tensor forward(const Tensor& input) override;
  /// forward(input, output_size) of torch.nn.ConvTranspose3d: the output_padding that gives the
  /// output spatial size (D', H', W') in place of the options' one. Throws naming the range of
  /// reachable sizes when it is outside it.
  Tensor forward(const Tensor& input, IntTriple output_size);
  std::string extra_repr() const override;
  /// Redraws weight and bias in place with the default initialisation.
  void reset_parameters(Generator* generator = nullptr);
  /// The tensors currently in the `weight` / `bias` slots (bias undefined without bias).
  const Tensor& weight() const { return parameter_at(0); }
  /// \copydoc weight
  const Tensor& bias() const { return parameter_at(1); }
  /// Stride, padding, output_padding, groups, bias, dilation and dtype (the generator is not
  /// kept).
  const ConvTranspose3dOptions& options() const { return options_; }

 private:
  int64_t in_channels_, out_channels_;
  IntTriple kernel_size_;
  ConvTranspose3dOptions options_;
};

/// Max over sliding boxes (torch.nn.MaxPool3d); stride defaults to kernel_size. See
/// metagrad::max_pool3d.
class MaxPool3d : public Cloneable<MaxPool3d> {
 public:
  /// torch.nn.MaxPool3d(kernel_size, stride, padding, dilation, ceil_mode). Throws unless
  /// kernel, stride and dilation are positive and padding at most half the kernel.
  explicit MaxPool3d(IntTriple kernel_size, std::optional<IntTriple> stride = std::nullopt,
                     IntTriple padding = 0, IntTriple dilation = 1, bool ceil_mode = false);
  Tensor forward(const Tensor& input) override;
  /// The values and their flat volume indices (PyTorch's return_indices = true), for
  /// MaxUnpool3d.
  std::tuple<Tensor, Tensor> forward_with_indices(const Tensor& input);
  std::string extra_repr() const override;

 private:
  IntTriple kernel_size_, stride_, padding_, dilation_;
  bool ceil_mode_;
};

/// Mean over sliding boxes (torch.nn.AvgPool3d); stride defaults to kernel_size. See
/// metagrad::avg_pool3d.
class AvgPool3d : public Cloneable<AvgPool3d> {
 public:
  /// torch.nn.AvgPool3d(kernel_size, stride, padding, ceil_mode, count_include_pad,
  /// divisor_override). Throws unless kernel and stride are positive, padding at most half the
  /// kernel and divisor_override non-zero.
  explicit AvgPool3d(IntTriple kernel_size, std::optional<IntTriple> stride = std::nullopt,
                     IntTriple padding = 0, bool ceil_mode = false, bool count_include_pad = true,
                     std::optional<int64_t> divisor_override = std::nullopt);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;

 private:
  IntTriple kernel_size_, stride_, padding_;
  bool ceil_mode_, count_include_pad_;
  std::optional<int64_t> divisor_override_;
};

/// Mean over PyTorch's adaptive windows to a fixed output size (torch.nn.AdaptiveAvgPool3d);
/// see metagrad::adaptive_avg_pool3d.
class AdaptiveAvgPool3d : public Cloneable<AdaptiveAvgPool3d> {
 public:
  /// torch.nn.AdaptiveAvgPool3d(output_size). Throws unless the sizes are positive.
  explicit AdaptiveAvgPool3d(IntTriple output_size);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;

 private:
  IntTriple output_size_;
};

/// Max over PyTorch's adaptive windows to a fixed output size (torch.nn.AdaptiveMaxPool3d); see
/// metagrad::adaptive_max_pool3d_with_indices for the indices.
class AdaptiveMaxPool3d : public Cloneable<AdaptiveMaxPool3d> {
 public:
  /// torch.nn.AdaptiveMaxPool3d(output_size). Throws unless the sizes are positive.
  explicit AdaptiveMaxPool3d(IntTriple output_size);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;

 private:
  IntTriple output_size_;
};

/// Puts each value back at its max_pool3d index, zeros elsewhere (torch.nn.MaxUnpool3d): called
/// as unpool(input, indices) or unpool(input, indices, output_size); see metagrad::max_unpool3d.
class MaxUnpool3d : public Cloneable<MaxUnpool3d> {
 public:
  /// torch.nn.MaxUnpool3d(kernel_size, stride, padding); stride defaults to kernel_size.
  explicit MaxUnpool3d(IntTriple kernel_size, std::optional<IntTriple> stride = std::nullopt,
                       IntTriple padding = 0);
  /// Throws: unpooling needs the indices.
  Tensor forward(const Tensor& input) override;
  /// max_unpool3d(input, indices, kernel_size, stride, padding, output_size).
  Tensor forward(const Tensor& input, const Tensor& indices,
                 std::optional<IntTriple> output_size = std::nullopt);
  using Module::operator();
  /// forward(input, indices, output_size).
  Tensor operator()(const Tensor& input, const Tensor& indices,
                    std::optional<IntTriple> output_size = std::nullopt) {
    return forward(input, indices, output_size);
  }
  std::string extra_repr() const override;

 private:
  IntTriple kernel_size_, stride_, padding_;
};

/// torch.nn.BatchNorm3d: input [N, C, D, H, W]; see BatchNormBase.
class BatchNorm3d : public Cloneable<BatchNorm3d, BatchNormBase> {
 public:
  /// torch.nn.BatchNorm3d(num_features, ...).
  explicit BatchNorm3d(int64_t num_features, const BatchNormOptions& options = {});
};

/// torch.nn.InstanceNorm3d: input [N, C, D, H, W] or [C, D, H, W]; see InstanceNormBase.
class InstanceNorm3d : public Cloneable<InstanceNorm3d, InstanceNormBase> {
 public:
  /// torch.nn.InstanceNorm3d(num_features, ...).
  explicit InstanceNorm3d(int64_t num_features, const InstanceNormOptions& options = {});
};

/// Pads with zeros around the last three dims (torch.nn.ZeroPad3d); see metagrad::pad.
class ZeroPad3d : public Cloneable<ZeroPad3d>, private detail::PaddingLayer {
 public:
  /// torch.nn.ZeroPad3d(padding): one amount or 6 (last dim first).
  explicit ZeroPad3d(const PaddingSizes& padding);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;
};

/// Pads with `value` around the last three dims (torch.nn.ConstantPad3d); see metagrad::pad.
class ConstantPad3d : public Cloneable<ConstantPad3d>, private detail::PaddingLayer {
 public:
  /// torch.nn.ConstantPad3d(padding, value): one amount or 6 (last dim first).
  ConstantPad3d(const PaddingSizes& padding, double value);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;
};

/// Pads with the reflection of the last three dims at their faces (torch.nn.ReflectionPad3d);
/// see metagrad::pad.
class ReflectionPad3d : public Cloneable<ReflectionPad3d>, private detail::PaddingLayer {
 public:
  /// torch.nn.ReflectionPad3d(padding): one amount or 6 (last dim first).
  explicit ReflectionPad3d(const PaddingSizes& padding);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;
};

/// Pads with copies of the last three dims' face cells (torch.nn.ReplicationPad3d); see
/// metagrad::pad.
class ReplicationPad3d : public Cloneable<ReplicationPad3d>, private detail::PaddingLayer {
 public:
  /// torch.nn.ReplicationPad3d(padding): one amount or 6 (last dim first).
  explicit ReplicationPad3d(const PaddingSizes& padding);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;
};

/// @}

}  // namespace metagrad::nn
