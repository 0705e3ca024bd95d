#pragma once

#include <cstdint>
#include <utility>

#include "engine/distributions/distributions.hpp"
#include "engine/error.hpp"
#include "engine/nn/functional.hpp"
#include "engine/ops.hpp"
#include "engine/random/generator.hpp"
#include "engine/tensor.hpp"

// torch.distributions.MixtureSameFamily: a Categorical choice among the K components of one
// distribution, whose last batch dim holds them. A template over the component class (Normal,
// Independent<Normal>, Gamma, ...). log_prob is a log-sum-exp over the components, differentiable
// in the mixture's logits and the components' parameters to every order.
namespace metagrad::distributions {
/// \addtogroup engine_distributions
/// @{

/// A mixture with weights `mixture` (a Categorical over K) of the K components along the last
/// batch dim of `component` (torch.distributions.MixtureSameFamily).
template <typename Component>
class MixtureSameFamily {
 public:
  /// torch.distributions.MixtureSameFamily(mixture_distribution, component_distribution). Throws
  /// when the component has no batch dim, when its last batch dim is not the mixture's number of
  /// categories, or when the mixture's batch shape is not the component's without that dim (each
  /// size equal or 1).
  MixtureSameFamily(Categorical mixture, Component component)
      : mixture_(std::move(mixture)), component_(std::move(component)) {
    const Dims component_batch = component_.batch_shape();
    const Dims mixture_batch = mixture_.batch_shape();
    const int64_t categories = mixture_.logits().size(-1);
    MG_CHECK(component_batch.size() >= 1 && component_batch.back() == categories,
             "MixtureSameFamily: the component's last batch dim must hold the mixture's {} "
             "components, but its batch shape is {}",
             categories, shape_str(component_batch));
    bool compatible = mixture_batch.size() == component_batch.size() - 1;
    for (int i = 0; compatible && i < mixture_batch.size(); ++i)
      compatible = mixture_batch[i] == component_batch[i] || mixture_batch[i] == 1;
    MG_CHECK(compatible,
             "MixtureSameFamily: the mixture's batch shape {} must match the component's batch "
             "shape {} without its last dim",
             shape_str(mixture_batch), shape_str(component_batch));
  }
  /// Draws sample_shape + batch_shape + event_shape values without recording: the mixture's
  /// choices, then every component's draw, the chosen one kept (PyTorch's order of draws).
  Tensor sample(const Dims& sample_shape = {}, Generator* generator = nullptr) const {
    NoGradGuard no_grad;
    const Tensor choice = mixture_.sample(sample_shape, generator);
    const Tensor draws = component_.sample(sample_shape, generator);
    const int axis = draws.dim() - 1 - event_dims();
    Dims index_shape = draws.shape();
    index_shape[axis] = 1;
    Dims choice_shape = choice.shape();
    for (int i = 0; i < 1 + event_dims(); ++i) choice_shape.push_back(1);
    const Tensor index = expand(reshape(choice, choice_shape), index_shape);
    return squeeze(gather(draws, axis, contiguous(index)), axis);
  }
  /// log sum_k p_k f_k(value): logsumexp over the components of their log_prob plus the
  /// mixture's log-probabilities.
  Tensor log_prob(const Tensor& value) const {
    const Tensor per_component = component_.log_prob(unsqueeze(value, -1 - event_dims()));
    return logsumexp(per_component + log_weights(), {-1});
  }
  /// sum_k p_k F_k(value), where the component has a cdf.
  Tensor cdf(const Tensor& value) const requires requires(const Component& c, const Tensor& v) {
    c.cdf(v);
  }
  { return sum(component_.cdf(unsqueeze(value, -1 - event_dims())) * mixture_.probs(), {-1}); }
  /// sum_k p_k mean_k.
  Tensor mean() const { return sum(padded_probs() * component_.mean(), {component_axis()}); }
  /// sum_k p_k var_k + sum_k p_k (mean_k - mean)^2 (the law of total variance).
  Tensor variance() const {
    const Tensor probs = padded_probs();
    const Tensor mean_k = component_.mean();
    const Tensor overall = unsqueeze(sum(probs * mean_k, {component_axis()}), component_axis());
    return sum(probs * component_.variance(), {component_axis()}) +
           sum(probs * square(mean_k - overall), {component_axis()});
  }
  /// The component's batch shape without its last dim.
  Dims batch_shape() const {
    Dims shape = component_.batch_shape();
    shape.pop_back();
    return shape;
  }
  /// The component's event shape (empty for a univariate component).
  Dims event_shape() const {
    if constexpr (requires(const Component& c) { c.event_shape(); })
      return component_.event_shape();
    return {};
  }
  /// The Categorical over the components.
  const Categorical& mixture_distribution() const { return mixture_; }
  /// The components.
  const Component& component_distribution() const { return component_; }

 private:
  int event_dims() const { return event_shape().size(); }
  // The components' dim in the component's mean and variance (batch + event shapes).
  int64_t component_axis() const { return -1 - event_dims(); }
  // log p_k over the last dim, normalised.
  Tensor log_weights() const { return log_softmax(mixture_.logits(), -1); }
  // p_k with a size-1 dim per event dim after the components' dim.
  Tensor padded_probs() const {
    Tensor probs = mixture_.probs();
    for (int i = 0; i < event_dims(); ++i) probs = unsqueeze(probs, -1);
    return probs;
  }

  Categorical mixture_;
  Component component_;
};

/// @}
}  // namespace metagrad::distributions
