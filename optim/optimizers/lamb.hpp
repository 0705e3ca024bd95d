#pragma once

// LAMB, layer-wise adaptive moments (You et al. 2019, "Large Batch Optimization for Deep
// Learning: Training BERT in 76 minutes", Algorithm 2; optax.lamb's form): per parameter tensor,
//   r = m_hat / (sqrt(v_hat + eps_root) + eps) + weight_decay p      (Adam's direction + decay)
//   p = p - lr (|p| / |r|) r,   the trust ratio |p| / |r| taken as 1 where either norm is 0.
// The trust ratio is computed with differentiable ops, so meta-gradients flow through it.
#include "optim/optimizers/common.hpp"

namespace metagrad {
/// \addtogroup optim
/// @{

/// Scales each update by the trust ratio |p| / |u| (2-norms over the whole tensor), or leaves it
/// unchanged where |p| or |u| is 0 (optax.scale_by_trust_ratio). Needs params. State: EmptyState.
inline GradientTransformation scale_by_trust_ratio() {
  return per_parameter_transform(
      {.who = "scale_by_trust_ratio", .kind = "EmptyState", .needs_params = true},
      [](OptState&) -> ParamUpdateFn {
        return [](const Tensor& u, TensorList&, const Tensor& param, bool) {
          const Tensor p = optim_detail::param_term(u, param);
          const Tensor param_norm = norm(p);
          const Tensor update_norm = norm(u);
          if (param_norm.item<double>() == 0.0 || update_norm.item<double>() == 0.0) return u;
          return mul(u, div(param_norm, update_norm));
        };
      });
}

/// Options of lamb (optax.lamb's, in TorchOpt's Adam keyword order). MetaLAMB's moments require
/// grad.
template <Form F = Form::functional>
struct LAMBOptionsFor {
  /// Learning rate: a number, or a schedule of the step count.
  ScalarOrSchedule lr = 1e-3;
  /// Decay rates of the running averages of the gradients and of their squares.
  std::pair<double, double> betas = {0.9, 0.999};
  /// Added to the denominator for numerical stability.
  double eps = 1e-6;
  /// Weight decay coefficient (0 turns it off), applied as this optimizer's transformation says.
  double weight_decay = 0.0;
  /// Added inside the square root of the denominator (nonzero when differentiating through the
  /// update near zero gradients).
  double eps_root = 0.0;
  /// Parameters to decay (all when unset).
  ParamMask mask;
  /// The moments (the optimizer state) require grad, so that updates stay differentiable through
  /// them; the Meta* form's default.
  bool moment_requires_grad = F == Form::meta;
  /// Maximise the objective instead of minimising it.
  bool maximize = false;
};
/// lamb's and LAMB's options.
using LAMBOptions = LAMBOptionsFor<Form::functional>;
/// MetaLAMB's options (moment_requires_grad true).
using MetaLAMBOptions = LAMBOptionsFor<Form::meta>;

/// LAMB: chain(flip_sign_and_add_weight_decay(0, maximize), scale_by_adam,
/// add_decayed_weights(weight_decay, mask), scale_by_trust_ratio, scale_by_neg_lr).
template <Form F = Form::functional>
GradientTransformation lamb(const LAMBOptionsFor<F>& o = {}) {
  const char* who = "lamb";
  optim_detail::check_lr(o.lr, who);
  optim_detail::check_betas(o.betas, who);
  optim_detail::check_nonnegative(o.eps, who, "eps");
  optim_detail::check_nonnegative(o.weight_decay, who, "weight_decay");
  optim_detail::check_nonnegative(o.eps_root, who, "eps_root");
  return chain(flip_sign_and_add_weight_decay(0.0, o.maximize),
               scale_by_adam({.b1 = o.betas.first,
                              .b2 = o.betas.second,
                              .eps = o.eps,
                              .eps_root = o.eps_root,
                              .moment_requires_grad = o.moment_requires_grad}),
               add_decayed_weights({.weight_decay = o.weight_decay, .mask = o.mask}),
               scale_by_trust_ratio(), scale_by_neg_lr(o.lr));
}

/// The classic LAMB optimizer (lr 1e-3, betas (0.9, 0.999), eps 1e-6).
class LAMB : public Optimizer {
 public:
  /// Optimizes `params` (one group; step() updates them in place) with `options`.
  explicit LAMB(const TensorList& params, const LAMBOptions& options = {})
      : Optimizer(params, lamb(options)) {}
};

/// The differentiable MetaLAMB (moment_requires_grad true).
class MetaLAMB : public MetaOptimizer {
 public:
  /// Optimizes the parameters of `module` differentiably (each step() rebinds them) with `options`.
  explicit MetaLAMB(nn::Module& module, const MetaLAMBOptions& options = {})
      : MetaOptimizer(module, lamb(options)) {}
};

/// @}

}  // namespace metagrad
