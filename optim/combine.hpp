#pragma once

#include <concepts>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "optim/transform.hpp"

// Combinators: TorchOpt's chain_flat, and beyond TorchOpt, with optax's semantics, a different
// transformation per parameter group (multi_transform) and gradient accumulation (multi_steps).
// chain() is in transform.hpp and masked() in transforms.hpp.

namespace metagrad {
/// \addtogroup transforms
/// @{

/// Any callable computing one label per tensor: std::vector<std::string>(const TensorList&).
template <typename F>
concept LabelFunction = (std::is_invocable_r_v<std::vector<std::string>, F, const TensorList&>);
/// Any callable giving a parameter's label from its name: std::string(const std::string&).
template <typename F>
concept NameLabelFunction = (std::is_invocable_r_v<std::string, F, const std::string&> &&
                             !std::is_invocable_v<F, const TensorList&>);

/// torchopt.combine.chain_flat: chain over the flattened parameter tree. metagrad's parameters
/// are a flat list already, so it is chain(transforms...): the same transformation, updates,
/// states and errors.
template <std::convertible_to<GradientTransformation>... T>
GradientTransformation chain_flat(T... transforms) {
  return chain(std::move(transforms)...);
}

/// One label per parameter: a fixed list, a function computing the labels from the parameters
/// (at init) or the updates (at update), or a function of each parameter's name.
class ParamLabels {
 public:
  /// Computes the labels from the parameters.
  using Fn = std::function<std::vector<std::string>(const TensorList& tensors)>;

  /// One label per parameter, in order.
  ParamLabels(std::vector<std::string> labels) : labels_(std::move(labels)), fixed_(true) {}
  /// \overload
  ParamLabels(std::initializer_list<std::string> labels) : labels_(labels), fixed_(true) {}
  /// Labels computed from the parameters at init.
  ParamLabels(Fn fn) : fn_(std::move(fn)) {}
  template <LabelFunction F>
  /// Labels computed by any callable from the parameters at init.
  ParamLabels(F fn) : ParamLabels(Fn(std::move(fn))) {}
  /// A label from each parameter's name; needs a call with NamedParams (Note [parameters keyed by
  /// name] in optim/transform.hpp).
  template <NameLabelFunction F>
  ParamLabels(F fn) : by_name_(std::function<std::string(const std::string&)>(std::move(fn))) {}

  /// The labels for `tensors`; throws naming `who` when their count differs from tensors.size().
  std::vector<std::string> resolve(const TensorList& tensors, const char* who) const;

 private:
  std::vector<std::string> labels_;
  Fn fn_;
  bool fixed_ = false;
  std::function<std::string(const std::string&)> by_name_;
};

/// Applies transforms.at(label) to the parameters carrying that label (optax's multi_transform).
/// Every label must name a transformation; each transformation sees only its own parameters (and
/// may see none). State: MultiTransformState whose children are the transformations' states, in
/// the map's (label) order.
GradientTransformation multi_transform(std::map<std::string, GradientTransformation> transforms,
                                       ParamLabels param_labels);

/// Gradient accumulation (optax's MultiSteps): every call accumulates the updates (their running
/// mean when use_grad_mean, else their sum); on the k-th call, k = every_k_schedule(gradient_step),
/// `inner` is applied to the accumulated updates and its result returned, otherwise the returned
/// updates are zeros. State: MultiStepsState {acc_grads; mini_step, gradient_step;
/// inner_opt_state}.
GradientTransformation multi_steps(GradientTransformation inner,
                                   std::function<int64_t(int64_t gradient_step)> every_k_schedule,
                                   bool use_grad_mean = true);
/// multi_steps with a fixed k >= 1.
GradientTransformation multi_steps(GradientTransformation inner, int64_t every_k,
                                   bool use_grad_mean = true);
/// True when the last update of a multi_steps state applied the inner transformation.
bool multi_steps_has_updated(const OptState& state);

/// @}

}  // namespace metagrad
