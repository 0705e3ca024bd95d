// torch.distributions.LogisticNormal: a Normal pushed through PyTorch's stick-breaking transform,
// with the transform's inverse and log-Jacobian, composed of differentiable ops.
#include "engine/distributions/logistic_normal.hpp"

#include "engine/distributions/distribution_support.hpp"
#include "engine/distributions/distributions.hpp"
#include "engine/grad_mode.hpp"
#include "engine/nn/functional.hpp"
#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"

namespace metagrad::distributions {
namespace {

// log(K - 1 - i) for i = 0 .. K - 2, K - 1 = `length`: the stick-breaking offsets' logs.
Tensor log_offsets(int64_t length, const Tensor& like) {
  return log(
      arange(static_cast<double>(length), 0.0, -1.0, TensorOptions(like.dtype(), like.device())));
}

// x's shape with the last dim set to `size`.
Dims with_last(Dims shape, int64_t size) {
  shape.back() = size;
  return shape;
}

// 0-d parameters act as [1], as PyTorch's base_dist.expand([1]).
Tensor at_least_1d(const Tensor& t) { return t.dim() == 0 ? reshape(t, {1}) : t; }

}  // namespace

Tensor stick_breaking(const Tensor& x) {
  metagrad::detail::check_floating(x, "stick_breaking");
  MG_CHECK(x.dim() >= 1, "stick_breaking: x must have a last dim to break along, got a 0-d tensor");
  // z = sigmoid(x - log offset); y = [z, 1] * [1, cumprod(1 - z)]
  const Tensor z = sigmoid(x - log_offsets(x.size(-1), x));
  const Tensor one = ones(with_last(x.shape(), 1), TensorOptions(x.dtype(), x.device()));
  return cat({z, one}, -1) * cat({one, cumprod(1.0 - z, -1)}, -1);
}

Tensor stick_breaking_inverse(const Tensor& y) {
  metagrad::detail::check_floating(y, "stick_breaking_inverse");
  MG_CHECK(y.dim() >= 1 && y.size(-1) >= 1,
           "stick_breaking_inverse: y must be [..., K] with K >= 1, got shape {}",
           shape_str(y.shape()));
  // x = log y_i - log(1 - sum_{j<=i} y_j) + log offset
  const Tensor crop = slice(y, -1, 0, y.size(-1) - 1);
  const double tiny = metagrad::detail::dtype_tiny(y.dtype());
  const Tensor remainder_left = clamp(1.0 - cumsum(crop, -1), tiny, std::nullopt);
  return log(crop) - log(remainder_left) + log_offsets(crop.size(-1), y);
}

LogisticNormal::LogisticNormal(const Tensor& loc, const Tensor& scale) {
  Dims shape = metagrad::detail::location_scale_shape(loc, scale, "LogisticNormal");
  loc_ = at_least_1d(loc);
  scale_ = at_least_1d(scale);
  if (shape.empty()) shape.push_back(1);
  event_size_ = shape.back() + 1;
  shape.pop_back();
  batch_shape_ = shape;
}

Tensor LogisticNormal::sample(const Dims& sample_shape, Generator* generator) const {
  NoGradGuard no_grad;
  return rsample(sample_shape, generator).detach();
}

Tensor LogisticNormal::rsample(const Dims& sample_shape, Generator* generator) const {
  return stick_breaking(Normal(loc_, scale_).rsample(sample_shape, generator));
}

Tensor LogisticNormal::log_prob(const Tensor& value) const {
  const char* op = "LogisticNormal.log_prob";
  metagrad::detail::check_same_kind(loc_, value, op);
  MG_CHECK(
      value.dim() >= 1 && value.size(-1) == event_size_,
      "{}: value must be points of the simplex of {} coordinates in its last dim, got shape {}", op,
      event_size_, shape_str(value.shape()));
  const Tensor x = stick_breaking_inverse(value);
  // log|det J| = sum(-x' + log sigmoid(x') + log y_i), x' = x - log offset
  const Tensor shifted = x - log_offsets(x.size(-1), x);
  const Tensor log_det_jacobian =
      sum(-shifted + log_sigmoid(shifted) + log(slice(value, -1, 0, event_size_ - 1)), {-1});
  return sum(Normal(loc_, scale_).log_prob(x), {-1}) - log_det_jacobian;
}

}  // namespace metagrad::distributions
