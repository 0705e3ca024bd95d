// torch.distributions.Categorical, composed of differentiable ops.
#include <limits>

#include "engine/distributions/distribution_support.hpp"
#include "engine/distributions/distributions.hpp"
#include "engine/grad_mode.hpp"
#include "engine/nn/functional.hpp"
#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"

namespace metagrad::distributions {
namespace {

void check_categories(const Tensor& t, const char* what) {
  metagrad::detail::check_floating(t, "Categorical");
  MG_CHECK(t.dim() >= 1 && t.size(-1) > 0,
           "Categorical: {} must be [*, K] with K >= 1 categories in the last dim, got shape {}",
           what, shape_str(t.shape()));
}

}  // namespace

Categorical Categorical::from_probs(const Tensor& probs) {
  check_categories(probs, "probs");
  const Tensor total = sum(probs, {-1}, true);
  {
    NoGradGuard no_grad;
    MG_CHECK(all(ge(probs, 0.0)).item<bool>() && all(gt(total, 0.0)).item<bool>(),
             "Categorical: probs must be non-negative with a positive sum in every row (shape {})",
             shape_str(probs.shape()));
  }
  return Categorical(probs, false);
}

Categorical Categorical::from_logits(const Tensor& logits) {
  check_categories(logits, "logits");
  return Categorical(logits, true);
}

Tensor Categorical::probs() const {
  return is_logits_ ? softmax(parameter_, -1) : parameter_ / sum(parameter_, {-1}, true);
}

Tensor Categorical::logits() const {
  // Normalised: l - logsumexp(l), or the log of the normalised probabilities clamped into
  // [eps, 1 - eps] (PyTorch's probs_to_logits).
  return is_logits_ ? log_softmax(parameter_, -1) : log(metagrad::detail::clamp_probs(probs()));
}

Dims Categorical::batch_shape() const {
  return metagrad::detail::batch_shape_of_events(parameter_);
}

Tensor Categorical::sample(const Dims& sample_shape, Generator* generator) const {
  NoGradGuard no_grad;
  // Inverse CDF: the category is the number of cumulative probabilities below a uniform draw.
  Dims shape =
      metagrad::detail::distribution_sample_shape(sample_shape, batch_shape(), "Categorical");
  const Tensor cdf = cumsum(probs().detach(), -1);
  shape.push_back(1);
  const Tensor u = rand(shape, TensorOptions(cdf.dtype(), cdf.device()), generator);
  const Tensor below = sum(lt(cdf, u).to(cdf.dtype()), {-1});
  // A draw above the last cumulative sum (rounding) is the last category.
  return clamp(below, std::nullopt, static_cast<double>(num_categories() - 1)).to(kInt64);
}

Tensor Categorical::log_prob(const Tensor& value) const {
  const char* op = "Categorical.log_prob";
  metagrad::detail::check_defined(value, op, "value");
  MG_CHECK(value.dtype() == kInt64, "{}: value must be int64 category indices, got {} of shape {}",
           op, dtype_name(value.dtype()), shape_str(value.shape()));
  const int64_t k = num_categories();
  if (value.numel() > 0) {
    NoGradGuard no_grad;
    const int64_t low = min(value).item<int64_t>(), high = max(value).item<int64_t>();
    MG_CHECK(low >= 0 && high < k, "{}: category {} is outside [0, {})", op, low < 0 ? low : high,
             k);
  }
  // log p[value]: value broadcast against the batch shape, then picked from the last dim.
  Dims shape = broadcast_shapes(value.shape(), batch_shape(), op);
  const Tensor index = unsqueeze(expand(value, shape), -1);
  shape.push_back(k);
  return squeeze(gather(expand(logits(), shape), -1, index), -1);
}

Tensor Categorical::entropy() const {
  // -sum p log p, with the logits clamped at the dtype's lowest value so 0 * -inf is not NaN.
  const double lowest = parameter_.dtype() == kFloat32 ? std::numeric_limits<float>::lowest()
                                                       : std::numeric_limits<double>::lowest();
  return -sum(clamp(logits(), lowest, std::nullopt) * probs(), {-1});
}

Tensor kl_divergence(const Categorical& p, const Categorical& q) {
  metagrad::detail::check_same_kind(p.probs(), q.probs(), "kl_divergence");
  MG_CHECK(p.num_categories() == q.num_categories(),
           "kl_divergence: the categoricals have {} and {} categories", p.num_categories(),
           q.num_categories());
  // sum p (log p - log q), the terms with p = 0 left out.
  const Tensor pp = p.probs();
  const Tensor terms = where(gt(pp, 0.0), pp * (p.logits() - q.logits()), 0.0);
  return sum(terms, {-1});
}

}  // namespace metagrad::distributions
