#pragma once

#include <utility>
#include <vector>

#include "engine/nn/module.hpp"
#include "engine/tensor.hpp"
#include "optim/alias.hpp"
#include "optim/state.hpp"
#include "optim/transform.hpp"

// TorchOpt's differentiable meta-optimizers (torchopt/optim/meta/*.py). step(loss) takes the
// gradient of `loss` with create_graph, runs the transformation out of place and rebinds the
// module's parameter slots to the new non-leaf tensors, so the whole inner loop stays
// differentiable with respect to the initial parameters (and anything they depend on).
//
//   auto inner_opt = MetaSGD(net, {.lr = 0.1});
//   inner_opt.step(loss);  // net's parameters are now p - 0.1 dL/dp, with history

namespace metagrad {

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

/// torchopt.MetaSGD (lr is required).
class MetaSGD : public MetaOptimizer {
 public:
  MetaSGD(nn::Module& module, const SGDOptions& options) : MetaOptimizer(module, sgd(options)) {}
};

/// Options of MetaAdam: torchopt.adam's, with moment_requires_grad true (TorchOpt's MetaAdam).
struct MetaAdamOptions {
  ScalarOrSchedule lr = 1e-3;
  std::pair<double, double> betas = {0.9, 0.999};
  double eps = 1e-8;
  double weight_decay = 0.0;
  double eps_root = 0.0;
  bool moment_requires_grad = true;
  bool maximize = false;
  bool use_accelerated_op = false;
};
/// torchopt.MetaAdam.
class MetaAdam : public MetaOptimizer {
 public:
  explicit MetaAdam(nn::Module& module, const MetaAdamOptions& o = {})
      : MetaOptimizer(module, adam({.lr = o.lr,
                                    .betas = o.betas,
                                    .eps = o.eps,
                                    .weight_decay = o.weight_decay,
                                    .eps_root = o.eps_root,
                                    .moment_requires_grad = o.moment_requires_grad,
                                    .maximize = o.maximize,
                                    .use_accelerated_op = o.use_accelerated_op})) {}
};

/// torchopt.MetaAdamW (moment_requires_grad false, as in TorchOpt).
class MetaAdamW : public MetaOptimizer {
 public:
  explicit MetaAdamW(nn::Module& module, const AdamWOptions& options = {})
      : MetaOptimizer(module, adamw(options)) {}
};

/// torchopt.MetaRMSProp.
class MetaRMSProp : public MetaOptimizer {
 public:
  explicit MetaRMSProp(nn::Module& module, const RMSPropOptions& options = {})
      : MetaOptimizer(module, rmsprop(options)) {}
};

/// torchopt.MetaAdaGrad.
class MetaAdaGrad : public MetaOptimizer {
 public:
  explicit MetaAdaGrad(nn::Module& module, const AdaGradOptions& options = {})
      : MetaOptimizer(module, adagrad(options)) {}
};

/// Options of MetaAdaMax: TorchOpt's MetaAdaMax defaults, which differ from torchopt.adamax's
/// (lr 2e-3 instead of 1e-3, eps 1e-8 instead of 1e-6, moment_requires_grad true).
struct MetaAdaMaxOptions {
  ScalarOrSchedule lr = 2e-3;
  std::pair<double, double> betas = {0.9, 0.999};
  double eps = 1e-8;
  double weight_decay = 0.0;
  bool moment_requires_grad = true;
};
/// torchopt.MetaAdaMax: adamax with the options above.
class MetaAdaMax : public MetaOptimizer {
 public:
  explicit MetaAdaMax(nn::Module& module, const MetaAdaMaxOptions& o = {})
      : MetaOptimizer(module, adamax({.lr = o.lr,
                                      .betas = o.betas,
                                      .eps = o.eps,
                                      .weight_decay = o.weight_decay,
                                      .moment_requires_grad = o.moment_requires_grad})) {}
};
/// torchopt.MetaAdamax (PyTorch's spelling).
using MetaAdamax = MetaAdaMax;

/// Options of MetaAdaDelta: TorchOpt's MetaAdaDelta defaults, which differ from
/// torchopt.adadelta's (lr 1.0 instead of 1e-3, moment_requires_grad true).
struct MetaAdaDeltaOptions {
  ScalarOrSchedule lr = 1.0;
  double rho = 0.9;
  double eps = 1e-6;
  double weight_decay = 0.0;
  bool moment_requires_grad = true;
};
/// torchopt.MetaAdaDelta: adadelta with the options above.
class MetaAdaDelta : public MetaOptimizer {
 public:
  explicit MetaAdaDelta(nn::Module& module, const MetaAdaDeltaOptions& o = {})
      : MetaOptimizer(module, adadelta({.lr = o.lr,
                                        .rho = o.rho,
                                        .eps = o.eps,
                                        .weight_decay = o.weight_decay,
                                        .moment_requires_grad = o.moment_requires_grad})) {}
};
/// torchopt.MetaAdadelta (PyTorch's spelling).
using MetaAdadelta = MetaAdaDelta;

/// Options of MetaRAdam: TorchOpt's MetaRAdam defaults, which differ from torchopt.radam's
/// (eps 1e-8 instead of 1e-6, moment_requires_grad true).
struct MetaRAdamOptions {
  ScalarOrSchedule lr = 1e-3;
  std::pair<double, double> betas = {0.9, 0.999};
  double eps = 1e-8;
  double weight_decay = 0.0;
  bool moment_requires_grad = true;
};
/// torchopt.MetaRAdam: radam with the options above.
class MetaRAdam : public MetaOptimizer {
 public:
  explicit MetaRAdam(nn::Module& module, const MetaRAdamOptions& o = {})
      : MetaOptimizer(module, radam({.lr = o.lr,
                                     .betas = o.betas,
                                     .eps = o.eps,
                                     .weight_decay = o.weight_decay,
                                     .moment_requires_grad = o.moment_requires_grad})) {}
};

}  // namespace metagrad
