// torch.distributions.NegativeBinomial: log_prob from log-sigmoids and lgamma; draws as Poisson
// counts of a Gamma rate, as PyTorch's.
#include "engine/distributions/count_support.hpp"
#include "engine/distributions/counts.hpp"
#include "engine/distributions/distribution_support.hpp"
#include "engine/grad_mode.hpp"
#include "engine/nn/functional.hpp"
#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"

namespace metagrad::distributions {

NegativeBinomial::NegativeBinomial(Tensor total_count, Tensor parameter, bool is_logits)
    : total_count_(std::move(total_count)),
      parameter_(std::move(parameter)),
      is_logits_(is_logits),
      batch_shape_(
          metagrad::detail::count_parameters_shape(total_count_, parameter_, "NegativeBinomial")) {
  NoGradGuard no_grad;
  MG_CHECK(all(ge(total_count_, 0.0)).item<bool>(),
           "NegativeBinomial: total_count must be non-negative everywhere (shape {})",
           shape_str(total_count_.shape()));
}

NegativeBinomial NegativeBinomial::from_probs(const Tensor& total_count, const Tensor& probs) {
  metagrad::detail::check_probabilities(probs, "NegativeBinomial", true);
  return NegativeBinomial(
      metagrad::detail::count_as_parameter(total_count, probs, "NegativeBinomial"), probs, false);
}

NegativeBinomial NegativeBinomial::from_logits(const Tensor& total_count, const Tensor& logits) {
  metagrad::detail::check_floating(logits, "NegativeBinomial");
  return NegativeBinomial(
      metagrad::detail::count_as_parameter(total_count, logits, "NegativeBinomial"), logits, true);
}

Tensor NegativeBinomial::probs() const {
  return metagrad::detail::binary_probs(parameter_, is_logits_);
}

Tensor NegativeBinomial::logits() const {
  return metagrad::detail::binary_logits(parameter_, is_logits_);
}

Tensor NegativeBinomial::sample(const Dims& sample_shape, Generator* generator) const {
  NoGradGuard no_grad;
  const Dims shape =
      metagrad::detail::distribution_sample_shape(sample_shape, batch_shape_, "NegativeBinomial");
  // Gamma(n, rate = e^-l) = Gamma(n, 1) e^l, then Poisson counts of that rate.
  const Tensor gamma_rate = metagrad::detail::standard_gamma(
                                expand(total_count_.detach(), shape).contiguous(), generator) *
                            exp(logits().detach());
  return Poisson(gamma_rate).sample({}, generator);
}

Tensor NegativeBinomial::log_prob(const Tensor& value) const {
  metagrad::detail::check_same_kind(parameter_, value, "NegativeBinomial.log_prob");
  // n log sigmoid(-l) + k log sigmoid(l) + lgamma(n + k) - lgamma(k + 1) - lgamma(n)
  const Tensor l = logits();
  const Tensor& n = total_count_;
  const Tensor unnormalized = n * log_sigmoid(-l) + value * log_sigmoid(l);
  const Tensor normalization = -lgamma(n + value) + lgamma(value + 1.0) + lgamma(n);
  return unnormalized - where(eq(n + value, 0.0), 0.0, normalization);
}

Tensor NegativeBinomial::mean() const { return expand(total_count_ * exp(logits()), batch_shape_); }

Tensor NegativeBinomial::variance() const { return mean() / sigmoid(-logits()); }

}  // namespace metagrad::distributions
