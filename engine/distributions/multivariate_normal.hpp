#pragma once

#include "engine/random/generator.hpp"
#include "engine/tensor.hpp"

namespace metagrad::distributions {
/// \addtogroup engine_distributions
/// @{

/// A multivariate normal N(loc, Σ) over vectors of the last dim
/// (torch.distributions.MultivariateNormal), given by the covariance Σ, the precision Σ⁻¹ or the
/// lower Cholesky factor L of Σ (Σ = L Lᵀ, positive diagonal). loc [*, k] and the matrix
/// [*, k, k] broadcast their batch dims: the batch shape is their broadcast, the event shape
/// [k]. Everything is computed from L with differentiable ops (cholesky, triangular solves), so
/// log_prob, entropy, rsample and kl_divergence have derivatives of every order in loc and the
/// matrix.
class MultivariateNormal {
 public:
  /// torch.distributions.MultivariateNormal(loc, covariance_matrix = Σ): L = cholesky(Σ). Throws
  /// when the shapes do not fit or Σ is not positive definite.
  static MultivariateNormal from_covariance(const Tensor& loc, const Tensor& covariance_matrix);
  /// torch.distributions.MultivariateNormal(loc, precision_matrix = P): L from P as PyTorch's
  /// (a Cholesky factor of P with flipped rows and columns, inverted by a triangular solve).
  static MultivariateNormal from_precision(const Tensor& loc, const Tensor& precision_matrix);
  /// torch.distributions.MultivariateNormal(loc, scale_tril = L): L lower triangular with a
  /// positive diagonal (throws otherwise, as PyTorch's argument validation).
  static MultivariateNormal from_scale_tril(const Tensor& loc, const Tensor& scale_tril);

  /// Draws sample_shape + batch_shape + [k] values without recording.
  Tensor sample(const Dims& sample_shape = {}, Generator* generator = nullptr) const;
  /// loc + L eps, eps ~ N(0, I): differentiable in loc and the matrix.
  Tensor rsample(const Dims& sample_shape = {}, Generator* generator = nullptr) const;
  /// -(k log(2 pi) + |L⁻¹ (value - loc)|²) / 2 - sum log diag L, for value [..., k] broadcast
  /// against batch_shape + [k].
  Tensor log_prob(const Tensor& value) const;
  /// k (1 + log(2 pi)) / 2 + sum log diag L, of the batch shape.
  Tensor entropy() const;
  /// loc, broadcast to batch_shape + [k].
  Tensor mean() const;
  /// diag Σ (the row sums of L²), broadcast to batch_shape + [k].
  Tensor variance() const;
  /// L, broadcast to batch_shape + [k, k].
  Tensor scale_tril() const;
  /// Σ = L Lᵀ, broadcast to batch_shape + [k, k].
  Tensor covariance_matrix() const;
  /// Σ⁻¹ = cholesky_inverse(L), broadcast to batch_shape + [k, k].
  Tensor precision_matrix() const;
  /// The broadcast batch dims of loc and the matrix.
  const Dims& batch_shape() const { return batch_shape_; }
  /// [k].
  Dims event_shape() const { return {loc_.size(-1)}; }
  /// loc, as given.
  const Tensor& loc() const { return loc_; }
  /// L with its own batch dims (not broadcast), the factor everything is computed from.
  const Tensor& unbroadcasted_scale_tril() const { return scale_tril_; }

 private:
  MultivariateNormal(Tensor loc, Tensor scale_tril, Dims batch_shape)
      : loc_(std::move(loc)),
        scale_tril_(std::move(scale_tril)),
        batch_shape_(std::move(batch_shape)) {}
  Tensor loc_, scale_tril_;
  Dims batch_shape_;
};

/// KL(p || q) of two multivariate normals of the same k: sum log diag Lq - sum log diag Lp
/// + (|Lq⁻¹ Lp|_F² + |Lq⁻¹ (mq - mp)|² - k) / 2, of the broadcast batch shape.
Tensor kl_divergence(const MultivariateNormal& p, const MultivariateNormal& q);

/// @}
}  // namespace metagrad::distributions
