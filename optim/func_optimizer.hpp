#pragma once

#include <optional>
#include <utility>
#include <vector>

#include "engine/tensor.hpp"
#include "optim/state.hpp"
#include "optim/transform.hpp"

// TorchOpt's FuncOptimizer (torchopt/optim/func/base.py): a functional optimizer that keeps its
// state internally. step(loss, params) differentiates `loss` with respect to `params`
// (create_graph), runs the transformation out of place and returns the new parameters, so the
// inner loop of a functional (stateless-module) meta-learner stays differentiable.
//
//   FuncOptimizer opt(adam({.lr = 0.1}));
//   for (int k = 0; k < 5; ++k) params = opt.step(loss_fn(params), params);

namespace metagrad {
/// \addtogroup func
/// @{

/// torchopt.FuncOptimizer. The state is created lazily, from the parameters of the first step.
class FuncOptimizer {
 public:
  /// Wraps `impl`; `inplace` is the default of step()'s `inplace`. Throws when impl is undefined.
  explicit FuncOptimizer(GradientTransformation impl, bool inplace = false);

  /// One update of `params` from the gradient of `loss` (a one-element tensor), returning the new
  /// parameters (one per entry of `params`). The first step initialises the state from `params`
  /// (or checks that a state loaded before it fits them); later steps need parameters of the same
  /// number, shapes and dtypes. Every parameter must be defined and require grad; one that `loss`
  /// does not depend on gets no update (returned as is).
  ///  - inplace = false (the default): grad with create_graph, out-of-place update and p + u, all
  ///    recorded, so the result is differentiable with respect to `params` and anything they, the
  ///    loss or a state with moment_requires_grad depend on;
  ///  - inplace = true: a plain training step. The gradient is taken without create_graph, the
  ///    update runs without recording and is written into the parameters' storage (like
  ///    Optimizer::step); the returned tensors are `params` themselves. (TorchOpt records the
  ///    in-place arithmetic here, but the update it applies through `.data` is not differentiable
  ///    either way.)
  /// `inplace` unset uses the constructor's default. On an argument error nothing changes.
  TensorList step(const Tensor& loss, const TensorList& params,
                  std::optional<bool> inplace = std::nullopt);

  /// The state: a value sharing its tensors with the optimizer (TorchOpt returns a reference).
  /// Out-of-place steps replace the state's tensors, so it is a snapshot of them; in-place steps
  /// write into them. Before the first step (and no load) its kind is "UninitializedState".
  OptState state_dict() const;
  /// Replaces the state by `state` (tensors shared). An "UninitializedState" resets the optimizer
  /// to before its first step. Once initialised, `state` must have the same structure (kinds,
  /// names, lengths, shapes, dtypes) as the current state; before the first step anything is
  /// accepted and checked against the first step's parameters. On failure nothing changes.
  void load_state_dict(const OptState& state);

  /// True once a step has run (or a state was loaded and accepted by a step).
  bool initialized() const { return initialized_; }
  /// The default of step()'s `inplace`.
  bool inplace() const { return inplace_; }
  /// The transformation.
  const GradientTransformation& impl() const { return impl_; }

 private:
  /// Checks the step's arguments against the state's parameters (throws, changes nothing).
  void check_params(const TensorList& params) const;

  GradientTransformation impl_;
  bool inplace_;
  bool initialized_ = false;
  /// A state loaded before the first step, checked against that step's parameters.
  std::optional<OptState> pending_;
  OptState state_;
  /// Shapes and dtypes of the parameters the state was created for.
  std::vector<std::pair<Dims, DType>> signature_;
};

/// @}

}  // namespace metagrad
