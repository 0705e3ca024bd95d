#pragma once

#include "engine/distributions/multivariate_normal.hpp"
#include "engine/random/generator.hpp"
#include "engine/tensor.hpp"

// torch.distributions.LowRankMultivariateNormal: a multivariate normal whose covariance is
// W Wᵀ + diag(D), for a factor W [*, k, m] and a positive diagonal D [*, k]. log_prob, entropy and
// rsample cost O(k m^2) per event through the m x m capacitance matrix C = I + Wᵀ D⁻¹ W (Woodbury
// and the matrix determinant lemma), never forming the k x k covariance; all are composed of
// differentiable ops (cholesky, triangular solves), so every derivative order exists.
namespace metagrad::distributions {
/// \addtogroup engine_distributions
/// @{

/// A multivariate normal N(loc, W Wᵀ + diag(D)) over the last dim of loc
/// (torch.distributions.LowRankMultivariateNormal).
class LowRankMultivariateNormal {
 public:
  /// torch.distributions.LowRankMultivariateNormal(loc, cov_factor, cov_diag): loc [*, k],
  /// cov_factor [*, k, m], cov_diag [*, k] with positive entries; batch dims broadcast. Throws
  /// when the shapes do not fit, a cov_diag entry is not positive or the dtypes or devices
  /// differ.
  LowRankMultivariateNormal(const Tensor& loc, const Tensor& cov_factor, const Tensor& cov_diag);
  /// Draws sample_shape + batch_shape + [k] values without recording.
  Tensor sample(const Dims& sample_shape = {}, Generator* generator = nullptr) const;
  /// loc + W eps_W + sqrt(D) eps_D for eps_W ~ N(0, I_m), eps_D ~ N(0, I_k) drawn in that order:
  /// differentiable in loc, W and D.
  Tensor rsample(const Dims& sample_shape = {}, Generator* generator = nullptr) const;
  /// -(k log(2 pi) + log det Σ + M) / 2 with log det Σ = 2 sum log diag L_C + sum log D and
  /// M = sum x^2 / D - |L_C⁻¹ Wᵀ D⁻¹ x|², x = value - loc, L_C the Cholesky factor of C.
  Tensor log_prob(const Tensor& value) const;
  /// (k (1 + log(2 pi)) + log det Σ) / 2, of the batch shape.
  Tensor entropy() const;
  /// loc, broadcast to batch_shape + [k].
  Tensor mean() const;
  /// sum_j W_ij^2 + D_i, broadcast to batch_shape + [k].
  Tensor variance() const;
  /// W Wᵀ + diag(D), broadcast to batch_shape + [k, k].
  Tensor covariance_matrix() const;
  /// diag(1 / D) - Aᵀ A with A = L_C⁻¹ Wᵀ D⁻¹ (Woodbury), broadcast to batch_shape + [k, k].
  Tensor precision_matrix() const;
  /// sqrt(D) cholesky(I + D^(-1/2) W Wᵀ D^(-1/2)), row i scaled by sqrt(D_i): the lower Cholesky
  /// factor of Σ, broadcast to batch_shape + [k, k].
  Tensor scale_tril() const;
  /// The same distribution as a MultivariateNormal (from scale_tril()).
  MultivariateNormal to_multivariate_normal() const;
  /// The broadcast batch dims of loc, cov_factor and cov_diag.
  const Dims& batch_shape() const { return batch_shape_; }
  /// [k].
  Dims event_shape() const { return {loc_.size(-1)}; }
  /// loc, as given.
  const Tensor& loc() const { return loc_; }
  /// W, as given.
  const Tensor& cov_factor() const { return cov_factor_; }
  /// D, as given.
  const Tensor& cov_diag() const { return cov_diag_; }

 private:
  // The lower Cholesky factor of the capacitance C = I + Wᵀ D⁻¹ W, [*, m, m].
  Tensor capacitance_tril() const;
  // log det Σ = 2 sum log diag L_C + sum log D.
  Tensor log_det(const Tensor& capacitance_factor) const;
  Tensor loc_, cov_factor_, cov_diag_;
  Dims batch_shape_;
};

/// KL(p || q) of two low-rank multivariate normals of the same k, as that of their
/// MultivariateNormal forms.
Tensor kl_divergence(const LowRankMultivariateNormal& p, const LowRankMultivariateNormal& q);

/// @}
}  // namespace metagrad::distributions
