// torch.distributions.Normal, composed of differentiable ops.
#include <cmath>
#include <numbers>

#include "engine/distributions/distribution_support.hpp"
#include "engine/distributions/distributions.hpp"
#include "engine/grad_mode.hpp"
#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"

namespace metagrad::distributions {

Normal::Normal(const Tensor& loc, const Tensor& scale) {
  const char* op = "Normal";
  metagrad::detail::check_floating(loc, op);
  metagrad::detail::check_floating(scale, op);
  metagrad::detail::check_same_kind(loc, scale, op);
  batch_shape_ = broadcast_shapes(loc.shape(), scale.shape(), op);
  {
    NoGradGuard no_grad;
    MG_CHECK(all(gt(scale, 0.0)).item<bool>(),
             "Normal: scale must be positive everywhere (scale shape {})",
             shape_str(scale.shape()));
  }
  loc_ = loc;
  scale_ = scale;
}

Tensor Normal::mean() const { return expand(loc_, batch_shape_); }

Tensor Normal::stddev() const { return expand(scale_, batch_shape_); }

Tensor Normal::sample(const Dims& sample_shape, Generator* generator) const {
  NoGradGuard no_grad;
  return rsample(sample_shape, generator).detach();
}

Tensor Normal::rsample(const Dims& sample_shape, Generator* generator) const {
  const Tensor eps =
      randn(metagrad::detail::distribution_sample_shape(sample_shape, batch_shape(), "Normal"),
            TensorOptions(loc_.dtype(), loc_.device()), generator);
  return loc_ + eps * scale_;
}

Tensor Normal::log_prob(const Tensor& value) const {
  metagrad::detail::check_same_kind(loc_, value, "Normal.log_prob");
  // -(x - mu)^2 / (2 sigma^2) - log sigma - log sqrt(2 pi)
  const double log_sqrt_two_pi = 0.5 * std::log(2.0 * std::numbers::pi);
  return -square(value - loc_) / (square(scale_) * 2.0) - log(scale_) - log_sqrt_two_pi;
}

Tensor Normal::cdf(const Tensor& value) const {
  metagrad::detail::check_same_kind(loc_, value, "Normal.cdf");
  return (1.0 + erf((value - loc_) / scale_ * (1.0 / std::numbers::sqrt2))) * 0.5;
}

Tensor Normal::icdf(const Tensor& p) const {
  metagrad::detail::check_same_kind(loc_, p, "Normal.icdf");
  return loc_ + scale_ * erfinv(2.0 * p - 1.0) * std::numbers::sqrt2;
}

Tensor Normal::entropy() const {
  // 1/2 + 1/2 log(2 pi) + log sigma
  return log(stddev()) + (0.5 + 0.5 * std::log(2.0 * std::numbers::pi));
}

Tensor Normal::variance() const { return square(stddev()); }

Tensor kl_divergence(const Normal& p, const Normal& q) {
  metagrad::detail::check_same_kind(p.mean(), q.mean(), "kl_divergence");
  // log(sq / sp) + (sp^2 + (mp - mq)^2) / (2 sq^2) - 1/2
  const Tensor ratio = square(p.stddev() / q.stddev());
  const Tensor shift = square((p.mean() - q.mean()) / q.stddev());
  return (ratio + shift - 1.0 - log(ratio)) * 0.5;
}

}  // namespace metagrad::distributions
