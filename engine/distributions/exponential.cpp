// torch.distributions.Exponential, composed of differentiable ops.
#include "engine/distributions/distribution_support.hpp"
#include "engine/distributions/distributions.hpp"
#include "engine/grad_mode.hpp"
#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"

namespace metagrad::distributions {

Exponential::Exponential(const Tensor& rate) {
  metagrad::detail::check_floating(rate, "Exponential");
  metagrad::detail::check_positive(rate, "Exponential", "rate");
  rate_ = rate;
}

Tensor Exponential::sample(const Dims& sample_shape, Generator* generator) const {
  NoGradGuard no_grad;
  return rsample(sample_shape, generator).detach();
}

Tensor Exponential::rsample(const Dims& sample_shape, Generator* generator) const {
  const Tensor u =
      rand(metagrad::detail::distribution_sample_shape(sample_shape, batch_shape(), "Exponential"),
           TensorOptions(rate_.dtype(), rate_.device()), generator);
  // -log(1 - u) / rate: 1 - u lies in (0, 1], so every draw is finite.
  return -log1p(-u) / rate_;
}

Tensor Exponential::log_prob(const Tensor& value) const {
  metagrad::detail::check_same_kind(rate_, value, "Exponential.log_prob");
  return log(rate_) - rate_ * value;
}

Tensor Exponential::cdf(const Tensor& value) const {
  metagrad::detail::check_same_kind(rate_, value, "Exponential.cdf");
  return -expm1(-rate_ * value);
}

Tensor Exponential::entropy() const { return 1.0 - log(rate_); }

Tensor Exponential::mean() const { return reciprocal(rate_); }

Tensor Exponential::stddev() const { return reciprocal(rate_); }

Tensor Exponential::variance() const { return pow(rate_, -2.0); }

Tensor kl_divergence(const Exponential& p, const Exponential& q) {
  metagrad::detail::check_same_kind(p.rate(), q.rate(), "kl_divergence");
  // r - 1 - log r, r = rate_q / rate_p
  const Tensor ratio = q.rate() / p.rate();
  return ratio - 1.0 - log(ratio);
}

}  // namespace metagrad::distributions
