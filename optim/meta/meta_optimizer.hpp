#pragma once

#include <utility>
#include <vector>

#include "engine/nn/module.hpp"
#include "engine/tensor.hpp"
#include "optim/state.hpp"
#include "optim/transform.hpp"

// TorchOpt's differentiable meta-optimizer base (torchopt/optim/meta/base.py); each optimizer's
// Meta* class (MetaSGD, MetaAdam, ...) lives in optim/optimizers/. step(loss) takes the
// gradient of `loss` with create_graph, runs the transformation out of place and rebinds the
// module's parameter slots to the new non-leaf tensors, so the whole inner loop stays
// differentiable with respect to the initial parameters (and anything they depend on).
//
//   auto inner_opt = MetaSGD(net, {.lr = 0.1});
//   inner_opt.step(loss);  // net's parameters are now p - 0.1 dL/dp, with history

namespace metagrad {
/// \addtogroup meta
/// @{

/// torchopt.MetaOptimizer. Holds the module by reference: it must outlive the optimizer.
class MetaOptimizer {
 public:
  /// Optimizes the parameters of `module` (one group) with `impl`.
  MetaOptimizer(nn::Module& module, GradientTransformation impl);
  virtual ~MetaOptimizer() = default;

  /// One differentiable step: grads = grad(loss, parameters, create_graph), updates out of
  /// place, parameters + updates rebound into each module's slots. Parameters that do not
  /// require grad, or that `loss` does not depend on, get no update.
  void step(const Tensor& loss);
  /// Adds the parameters of `module` as a new group with its own fresh state.
  void add_param_group(nn::Module& module);

  /// The state of every group. Out-of-place steps replace the state's tensors, so the returned
  /// value is a snapshot that later steps do not alter (tensors are shared, not copied).
  std::vector<OptState> state_dict() const { return states_; }
  /// Replaces the state of every group by `states` (tensors shared, history kept). Their number
  /// and structure must match; otherwise it throws and changes nothing.
  void load_state_dict(const std::vector<OptState>& states);
  /// The modules of the groups, in order.
  const std::vector<nn::Module*>& modules() const { return modules_; }

 private:
  GradientTransformation impl_;
  std::vector<nn::Module*> modules_;
  std::vector<OptState> states_;
};

/// @}

}  // namespace metagrad
