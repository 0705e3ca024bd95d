// torch.distributions.MultivariateNormal: everything from the lower Cholesky factor L of the
// covariance, with differentiable ops (cholesky, solve_triangular, cholesky_inverse).
#include "engine/distributions/multivariate_normal.hpp"

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

constexpr const char* kMultivariateNormal = "MultivariateNormal";

// Checks loc [*, k] against a matrix [*, k, k] (naming `matrix_name`) and returns the batch shape.
Dims checked_batch_shape(const Tensor& loc, const Tensor& matrix, const char* matrix_name) {
  metagrad::detail::check_floating(loc, kMultivariateNormal);
  metagrad::detail::check_floating(matrix, kMultivariateNormal);
  metagrad::detail::check_same_kind(loc, matrix, kMultivariateNormal);
  MG_CHECK(loc.dim() >= 1,
           "MultivariateNormal: loc must have at least one dim (the event dim), got a 0-d tensor");
  const int64_t k = loc.size(-1);
  MG_CHECK(matrix.dim() >= 2 && matrix.size(-1) == k && matrix.size(-2) == k,
           "MultivariateNormal: {} must be [*, {}, {}] for loc shape {}, got shape {}", matrix_name,
           k, k, shape_str(loc.shape()), shape_str(matrix.shape()));
  Dims loc_batch = loc.shape(), matrix_batch = matrix.shape();
  loc_batch.pop_back();
  matrix_batch.pop_back();
  matrix_batch.pop_back();
  return broadcast_shapes(loc_batch, matrix_batch, kMultivariateNormal);
}

// The lower Cholesky factor of `matrix`; throws naming the distribution and `matrix_name` when a
// matrix of the batch is not positive definite.
Tensor checked_cholesky(const Tensor& matrix, const char* matrix_name) {
  const linalg::CholeskyExResult factor = linalg::cholesky_ex(matrix);
  NoGradGuard no_grad;
  MG_CHECK(all(eq(factor.info, 0.0)).item<bool>(),
           "MultivariateNormal: {} (shape {}) must be positive definite, but the Cholesky "
           "factorization of some matrix failed",
           matrix_name, shape_str(matrix.shape()));
  return factor.L;
}

// sum log diag L over the last dim: half the log-determinant of L Lᵀ.
Tensor half_log_det(const Tensor& scale_tril) {
  return sum(log(diagonal(scale_tril, 0, -2, -1)), {-1});
}

// |L⁻¹ x|² for x [..., k] with L [*, k, k] broadcast against x's leading dims.
Tensor mahalanobis(const Tensor& scale_tril, const Tensor& x) {
  const Tensor whitened = linalg::solve_triangular(scale_tril, unsqueeze(x, -1), false);
  return sum(square(whitened), {-2, -1});
}

}  // namespace

MultivariateNormal MultivariateNormal::from_covariance(const Tensor& loc,
                                                       const Tensor& covariance_matrix) {
  Dims batch = checked_batch_shape(loc, covariance_matrix, "covariance_matrix");
  return MultivariateNormal(loc, checked_cholesky(covariance_matrix, "covariance_matrix"),
                            std::move(batch));
}

MultivariateNormal MultivariateNormal::from_precision(const Tensor& loc,
                                                      const Tensor& precision_matrix) {
  Dims batch = checked_batch_shape(loc, precision_matrix, "precision_matrix");
  // PyTorch's _precision_to_scale_tril: with F the flip of rows and columns, F P F = Lf Lfᵀ, so
  // P = (F Lf F)(F Lf F)ᵀ with F Lf F upper triangular, and L = (F Lf F)⁻ᵀ is lower triangular
  // with L Lᵀ = P⁻¹.
  const Tensor flipped = checked_cholesky(flip(precision_matrix, {-2, -1}), "precision_matrix");
  const Tensor inverse_factor = transpose(flip(flipped, {-2, -1}), -2, -1);
  const Tensor identity = eye(loc.size(-1), -1, TensorOptions(loc.dtype(), loc.device()));
  return MultivariateNormal(loc, linalg::solve_triangular(inverse_factor, identity, false),
                            std::move(batch));
}

MultivariateNormal MultivariateNormal::from_scale_tril(const Tensor& loc,
                                                       const Tensor& scale_tril) {
  Dims batch = checked_batch_shape(loc, scale_tril, "scale_tril");
  {
    NoGradGuard no_grad;
    MG_CHECK(all(gt(diagonal(scale_tril, 0, -2, -1), 0.0)).item<bool>() &&
                 all(eq(triu(scale_tril, 1), 0.0)).item<bool>(),
             "MultivariateNormal: scale_tril must be lower triangular with a positive diagonal "
             "(shape {}); pass a covariance_matrix to factor one",
             shape_str(scale_tril.shape()));
  }
  return MultivariateNormal(loc, scale_tril, std::move(batch));
}

Tensor MultivariateNormal::sample(const Dims& sample_shape, Generator* generator) const {
  NoGradGuard no_grad;
  return rsample(sample_shape, generator).detach();
}

Tensor MultivariateNormal::rsample(const Dims& sample_shape, Generator* generator) const {
  const Dims shape = metagrad::detail::distribution_sample_shape(
      sample_shape, with_tail(batch_shape_, {loc_.size(-1)}), kMultivariateNormal);
  const Tensor eps = randn(shape, TensorOptions(loc_.dtype(), loc_.device()), generator);
  // loc + L eps
  return loc_ + squeeze(matmul(scale_tril_, unsqueeze(eps, -1)), -1);
}

Tensor MultivariateNormal::log_prob(const Tensor& value) const {
  metagrad::detail::check_same_kind(loc_, value, "MultivariateNormal.log_prob");
  const int64_t k = loc_.size(-1);
  MG_CHECK(value.dim() >= 1 && value.size(-1) == k,
           "MultivariateNormal.log_prob: value shape {} must end in the event size {}",
           shape_str(value.shape()), k);
  // -(k log(2 pi) + M) / 2 - sum log diag L, M = |L⁻¹ (x - mu)|²
  const Tensor diff = value - loc_;
  const double log_two_pi = std::log(2.0 * std::numbers::pi);
  return (mahalanobis(scale_tril_, diff) + static_cast<double>(k) * log_two_pi) * -0.5 -
         half_log_det(scale_tril_);
}

Tensor MultivariateNormal::entropy() const {
  const double k = static_cast<double>(loc_.size(-1));
  const Tensor h = half_log_det(scale_tril_) + 0.5 * k * (1.0 + std::log(2.0 * std::numbers::pi));
  return expand(h, batch_shape_);
}

Tensor MultivariateNormal::mean() const {
  return expand(loc_, with_tail(batch_shape_, {loc_.size(-1)}));
}

Tensor MultivariateNormal::variance() const {
  return expand(sum(square(scale_tril_), {-1}), with_tail(batch_shape_, {loc_.size(-1)}));
}

Tensor MultivariateNormal::scale_tril() const {
  const int64_t k = loc_.size(-1);
  return expand(scale_tril_, with_tail(batch_shape_, {k, k}));
}

Tensor MultivariateNormal::covariance_matrix() const {
  const int64_t k = loc_.size(-1);
  return expand(matmul(scale_tril_, transpose(scale_tril_, -2, -1)),
                with_tail(batch_shape_, {k, k}));
}

Tensor MultivariateNormal::precision_matrix() const {
  const int64_t k = loc_.size(-1);
  return expand(cholesky_inverse(scale_tril_), with_tail(batch_shape_, {k, k}));
}

Tensor kl_divergence(const MultivariateNormal& p, const MultivariateNormal& q) {
  metagrad::detail::check_same_kind(p.loc(), q.loc(), "kl_divergence");
  const int64_t k = p.loc().size(-1);
  MG_CHECK(q.loc().size(-1) == k,
           "kl_divergence: the multivariate normals have event sizes {} and {}; they must agree", k,
           q.loc().size(-1));
  const Dims batch = broadcast_shapes(p.batch_shape(), q.batch_shape(), "kl_divergence");
  // sum log diag Lq - sum log diag Lp + (|Lq⁻¹ Lp|_F² + |Lq⁻¹ (mq - mp)|² - k) / 2
  const Tensor& lp = p.unbroadcasted_scale_tril();
  const Tensor& lq = q.unbroadcasted_scale_tril();
  const Tensor trace_term = sum(square(linalg::solve_triangular(lq, lp, false)), {-2, -1});
  const Tensor shift_term = mahalanobis(lq, q.loc() - p.loc());
  const Tensor kl = half_log_det(lq) - half_log_det(lp) +
                    (trace_term + shift_term - static_cast<double>(k)) * 0.5;
  return expand(kl, batch);
}

}  // namespace metagrad::distributions
