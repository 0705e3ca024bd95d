// torch.distributions.Laplace, composed of differentiable ops.
#include <cmath>
#include <limits>

#include "engine/distributions/distribution_support.hpp"
#include "engine/distributions/distributions.hpp"
#include "engine/grad_mode.hpp"
#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"

namespace metagrad::distributions {

Laplace::Laplace(const Tensor& loc, const Tensor& scale) {
  batch_shape_ = metagrad::detail::location_scale_shape(loc, scale, "Laplace");
  loc_ = loc;
  scale_ = scale;
}

Tensor Laplace::sample(const Dims& sample_shape, Generator* generator) const {
  NoGradGuard no_grad;
  return rsample(sample_shape, generator).detach();
}

Tensor Laplace::rsample(const Dims& sample_shape, Generator* generator) const {
  const TensorOptions options(loc_.dtype(), loc_.device());
  // u uniform on (-1, 1) as PyTorch's (eps - 1, 1): |u| < 1, so log1p(-|u|) is finite.
  const double eps = metagrad::detail::dtype_epsilon(loc_.dtype());
  const Tensor u =
      rand(metagrad::detail::distribution_sample_shape(sample_shape, batch_shape_, "Laplace"),
           options, generator) *
          (2.0 - eps) +
      (eps - 1.0);
  return loc_ - scale_ * sign(u) * log1p(-abs(u));
}

Tensor Laplace::log_prob(const Tensor& value) const {
  metagrad::detail::check_same_kind(loc_, value, "Laplace.log_prob");
  return -log(scale_ * 2.0) - abs(value - loc_) / scale_;
}

Tensor Laplace::cdf(const Tensor& value) const {
  metagrad::detail::check_same_kind(loc_, value, "Laplace.cdf");
  const Tensor offset = value - loc_;
  return 0.5 - sign(offset) * expm1(-abs(offset) / scale_) * 0.5;
}

Tensor Laplace::entropy() const { return expand(log(scale_ * 2.0) + 1.0, batch_shape_); }

Tensor Laplace::mean() const { return expand(loc_, batch_shape_); }

Tensor Laplace::stddev() const { return expand(scale_ * std::sqrt(2.0), batch_shape_); }

Tensor Laplace::variance() const { return expand(square(scale_) * 2.0, batch_shape_); }

Tensor kl_divergence(const Laplace& p, const Laplace& q) {
  metagrad::detail::check_same_kind(p.loc(), q.loc(), "kl_divergence");
  // log(sq / sp) + |mp - mq| / sq + (sp / sq) e^(-|mp - mq| / sp) - 1
  const Tensor scale_ratio = p.scale() / q.scale();
  const Tensor distance = abs(p.loc() - q.loc());
  return -log(scale_ratio) + distance / q.scale() + scale_ratio * exp(-distance / p.scale()) - 1.0;
}

}  // namespace metagrad::distributions
