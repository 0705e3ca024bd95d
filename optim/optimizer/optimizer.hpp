#pragma once

#include <functional>
#include <vector>

#include "engine/tensor.hpp"
#include "optim/state.hpp"
#include "optim/transform.hpp"

// TorchOpt's classic optimizer base (torchopt/optim/base.py): a GradientTransformation driven
// like torch.optim. Each optimizer's own class (Adam, SGD, ...) lives in optim/optimizers/. step()
// reads each parameter's .grad, runs the transformation in place under NoGradGuard and writes the
// updates into the parameters' storage (GradientTransformation::step_in_place: with
// use_accelerated_op, Adam's update and its application are one fused pass, and the .grad is then
// only read). Nothing is recorded.
//
//   auto opt = Adam(net.parameters(), {.lr = 1e-2});
//   opt.zero_grad();
//   loss.backward();
//   opt.step();

namespace metagrad {
/// \addtogroup optim
/// @{

/// torchopt.Optimizer: parameter groups, each with the state of `impl`.
class Optimizer {
 public:
  /// Optimizes `params` (one group) with `impl`; throws when impl is undefined or the parameters
  /// are invalid (see add_param_group).
  Optimizer(const TensorList& params, GradientTransformation impl);
  virtual ~Optimizer() = default;

  /// Clears the .grad of every parameter: set_to_none drops it, otherwise it is zeroed in place
  /// (TorchOpt's default, unlike torch.optim 2.x).
  void zero_grad(bool set_to_none = false);
  /// One update of every group from the parameters' .grad (parameters without .grad are left
  /// alone). When given, `closure` is called first, with grad mode on, and its loss returned.
  Tensor step(const std::function<Tensor()>& closure = nullptr);
  /// Adds a group optimized by the same transformation, with its own fresh state. Every parameter
  /// must be defined and appear once in all groups together (a tensor stepped twice per step
  /// would be a silent bug); otherwise it throws and changes nothing.
  void add_param_group(const TensorList& params);

  /// The parameter groups, in order.
  const std::vector<TensorList>& param_groups() const { return param_groups_; }
  /// A snapshot of the state of every group (cloned, so later in-place steps do not alter it).
  std::vector<OptState> state_dict() const;
  /// Replaces the state of every group by (clones of) `states`. Their number and structure must
  /// match the current ones; otherwise it throws and changes nothing.
  void load_state_dict(const std::vector<OptState>& states);

 private:
  GradientTransformation impl_;
  std::vector<TensorList> param_groups_;
  std::vector<OptState> states_;
};

namespace detail {
/// Clears the .grad of each parameter: set_to_none drops it, otherwise it is zeroed in place
/// (without recording). Shared by the optimizers' zero_grad.
void zero_grads(const TensorList& params, bool set_to_none);
}  // namespace detail

/// @}

}  // namespace metagrad
