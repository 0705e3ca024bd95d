// torch.distributions.FisherSnedecor: a ratio of Gamma draws (reparameterized through
// Gamma::rsample), with PyTorch's log_prob, moments and clamps.
#include <limits>

#include "engine/distributions/bounded.hpp"
#include "engine/distributions/distribution_support.hpp"
#include "engine/distributions/distributions.hpp"
#include "engine/grad_mode.hpp"
#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"

namespace metagrad::distributions {

FisherSnedecor::FisherSnedecor(const Tensor& df1, const Tensor& df2)
    : df1_(df1),
      df2_(df2),
      batch_shape_(metagrad::detail::broadcast_parameters(df1, df2, "FisherSnedecor")) {
  metagrad::detail::check_positive(df1, "FisherSnedecor", "df1");
  metagrad::detail::check_positive(df2, "FisherSnedecor", "df2");
}

Tensor FisherSnedecor::sample(const Dims& sample_shape, Generator* generator) const {
  NoGradGuard no_grad;
  return rsample(sample_shape, generator).detach();
}

Tensor FisherSnedecor::rsample(const Dims& sample_shape, Generator* generator) const {
  metagrad::detail::distribution_sample_shape(sample_shape, batch_shape_, "FisherSnedecor");
  // (X1 / d1) / (X2 / d2) = G1 / G2 with G_i ~ Gamma(d_i / 2, rate d_i)
  const Tensor df1 = expand(df1_, batch_shape_);
  const Tensor df2 = expand(df2_, batch_shape_);
  const Tensor g1 = Gamma(df1 * 0.5, df1).rsample(sample_shape, generator);
  const Tensor g2 = Gamma(df2 * 0.5, df2).rsample(sample_shape, generator);
  const double tiny = metagrad::detail::dtype_tiny(df1_.dtype());
  return clamp(g1 / clamp(g2, tiny, std::nullopt), tiny, std::nullopt);
}

Tensor FisherSnedecor::log_prob(const Tensor& value) const {
  metagrad::detail::check_same_kind(df1_, value, "FisherSnedecor.log_prob");
  // lgamma((d1 + d2)/2) - lgamma(d1/2) - lgamma(d2/2) + d1/2 log(d1/d2) + (d1/2 - 1) log x
  // - (d1 + d2)/2 log1p(d1 x / d2)
  const Tensor half1 = df1_ * 0.5, half2 = df2_ * 0.5, ratio = df1_ / df2_;
  const Tensor normalizer = lgamma(half1 + half2) - lgamma(half1) - lgamma(half2);
  return normalizer + half1 * log(ratio) + (half1 - 1.0) * log(value) -
         (half1 + half2) * log1p(ratio * value);
}

Tensor FisherSnedecor::mean() const {
  const Tensor df2 = expand(df2_, batch_shape_);
  return where(gt(df2, 2.0), df2 / (df2 - 2.0), std::numeric_limits<double>::quiet_NaN());
}

Tensor FisherSnedecor::variance() const {
  const Tensor df2 = expand(df2_, batch_shape_);
  const Tensor exact =
      2.0 * square(df2) * (df1_ + df2 - 2.0) / (df1_ * square(df2 - 2.0) * (df2 - 4.0));
  return where(gt(df2, 4.0), exact, std::numeric_limits<double>::quiet_NaN());
}

}  // namespace metagrad::distributions
