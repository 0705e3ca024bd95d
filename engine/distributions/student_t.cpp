// torch.distributions.StudentT, composed of differentiable ops; draws through the gamma sampler.
#include <cmath>
#include <limits>
#include <numbers>

#include "engine/distributions/distribution_support.hpp"
#include "engine/distributions/univariate.hpp"
#include "engine/grad_mode.hpp"
#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"

namespace metagrad::distributions {

StudentT::StudentT(const Tensor& df, const Tensor& loc, const Tensor& scale) {
  const char* name = "StudentT";
  metagrad::detail::check_floating(df, name);
  const TensorOptions options(df.dtype(), df.device());
  loc_ = loc.defined() ? loc : zeros({}, options);
  scale_ = scale.defined() ? scale : ones({}, options);
  const Dims location_shape = metagrad::detail::location_scale_shape(loc_, scale_, name);
  metagrad::detail::check_same_kind(df, loc_, name);
  batch_shape_ = broadcast_shapes(df.shape(), location_shape, name);
  metagrad::detail::check_positive(df, name, "df");
  df_ = df;
}

Tensor StudentT::sample(const Dims& sample_shape, Generator* generator) const {
  NoGradGuard no_grad;
  const Dims shape =
      metagrad::detail::distribution_sample_shape(sample_shape, batch_shape_, "StudentT");
  const TensorOptions options(df_.dtype(), df_.device());
  // loc + scale X / sqrt(Z / df), X ~ N(0, 1), Z ~ Chi2(df) = 2 Gamma(df / 2, 1)
  const Tensor df = expand(df_.detach(), shape).contiguous();
  const Tensor chi2 = metagrad::detail::standard_gamma(df * 0.5, generator) * 2.0;
  const Tensor x = randn(shape, options, generator);
  return (loc_.detach() + scale_.detach() * x * rsqrt(chi2 / df)).detach();
}

Tensor StudentT::rsample(const Dims& sample_shape, Generator* generator) const {
  const Dims shape =
      metagrad::detail::distribution_sample_shape(sample_shape, batch_shape_, "StudentT");
  const TensorOptions options(df_.dtype(), df_.device());
  // loc + scale X / sqrt(Z / df), Z = 2 Gamma(df / 2, 1) reparameterized
  const Tensor df = expand(df_, shape);
  const Tensor chi2 = metagrad::detail::standard_gamma_rsample(df * 0.5, generator) * 2.0;
  const Tensor x = randn(shape, options, generator);
  return loc_ + scale_ * x * rsqrt(chi2 / df);
}

Tensor StudentT::log_prob(const Tensor& value) const {
  metagrad::detail::check_same_kind(df_, value, "StudentT.log_prob");
  // -(df + 1)/2 log1p(y^2 / df) - [log(scale) + log(df)/2 + log(pi)/2 + lgamma(df/2)
  //  - lgamma((df + 1)/2)], y = (x - loc) / scale
  const Tensor y = (value - loc_) / scale_;
  const Tensor normalizer = log(scale_) + log(df_) * 0.5 + 0.5 * std::log(std::numbers::pi) +
                            lgamma(df_ * 0.5) - lgamma((df_ + 1.0) * 0.5);
  return -(df_ + 1.0) * 0.5 * log1p(square(y) / df_) - normalizer;
}

Tensor StudentT::entropy() const {
  // log(scale) + (df + 1)/2 (digamma((df + 1)/2) - digamma(df/2)) + log(df)/2 + log B(df/2, 1/2)
  const Tensor half_df = df_ * 0.5, half_next = (df_ + 1.0) * 0.5;
  const Tensor log_beta = lgamma(half_df) + std::lgamma(0.5) - lgamma(half_next);
  return expand(
      log(scale_) + half_next * (digamma(half_next) - digamma(half_df)) + log(df_) * 0.5 + log_beta,
      batch_shape_);
}

Tensor StudentT::mean() const {
  return expand(
      where(gt(df_, 1.0), expand(loc_, batch_shape_), std::numeric_limits<double>::quiet_NaN()),
      batch_shape_);
}

Tensor StudentT::variance() const {
  const Tensor df = expand(df_, batch_shape_);
  const Tensor finite = square(expand(scale_, batch_shape_)) * df / (df - 2.0);
  const Tensor heavy = where(gt(df, 1.0), full_like(df, std::numeric_limits<double>::infinity()),
                             std::numeric_limits<double>::quiet_NaN());
  return where(gt(df, 2.0), finite, heavy);
}

}  // namespace metagrad::distributions
