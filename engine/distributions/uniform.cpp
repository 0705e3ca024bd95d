// torch.distributions.Uniform, composed of differentiable ops.
#include <cmath>

#include "engine/distributions/distribution_support.hpp"
#include "engine/distributions/distributions.hpp"
#include "engine/grad_mode.hpp"
#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"

namespace metagrad::distributions {

Uniform::Uniform(const Tensor& low, const Tensor& high) {
  batch_shape_ = metagrad::detail::broadcast_parameters(low, high, "Uniform");
  metagrad::detail::check_positive(high - low, "Uniform", "high - low");
  low_ = low;
  high_ = high;
}

Tensor Uniform::sample(const Dims& sample_shape, Generator* generator) const {
  NoGradGuard no_grad;
  return rsample(sample_shape, generator).detach();
}

Tensor Uniform::rsample(const Dims& sample_shape, Generator* generator) const {
  const Tensor u =
      rand(metagrad::detail::distribution_sample_shape(sample_shape, batch_shape_, "Uniform"),
           TensorOptions(low_.dtype(), low_.device()), generator);
  return low_ + u * (high_ - low_);
}

Tensor Uniform::log_prob(const Tensor& value) const {
  metagrad::detail::check_same_kind(low_, value, "Uniform.log_prob");
  // log [low <= value < high] - log(high - low)
  Tensor inside;
  {
    NoGradGuard no_grad;
    inside = logical_and(le(low_, value), gt(high_, value));
  }
  const Tensor density = -log(high_ - low_);
  return where(inside, density, -std::numeric_limits<double>::infinity());
}

Tensor Uniform::cdf(const Tensor& value) const {
  metagrad::detail::check_same_kind(low_, value, "Uniform.cdf");
  return clamp((value - low_) / (high_ - low_), 0.0, 1.0);
}

Tensor Uniform::entropy() const { return expand(log(high_ - low_), batch_shape_); }

Tensor Uniform::mean() const { return expand((low_ + high_) * 0.5, batch_shape_); }

Tensor Uniform::stddev() const { return expand((high_ - low_) / std::sqrt(12.0), batch_shape_); }

Tensor Uniform::variance() const { return expand(square(high_ - low_) / 12.0, batch_shape_); }

Tensor kl_divergence(const Uniform& p, const Uniform& q) {
  metagrad::detail::check_same_kind(p.low(), q.low(), "kl_divergence");
  // log((hq - lq) / (hp - lp)) where [lp, hp) lies in [lq, hq), else +inf
  Tensor outside;
  {
    NoGradGuard no_grad;
    outside = logical_or(gt(q.low(), p.low()), lt(q.high(), p.high()));
  }
  const Tensor ratio = log((q.high() - q.low()) / (p.high() - p.low()));
  return where(outside, std::numeric_limits<double>::infinity(), ratio);
}

}  // namespace metagrad::distributions
