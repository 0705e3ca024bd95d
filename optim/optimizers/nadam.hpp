#pragma once

// NAdam, Adam with Nesterov momentum (Dozat 2016), as torch.optim.NAdam: with
// mu_t = b1 (1 - 0.96^(t momentum_decay) / 2) and mu_prod_t = mu_1 ... mu_t,
//   m = b1 m + (1 - b1) g,   v = b2 v + (1 - b2) g^2,   denom = sqrt(v / (1 - b2^t)) + eps,
//   p = p - lr ((1 - mu_t) / (1 - mu_prod_t) g + mu_{t+1} / (1 - mu_prod_t mu_{t+1}) m) / denom.
// Weight decay adds weight_decay p to g (L2), or with decoupled_weight_decay multiplies p by
// 1 - lr weight_decay (NAdamW). TorchOpt has no NAdam; names and defaults follow torch.optim.
#include <cmath>

#include "optim/optimizers/common.hpp"

namespace metagrad {
/// \addtogroup optim
/// @{

/// Options of scale_by_nadam.
struct ScaleByNAdamOptions {
  /// Decay rate of the running average of the gradients.
  double b1 = 0.9;
  /// Decay rate of the running average of the squared gradients.
  double b2 = 0.999;
  /// Added to the denominator for numerical stability.
  double eps = 1e-8;
  /// Momentum decay psi of NAdam's momentum schedule (torch.optim.NAdam's momentum_decay).
  double momentum_decay = 4e-3;
  /// The moments (the optimizer state) require grad, so that updates stay differentiable through
  /// them; the Meta* form's default.
  bool moment_requires_grad = false;
};

/// NAdam's rescaling (the update above without -lr and weight decay). mu_prod_t is recomputed
/// from the count (t scalar products per update; torch.optim keeps it as state).
/// State: ScaleByNAdamState {mu, nu, count}.
inline GradientTransformation scale_by_nadam(const ScaleByNAdamOptions& o = {}) {
  const char* who = "scale_by_nadam";
  optim_detail::check_unit_interval(o.b1, who, "b1");
  optim_detail::check_unit_interval(o.b2, who, "b2");
  optim_detail::check_nonnegative(o.eps, who, "eps");
  optim_detail::check_nonnegative(o.momentum_decay, who, "momentum_decay");
  return per_parameter_transform(
      {.who = who,
       .kind = "ScaleByNAdamState",
       .tensors = {"mu", "nu"},
       .counters = {{"count", 0}},
       .moment_requires_grad = o.moment_requires_grad},
      [o](OptState& state) -> ParamUpdateFn {
        int64_t& count = state.counter("count");
        count = optim_detail::inc_count(count);
        const double t = static_cast<double>(count);
        const auto mu_at = [&o](double k) {
          return o.b1 * (1.0 - 0.5 * std::pow(0.96, k * o.momentum_decay));
        };
        double mu_product = 1.0;
        for (int64_t k = 1; k <= count; ++k) mu_product *= mu_at(static_cast<double>(k));
        const double mu = mu_at(t);
        const double mu_next = mu_at(t + 1.0);
        const double grad_coef = (1.0 - mu) / (1.0 - mu_product);
        const double moment_coef = mu_next / (1.0 - mu_product * mu_next);
        const double bc2 = 1.0 - std::pow(o.b2, t);
        return [o, grad_coef, moment_coef, bc2](const Tensor& g, TensorList& s, const Tensor&,
                                                bool inplace) {
          s[0] = optim_detail::update_moment(g, s[0], o.b1, 1, inplace);
          s[1] = optim_detail::update_moment(g, s[1], o.b2, 2, inplace);
          const Tensor denom = add(sqrt(div(s[1], bc2)), o.eps);
          return div(add(mul(g, grad_coef), s[0], moment_coef), denom);
        };
      });
}

/// Options of nadam (torch.optim.NAdam's keyword order). MetaNAdam's moments require grad.
template <Form F = Form::functional>
struct NAdamOptionsFor {
  /// Learning rate: a number, or a schedule of the step count.
  ScalarOrSchedule lr = 2e-3;
  /// Decay rates of the running averages of the gradients and of their squares.
  std::pair<double, double> betas = {0.9, 0.999};
  /// Added to the denominator for numerical stability.
  double eps = 1e-8;
  /// Weight decay coefficient (0 turns it off), applied as this optimizer's transformation says.
  double weight_decay = 0.0;
  /// Momentum decay psi of NAdam's momentum schedule (torch.optim.NAdam's momentum_decay).
  double momentum_decay = 4e-3;
  /// Decay the parameters by lr weight_decay p (AdamW-style) instead of adding the L2 term to g.
  bool decoupled_weight_decay = false;
  /// The moments (the optimizer state) require grad, so that updates stay differentiable through
  /// them; the Meta* form's default.
  bool moment_requires_grad = F == Form::meta;
  /// Maximise the objective instead of minimising it.
  bool maximize = false;
};
/// nadam's and NAdam's options.
using NAdamOptions = NAdamOptionsFor<Form::functional>;
/// MetaNAdam's options (moment_requires_grad true).
using MetaNAdamOptions = NAdamOptionsFor<Form::meta>;

/// NAdam: chain(flip_sign_and_add_weight_decay(L2 weight decay, maximize), scale_by_nadam,
/// add_decayed_weights(decoupled weight decay), scale_by_neg_lr).
template <Form F = Form::functional>
GradientTransformation nadam(const NAdamOptionsFor<F>& o = {}) {
  const char* who = "nadam";
  optim_detail::check_lr(o.lr, who);
  optim_detail::check_betas(o.betas, who);
  optim_detail::check_nonnegative(o.eps, who, "eps");
  optim_detail::check_nonnegative(o.weight_decay, who, "weight_decay");
  optim_detail::check_nonnegative(o.momentum_decay, who, "momentum_decay");
  const double coupled = o.decoupled_weight_decay ? 0.0 : o.weight_decay;
  const double decoupled = o.decoupled_weight_decay ? o.weight_decay : 0.0;
  return chain(flip_sign_and_add_weight_decay(coupled, o.maximize),
               scale_by_nadam({.b1 = o.betas.first,
                               .b2 = o.betas.second,
                               .eps = o.eps,
                               .momentum_decay = o.momentum_decay,
                               .moment_requires_grad = o.moment_requires_grad}),
               add_decayed_weights({.weight_decay = decoupled}), scale_by_neg_lr(o.lr));
}

/// The classic NAdam optimizer (torch.optim.NAdam: lr 2e-3, momentum_decay 4e-3).
class NAdam : public Optimizer {
 public:
  /// Optimizes `params` (one group; step() updates them in place) with `options`.
  explicit NAdam(const TensorList& params, const NAdamOptions& options = {})
      : Optimizer(params, nadam(options)) {}
};

/// The differentiable MetaNAdam (moment_requires_grad true).
class MetaNAdam : public MetaOptimizer {
 public:
  /// Optimizes the parameters of `module` differentiably (each step() rebinds them) with `options`.
  explicit MetaNAdam(nn::Module& module, const MetaNAdamOptions& options = {})
      : MetaOptimizer(module, nadam(options)) {}
};

/// @}

}  // namespace metagrad
