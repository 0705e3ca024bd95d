// torch.distributions.Dirichlet: the density from lgamma and digamma (derivatives of every order
// in the concentration), draws as normalised detail::standard_gamma draws.
#include <limits>

#include "engine/distributions/distribution_support.hpp"
#include "engine/distributions/distributions.hpp"
#include "engine/grad_mode.hpp"
#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"

namespace metagrad::distributions {

Dirichlet::Dirichlet(const Tensor& concentration) {
  metagrad::detail::check_floating(concentration, "Dirichlet");
  MG_CHECK(concentration.dim() >= 1 && concentration.size(-1) > 0,
           "Dirichlet: the concentration must be [*, K] with K >= 1 in the last dim, got shape {}",
           shape_str(concentration.shape()));
  metagrad::detail::check_positive(concentration, "Dirichlet", "concentration");
  concentration_ = concentration;
}

Dims Dirichlet::batch_shape() const {
  return metagrad::detail::batch_shape_of_events(concentration_);
}

Tensor Dirichlet::sample(const Dims& sample_shape, Generator* generator) const {
  NoGradGuard no_grad;
  const Dims shape = metagrad::detail::distribution_sample_shape(
      sample_shape, concentration_.shape(), "Dirichlet");
  const Tensor draws = metagrad::detail::standard_gamma(
      expand(concentration_.detach(), shape).contiguous(), generator);
  const double eps = metagrad::detail::dtype_epsilon(concentration_.dtype());
  const double tiny = metagrad::detail::dtype_tiny(concentration_.dtype());
  return clamp(draws / sum(draws, {-1}, true), tiny, 1.0 - eps);
}

Tensor Dirichlet::rsample(const Dims& sample_shape, Generator* generator) const {
  const Dims shape = metagrad::detail::distribution_sample_shape(
      sample_shape, concentration_.shape(), "Dirichlet");
  const Tensor draws =
      metagrad::detail::standard_gamma_rsample(expand(concentration_, shape), generator);
  const Tensor point = draws / sum(draws, {-1}, true);
  const double eps = metagrad::detail::dtype_epsilon(concentration_.dtype());
  const double tiny = metagrad::detail::dtype_tiny(concentration_.dtype());
  // sample()'s clamp on the values only: point + (clamped - point), the correction constant.
  return point + (clamp(point.detach(), tiny, 1.0 - eps) - point.detach());
}

Tensor Dirichlet::log_prob(const Tensor& value) const {
  metagrad::detail::check_same_kind(concentration_, value, "Dirichlet.log_prob");
  // sum (a_i - 1) log(x_i) + lgamma(a0) - sum lgamma(a_i)
  const Tensor& a = concentration_;
  return sum(xlogy(a - 1.0, value), {-1}) + lgamma(sum(a, {-1})) - sum(lgamma(a), {-1});
}

Tensor Dirichlet::entropy() const {
  // sum lgamma(a_i) - lgamma(a0) - (K - a0) digamma(a0) - sum (a_i - 1) digamma(a_i)
  const Tensor& a = concentration_;
  const Tensor total = sum(a, {-1});
  const double categories = static_cast<double>(a.size(-1));
  return sum(lgamma(a), {-1}) - lgamma(total) - (categories - total) * digamma(total) -
         sum((a - 1.0) * digamma(a), {-1});
}

Tensor Dirichlet::mean() const { return concentration_ / sum(concentration_, {-1}, true); }

Tensor Dirichlet::variance() const {
  const Tensor total = sum(concentration_, {-1}, true);
  return concentration_ * (total - concentration_) / (square(total) * (total + 1.0));
}

Tensor kl_divergence(const Dirichlet& p, const Dirichlet& q) {
  const Tensor &a = p.concentration(), &b = q.concentration();
  metagrad::detail::check_same_kind(a, b, "kl_divergence");
  MG_CHECK(a.size(-1) == b.size(-1),
           "kl_divergence: the Dirichlets have {} and {} categories (concentration shapes {} and "
           "{})",
           a.size(-1), b.size(-1), shape_str(a.shape()), shape_str(b.shape()));
  // lgamma(p0) - lgamma(q0) - sum (lgamma(p_i) - lgamma(q_i))
  //   + sum (p_i - q_i) (digamma(p_i) - digamma(p0))
  const Tensor a_total = sum(a, {-1}, true);
  return lgamma(sum(a, {-1})) - lgamma(sum(b, {-1})) - sum(lgamma(a) - lgamma(b), {-1}) +
         sum((a - b) * (digamma(a) - digamma(a_total)), {-1});
}

}  // namespace metagrad::distributions
