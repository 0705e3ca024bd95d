#pragma once

#include <functional>
#include <vector>

#include "engine/tensor.hpp"
#include "optim/alias.hpp"
#include "optim/state.hpp"
#include "optim/transform.hpp"

// TorchOpt's classic optimizers (torchopt/optim/*.py): a GradientTransformation driven like
// torch.optim. step() reads each parameter's .grad, runs the transformation in place under
// NoGradGuard and writes the updates into the parameters' storage. Nothing is recorded.
//
//   auto opt = Adam(net.parameters(), {.lr = 1e-2});
//   opt.zero_grad();
//   loss.backward();
//   opt.step();

namespace metagrad {

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

/// torchopt.SGD (lr is required).
class SGD : public Optimizer {
 public:
  SGD(const TensorList& params, const SGDOptions& options) : Optimizer(params, sgd(options)) {}
};
/// torchopt.Adam (lr 1e-3, betas (0.9, 0.999), eps 1e-8).
class Adam : public Optimizer {
 public:
  explicit Adam(const TensorList& params, const AdamOptions& options = {})
      : Optimizer(params, adam(options)) {}
};
/// torchopt.AdamW (lr 1e-3, weight_decay 1e-2).
class AdamW : public Optimizer {
 public:
  explicit AdamW(const TensorList& params, const AdamWOptions& options = {})
      : Optimizer(params, adamw(options)) {}
};
/// torchopt.RMSProp (lr 1e-2, alpha 0.99, eps 1e-8).
class RMSProp : public Optimizer {
 public:
  explicit RMSProp(const TensorList& params, const RMSPropOptions& options = {})
      : Optimizer(params, rmsprop(options)) {}
};
/// torchopt.AdaGrad (lr 1e-2, eps 1e-10).
class AdaGrad : public Optimizer {
 public:
  explicit AdaGrad(const TensorList& params, const AdaGradOptions& options = {})
      : Optimizer(params, adagrad(options)) {}
};
/// torchopt.AdaMax (lr 1e-3, eps 1e-6).
class AdaMax : public Optimizer {
 public:
  explicit AdaMax(const TensorList& params, const AdaMaxOptions& options = {})
      : Optimizer(params, adamax(options)) {}
};
/// torchopt.AdaDelta (lr 1e-3, rho 0.9, eps 1e-6).
class AdaDelta : public Optimizer {
 public:
  explicit AdaDelta(const TensorList& params, const AdaDeltaOptions& options = {})
      : Optimizer(params, adadelta(options)) {}
};
/// torchopt.RAdam (lr 1e-3, eps 1e-6).
class RAdam : public Optimizer {
 public:
  explicit RAdam(const TensorList& params, const RAdamOptions& options = {})
      : Optimizer(params, radam(options)) {}
};

}  // namespace metagrad
