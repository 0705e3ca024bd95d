#pragma once

#include <concepts>
#include <cstddef>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "engine/tensor.hpp"
#include "optim/state.hpp"

// Note [parameters keyed by name]
// TorchOpt's functional API takes any pytree of parameters; a dict keyed by name is the common
// one. Here transformations work on flat TensorLists, and init, update and apply_updates also
// take NamedParams (a module's named_parameters(), the same type as nn::NamedTensors): the values
// go through the flat path in order and the results carry the same names. While such a call runs,
// the names are the thread's current parameter names (ParamNamesScope), so a mask or a label can
// be a function of the name (`adamw({.mask = [](const std::string& name) { return
// !name.ends_with("bias"); }})`, TorchOpt's mask callable over a dict); masked and
// multi_transform narrow the names to the parameters their inner transformations see. A name
// function used in a call without names is an error that says to pass NamedParams.

namespace metagrad {
/// \addtogroup transforms
/// @{

/// Parameters (or gradients, updates) keyed by name, in order: a module's named_parameters().
using NamedParams = std::vector<std::pair<std::string, Tensor>>;

/// TorchOpt's GradientTransformation: a pair of pure functions over explicit state.
///  - init(params) -> the initial state for these parameters;
///  - update(updates, state, params, inplace) -> transformed updates, advancing `state`.
/// `updates` are usually gradients, one per parameter; an undefined Tensor stands for a parameter
/// without update (TorchOpt's None) and passes through untouched. `params` are needed by some
/// transforms (weight decay) and may be empty otherwise. With inplace = true the transform
/// overwrites `updates` and the state's tensors where TorchOpt does (plain training, normally run
/// under NoGradGuard); with inplace = false everything is out of place and differentiable, so the
/// same transform serves meta-learning. Either way `state` is advanced: out of place, its tensors
/// are replaced by new ones, so a copy of the OptState taken before the update stays valid.
class GradientTransformation {
 public:
  /// Makes the initial state from the parameters.
  using InitFn = std::function<OptState(const TensorList& params)>;
  /// Transforms the updates, advancing the state.
  using UpdateFn = std::function<TensorList(const TensorList& updates, OptState& state,
                                            const TensorList& params, bool inplace)>;
  /// A pure scaling's factor for its next update, read from its state without advancing it
  /// (Note [folded adam step] in optim/transforms/accelerated_adam.cpp).
  using ScaleFactorFn = std::function<double(const OptState& state)>;
  /// The in-place update followed by params += factor * updates, fused where it can be: returns
  /// true when done (the state advanced as update advances it), false having changed nothing when
  /// the transformation cannot fuse these operands (Note [folded adam step]).
  using ApplyScaledFn = std::function<bool(const TensorList& updates, OptState& state,
                                           const TensorList& params, double factor)>;

  GradientTransformation() = default;
  /// A transformation from its two functions.
  GradientTransformation(InitFn init, UpdateFn update)
      : init_(std::move(init)), update_(std::move(update)) {}

  /// The initial state for `params`.
  OptState init(const TensorList& params) const;
  /// The transformed updates; advances `state`.
  TensorList update(const TensorList& updates, OptState& state, const TensorList& params = {},
                    bool inplace = true) const;
  /// init of parameters keyed by name (Note [parameters keyed by name]). A template so that a
  /// braced list such as `{}` means a TensorList.
  template <std::same_as<NamedParams> Named>
  OptState init(const Named& params) const {
    return init_named(params);
  }
  /// update of updates keyed by name: the result has the same names. `params`, when given, must
  /// have the same names in the same order; otherwise it throws naming the first difference.
  template <std::same_as<NamedParams> Named>
  NamedParams update(const Named& updates, OptState& state, const NamedParams& params = {},
                     bool inplace = true) const {
    return update_named(updates, state, params, inplace);
  }
  /// One in-place step of `params` from `updates`: update(updates, state, params, true) then
  /// apply_updates(params, ·, true), as a classic optimizer steps (same results, bit for bit, and
  /// errors). When this is a chain ending in a pure scaling (scale, scale_by_schedule,
  /// scale_by_neg_lr) preceded by a transformation that can apply a scaled update itself
  /// (scale_by_accelerated_adam), those two and apply_updates run as one fused pass and the
  /// updates of the last two parts are never materialised (Note [folded adam step]).
  void step_in_place(const TensorList& updates, OptState& state, const TensorList& params) const;
  /// This transformation marked as a pure scaling whose next factor `factor` reads from its
  /// state (Note [folded adam step]); update must multiply the updates by that factor.
  GradientTransformation with_scale_factor(ScaleFactorFn factor) const;
  /// This transformation with a fused "update, scale and apply in place" (Note [folded adam
  /// step]); `apply` must give what update, scaling by the factor and apply_updates give.
  GradientTransformation with_apply_scaled(ApplyScaledFn apply) const;
  /// False for a default-constructed transformation.
  bool defined() const { return init_ != nullptr && update_ != nullptr; }
  /// True for identity() (chain drops it).
  bool is_identity() const { return identity_; }
  /// The flattened parts of a chain, in order; empty for anything that is not a chain.
  const std::vector<GradientTransformation>& parts() const;

 private:
  friend GradientTransformation identity();
  friend GradientTransformation chain(std::vector<GradientTransformation> transforms);

  OptState init_named(const NamedParams& params) const;
  NamedParams update_named(const NamedParams& updates, OptState& state, const NamedParams& params,
                           bool inplace) const;

  InitFn init_;
  UpdateFn update_;
  ScaleFactorFn scale_factor_;
  ApplyScaledFn apply_scaled_;
  bool identity_ = false;
  std::shared_ptr<const std::vector<GradientTransformation>> parts_;
};

/// The transformation that returns updates unchanged (state: EmptyState).
GradientTransformation identity();

/// Applies `transforms` in order (TorchOpt's chain). No transformation gives identity(); one gives
/// that transformation itself; otherwise nested chains flatten and identities are dropped, and the
/// state is a ChainState whose children are the parts' states, in order.
GradientTransformation chain(std::vector<GradientTransformation> transforms);
/// No transformation: identity().
inline GradientTransformation chain() { return identity(); }
/// Variadic form: chain(clip_grad_norm(...), adam(...)).
template <std::convertible_to<GradientTransformation>... T>
GradientTransformation chain(GradientTransformation first, T... rest) {
  return chain(std::vector<GradientTransformation>{std::move(first), std::move(rest)...});
}

/// params + updates (undefined updates leave their parameter as it is). In place: writes into the
/// parameters' storage without recording (TorchOpt's p.data.add_(u)), bumps their versions and
/// returns `params`; out of place: returns new differentiable tensors p + u. Each defined update
/// must have its parameter's shape, dtype and device (no broadcasting); otherwise it throws naming
/// the index, before any parameter is written.
TensorList apply_updates(const TensorList& params, const TensorList& updates, bool inplace = true);
/// apply_updates of parameters and updates keyed by the same names, in the same order.
NamedParams apply_updates_named(const NamedParams& params, const NamedParams& updates,
                                bool inplace = true);
/// apply_updates of NamedParams (a template so that braced lists mean TensorLists).
template <std::same_as<NamedParams> Named>
NamedParams apply_updates(const Named& params, const NamedParams& updates, bool inplace = true) {
  return apply_updates_named(params, updates, inplace);
}

namespace optim_detail {

/// The thread's current parameter names while alive (Note [parameters keyed by name]); restores
/// the previous ones when destroyed. `names` must outlive the scope.
class ParamNamesScope {
 public:
  /// Makes `names` (may be null: no names) the current ones until this scope ends.
  explicit ParamNamesScope(const std::vector<std::string>* names);
  ~ParamNamesScope();
  ParamNamesScope(const ParamNamesScope&) = delete;
  ParamNamesScope& operator=(const ParamNamesScope&) = delete;

  /// The names of the parameters of the init/update call running on this thread; null outside
  /// a call with NamedParams.
  static const std::vector<std::string>* current();

 private:
  const std::vector<std::string>* previous_;
};

/// The current names at `positions` (null when there are none), for a transformation that hands
/// a subset of its parameters to an inner one.
std::unique_ptr<std::vector<std::string>> narrowed_param_names(
    const std::vector<size_t>& positions);

}  // namespace optim_detail

/// Any callable computing one flag per tensor: std::vector<bool>(const TensorList&).
template <typename F>
concept MaskFunction = (std::is_invocable_r_v<std::vector<bool>, F, const TensorList&>);
/// Any callable deciding from a parameter's name: bool(const std::string&).
template <typename F>
concept NameMaskFunction = (std::is_invocable_r_v<bool, F, const std::string&> &&
                            !std::is_invocable_v<F, const TensorList&>);

/// Which parameters a transformation applies to (TorchOpt's `mask`): a fixed list of flags, one per
/// parameter, a function computing them from the parameters (at init) or the updates (at
/// update), or a predicate on each parameter's name (Note [parameters keyed by name]). An unset
/// mask means "no mask".
class ParamMask {
 public:
  /// Computes the mask from the parameters.
  using Fn = std::function<std::vector<bool>(const TensorList& tensors)>;

  ParamMask() = default;
  /// One flag per parameter, in order.
  ParamMask(std::vector<bool> flags) : flags_(std::move(flags)), fixed_(true) {}
  /// \overload
  ParamMask(std::initializer_list<bool> flags) : flags_(flags), fixed_(true) {}
  /// A mask computed from the parameters at init.
  ParamMask(Fn fn) : fn_(std::move(fn)) {}
  template <MaskFunction F>
  /// A mask computed by any callable from the parameters at init.
  ParamMask(F fn) : ParamMask(Fn(std::move(fn))) {}
  /// A predicate on the parameter's name; needs a call with NamedParams.
  template <NameMaskFunction F>
  ParamMask(F fn) : by_name_(std::function<bool(const std::string&)>(std::move(fn))) {}

  /// True when a mask was given.
  bool defined() const { return fixed_ || fn_ != nullptr || by_name_ != nullptr; }
  /// The flags for `tensors`; throws naming `who` when their count differs from tensors.size().
  std::vector<bool> resolve(const TensorList& tensors, const char* who) const;

 private:
  std::vector<bool> flags_;
  bool fixed_ = false;
  Fn fn_;
  std::function<bool(const std::string&)> by_name_;
};

/// @}

}  // namespace metagrad
