#pragma once

#include "engine/random/generator.hpp"
#include "engine/tensor.hpp"

// torch.distributions.LogisticNormal: Normal draws over the last dim of loc, K - 1 of them, pushed
// onto the probability simplex of K coordinates by PyTorch's stick-breaking transform.
namespace metagrad::distributions {
/// \addtogroup engine_distributions
/// @{

/// The law of stick_breaking(X) for X ~ N(loc, scale^2) independent over the last dim
/// (torch.distributions.LogisticNormal): loc and scale [*, K - 1] give events on the simplex of
/// [K] coordinates; scale > 0.
class LogisticNormal {
 public:
  /// torch.distributions.LogisticNormal(loc, scale). A 0-d loc and scale act as [1] (events of
  /// 2 coordinates), as PyTorch's. Throws when the shapes do not broadcast or a scale is not
  /// positive.
  LogisticNormal(const Tensor& loc, const Tensor& scale);
  /// Draws sample_shape + batch_shape + [K] points of the simplex without recording.
  Tensor sample(const Dims& sample_shape = {}, Generator* generator = nullptr) const;
  /// stick_breaking(loc + scale eps): differentiable in loc and scale.
  Tensor rsample(const Dims& sample_shape = {}, Generator* generator = nullptr) const;
  /// The Normal log-density of x = stick_breaking⁻¹(value), summed over the last dim, minus
  /// log |det J| of the transform at x, for value [..., K] on the simplex.
  Tensor log_prob(const Tensor& value) const;
  /// The broadcast shape of loc and scale without the last dim.
  const Dims& batch_shape() const { return batch_shape_; }
  /// [K], one more than the last dim of loc and scale.
  Dims event_shape() const { return {event_size_}; }
  /// loc, as given.
  const Tensor& loc() const { return loc_; }
  /// scale, as given.
  const Tensor& scale() const { return scale_; }

 private:
  Tensor loc_, scale_;
  Dims batch_shape_;
  int64_t event_size_;
};

/// PyTorch's StickBreakingTransform: x [..., K - 1] to the simplex [..., K] by
/// z_i = sigmoid(x_i - log(K - 1 - i)), y_i = z_i prod_{j<i} (1 - z_j), y_{K-1} = prod (1 - z_j).
/// Differentiable, every order.
Tensor stick_breaking(const Tensor& x);

/// The inverse of stick_breaking: y [..., K] on the simplex to x [..., K - 1] with
/// x_i = log(y_i) - log(1 - sum_{j<=i} y_j) + log(K - 1 - i) (the remainder clamped to the
/// dtype's smallest normal number, as PyTorch's).
Tensor stick_breaking_inverse(const Tensor& y);

/// @}
}  // namespace metagrad::distributions
