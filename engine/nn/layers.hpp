#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "engine/nn/functional.hpp"
#include "engine/nn/module.hpp"
#include "engine/ops/conv.hpp"
#include "engine/ops/index_ops.hpp"
#include "engine/random/generator.hpp"

// The layers of torch.nn that metagrad's networks are built from, with PyTorch's constructor
// arguments, defaults, parameter names and default initialisation. Every layer reads its
// parameters and buffers from its slots at each forward (Note [module slots]), so rebinding them
// (set_parameter, MetaOptimizer::step) takes effect at the next call. Weights are drawn from the
// options' generator, or the default generator (seeded by manual_seed) when it is null.
namespace metagrad::nn {
/// \addtogroup nn
/// @{

/// Options of Linear beyond the sizes (`Linear(4, 3, {.bias = false, .dtype = kFloat64})`).
struct LinearOptions {
  /// Whether the layer has a bias parameter.
  bool bias = true;
  /// dtype of the parameters (float32 or float64).
  DType dtype = kFloat32;
  /// Generator of the initial values (the default generator when null).
  Generator* generator = nullptr;
};

/// y = x W^T + b (torch.nn.Linear). Parameters `weight` [out, in] (kaiming-uniform with a =
/// sqrt(5), i.e. U(-1/sqrt(in), 1/sqrt(in))) and `bias` [out] (U(-1/sqrt(in), 1/sqrt(in))).
/// input [*, in] -> [*, out]; see metagrad::linear.
class Linear : public Cloneable<Linear> {
 public:
  /// torch.nn.Linear(in_features, out_features, bias), float32.
  Linear(int64_t in_features, int64_t out_features, bool bias = true);
  /// With bias, dtype and generator from `options`.
  Linear(int64_t in_features, int64_t out_features, const LinearOptions& options);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;
  /// Redraws weight and bias in place with the default initialisation.
  void reset_parameters(Generator* generator = nullptr);
  /// The input size.
  int64_t in_features() const { return in_features_; }
  /// The output size.
  int64_t out_features() const { return out_features_; }
  /// The tensors currently in the `weight` / `bias` slots (bias undefined without bias).
  const Tensor& weight() const { return parameter_at(0); }
  /// \copydoc weight
  const Tensor& bias() const { return parameter_at(1); }

 private:
  int64_t in_features_, out_features_;
};

/// Options of Embedding beyond the sizes (`Embedding(100, 16, {.padding_idx = 0})`).
struct EmbeddingOptions {
  /// The row that padding entries map to: initialised to zeros and given no gradient by them
  /// (negative counts from the end).
  std::optional<int64_t> padding_idx;
  /// dtype of the weight.
  DType dtype = kFloat32;
  /// Draws the initial weight (the default generator when null).
  Generator* generator = nullptr;
};

/// A lookup table of learnable rows (torch.nn.Embedding): int64 indices of any shape map to
/// [*shape, embedding_dim]. The `weight` [num_embeddings, embedding_dim] starts N(0, 1), with
/// the padding row zeroed.
class Embedding : public Cloneable<Embedding> {
 public:
  /// torch.nn.Embedding(num_embeddings, embedding_dim, padding_idx).
  Embedding(int64_t num_embeddings, int64_t embedding_dim, const EmbeddingOptions& options = {});
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;
  /// N(0, 1) rows, the padding row zeros (in place).
  void reset_parameters(Generator* generator = nullptr);
  /// The table [num_embeddings, embedding_dim].
  const Tensor& weight() const { return parameter_at(0); }

 private:
  int64_t num_embeddings_, embedding_dim_;
  std::optional<int64_t> padding_idx_;
};

/// Options of EmbeddingBag beyond the sizes (`EmbeddingBag(100, 16, {.mode =
/// EmbeddingBagMode::Sum})`).
struct EmbeddingBagOptions {
  /// How a bag's rows are reduced.
  EmbeddingBagMode mode = EmbeddingBagMode::Mean;
  /// Whether the offsets given to forward end with the end of the last bag (B + 1 entries).
  bool include_last_offset = false;
  /// The row left out of every bag: initialised to zeros (negative counts from the end).
  std::optional<int64_t> padding_idx;
  /// dtype of the weight.
  DType dtype = kFloat32;
  /// Draws the initial weight (the default generator when null).
  Generator* generator = nullptr;
};

/// Sums, means or maxima of bags of learnable rows (torch.nn.EmbeddingBag); see
/// metagrad::embedding_bag. The `weight` [num_embeddings, embedding_dim] starts N(0, 1), with the
/// padding row zeroed.
class EmbeddingBag : public Cloneable<EmbeddingBag> {
 public:
  /// torch.nn.EmbeddingBag(num_embeddings, embedding_dim, mode, include_last_offset,
  /// padding_idx). Throws for negative sizes, a padding_idx outside the table or an integer
  /// dtype.
  EmbeddingBag(int64_t num_embeddings, int64_t embedding_dim,
               const EmbeddingBagOptions& options = {});
  /// Bags of a 2-D input [B, L] (one per row).
  Tensor forward(const Tensor& input) override;
  /// embedding_bag(input, weight, offsets, mode, per_sample_weights, include_last_offset,
  /// padding_idx): a 1-D input split at offsets.
  Tensor forward(const Tensor& input, const Tensor& offsets, const Tensor& per_sample_weights = {});
  using Module::operator();
  /// forward(input, offsets, per_sample_weights).
  Tensor operator()(const Tensor& input, const Tensor& offsets,
                    const Tensor& per_sample_weights = {}) {
    return forward(input, offsets, per_sample_weights);
  }
  std::string extra_repr() const override;
  /// N(0, 1) rows, the padding row zeros (in place).
  void reset_parameters(Generator* generator = nullptr);
  /// The table [num_embeddings, embedding_dim].
  const Tensor& weight() const { return parameter_at(0); }

 private:
  int64_t num_embeddings_, embedding_dim_;
  EmbeddingBagOptions options_;
};

/// Options of Conv2d beyond channels and kernel (`Conv2d(1, 64, 3, {.stride = 2, .padding = 1})`).
struct Conv2dOptions {
  /// Stride of the convolution.
  IntPair stride = 1;
  /// Padding added on both sides of each spatial dim (`.padding = 1`, `.padding = {1, 2}`), or
  /// "same" (stride 1; an even kernel's odd cell goes after) or "valid" (none), as PyTorch's.
  ConvPadding<IntPair> padding = 0;
  /// Spacing between kernel elements.
  IntPair dilation = 1;
  /// Blocked connections: in and out channels split into `groups` groups, group j of the output
  /// seeing only group j of the input (weight [out, in / groups, kh, kw]). Divides both.
  int64_t groups = 1;
  /// Whether the layer has a bias.
  bool bias = true;
  /// How the padding is filled: zeros (PadMode::Constant), or reflect, replicate, circular
  /// (the input padded by pad() first, as PyTorch's padding_mode).
  PadMode padding_mode = PadMode::Constant;
  /// dtype of the parameters and buffers.
  DType dtype = kFloat32;
  /// Draws the initial weights; the default generator when null.
  Generator* generator = nullptr;
};

/// 2-D cross-correlation (torch.nn.Conv2d with zero padding). Parameters `weight`
/// [out, in / groups, kh, kw] and `bias` [out], both initialised as Linear's with fan_in =
/// in / groups * kh * kw.
/// input [N, in, H, W] (or [in, H, W]) -> [N, out, H', W']; see metagrad::conv2d.
class Conv2d : public Cloneable<Conv2d> {
 public:
  /// torch.nn.Conv2d(in_channels, out_channels, kernel_size, ...).
  Conv2d(int64_t in_channels, int64_t out_channels, IntPair kernel_size,
         const Conv2dOptions& options = {});
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;
  /// Redraws weight and bias in place with the default initialisation.
  void reset_parameters(Generator* generator = nullptr);
  /// The tensors currently in the `weight` / `bias` slots (bias undefined without bias).
  const Tensor& weight() const { return parameter_at(0); }
  /// \copydoc weight
  const Tensor& bias() const { return parameter_at(1); }
  /// The input channels.
  int64_t in_channels() const { return in_channels_; }
  /// The output channels.
  int64_t out_channels() const { return out_channels_; }
  /// The window size.
  IntPair kernel_size() const { return kernel_size_; }
  /// Stride, padding, dilation, groups, bias and dtype (the generator is not kept).
  const Conv2dOptions& options() const { return options_; }

 private:
  int64_t in_channels_, out_channels_;
  IntPair kernel_size_;
  Conv2dOptions options_;
  std::vector<int64_t> padding_sides_;  // before and after each spatial dim, pad()'s order
};

/// Options of Conv1d beyond channels and kernel (`Conv1d(1, 16, 5, {.padding = 2})`).
struct Conv1dOptions {
  /// Stride of the convolution.
  int64_t stride = 1;
  /// Padding added on both ends, or "same" / "valid" as Conv2dOptions::padding.
  ConvPadding<int64_t> padding = 0;
  /// Spacing between kernel elements.
  int64_t dilation = 1;
  /// Blocked connections, as Conv2dOptions::groups (weight [out, in / groups, k]).
  int64_t groups = 1;
  /// Whether the layer has a bias.
  bool bias = true;
  /// How the padding is filled, as Conv2dOptions::padding_mode.
  PadMode padding_mode = PadMode::Constant;
  /// dtype of the parameters.
  DType dtype = kFloat32;
  /// Draws the initial weights; the default generator when null.
  Generator* generator = nullptr;
};

/// 1-D cross-correlation (torch.nn.Conv1d with zero padding). Parameters `weight`
/// [out, in / groups, k] and `bias` [out], initialised as Conv2d's with fan_in = in / groups * k.
/// input [N, in, L] (or [in, L]) -> [N, out, L']; see metagrad::conv1d.
class Conv1d : public Cloneable<Conv1d> {
 public:
  /// torch.nn.Conv1d(in_channels, out_channels, kernel_size, ...).
  Conv1d(int64_t in_channels, int64_t out_channels, int64_t kernel_size,
         const Conv1dOptions& options = {});
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;
  /// Redraws weight and bias in place with the default initialisation.
  void reset_parameters(Generator* generator = nullptr);
  /// The tensors currently in the `weight` / `bias` slots (bias undefined without bias).
  const Tensor& weight() const { return parameter_at(0); }
  /// \copydoc weight
  const Tensor& bias() const { return parameter_at(1); }

 private:
  int64_t in_channels_, out_channels_, kernel_size_;
  Conv1dOptions options_;
  std::vector<int64_t> padding_sides_;  // before and after the length, pad()'s order
};

/// Options of ConvTranspose2d beyond channels and kernel
/// (`ConvTranspose2d(64, 32, 4, {.stride = 2, .padding = 1})`).
struct ConvTranspose2dOptions {
  /// Stride of the convolution this layer transposes.
  IntPair stride = 1;
  /// dilation (kernel - 1) - padding zeros are added to each side of the input's spatial dims.
  IntPair padding = 0;
  /// Cells added to one side of each output dim (to reach the size of a strided convolution's
  /// input); smaller than stride or dilation.
  IntPair output_padding = 0;
  /// Blocked connections, as Conv2dOptions::groups (weight [in, out / groups, kh, kw]).
  int64_t groups = 1;
  /// Whether the layer has a bias.
  bool bias = true;
  /// Spacing between kernel elements.
  IntPair dilation = 1;
  /// dtype of the parameters.
  DType dtype = kFloat32;
  /// Draws the initial weights; the default generator when null.
  Generator* generator = nullptr;
};

/// 2-D transposed convolution (torch.nn.ConvTranspose2d with zero padding). Parameters `weight`
/// [in, out / groups, kh, kw] and `bias` [out], initialised as PyTorch's with fan_in = out /
/// groups * kh * kw. input [N, in, H, W] (or [in, H, W]) -> [N, out, H', W']; see
/// metagrad::conv_transpose2d.
class ConvTranspose2d : public Cloneable<ConvTranspose2d> {
 public:
  /// torch.nn.ConvTranspose2d(in_channels, out_channels, kernel_size, ...).
  ConvTranspose2d(int64_t in_channels, int64_t out_channels, IntPair kernel_size,
                  const ConvTranspose2dOptions& options = {});
  Tensor forward(const Tensor& input) override;
  /// forward(input, output_size) of torch.nn.ConvTranspose2d: the output_padding that gives the
  /// output spatial size (H', W') (which a strided convolution's input had), in place of the
  /// options' one. Throws naming the range of reachable sizes when (H', W') is outside it.
  Tensor forward(const Tensor& input, IntPair output_size);
  std::string extra_repr() const override;
  /// Redraws weight and bias in place with the default initialisation.
  void reset_parameters(Generator* generator = nullptr);
  /// The tensors currently in the `weight` / `bias` slots (bias undefined without bias).
  const Tensor& weight() const { return parameter_at(0); }
  /// \copydoc weight
  const Tensor& bias() const { return parameter_at(1); }
  /// Stride, padding, output_padding, groups, bias, dilation and dtype (the generator is not
  /// kept).
  const ConvTranspose2dOptions& options() const { return options_; }

 private:
  int64_t in_channels_, out_channels_;
  IntPair kernel_size_;
  ConvTranspose2dOptions options_;
};

/// Options of ConvTranspose1d beyond channels and kernel
/// (`ConvTranspose1d(64, 32, 4, {.stride = 2, .padding = 1})`).
struct ConvTranspose1dOptions {
  /// Stride of the convolution this layer transposes.
  int64_t stride = 1;
  /// dilation (kernel - 1) - padding zeros are added to each side of the input's length.
  int64_t padding = 0;
  /// Cells added to one end of the output (to reach the length of a strided convolution's
  /// input); smaller than stride or dilation.
  int64_t output_padding = 0;
  /// Blocked connections, as Conv1dOptions::groups (weight [in, out / groups, k]).
  int64_t groups = 1;
  /// Whether the layer has a bias.
  bool bias = true;
  /// Spacing between kernel elements.
  int64_t dilation = 1;
  /// dtype of the parameters.
  DType dtype = kFloat32;
  /// Draws the initial weights; the default generator when null.
  Generator* generator = nullptr;
};

/// 1-D transposed convolution (torch.nn.ConvTranspose1d with zero padding). Parameters `weight`
/// [in, out / groups, k] and `bias` [out], initialised as PyTorch's with fan_in = out / groups *
/// k. input [N, in, L] (or [in, L]) -> [N, out, L']; see metagrad::conv_transpose1d.
class ConvTranspose1d : public Cloneable<ConvTranspose1d> {
 public:
  /// torch.nn.ConvTranspose1d(in_channels, out_channels, kernel_size, ...).
  ConvTranspose1d(int64_t in_channels, int64_t out_channels, int64_t kernel_size,
                  const ConvTranspose1dOptions& options = {});
  Tensor forward(const Tensor& input) override;
  /// forward(input, output_size) of torch.nn.ConvTranspose1d: the output_padding that gives the
  /// output length L', in place of the options' one. Throws naming the range of reachable
  /// lengths when L' is outside it.
  Tensor forward(const Tensor& input, int64_t output_size);
  std::string extra_repr() const override;
  /// Redraws weight and bias in place with the default initialisation.
  void reset_parameters(Generator* generator = nullptr);
  /// The tensors currently in the `weight` / `bias` slots (bias undefined without bias).
  const Tensor& weight() const { return parameter_at(0); }
  /// \copydoc weight
  const Tensor& bias() const { return parameter_at(1); }
  /// Stride, padding, output_padding, groups, bias, dilation and dtype (the generator is not
  /// kept).
  const ConvTranspose1dOptions& options() const { return options_; }

 private:
  int64_t in_channels_, out_channels_, kernel_size_;
  ConvTranspose1dOptions options_;
};

/// Options of BatchNorm1d / BatchNorm2d (`BatchNorm2d(64, {.momentum = 1.0})`).
struct BatchNormOptions {
  /// Added to the variance before the square root.
  double eps = 1e-5;
  /// Weight of the new batch statistic in the running averages; nullopt gives the cumulative
  /// average (factor 1 / num_batches_tracked), as PyTorch's momentum=None.
  std::optional<double> momentum = 0.1;
  /// Whether the layer has the learnable `weight` (init 1) and `bias` (init 0).
  bool affine = true;
  /// Whether the layer keeps `running_mean` (init 0), `running_var` (init 1) and the int64 0-d
  /// counter `num_batches_tracked` (init 0) and uses them in eval mode; without them it always
  /// normalises with batch statistics.
  bool track_running_stats = true;
  /// dtype of the parameters and buffers.
  DType dtype = kFloat32;
};

/// Batch normalisation over every dim but the channel dim 1 (the common part of BatchNorm1d and
/// BatchNorm2d; see metagrad::batch_norm). Training mode normalises with the batch statistics and
/// updates the running statistics in place (unbiased variance, as PyTorch) and counts batches;
/// eval mode normalises with the running statistics. Slots: parameters `weight`, `bias`; buffers
/// `running_mean`, `running_var`, `num_batches_tracked` (PyTorch's names and order).
class BatchNormBase : public Module {
 public:
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;
  /// Running mean 0, running variance 1, counter 0 (in place).
  void reset_running_stats();
  /// reset_running_stats() and weight 1, bias 0 (in place).
  void reset_parameters();
  /// The number of channels normalised.
  int64_t num_features() const { return num_features_; }
  /// The options the layer was made with.
  const BatchNormOptions& options() const { return options_; }

 protected:
  /// `layer`: the concrete class name (for messages during construction); `min_dim`..`max_dim`:
  /// the input ranks it accepts.
  BatchNormBase(const char* layer, int64_t num_features, const BatchNormOptions& options,
                int min_dim, int max_dim);

 private:
  int64_t num_features_;
  BatchNormOptions options_;
  int min_dim_, max_dim_;
};

/// torch.nn.BatchNorm1d: input [N, C] or [N, C, L].
class BatchNorm1d : public Cloneable<BatchNorm1d, BatchNormBase> {
 public:
  /// torch.nn.BatchNorm1d(num_features, ...).
  explicit BatchNorm1d(int64_t num_features, const BatchNormOptions& options = {});
};

/// torch.nn.BatchNorm2d: input [N, C, H, W].
class BatchNorm2d : public Cloneable<BatchNorm2d, BatchNormBase> {
 public:
  /// torch.nn.BatchNorm2d(num_features, ...).
  explicit BatchNorm2d(int64_t num_features, const BatchNormOptions& options = {});
};

/// Options of LayerNorm (`LayerNorm({64}, {.eps = 1e-6})`).
struct LayerNormOptions {
  /// Added to the variance before the square root.
  double eps = 1e-5;
  /// Whether the layer has the learnable `weight` (init 1) of shape normalized_shape.
  bool elementwise_affine = true;
  /// Whether it also has the learnable `bias` (init 0); only with elementwise_affine.
  bool bias = true;
  /// dtype of the parameters.
  DType dtype = kFloat32;
};

/// Layer normalisation over the trailing dims normalized_shape (torch.nn.LayerNorm); see
/// metagrad::layer_norm. Slots: parameters `weight`, `bias` (PyTorch's names and order).
class LayerNorm : public Cloneable<LayerNorm> {
 public:
  /// torch.nn.LayerNorm(normalized_shape, ...). Throws for an empty or non-positive shape.
  explicit LayerNorm(const Dims& normalized_shape, const LayerNormOptions& options = {});
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;
  /// weight 1 and bias 0 (in place).
  void reset_parameters();
  /// The trailing dims normalised.
  const Dims& normalized_shape() const { return normalized_shape_; }
  /// The options the layer was made with.
  const LayerNormOptions& options() const { return options_; }

 private:
  Dims normalized_shape_;
  LayerNormOptions options_;
};

/// Options of GroupNorm (`GroupNorm(8, 64, {.eps = 1e-6})`).
struct GroupNormOptions {
  /// Added to the variance before the square root.
  double eps = 1e-5;
  /// Whether the layer has the learnable per-channel `weight` (init 1) and `bias` (init 0).
  bool affine = true;
  /// dtype of the parameters.
  DType dtype = kFloat32;
};

/// Local response normalisation across channels (torch.nn.LocalResponseNorm); see
/// metagrad::local_response_norm. No parameters.
class LocalResponseNorm : public Cloneable<LocalResponseNorm> {
 public:
  /// torch.nn.LocalResponseNorm(size, alpha, beta, k). Throws unless size is positive.
  explicit LocalResponseNorm(int64_t size, double alpha = 1e-4, double beta = 0.75, double k = 1.0);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;

 private:
  int64_t size_;
  double alpha_, beta_, k_;
};

/// Group normalisation (torch.nn.GroupNorm); see metagrad::group_norm. Slots: parameters
/// `weight`, `bias` [num_channels].
class GroupNorm : public Cloneable<GroupNorm> {
 public:
  /// torch.nn.GroupNorm(num_groups, num_channels, ...). num_groups must divide num_channels.
  GroupNorm(int64_t num_groups, int64_t num_channels, const GroupNormOptions& options = {});
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;
  /// weight 1 and bias 0 (in place).
  void reset_parameters();

 private:
  int64_t num_groups_, num_channels_;
  GroupNormOptions options_;
};

/// Options of InstanceNorm1d / InstanceNorm2d (PyTorch's defaults: no affine parameters, no
/// running statistics).
struct InstanceNormOptions {
  /// Added to the variance before the square root.
  double eps = 1e-5;
  /// Weight of the new statistics in the running averages (with track_running_stats).
  double momentum = 0.1;
  /// Whether the layer has the learnable per-channel `weight` (init 1) and `bias` (init 0).
  bool affine = false;
  /// Whether the layer keeps `running_mean`, `running_var` and `num_batches_tracked` (updated in
  /// training, used in eval mode); without them it always normalises with each sample's own
  /// statistics.
  bool track_running_stats = false;
  /// dtype of the parameters and buffers.
  DType dtype = kFloat32;
};

/// Instance normalisation (the common part of InstanceNorm1d and InstanceNorm2d; see
/// metagrad::instance_norm): each sample's channel normalised over its own positions, so the
/// samples (and the tasks of a meta-batch) never mix. The slots are batch norm's (parameters
/// `weight`, `bias`; buffers `running_mean`, `running_var`, `num_batches_tracked`), present as
/// the options say; an unbatched input (one dim fewer) is one sample.
class InstanceNormBase : public BatchNormBase {
 public:
  Tensor forward(const Tensor& input) override;

 protected:
  /// `layer`: the class name (for messages); `spatial_dims`: 1 or 2.
  InstanceNormBase(const char* layer, int64_t num_features, const InstanceNormOptions& options,
                   int spatial_dims);

 private:
  int spatial_dims_;
};

/// torch.nn.InstanceNorm1d: input [N, C, L] or [C, L].
class InstanceNorm1d : public Cloneable<InstanceNorm1d, InstanceNormBase> {
 public:
  /// torch.nn.InstanceNorm1d(num_features, ...).
  explicit InstanceNorm1d(int64_t num_features, const InstanceNormOptions& options = {});
};

/// torch.nn.InstanceNorm2d: input [N, C, H, W] or [C, H, W].
class InstanceNorm2d : public Cloneable<InstanceNorm2d, InstanceNormBase> {
 public:
  /// torch.nn.InstanceNorm2d(num_features, ...).
  explicit InstanceNorm2d(int64_t num_features, const InstanceNormOptions& options = {});
};

/// max(x, 0) elementwise.
class ReLU : public Cloneable<ReLU> {
 public:
  Tensor forward(const Tensor& input) override;
};

/// tanh(x) elementwise.
class Tanh : public Cloneable<Tanh> {
 public:
  Tensor forward(const Tensor& input) override;
};

/// 1 / (1 + exp(-x)) elementwise.
class Sigmoid : public Cloneable<Sigmoid> {
 public:
  Tensor forward(const Tensor& input) override;
};

/// gelu(x) elementwise (torch.nn.GELU); see metagrad::gelu.
class GELU : public Cloneable<GELU> {
 public:
  /// torch.nn.GELU(approximate).
  explicit GELU(GeluApproximate approximate = GeluApproximate::None);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;

 private:
  GeluApproximate approximate_;
};

/// x sigmoid(x) elementwise (torch.nn.SiLU).
class SiLU : public Cloneable<SiLU> {
 public:
  Tensor forward(const Tensor& input) override;
};

/// x tanh(softplus(x)) elementwise (torch.nn.Mish).
class Mish : public Cloneable<Mish> {
 public:
  Tensor forward(const Tensor& input) override;
};

/// softplus(x, beta, threshold) elementwise (torch.nn.Softplus); see metagrad::softplus.
class Softplus : public Cloneable<Softplus> {
 public:
  /// torch.nn.Softplus(beta, threshold). Throws for beta 0 or non-finite.
  explicit Softplus(double beta = 1.0, double threshold = 20.0);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;

 private:
  double beta_, threshold_;
};

/// log(sigmoid(x)) elementwise (torch.nn.LogSigmoid).
class LogSigmoid : public Cloneable<LogSigmoid> {
 public:
  Tensor forward(const Tensor& input) override;
};

/// elu(x, alpha) elementwise (torch.nn.ELU).
class ELU : public Cloneable<ELU> {
 public:
  /// torch.nn.ELU(alpha).
  explicit ELU(double alpha = 1.0);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;

 private:
  double alpha_;
};

/// selu(x) elementwise (torch.nn.SELU).
class SELU : public Cloneable<SELU> {
 public:
  Tensor forward(const Tensor& input) override;
};

/// leaky_relu(x, negative_slope) elementwise (torch.nn.LeakyReLU).
class LeakyReLU : public Cloneable<LeakyReLU> {
 public:
  /// torch.nn.LeakyReLU(negative_slope).
  explicit LeakyReLU(double negative_slope = 0.01);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;

 private:
  double negative_slope_;
};

/// Randomized leaky ReLU (torch.nn.RReLU): in training a slope drawn from U[lower, upper] per
/// element for the negative inputs, in eval mode the mean slope; see metagrad::rrelu.
class RReLU : public Cloneable<RReLU> {
 public:
  /// torch.nn.RReLU(lower, upper); slopes drawn from `generator` (the default one when null).
  /// Throws unless lower <= upper.
  explicit RReLU(double lower = 1.0 / 8.0, double upper = 1.0 / 3.0,
                 Generator* generator = nullptr);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;

 private:
  double lower_, upper_;
  Generator* generator_;
};

/// hardtanh(x, min_val, max_val) elementwise (torch.nn.Hardtanh).
class Hardtanh : public Cloneable<Hardtanh> {
 public:
  /// torch.nn.Hardtanh(min_val, max_val); min_val must not exceed max_val.
  explicit Hardtanh(double min_val = -1.0, double max_val = 1.0);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;

 private:
  double min_val_, max_val_;
};

/// relu6(x) elementwise (torch.nn.ReLU6).
class ReLU6 : public Cloneable<ReLU6> {
 public:
  Tensor forward(const Tensor& input) override;
};

/// hardsigmoid(x) elementwise (torch.nn.Hardsigmoid).
class Hardsigmoid : public Cloneable<Hardsigmoid> {
 public:
  Tensor forward(const Tensor& input) override;
};

/// hardswish(x) elementwise (torch.nn.Hardswish).
class Hardswish : public Cloneable<Hardswish> {
 public:
  Tensor forward(const Tensor& input) override;
};

/// softsign(x) elementwise (torch.nn.Softsign).
class Softsign : public Cloneable<Softsign> {
 public:
  Tensor forward(const Tensor& input) override;
};

/// tanhshrink(x) elementwise (torch.nn.Tanhshrink).
class Tanhshrink : public Cloneable<Tanhshrink> {
 public:
  Tensor forward(const Tensor& input) override;
};

/// softshrink(x, lambd) elementwise (torch.nn.Softshrink).
class Softshrink : public Cloneable<Softshrink> {
 public:
  /// torch.nn.Softshrink(lambd); lambd >= 0.
  explicit Softshrink(double lambd = 0.5);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;

 private:
  double lambd_;
};

/// hardshrink(x, lambd) elementwise (torch.nn.Hardshrink).
class Hardshrink : public Cloneable<Hardshrink> {
 public:
  /// torch.nn.Hardshrink(lambd).
  explicit Hardshrink(double lambd = 0.5);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;

 private:
  double lambd_;
};

/// threshold(x, threshold, value) elementwise (torch.nn.Threshold).
class Threshold : public Cloneable<Threshold> {
 public:
  /// torch.nn.Threshold(threshold, value).
  Threshold(double threshold, double value);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;

 private:
  double threshold_, value_;
};

/// celu(x, alpha) elementwise (torch.nn.CELU).
class CELU : public Cloneable<CELU> {
 public:
  /// torch.nn.CELU(alpha); alpha finite and non-zero.
  explicit CELU(double alpha = 1.0);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;

 private:
  double alpha_;
};

/// glu(x, dim): the first half of dim gated by the sigmoid of the second (torch.nn.GLU).
class GLU : public Cloneable<GLU> {
 public:
  /// torch.nn.GLU(dim).
  explicit GLU(int64_t dim = -1);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;

 private:
  int64_t dim_;
};

/// softmin(x, dim) (torch.nn.Softmin).
class Softmin : public Cloneable<Softmin> {
 public:
  /// torch.nn.Softmin(dim).
  explicit Softmin(int64_t dim);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;

 private:
  int64_t dim_;
};

/// Softmax over the channels of [N, C, H, W] or [C, H, W] (torch.nn.Softmax2d).
class Softmax2d : public Cloneable<Softmax2d> {
 public:
  /// torch.nn.Softmax2d().
  Softmax2d() = default;
  /// softmax(input, -3); throws unless the input is 3-D or 4-D.
  Tensor forward(const Tensor& input) override;
};

/// Options of PReLU (`PReLU({.num_parameters = 64})`).
struct PReLUOptions {
  /// 1 (one slope shared by every channel) or the number of channels (dim 1 of the input).
  int64_t num_parameters = 1;
  /// The slopes' initial value.
  double init = 0.25;
  /// dtype of the slopes.
  DType dtype = kFloat32;
};

/// prelu(x, weight) with learnable slopes (torch.nn.PReLU). Slot: parameter `weight`
/// [num_parameters].
class PReLU : public Cloneable<PReLU> {
 public:
  /// torch.nn.PReLU(num_parameters, init). num_parameters must be positive.
  explicit PReLU(const PReLUOptions& options = {});
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;
  /// Every slope back to the initial value (in place).
  void reset_parameters();

 private:
  PReLUOptions options_;
};

/// softmax(x, dim) (torch.nn.Softmax; metagrad asks for the dim, which PyTorch deprecated
/// guessing).
class Softmax : public Cloneable<Softmax> {
 public:
  /// torch.nn.Softmax(dim).
  explicit Softmax(int64_t dim);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;

 private:
  int64_t dim_;
};

/// log_softmax(x, dim) (torch.nn.LogSoftmax).
class LogSoftmax : public Cloneable<LogSoftmax> {
 public:
  /// torch.nn.LogSoftmax(dim).
  explicit LogSoftmax(int64_t dim);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;

 private:
  int64_t dim_;
};

/// The pads of a padding layer: one amount for every side, or one per side, last dim first
/// ((left, right) or (left, right, top, bottom)), as PyTorch's int or tuple argument.
struct PaddingSizes {
  /// The same amount on every side.
  PaddingSizes(int64_t every_side) : every_side(every_side) {}  // NOLINT: an int, as PyTorch's
  /// One amount per side, last dim first.
  PaddingSizes(std::vector<int64_t> sides) : sides(std::move(sides)) {}  // NOLINT
  /// One amount per side, last dim first (`{1, 1, 2, 0}`).
  PaddingSizes(std::initializer_list<int64_t> sides) : sides(sides) {}
  /// The amount on every side when `sides` is empty.
  int64_t every_side = 0;
  /// One amount per side, last dim first.
  std::vector<int64_t> sides;
};

namespace detail {

/// The state and forward of the padding layers below: pad(input, pads, mode, value).
class PaddingLayer {
 public:
  /// `layer` names the errors; `sides` is 2, 4 or 6 (one, two or three dims).
  PaddingLayer(const char* layer, const PaddingSizes& padding, int sides, PadMode mode,
               double value);
  /// pad(input, pads, mode, value).
  Tensor pad_input(const Tensor& input) const;
  /// The pads as PyTorch prints them: "(1, 1, 2, 0)".
  std::string pads_repr() const;
  /// The constant of constant padding.
  double value() const { return value_; }

 private:
  std::vector<int64_t> pads_;
  PadMode mode_;
  double value_;
};

}  // namespace detail

/// Pads with zeros around the last two dims (torch.nn.ZeroPad2d); see metagrad::pad.
class ZeroPad2d : public Cloneable<ZeroPad2d>, private detail::PaddingLayer {
 public:
  /// torch.nn.ZeroPad2d(padding): one amount or 4 (last dim first).
  explicit ZeroPad2d(const PaddingSizes& padding);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;
};

/// Pads with `value` at both ends of the last dim (torch.nn.ConstantPad1d); see metagrad::pad.
class ConstantPad1d : public Cloneable<ConstantPad1d>, private detail::PaddingLayer {
 public:
  /// torch.nn.ConstantPad1d(padding, value): one amount or 2 (last dim first).
  ConstantPad1d(const PaddingSizes& padding, double value);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;
};

/// Pads with `value` around the last two dims (torch.nn.ConstantPad2d); see metagrad::pad.
class ConstantPad2d : public Cloneable<ConstantPad2d>, private detail::PaddingLayer {
 public:
  /// torch.nn.ConstantPad2d(padding, value): one amount or 4 (last dim first).
  ConstantPad2d(const PaddingSizes& padding, double value);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;
};

/// Pads with the reflection of the last dim at its ends (torch.nn.ReflectionPad1d); see
/// metagrad::pad.
class ReflectionPad1d : public Cloneable<ReflectionPad1d>, private detail::PaddingLayer {
 public:
  /// torch.nn.ReflectionPad1d(padding): one amount or 2 (last dim first).
  explicit ReflectionPad1d(const PaddingSizes& padding);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;
};

/// Pads with the reflection of the last two dims at their edges (torch.nn.ReflectionPad2d); see
/// metagrad::pad.
class ReflectionPad2d : public Cloneable<ReflectionPad2d>, private detail::PaddingLayer {
 public:
  /// torch.nn.ReflectionPad2d(padding): one amount or 4 (last dim first).
  explicit ReflectionPad2d(const PaddingSizes& padding);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;
};

/// Pads with copies of the last dim's end cells (torch.nn.ReplicationPad1d); see metagrad::pad.
class ReplicationPad1d : public Cloneable<ReplicationPad1d>, private detail::PaddingLayer {
 public:
  /// torch.nn.ReplicationPad1d(padding): one amount or 2 (last dim first).
  explicit ReplicationPad1d(const PaddingSizes& padding);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;
};

/// Pads with copies of the last two dims' edge cells (torch.nn.ReplicationPad2d); see
/// metagrad::pad.
class ReplicationPad2d : public Cloneable<ReplicationPad2d>, private detail::PaddingLayer {
 public:
  /// torch.nn.ReplicationPad2d(padding): one amount or 4 (last dim first).
  explicit ReplicationPad2d(const PaddingSizes& padding);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;
};

/// Returns its input (torch.nn.Identity): a placeholder that keeps a Sequential's indices.
class Identity : public Cloneable<Identity> {
 public:
  Tensor forward(const Tensor& input) override;
};

/// Merges dims start_dim..end_dim into one (a view when possible): [N, C, H, W] -> [N, C*H*W]
/// with the defaults.
class Flatten : public Cloneable<Flatten> {
 public:
  /// torch.nn.Flatten(start_dim, end_dim).
  explicit Flatten(int64_t start_dim = 1, int64_t end_dim = -1);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;

 private:
  int64_t start_dim_, end_dim_;
};

/// Splits one dim into several (torch.nn.Unflatten): Unflatten(1, {2, 3}) takes [N, 6] to
/// [N, 2, 3]; see metagrad::unflatten.
class Unflatten : public Cloneable<Unflatten> {
 public:
  /// torch.nn.Unflatten(dim, unflattened_size). Throws unless the sizes are non-negative (one may
  /// be -1) and there is at least one.
  Unflatten(int64_t dim, Dims unflattened_size);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;

 private:
  int64_t dim_;
  Dims unflattened_size_;
};

namespace detail {
/// Throws unless 0 <= p <= 1, naming the layer.
void check_dropout_probability(double p, const char* layer);

/// The dropout layers: `Fn(input, p, training, generator)`, so in training mode they drop and in
/// eval mode they are the identity. Masks come from `generator` (the default generator when null;
/// a given one must outlive the layer).
template <typename Derived, Tensor (*Fn)(const Tensor&, double, bool, Generator*)>
class DropoutLayer : public Cloneable<Derived> {
 public:
  /// The layer `name` dropping with probability p.
  DropoutLayer(double p, Generator* generator, const char* name) : p_(p), generator_(generator) {
    check_dropout_probability(p, name);
  }
  /// Fn(input, p, is_training(), generator).
  Tensor forward(const Tensor& input) override {
    return Fn(input, p_, this->is_training(), generator_);
  }
  /// "p=0.5, inplace=False", as PyTorch.
  std::string extra_repr() const override {
    return fmt::format("p={}, inplace=False", float_repr(p_));
  }
  /// The probability of zeroing an element (a channel for the channel-wise layers).
  double p() const { return p_; }

 private:
  double p_;
  Generator* generator_;
};
}  // namespace detail

/// Inverted dropout in training mode (zeroes elements with probability p, scales the rest by
/// 1 / (1 - p)); the identity in eval mode. Throws unless 0 <= p <= 1.
class Dropout : public detail::DropoutLayer<Dropout, &dropout> {
 public:
  /// torch.nn.Dropout(p); masks drawn from `generator` (the default generator when null).
  explicit Dropout(double p = 0.5, Generator* generator = nullptr)
      : DropoutLayer(p, generator, "Dropout") {}
};

/// Alpha dropout for SELU networks (torch.nn.AlphaDropout); see metagrad::alpha_dropout.
class AlphaDropout : public detail::DropoutLayer<AlphaDropout, &alpha_dropout> {
 public:
  /// torch.nn.AlphaDropout(p); masks drawn from `generator` (the default generator when null).
  explicit AlphaDropout(double p = 0.5, Generator* generator = nullptr)
      : DropoutLayer(p, generator, "AlphaDropout") {}
};

/// Channel-wise alpha dropout (torch.nn.FeatureAlphaDropout); see
/// metagrad::feature_alpha_dropout.
class FeatureAlphaDropout
    : public detail::DropoutLayer<FeatureAlphaDropout, &feature_alpha_dropout> {
 public:
  /// torch.nn.FeatureAlphaDropout(p); masks drawn from `generator` (the default generator when
  /// null).
  explicit FeatureAlphaDropout(double p = 0.5, Generator* generator = nullptr)
      : DropoutLayer(p, generator, "FeatureAlphaDropout") {}
};

/// Channel-wise dropout of [N, C, L] (torch.nn.Dropout1d): whole channels zeroed with probability
/// p in training mode; see metagrad::dropout1d.
class Dropout1d : public detail::DropoutLayer<Dropout1d, &dropout1d> {
 public:
  /// torch.nn.Dropout1d(p); masks drawn from `generator` (the default generator when null).
  explicit Dropout1d(double p = 0.5, Generator* generator = nullptr)
      : DropoutLayer(p, generator, "Dropout1d") {}
};

/// Channel-wise dropout of [N, C, H, W] (torch.nn.Dropout2d); see metagrad::dropout2d.
class Dropout2d : public detail::DropoutLayer<Dropout2d, &dropout2d> {
 public:
  /// torch.nn.Dropout2d(p); masks drawn from `generator` (the default generator when null).
  explicit Dropout2d(double p = 0.5, Generator* generator = nullptr)
      : DropoutLayer(p, generator, "Dropout2d") {}
};

/// Channel-wise dropout of [N, C, D, H, W] (torch.nn.Dropout3d); see metagrad::dropout3d.
class Dropout3d : public detail::DropoutLayer<Dropout3d, &dropout3d> {
 public:
  /// torch.nn.Dropout3d(p); masks drawn from `generator` (the default generator when null).
  explicit Dropout3d(double p = 0.5, Generator* generator = nullptr)
      : DropoutLayer(p, generator, "Dropout3d") {}
};

/// Max over sliding windows (torch.nn.MaxPool2d); stride defaults to kernel_size. See
/// metagrad::max_pool2d.
class MaxPool2d : public Cloneable<MaxPool2d> {
 public:
  /// torch.nn.MaxPool2d (stride defaults to kernel_size).
  explicit MaxPool2d(IntPair kernel_size, std::optional<IntPair> stride = std::nullopt,
                     IntPair padding = 0, IntPair dilation = 1, bool ceil_mode = false);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;

 private:
  IntPair kernel_size_, stride_, padding_, dilation_;
  bool ceil_mode_;
};

/// Mean over sliding windows (torch.nn.AvgPool2d); stride defaults to kernel_size. See
/// metagrad::avg_pool2d.
class AvgPool2d : public Cloneable<AvgPool2d> {
 public:
  /// torch.nn.AvgPool2d (stride defaults to kernel_size).
  explicit AvgPool2d(IntPair kernel_size, std::optional<IntPair> stride = std::nullopt,
                     IntPair padding = 0, bool ceil_mode = false, bool count_include_pad = true);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;

 private:
  IntPair kernel_size_, stride_, padding_;
  bool ceil_mode_, count_include_pad_;
};

/// Mean over PyTorch's adaptive windows to a fixed output size (torch.nn.AdaptiveAvgPool2d);
/// see metagrad::adaptive_avg_pool2d. `AdaptiveAvgPool2d(1)` is global average pooling.
class AdaptiveAvgPool2d : public Cloneable<AdaptiveAvgPool2d> {
 public:
  /// torch.nn.AdaptiveAvgPool2d(output_size). Throws unless both sizes are positive.
  explicit AdaptiveAvgPool2d(IntPair output_size);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;

 private:
  IntPair output_size_;
};

/// Max over PyTorch's adaptive windows to a fixed output size (torch.nn.AdaptiveMaxPool2d with
/// return_indices = false); see metagrad::adaptive_max_pool2d_with_indices for the indices.
class AdaptiveMaxPool2d : public Cloneable<AdaptiveMaxPool2d> {
 public:
  /// torch.nn.AdaptiveMaxPool2d(output_size). Throws unless both sizes are positive.
  explicit AdaptiveMaxPool2d(IntPair output_size);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;

 private:
  IntPair output_size_;
};

/// Moves r x r channel blocks into the spatial dims (torch.nn.PixelShuffle); see
/// metagrad::pixel_shuffle.
class PixelShuffle : public Cloneable<PixelShuffle> {
 public:
  /// torch.nn.PixelShuffle(upscale_factor). Throws unless it is positive.
  explicit PixelShuffle(int64_t upscale_factor);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;

 private:
  int64_t upscale_factor_;
};

/// Moves r x r spatial blocks into the channels (torch.nn.PixelUnshuffle); see
/// metagrad::pixel_unshuffle.
class PixelUnshuffle : public Cloneable<PixelUnshuffle> {
 public:
  /// torch.nn.PixelUnshuffle(downscale_factor). Throws unless it is positive.
  explicit PixelUnshuffle(int64_t downscale_factor);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;

 private:
  int64_t downscale_factor_;
};

/// Interleaves the channel groups (torch.nn.ChannelShuffle); see metagrad::channel_shuffle.
class ChannelShuffle : public Cloneable<ChannelShuffle> {
 public:
  /// torch.nn.ChannelShuffle(groups). Throws unless it is positive.
  explicit ChannelShuffle(int64_t groups);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;

 private:
  int64_t groups_;
};

/// Resizes its input with interpolate (torch.nn.Upsample): the options are fixed at construction
/// and the layer has no parameters.
class Upsample : public Cloneable<Upsample> {
 public:
  /// torch.nn.Upsample(size, scale_factor, mode, align_corners, recompute_scale_factor). Throws
  /// unless exactly one of size and scale_factor is given, with positive values.
  explicit Upsample(InterpolateOptions options);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;
  /// The options every forward passes to interpolate.
  const InterpolateOptions& options() const { return options_; }

 private:
  InterpolateOptions options_;
};

namespace detail {
template <typename T>
struct is_module_ptr : std::false_type {};
template <typename M>
struct is_module_ptr<std::shared_ptr<M>> : std::bool_constant<std::is_base_of_v<Module, M>> {};

/// A module given by value (moved or deep-copied in) or by shared_ptr (shared).
template <typename T>
concept ModuleArg = std::is_base_of_v<Module, std::remove_cvref_t<T>> ||
    is_module_ptr<std::remove_cvref_t<T>>::value;
}  // namespace detail

namespace detail {
/// True when the pack is a single argument of type Self (the copy / move constructor's case).
template <typename Self, typename... Ts>
inline constexpr bool is_single_self = sizeof...(Ts) == 1 &&
                                       (std::is_same_v<std::remove_cvref_t<Ts>, Self> && ...);
}  // namespace detail

/// The common part of Sequential and ModuleList: submodules in order, named "0", "1", ...
class ModuleSequence : public Module {
 public:
  /// Appends a layer given by value (moved or deep-copied in, named by its position).
  template <typename M>
  requires std::is_base_of_v<Module, std::remove_cvref_t<M>> ModuleSequence& push_back(M&& module) {
    return push_back(std::static_pointer_cast<Module>(
        std::make_shared<std::remove_cvref_t<M>>(std::forward<M>(module))));
  }
  /// Appends a shared layer.
  ModuleSequence& push_back(std::shared_ptr<Module> module);
  /// Number of layers.
  size_t size() const { return num_children(); }
  /// Layer i (throws when out of range).
  Module& operator[](size_t index) const;
  /// Layer i as its concrete type (throws when out of range or of another type).
  template <typename M>
  M& at(size_t index) const {
    M* typed = dynamic_cast<M*>(&(*this)[index]);
    MG_CHECK(typed != nullptr, "{}::at: layer {} is a {}, not the requested type", type_name(),
             index, (*this)[index].type_name());
    return *typed;
  }
};

/// Runs its submodules in order, each on the previous one's output (torch.nn.Sequential). They
/// are named "0", "1", ... so parameters read "0.weight", "1.running_mean":
/// ```cpp
/// auto net = nn::Sequential(nn::Conv2d(1, 64, 3), nn::BatchNorm2d(64, {.momentum = 1.0}),
///                           nn::ReLU(), nn::MaxPool2d(2, 2), nn::Flatten(), nn::Linear(64, 5));
/// ```
/// Layers given by value are moved (or deep-copied) in; a std::shared_ptr is shared. A single
/// Sequential argument is the copy / move constructor; push_back nests one.
class Sequential : public Cloneable<Sequential, ModuleSequence> {
 public:
  Sequential() = default;
  /// The modules in order, named "0", "1", ... (values moved or deep-copied in, shared_ptrs
  /// shared).
  template <typename... Ms>
  requires(sizeof...(Ms) > 0 && (detail::ModuleArg<Ms> && ...) &&
           !detail::is_single_self<Sequential, Ms...>) explicit Sequential(Ms&&... modules) {
    (push_back(std::forward<Ms>(modules)), ...);
  }
  Tensor forward(const Tensor& input) override;
};

/// Holds submodules in a list (torch.nn.ModuleList): they are registered, named "0", "1", ...,
/// listed, saved, converted and cloned with the owner, and the owner's forward calls them as it
/// likes. A ModuleList itself has no forward (calling it throws, as PyTorch's).
/// ```cpp
/// nn::ModuleList blocks(nn::Linear(8, 8), nn::Linear(8, 8));
/// for (size_t i = 0; i < blocks.size(); ++i) x = relu(blocks[i](x));
/// ```
class ModuleList : public Cloneable<ModuleList, ModuleSequence> {
 public:
  ModuleList() = default;
  /// The modules in order, named "0", "1", ... (values moved or deep-copied in, shared_ptrs
  /// shared).
  template <typename... Ms>
  requires(sizeof...(Ms) > 0 && (detail::ModuleArg<Ms> && ...) &&
           !detail::is_single_self<ModuleList, Ms...>) explicit ModuleList(Ms&&... modules) {
    (push_back(std::forward<Ms>(modules)), ...);
  }
  /// Throws: a ModuleList is a container, its owner runs the layers.
  Tensor forward(const Tensor& input) override;
};

/// @}

}  // namespace metagrad::nn
