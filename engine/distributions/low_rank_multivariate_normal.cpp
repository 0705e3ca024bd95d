// torch.distributions.LowRankMultivariateNormal: everything through the m x m capacitance
// C = I + Wᵀ D⁻¹ W and its Cholesky factor, with differentiable ops.
#include "engine/distributions/low_rank_multivariate_normal.hpp"

#include <cmath>
#include <numbers>

#include "engine/distributions/distribution_support.hpp"
#include "engine/grad_mode.hpp"
#include "engine/ops.hpp"
#include "engine/ops/dense_linalg.hpp"
#include "engine/ops/op_support.hpp"

namespace metagrad::distributions {
namespace {

using metagrad::detail::with_tail;

constexpr const char* kLowRankMultivariateNormal = "LowRankMultivariateNormal";

// shape without its last `count` dims.
Dims without_tail(Dims shape, int count) {
  for (int i = 0; i < count; ++i) shape.pop_back();
  return shape;
}

// Checks the three parameters' kinds and shapes; returns the broadcast batch shape.
Dims checked_batch_shape(const Tensor& loc, const Tensor& cov_factor, const Tensor& cov_diag) {
  metagrad::detail::check_floating(loc, kLowRankMultivariateNormal);
  metagrad::detail::check_floating(cov_factor, kLowRankMultivariateNormal);
  metagrad::detail::check_floating(cov_diag, kLowRankMultivariateNormal);
  metagrad::detail::check_same_kind(loc, cov_factor, kLowRankMultivariateNormal);
  metagrad::detail::check_same_kind(loc, cov_diag, kLowRankMultivariateNormal);
  MG_CHECK(loc.dim() >= 1, "{}: loc must have at least one dim (the event dim), got a 0-d tensor",
           kLowRankMultivariateNormal);
  const int64_t k = loc.size(-1);
  MG_CHECK(cov_factor.dim() >= 2 && cov_factor.size(-2) == k,
           "{}: cov_factor must be [*, {}, m] for loc shape {}, got shape {}",
           kLowRankMultivariateNormal, k, shape_str(loc.shape()), shape_str(cov_factor.shape()));
  MG_CHECK(cov_diag.dim() >= 1 && cov_diag.size(-1) == k,
           "{}: cov_diag must be [*, {}] for loc shape {}, got shape {}",
           kLowRankMultivariateNormal, k, shape_str(loc.shape()), shape_str(cov_diag.shape()));
  const Dims batch = broadcast_shapes(
      broadcast_shapes(without_tail(loc.shape(), 1), without_tail(cov_factor.shape(), 2),
                       kLowRankMultivariateNormal),
      without_tail(cov_diag.shape(), 1), kLowRankMultivariateNormal);
  metagrad::detail::check_positive(cov_diag, kLowRankMultivariateNormal, "cov_diag");
  return batch;
}

// Wᵀ D⁻¹, [*, m, k].
Tensor factor_over_diag(const Tensor& cov_factor, const Tensor& cov_diag) {
  return transpose(cov_factor, -2, -1) / unsqueeze(cov_diag, -2);
}

}  // namespace

LowRankMultivariateNormal::LowRankMultivariateNormal(const Tensor& loc, const Tensor& cov_factor,
                                                     const Tensor& cov_diag)
    : loc_(loc),
      cov_factor_(cov_factor),
      cov_diag_(cov_diag),
      batch_shape_(checked_batch_shape(loc, cov_factor, cov_diag)) {}

Tensor LowRankMultivariateNormal::capacitance_tril() const {
  // cholesky(I + Wᵀ D⁻¹ W): positive definite for any W when D > 0.
  const int64_t m = cov_factor_.size(-1);
  const Tensor identity = eye(m, -1, TensorOptions(loc_.dtype(), loc_.device()));
  return linalg::cholesky(matmul(factor_over_diag(cov_factor_, cov_diag_), cov_factor_) + identity);
}

Tensor LowRankMultivariateNormal::log_det(const Tensor& capacitance_factor) const {
  // log det(W Wᵀ + D) = log det C + log det D
  return 2.0 * sum(log(diagonal(capacitance_factor, 0, -2, -1)), {-1}) + sum(log(cov_diag_), {-1});
}

Tensor LowRankMultivariateNormal::sample(const Dims& sample_shape, Generator* generator) const {
  NoGradGuard no_grad;
  return rsample(sample_shape, generator).detach();
}

Tensor LowRankMultivariateNormal::rsample(const Dims& sample_shape, Generator* generator) const {
  const Dims shape = metagrad::detail::distribution_sample_shape(sample_shape, batch_shape_,
                                                                 kLowRankMultivariateNormal);
  const TensorOptions options(loc_.dtype(), loc_.device());
  const Tensor eps_w = randn(with_tail(shape, {cov_factor_.size(-1)}), options, generator);
  const Tensor eps_d = randn(with_tail(shape, {loc_.size(-1)}), options, generator);
  // loc + W eps_W + sqrt(D) eps_D
  return loc_ + squeeze(matmul(cov_factor_, unsqueeze(eps_w, -1)), -1) + sqrt(cov_diag_) * eps_d;
}

Tensor LowRankMultivariateNormal::log_prob(const Tensor& value) const {
  const char* op = "LowRankMultivariateNormal.log_prob";
  metagrad::detail::check_same_kind(loc_, value, op);
  const int64_t k = loc_.size(-1);
  MG_CHECK(value.dim() >= 1 && value.size(-1) == k,
           "{}: value shape {} must end in the event size {}", op, shape_str(value.shape()), k);
  const Tensor factor = capacitance_tril();
  const Tensor diff = value - loc_;
  // M = sum x^2 / D - |L_C⁻¹ Wᵀ D⁻¹ x|²
  const Tensor projected = matmul(factor_over_diag(cov_factor_, cov_diag_), unsqueeze(diff, -1));
  const Tensor whitened = linalg::solve_triangular(factor, projected, false);
  const Tensor mahalanobis = sum(square(diff) / cov_diag_, {-1}) - sum(square(whitened), {-2, -1});
  const double log_two_pi = std::log(2.0 * std::numbers::pi);
  return (mahalanobis + log_det(factor) + static_cast<double>(k) * log_two_pi) * -0.5;
}

Tensor LowRankMultivariateNormal::entropy() const {
  const double k = static_cast<double>(loc_.size(-1));
  const Tensor h =
      (log_det(capacitance_tril()) + k * (1.0 + std::log(2.0 * std::numbers::pi))) * 0.5;
  return expand(h, batch_shape_);
}

Tensor LowRankMultivariateNormal::mean() const {
  return expand(loc_, with_tail(batch_shape_, {loc_.size(-1)}));
}

Tensor LowRankMultivariateNormal::variance() const {
  return expand(sum(square(cov_factor_), {-1}) + cov_diag_,
                with_tail(batch_shape_, {loc_.size(-1)}));
}

Tensor LowRankMultivariateNormal::covariance_matrix() const {
  const int64_t k = loc_.size(-1);
  return expand(matmul(cov_factor_, transpose(cov_factor_, -2, -1)) + diag_embed(cov_diag_),
                with_tail(batch_shape_, {k, k}));
}

Tensor LowRankMultivariateNormal::precision_matrix() const {
  const int64_t k = loc_.size(-1);
  // diag(1 / D) - Aᵀ A, A = L_C⁻¹ Wᵀ D⁻¹
  const Tensor a =
      linalg::solve_triangular(capacitance_tril(), factor_over_diag(cov_factor_, cov_diag_), false);
  return expand(diag_embed(reciprocal(cov_diag_)) - matmul(transpose(a, -2, -1), a),
                with_tail(batch_shape_, {k, k}));
}

Tensor LowRankMultivariateNormal::scale_tril() const {
  const int64_t k = loc_.size(-1);
  // sqrt(D) cholesky(I + D^(-1/2) W Wᵀ D^(-1/2))
  const Tensor root = unsqueeze(sqrt(cov_diag_), -1);
  const Tensor scaled = cov_factor_ / root;
  const Tensor identity = eye(k, -1, TensorOptions(loc_.dtype(), loc_.device()));
  return expand(root * linalg::cholesky(matmul(scaled, transpose(scaled, -2, -1)) + identity),
                with_tail(batch_shape_, {k, k}));
}

MultivariateNormal LowRankMultivariateNormal::to_multivariate_normal() const {
  return MultivariateNormal::from_scale_tril(loc_, scale_tril());
}

Tensor kl_divergence(const LowRankMultivariateNormal& p, const LowRankMultivariateNormal& q) {
  return kl_divergence(p.to_multivariate_normal(), q.to_multivariate_normal());
}

}  // namespace metagrad::distributions
