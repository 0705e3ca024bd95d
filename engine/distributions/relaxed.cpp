// OneHotCategorical, RelaxedOneHotCategorical, RelaxedBernoulli and Chi2 (relaxed.hpp), composed
// of differentiable ops over Categorical, Bernoulli and Gamma.
#include "engine/distributions/relaxed.hpp"

#include <cmath>

#include "engine/distributions/distribution_support.hpp"
#include "engine/grad_mode.hpp"
#include "engine/nn/functional.hpp"
#include "engine/nn/log1p_exp.hpp"
#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"

namespace metagrad::distributions {
namespace {

// Checks a relaxed distribution's temperature against its parameter.
void check_temperature(const Tensor& temperature, const Tensor& parameter, const char* name) {
  metagrad::detail::check_defined(temperature, name, "temperature");
  metagrad::detail::check_same_kind(temperature, parameter, name);
  metagrad::detail::check_positive(temperature, name, "temperature");
}

// Uniform draws of `shape` clamped into [eps, 1 - eps] (PyTorch's clamp_probs), without history.
Tensor clamped_uniforms(const Dims& shape, const Tensor& like, Generator* generator) {
  NoGradGuard no_grad;
  return metagrad::detail::clamp_probs(
      rand(shape, TensorOptions(like.dtype(), like.device()), generator));
}

// Chi2's df after checking it, naming Chi2.
const Tensor& checked_df(const Tensor& df) {
  metagrad::detail::check_defined(df, "Chi2", "df");
  metagrad::detail::check_floating(df, "Chi2");
  metagrad::detail::check_positive(df, "Chi2", "df");
  return df;
}

}  // namespace

OneHotCategorical OneHotCategorical::from_probs(const Tensor& probs) {
  return OneHotCategorical(Categorical::from_probs(probs));
}

OneHotCategorical OneHotCategorical::from_logits(const Tensor& logits) {
  return OneHotCategorical(Categorical::from_logits(logits));
}

Tensor OneHotCategorical::sample(const Dims& sample_shape, Generator* generator) const {
  NoGradGuard no_grad;
  const Tensor categories = categorical_.sample(sample_shape, generator);
  return one_hot(categories, categorical_.num_categories()).to(probs().dtype());
}

Tensor OneHotCategorical::log_prob(const Tensor& value) const {
  metagrad::detail::check_defined(value, "OneHotCategorical.log_prob", "value");
  MG_CHECK(value.dim() >= 1 && value.size(-1) == categorical_.num_categories(),
           "OneHotCategorical.log_prob: value shape {} must end in the {} categories",
           shape_str(value.shape()), categorical_.num_categories());
  return categorical_.log_prob(argmax(value, -1));
}

Tensor OneHotCategorical::variance() const {
  const Tensor p = probs();
  return p * (1.0 - p);
}

RelaxedOneHotCategorical RelaxedOneHotCategorical::from_probs(const Tensor& temperature,
                                                              const Tensor& probs) {
  Categorical categorical = Categorical::from_probs(probs);
  check_temperature(temperature, probs, "RelaxedOneHotCategorical");
  return RelaxedOneHotCategorical(temperature, std::move(categorical));
}

RelaxedOneHotCategorical RelaxedOneHotCategorical::from_logits(const Tensor& temperature,
                                                               const Tensor& logits) {
  Categorical categorical = Categorical::from_logits(logits);
  check_temperature(temperature, logits, "RelaxedOneHotCategorical");
  return RelaxedOneHotCategorical(temperature, std::move(categorical));
}

Tensor RelaxedOneHotCategorical::sample(const Dims& sample_shape, Generator* generator) const {
  NoGradGuard no_grad;
  return rsample(sample_shape, generator).detach();
}

Tensor RelaxedOneHotCategorical::rsample(const Dims& sample_shape, Generator* generator) const {
  Dims shape = metagrad::detail::distribution_sample_shape(sample_shape, batch_shape(),
                                                           "RelaxedOneHotCategorical");
  shape.push_back(categorical_.num_categories());
  const Tensor logits = categorical_.logits();
  // g = -log(-log u); exp of the log-softmax of (logits + g) / t, as PyTorch's.
  const Tensor gumbels = -log(-log(clamped_uniforms(shape, logits, generator)));
  return exp(log_softmax((logits + gumbels) / temperature_, -1));
}

Tensor RelaxedOneHotCategorical::log_prob(const Tensor& value) const {
  metagrad::detail::check_same_kind(temperature_, value, "RelaxedOneHotCategorical.log_prob");
  const double categories = static_cast<double>(categorical_.num_categories());
  // x = log y; sum(s - logsumexp(s)) + lgamma(K) + (K - 1) log t - sum(x), s = logits - t x
  const Tensor x = log(value);
  const Tensor s = categorical_.logits() - x * temperature_;
  const Tensor score = sum(s - logsumexp(s, {-1}, true), {-1});
  return score + (std::lgamma(categories) + (categories - 1.0) * log(temperature_)) - sum(x, {-1});
}

RelaxedBernoulli RelaxedBernoulli::from_probs(const Tensor& temperature, const Tensor& probs) {
  Bernoulli bernoulli = Bernoulli::from_probs(probs);
  check_temperature(temperature, probs, "RelaxedBernoulli");
  return RelaxedBernoulli(temperature, std::move(bernoulli));
}

RelaxedBernoulli RelaxedBernoulli::from_logits(const Tensor& temperature, const Tensor& logits) {
  Bernoulli bernoulli = Bernoulli::from_logits(logits);
  check_temperature(temperature, logits, "RelaxedBernoulli");
  return RelaxedBernoulli(temperature, std::move(bernoulli));
}

Tensor RelaxedBernoulli::sample(const Dims& sample_shape, Generator* generator) const {
  NoGradGuard no_grad;
  return rsample(sample_shape, generator).detach();
}

Tensor RelaxedBernoulli::rsample(const Dims& sample_shape, Generator* generator) const {
  const Dims shape =
      metagrad::detail::distribution_sample_shape(sample_shape, batch_shape(), "RelaxedBernoulli");
  const Tensor p = metagrad::detail::clamp_probs(expand(probs(), shape));
  const Tensor u = clamped_uniforms(shape, p, generator);
  // sigmoid((logit(u) + logit(p)) / t), clipped into [tiny, 1 - eps] as PyTorch's
  const Tensor x = (log(u) - log1p(-u) + log(p) - log1p(-p)) / temperature_;
  const DType dtype = p.dtype();
  return clamp(sigmoid(x), metagrad::detail::dtype_tiny(dtype),
               1.0 - metagrad::detail::dtype_epsilon(dtype));
}

Tensor RelaxedBernoulli::log_prob(const Tensor& value) const {
  metagrad::detail::check_same_kind(temperature_, value, "RelaxedBernoulli.log_prob");
  const DType dtype = value.dtype();
  const Tensor y = clamp(value, metagrad::detail::dtype_tiny(dtype),
                         1.0 - metagrad::detail::dtype_epsilon(dtype));
  // x = logit(y), d = logits - t x: log t + d - 2 softplus(d) + softplus(x) + softplus(-x)
  const Tensor x = log(y) - log1p(-y);
  const Tensor d = logits() - x * temperature_;
  using metagrad::detail::log1p_exp;
  return log(temperature_) + d - 2.0 * log1p_exp(d) + log1p_exp(x) + log1p_exp(-x);
}

Chi2::Chi2(const Tensor& df)
    : df_(checked_df(df)),
      gamma_(df * 0.5, full({}, 0.5, TensorOptions(df.dtype(), df.device()))) {}

Tensor Chi2::sample(const Dims& sample_shape, Generator* generator) const {
  return gamma_.sample(sample_shape, generator);
}

Tensor Chi2::rsample(const Dims& sample_shape, Generator* generator) const {
  return gamma_.rsample(sample_shape, generator);
}

}  // namespace metagrad::distributions
