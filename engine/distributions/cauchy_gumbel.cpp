// torch.distributions.Cauchy and Gumbel, location-scale families drawn by inverting their CDFs,
// composed of differentiable ops.
#include <cmath>
#include <limits>
#include <numbers>

#include "engine/distributions/distribution_support.hpp"
#include "engine/distributions/univariate.hpp"
#include "engine/grad_mode.hpp"
#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"

namespace metagrad::distributions {

Cauchy::Cauchy(const Tensor& loc, const Tensor& scale) {
  batch_shape_ = metagrad::detail::location_scale_shape(loc, scale, "Cauchy");
  loc_ = loc;
  scale_ = scale;
}

Tensor Cauchy::sample(const Dims& sample_shape, Generator* generator) const {
  NoGradGuard no_grad;
  return rsample(sample_shape, generator).detach();
}

Tensor Cauchy::rsample(const Dims& sample_shape, Generator* generator) const {
  // The inverse CDF at u ~ U[0, 1): tan(pi (u - 1/2)) is a standard Cauchy draw.
  const Tensor u =
      rand(metagrad::detail::distribution_sample_shape(sample_shape, batch_shape_, "Cauchy"),
           TensorOptions(loc_.dtype(), loc_.device()), generator);
  return loc_ + scale_ * tan((u - 0.5) * std::numbers::pi);
}

Tensor Cauchy::log_prob(const Tensor& value) const {
  metagrad::detail::check_same_kind(loc_, value, "Cauchy.log_prob");
  return -log1p(square((value - loc_) / scale_)) - log(scale_) - std::log(std::numbers::pi);
}

Tensor Cauchy::cdf(const Tensor& value) const {
  metagrad::detail::check_same_kind(loc_, value, "Cauchy.cdf");
  return atan((value - loc_) / scale_) * std::numbers::inv_pi + 0.5;
}

Tensor Cauchy::entropy() const {
  return expand(log(scale_) + std::log(4.0 * std::numbers::pi), batch_shape_);
}

Tensor Cauchy::mean() const {
  return full(batch_shape_, std::numeric_limits<double>::quiet_NaN(),
              TensorOptions(loc_.dtype(), loc_.device()));
}

Tensor Cauchy::variance() const {
  return full(batch_shape_, std::numeric_limits<double>::infinity(),
              TensorOptions(loc_.dtype(), loc_.device()));
}

Gumbel::Gumbel(const Tensor& loc, const Tensor& scale) {
  batch_shape_ = metagrad::detail::location_scale_shape(loc, scale, "Gumbel");
  loc_ = loc;
  scale_ = scale;
}

Tensor Gumbel::sample(const Dims& sample_shape, Generator* generator) const {
  NoGradGuard no_grad;
  return rsample(sample_shape, generator).detach();
}

Tensor Gumbel::rsample(const Dims& sample_shape, Generator* generator) const {
  // u in [tiny, 1 - eps) as PyTorch's base Uniform(tiny, 1 - eps): -log(-log u) stays finite.
  const double tiny = metagrad::detail::dtype_tiny(loc_.dtype());
  const double eps = metagrad::detail::dtype_epsilon(loc_.dtype());
  const Tensor u =
      rand(metagrad::detail::distribution_sample_shape(sample_shape, batch_shape_, "Gumbel"),
           TensorOptions(loc_.dtype(), loc_.device()), generator) *
          (1.0 - eps - tiny) +
      tiny;
  return loc_ - scale_ * log(-log(u));
}

Tensor Gumbel::log_prob(const Tensor& value) const {
  metagrad::detail::check_same_kind(loc_, value, "Gumbel.log_prob");
  // y - e^y - log(scale), y = (loc - x) / scale
  const Tensor y = (loc_ - value) / scale_;
  return y - exp(y) - log(scale_);
}

Tensor Gumbel::cdf(const Tensor& value) const {
  metagrad::detail::check_same_kind(loc_, value, "Gumbel.cdf");
  return exp(-exp((loc_ - value) / scale_));
}

Tensor Gumbel::entropy() const {
  return expand(log(scale_) + (1.0 + std::numbers::egamma), batch_shape_);
}

Tensor Gumbel::mean() const { return expand(loc_ + scale_ * std::numbers::egamma, batch_shape_); }

Tensor Gumbel::variance() const {
  return expand(square(scale_) * (std::numbers::pi * std::numbers::pi / 6.0), batch_shape_);
}

Tensor kl_divergence(const Cauchy& p, const Cauchy& q) {
  metagrad::detail::check_same_kind(p.loc(), q.loc(), "kl_divergence");
  // log(((sp + sq)^2 + (mp - mq)^2) / (4 sp sq))
  return log(square(p.scale() + q.scale()) + square(p.loc() - q.loc())) -
         log(p.scale() * q.scale() * 4.0);
}

Tensor kl_divergence(const Gumbel& p, const Gumbel& q) {
  metagrad::detail::check_same_kind(p.loc(), q.loc(), "kl_divergence");
  // log(sq / sp) + (mp - mq) / sq + r gamma + exp((mq - mp) / sq + lgamma(1 + r)) - 1 - gamma,
  // r = sp / sq
  const Tensor ratio = p.scale() / q.scale();
  const Tensor shift = (p.loc() - q.loc()) / q.scale();
  return -log(ratio) + shift + ratio * std::numbers::egamma + exp(lgamma(ratio + 1.0) - shift) -
         (1.0 + std::numbers::egamma);
}

}  // namespace metagrad::distributions
