// torch.distributions.Multinomial: the tallies of categorical draws, with PyTorch's log_prob and
// entropy (the latter through the Binomial marginals of the counts).
#include <cmath>
#include <limits>

#include "engine/distributions/counts.hpp"
#include "engine/distributions/distribution_support.hpp"
#include "engine/grad_mode.hpp"
#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"

namespace metagrad::distributions {
namespace {

int64_t checked_total(int64_t total_count) {
  MG_CHECK(total_count >= 0 && total_count <= std::numeric_limits<int32_t>::max(),
           "Multinomial: total_count must be in [0, 2^31 - 1], got {}", total_count);
  return total_count;
}

}  // namespace

Multinomial::Multinomial(int64_t total_count, Categorical categorical)
    : total_count_(total_count), categorical_(std::move(categorical)) {}

Multinomial Multinomial::from_probs(int64_t total_count, const Tensor& probs) {
  return Multinomial(checked_total(total_count), Categorical::from_probs(probs));
}

Multinomial Multinomial::from_logits(int64_t total_count, const Tensor& logits) {
  return Multinomial(checked_total(total_count), Categorical::from_logits(logits));
}

Tensor Multinomial::sample(const Dims& sample_shape, Generator* generator) const {
  NoGradGuard no_grad;
  Dims shape =
      metagrad::detail::distribution_sample_shape(sample_shape, batch_shape(), "Multinomial");
  const Tensor p = probs();
  shape.push_back(categorical_.num_categories());
  Tensor counts = zeros(shape, TensorOptions(p.dtype(), p.device()));
  if (total_count_ == 0) return counts;
  // total_count draws per event, moved to the last dim, then tallied per category.
  Dims draws_shape = sample_shape;
  draws_shape.insert(0, total_count_);
  const Tensor draws = movedim(categorical_.sample(draws_shape, generator), 0, -1).contiguous();
  return scatter_add(counts, -1, draws, ones(draws.shape(), TensorOptions(p.dtype(), p.device())));
}

Tensor Multinomial::log_prob(const Tensor& value) const {
  const char* op = "Multinomial.log_prob";
  const Tensor l = logits();
  metagrad::detail::check_same_kind(l, value, op);
  MG_CHECK(value.dim() >= 1 && value.size(-1) == l.size(-1),
           "{}: value must hold counts of the {} categories in its last dim, got shape {}", op,
           l.size(-1), shape_str(value.shape()));
  const Dims shape = broadcast_shapes(l.shape(), value.shape(), op);
  const Tensor x = expand(value, shape);
  // A category of probability 0 (logit -inf) drawn 0 times adds 0, not 0 * -inf.
  const Tensor logits =
      where(logical_and(eq(x, 0.0), eq(expand(l, shape), -std::numeric_limits<double>::infinity())),
            0.0, expand(l, shape));
  // lgamma(n + 1) - sum lgamma(x + 1) + sum x log p
  return lgamma(sum(x, {-1}) + 1.0) - sum(lgamma(x + 1.0), {-1}) + sum(logits * x, {-1});
}

Tensor Multinomial::entropy() const {
  const Tensor p = probs();
  const double n = static_cast<double>(total_count_);
  const Tensor from_categories = categorical_.entropy() * n - std::lgamma(n + 1.0);
  if (total_count_ == 0) return from_categories;
  // sum over categories i and k = 1..n of Binomial(n, p_i)(k) lgamma(k + 1)
  const Binomial marginals =
      Binomial::from_probs(full({}, n, TensorOptions(p.dtype(), p.device())), p);
  const Tensor support = slice(marginals.enumerate_support(false), 0, 1, total_count_ + 1);
  const Tensor weighted = exp(marginals.log_prob(support)) * lgamma(support + 1.0);
  return from_categories + sum(weighted, {0, -1});
}

Tensor Multinomial::mean() const { return probs() * static_cast<double>(total_count_); }

Tensor Multinomial::variance() const {
  const Tensor p = probs();
  return p * (1.0 - p) * static_cast<double>(total_count_);
}

}  // namespace metagrad::distributions
