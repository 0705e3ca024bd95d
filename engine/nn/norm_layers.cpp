// BatchNorm1d, BatchNorm2d, InstanceNorm1d, InstanceNorm2d, LayerNorm and GroupNorm.
#include <fmt/format.h>

#include "engine/grad_mode.hpp"
#include "engine/nn/batch_norm_layer.hpp"
#include "engine/nn/functional.hpp"
#include "engine/nn/init.hpp"
#include "engine/nn/layers.hpp"
#include "engine/ops.hpp"

namespace metagrad::nn {
namespace {

// Slot indices, in PyTorch's registration order.
constexpr size_t kWeight = 0, kBias = 1;
constexpr size_t kRunningMean = 0, kRunningVar = 1, kNumBatchesTracked = 2;

}  // namespace

BatchNormBase::BatchNormBase(const char* layer, int64_t num_features,
                             const BatchNormOptions& options, int min_dim, int max_dim)
    : num_features_(num_features), options_(options), min_dim_(min_dim), max_dim_(max_dim) {
  MG_CHECK(num_features > 0, "{}: num_features must be positive, got {}", layer, num_features);
  MG_CHECK(is_floating(options.dtype), "{}: parameters must be float32 or float64, got {}", layer,
           dtype_name(options.dtype));
  MG_CHECK(options.eps > 0.0, "{}: eps must be positive, got {}", layer, options.eps);
  const DType dtype = options.dtype;
  register_parameter("weight", options.affine ? empty({num_features}, dtype) : Tensor());
  register_parameter("bias", options.affine ? empty({num_features}, dtype) : Tensor());
  const bool track = options.track_running_stats;
  register_buffer("running_mean", track ? empty({num_features}, dtype) : Tensor());
  register_buffer("running_var", track ? empty({num_features}, dtype) : Tensor());
  register_buffer("num_batches_tracked", track ? zeros({}, kInt64) : Tensor());
  reset_parameters();
}

void BatchNormBase::reset_running_stats() {
  if (!options_.track_running_stats) return;
  init::zeros_(buffer_at(kRunningMean));
  init::ones_(buffer_at(kRunningVar));
  init::zeros_(buffer_at(kNumBatchesTracked));
}

void BatchNormBase::reset_parameters() {
  reset_running_stats();
  if (!options_.affine) return;
  init::ones_(parameter_at(kWeight));
  init::zeros_(parameter_at(kBias));
}

Tensor BatchNormBase::forward(const Tensor& input) {
  MG_CHECK(input.defined(), "{}: the input is undefined", type_name());
  MG_CHECK(input.dim() >= min_dim_ && input.dim() <= max_dim_,
           "{}: expected {} input (got {}D input of shape {})", type_name(),
           min_dim_ == max_dim_ ? fmt::format("{}D", min_dim_)
                                : fmt::format("{}D or {}D", min_dim_, max_dim_),
           input.dim(), shape_str(input.shape()));
  MG_CHECK(input.size(1) == num_features_,
           "{}: input has {} channels (dim 1 of shape {}), the layer was built for {}", type_name(),
           input.size(1), shape_str(input.shape()), num_features_);
  return detail::batch_norm_layer(input, buffer_at(kRunningMean), buffer_at(kRunningVar),
                                  buffer_at(kNumBatchesTracked), parameter_at(kWeight),
                                  parameter_at(kBias), options_, is_training());
}

LayerNorm::LayerNorm(const Dims& normalized_shape, const LayerNormOptions& options)
    : normalized_shape_(normalized_shape), options_(options) {
  MG_CHECK(!normalized_shape.empty(), "LayerNorm: normalized_shape must name at least one dim");
  for (const int64_t size : normalized_shape)
    MG_CHECK(size > 0, "LayerNorm: normalized_shape {} must have positive sizes",
             shape_str(normalized_shape));
  MG_CHECK(is_floating(options.dtype), "LayerNorm: parameters must be float32 or float64, got {}",
           dtype_name(options.dtype));
  MG_CHECK(options.eps >= 0.0, "LayerNorm: eps must be non-negative, got {}", options.eps);
  const bool affine = options.elementwise_affine;
  register_parameter("weight", affine ? empty(normalized_shape, options.dtype) : Tensor());
  register_parameter("bias",
                     affine && options.bias ? empty(normalized_shape, options.dtype) : Tensor());
  reset_parameters();
}

void LayerNorm::reset_parameters() {
  if (parameter_at(kWeight).defined()) init::ones_(parameter_at(kWeight));
  if (parameter_at(kBias).defined()) init::zeros_(parameter_at(kBias));
}

Tensor LayerNorm::forward(const Tensor& input) {
  MG_CHECK(input.defined(), "LayerNorm: the input is undefined");
  return layer_norm(input, normalized_shape_, parameter_at(kWeight), parameter_at(kBias),
                    options_.eps);
}

std::string LayerNorm::extra_repr() const {
  // Python's tuple repr: (64,) or (3, 4).
  std::string shape = "(";
  for (int i = 0; i < normalized_shape_.size(); ++i)
    shape += fmt::format("{}{}", i == 0 ? "" : ", ", normalized_shape_[i]);
  shape += normalized_shape_.size() == 1 ? ",)" : ")";
  return fmt::format("{}, eps={}, elementwise_affine={}", shape, detail::float_repr(options_.eps),
                     options_.elementwise_affine ? "True" : "False");
}

LocalResponseNorm::LocalResponseNorm(int64_t size, double alpha, double beta, double k)
    : size_(size), alpha_(alpha), beta_(beta), k_(k) {
  MG_CHECK(size > 0, "LocalResponseNorm: size must be positive, got {}", size);
}

Tensor LocalResponseNorm::forward(const Tensor& input) {
  return local_response_norm(input, size_, alpha_, beta_, k_);
}

std::string LocalResponseNorm::extra_repr() const {
  return fmt::format("{}, alpha={}, beta={}, k={}", size_, detail::float_repr(alpha_),
                     detail::float_repr(beta_), detail::float_repr(k_));
}

GroupNorm::GroupNorm(int64_t num_groups, int64_t num_channels, const GroupNormOptions& options)
    : num_groups_(num_groups), num_channels_(num_channels), options_(options) {
  MG_CHECK(num_groups > 0 && num_channels > 0 && num_channels % num_groups == 0,
           "GroupNorm: num_groups {} must be positive and divide num_channels {}", num_groups,
           num_channels);
  MG_CHECK(is_floating(options.dtype), "GroupNorm: parameters must be float32 or float64, got {}",
           dtype_name(options.dtype));
  MG_CHECK(options.eps >= 0.0, "GroupNorm: eps must be non-negative, got {}", options.eps);
  register_parameter("weight", options.affine ? empty({num_channels}, options.dtype) : Tensor());
  register_parameter("bias", options.affine ? empty({num_channels}, options.dtype) : Tensor());
  reset_parameters();
}

void GroupNorm::reset_parameters() {
  if (!options_.affine) return;
  init::ones_(parameter_at(kWeight));
  init::zeros_(parameter_at(kBias));
}

Tensor GroupNorm::forward(const Tensor& input) {
  MG_CHECK(input.defined(), "GroupNorm: the input is undefined");
  MG_CHECK(input.dim() >= 2 && input.size(1) == num_channels_,
           "GroupNorm: expected input [N, {}, *], got shape {}", num_channels_,
           shape_str(input.shape()));
  return group_norm(input, num_groups_, parameter_at(kWeight), parameter_at(kBias), options_.eps);
}

std::string GroupNorm::extra_repr() const {
  return fmt::format("{}, {}, eps={}, affine={}", num_groups_, num_channels_,
                     detail::float_repr(options_.eps), options_.affine ? "True" : "False");
}

namespace detail {

Tensor batch_norm_layer(const Tensor& input, const Tensor& running_mean, const Tensor& running_var,
                        const Tensor& counter, const Tensor& weight, const Tensor& bias,
                        const BatchNormOptions& options, bool training) {
  // PyTorch's _BatchNorm.forward: count batches; momentum None averages cumulatively.
  double factor = options.momentum.value_or(0.0);
  if (training && options.track_running_stats && counter.defined()) {
    NoGradGuard no_grad;
    Tensor count = counter;
    count.add_(1.0);
    if (!options.momentum) factor = 1.0 / count.item<double>();
  }
  // Batch statistics in training, and always when there are no running statistics.
  const bool use_batch_stats = training || (!running_mean.defined() && !running_var.defined());
  const bool pass_running = !training || options.track_running_stats;
  return batch_norm(input, pass_running ? running_mean : Tensor(),
                    pass_running ? running_var : Tensor(), weight, bias, use_batch_stats, factor,
                    options.eps);
}

}  // namespace detail

std::string BatchNormBase::extra_repr() const {
  return fmt::format("{}, eps={}, momentum={}, affine={}, track_running_stats={}", num_features_,
                     detail::float_repr(options_.eps),
                     options_.momentum ? detail::float_repr(*options_.momentum) : "None",
                     options_.affine ? "True" : "False",
                     options_.track_running_stats ? "True" : "False");
}

BatchNorm1d::BatchNorm1d(int64_t num_features, const BatchNormOptions& options)
    : Cloneable("BatchNorm1d", num_features, options, 2, 3) {}

BatchNorm2d::BatchNorm2d(int64_t num_features, const BatchNormOptions& options)
    : Cloneable("BatchNorm2d", num_features, options, 4, 4) {}

namespace {

BatchNormOptions slots_of(const InstanceNormOptions& options) {
  return {.eps = options.eps,
          .momentum = options.momentum,
          .affine = options.affine,
          .track_running_stats = options.track_running_stats,
          .dtype = options.dtype};
}

}  // namespace

InstanceNormBase::InstanceNormBase(const char* layer, int64_t num_features,
                                   const InstanceNormOptions& options, int spatial_dims)
    : BatchNormBase(layer, num_features, slots_of(options), spatial_dims + 1, spatial_dims + 2),
      spatial_dims_(spatial_dims) {}

Tensor InstanceNormBase::forward(const Tensor& input) {
  MG_CHECK(input.defined(), "{}: the input is undefined", type_name());
  MG_CHECK(input.dim() == spatial_dims_ + 1 || input.dim() == spatial_dims_ + 2,
           "{}: expected {}D (unbatched) or {}D input (got {}D input of shape {})", type_name(),
           spatial_dims_ + 1, spatial_dims_ + 2, input.dim(), shape_str(input.shape()));
  if (input.dim() == spatial_dims_ + 1) return squeeze(forward(unsqueeze(input, 0)), 0);
  const BatchNormOptions& o = options();
  // As PyTorch: a layer without affine parameters or running statistics takes any channel count.
  MG_CHECK(input.size(1) == num_features() || !(o.affine || o.track_running_stats),
           "{}: input has {} channels (dim 1 of shape {}), the layer was built for {}", type_name(),
           input.size(1), shape_str(input.shape()), num_features());
  const bool use_input_stats = is_training() || !o.track_running_stats;
  return instance_norm(input, buffer_at(kRunningMean), buffer_at(kRunningVar),
                       parameter_at(kWeight), parameter_at(kBias), use_input_stats,
                       o.momentum.value_or(0.1), o.eps);
}

InstanceNorm1d::InstanceNorm1d(int64_t num_features, const InstanceNormOptions& options)
    : Cloneable("InstanceNorm1d", num_features, options, 1) {}

InstanceNorm2d::InstanceNorm2d(int64_t num_features, const InstanceNormOptions& options)
    : Cloneable("InstanceNorm2d", num_features, options, 2) {}

}  // namespace metagrad::nn
