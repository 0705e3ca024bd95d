#pragma once

// Adan, the adaptive Nesterov momentum algorithm (Xie et al. 2022, "Adan: Adaptive Nesterov
// Momentum Algorithm for Faster Optimizing Deep Models"), in the PyTorch form of the authors'
// implementation (sail-sg/Adan, TorchOpt issue #81), decay rates as (0.98, 0.92, 0.99):
//   d = g - g_prev (0 at the first step),   g' = g + b2 d,
//   m = b1 m + (1 - b1) g,   v = b2 v + (1 - b2) d,   n = b3 n + (1 - b3) g'^2,
//   u = (m / (1 - b1^t) + b2 v / (1 - b2^t)) / (sqrt(n / (1 - b3^t) + eps_root) + eps),
//   p = (p - lr u) / (1 + lr weight_decay)              (proximal weight decay, the default)
//   p = p (1 - lr weight_decay) - lr u                  (no_prox).
// Gradient clipping (the authors' max_grad_norm) is chain(clip_grad_norm(...), adan(...)).
#include <array>
#include <cmath>

#include "optim/optimizers/common.hpp"

namespace metagrad {
/// \addtogroup optim
/// @{

/// Options of scale_by_adan (TorchOpt's draft scale_by_adan).
struct ScaleByAdanOptions {
  /// Decay rate of the running average of the gradients.
  double b1 = 0.98;
  /// Decay rate of the running average of the gradient differences.
  double b2 = 0.92;
  /// Decay rate of the running average of the squared (corrected) gradients.
  double b3 = 0.99;
  /// Added to the denominator for numerical stability.
  double eps = 1e-8;
  /// Added inside the square root of the denominator (nonzero when differentiating through the
  /// update near zero gradients).
  double eps_root = 0.0;
  /// The moments (the optimizer state) require grad, so that updates stay differentiable through
  /// them; the Meta* form's default.
  bool moment_requires_grad = false;
};

/// Adan's rescaling (u above). State: ScaleByAdanState {mu, delta, nu, grad_tm1, count}; mu,
/// delta and nu require grad with moment_requires_grad, grad_tm1 (the previous update) never
/// starts so.
inline GradientTransformation scale_by_adan(const ScaleByAdanOptions& o = {}) {
  const char* who = "scale_by_adan";
  optim_detail::check_unit_interval(o.b1, who, "b1");
  optim_detail::check_unit_interval(o.b2, who, "b2");
  optim_detail::check_unit_interval(o.b3, who, "b3");
  optim_detail::check_nonnegative(o.eps, who, "eps");
  optim_detail::check_nonnegative(o.eps_root, who, "eps_root");
  return per_parameter_transform(
      {.who = who,
       .kind = "ScaleByAdanState",
       .tensors = {"mu", "delta", "nu", "grad_tm1"},
       .counters = {{"count", 0}},
       .init = [mrg = o.moment_requires_grad](
                   size_t slot,
                   const Tensor& p) { return optim_detail::zero_moment(p, mrg && slot < 3); }},
      [o](OptState& state) -> ParamUpdateFn {
        int64_t& count = state.counter("count");
        const bool first = count == 0;
        count = optim_detail::inc_count(count);
        const double t = static_cast<double>(count);
        const double bc1 = 1.0 - std::pow(o.b1, t);
        const double bc2 = 1.0 - std::pow(o.b2, t);
        const double bc3 = 1.0 - std::pow(o.b3, t);
        return
            [o, first, bc1, bc2, bc3](const Tensor& g, TensorList& s, const Tensor&, bool inplace) {
              const Tensor diff = first ? zeros_like(g) : sub(g, s[3]);
              const Tensor g_prime = add(g, diff, o.b2);
              s[0] = optim_detail::update_moment(g, s[0], o.b1, 1, inplace);
              s[1] = optim_detail::update_moment(diff, s[1], o.b2, 1, inplace);
              s[2] = optim_detail::update_moment(g_prime, s[2], o.b3, 2, inplace);
              if (inplace) {
                s[3].copy_(g);
              } else {
                s[3] = g;
              }
              const Tensor direction = add(div(s[0], bc1), div(s[1], bc2), o.b2);
              return div(direction, add(sqrt(add(div(s[2], bc3), o.eps_root)), o.eps));
            };
      });
}

/// Options of adan (the authors' keyword order, plus eps_root). MetaAdan's moments require grad.
template <Form F = Form::functional>
struct AdanOptionsFor {
  /// Learning rate: a number, or a schedule of the step count.
  ScalarOrSchedule lr = 1e-3;
  /// Adan's (beta1, beta2, beta3): decay rates of the gradients' average, of their differences'
  /// average and of the squared averages.
  std::array<double, 3> betas = {0.98, 0.92, 0.99};
  /// Added to the denominator for numerical stability.
  double eps = 1e-8;
  /// Weight decay coefficient (0 turns it off), applied as this optimizer's transformation says.
  double weight_decay = 0.0;
  /// Decay as p (1 - lr weight_decay) instead of the proximal p / (1 + lr weight_decay).
  bool no_prox = false;
  /// Added inside the square root of the denominator (nonzero when differentiating through the
  /// update near zero gradients).
  double eps_root = 0.0;
  /// The moments (the optimizer state) require grad, so that updates stay differentiable through
  /// them; the Meta* form's default.
  bool moment_requires_grad = F == Form::meta;
  /// Maximise the objective instead of minimising it.
  bool maximize = false;
};
/// adan's and Adan's options.
using AdanOptions = AdanOptionsFor<Form::functional>;
/// MetaAdan's options (moment_requires_grad true).
using MetaAdanOptions = AdanOptionsFor<Form::meta>;

/// Adan: chain(flip_sign_and_add_weight_decay(0, maximize), scale_by_adan,
/// add_decayed_weights(weight_decay), scale_by_neg_lr), then, unless no_prox, a scaling by
/// 1 / (1 + lr weight_decay), which turns the decoupled decay into the proximal one.
template <Form F = Form::functional>
GradientTransformation adan(const AdanOptionsFor<F>& o = {}) {
  const char* who = "adan";
  optim_detail::check_lr(o.lr, who);
  optim_detail::check_betas(o.betas, who);
  optim_detail::check_nonnegative(o.eps, who, "eps");
  optim_detail::check_nonnegative(o.weight_decay, who, "weight_decay");
  optim_detail::check_nonnegative(o.eps_root, who, "eps_root");
  std::vector<GradientTransformation> parts = {
      flip_sign_and_add_weight_decay(0.0, o.maximize),
      scale_by_adan({.b1 = o.betas[0],
                     .b2 = o.betas[1],
                     .b3 = o.betas[2],
                     .eps = o.eps,
                     .eps_root = o.eps_root,
                     .moment_requires_grad = o.moment_requires_grad}),
      add_decayed_weights({.weight_decay = o.weight_decay}), scale_by_neg_lr(o.lr)};
  if (!o.no_prox && o.weight_decay != 0.0) {
    parts.push_back(scale_by_schedule([lr = o.lr, wd = o.weight_decay](int64_t count) {
      return 1.0 / (1.0 + lr.at(count) * wd);
    }));
  }
  return chain(std::move(parts));
}

/// The classic Adan optimizer (lr 1e-3, betas (0.98, 0.92, 0.99), eps 1e-8).
class Adan : public Optimizer {
 public:
  /// Optimizes `params` (one group; step() updates them in place) with `options`.
  explicit Adan(const TensorList& params, const AdanOptions& options = {})
      : Optimizer(params, adan(options)) {}
};

/// The differentiable MetaAdan (moment_requires_grad true).
class MetaAdan : public MetaOptimizer {
 public:
  /// Optimizes the parameters of `module` differentiably (each step() rebinds them) with `options`.
  explicit MetaAdan(nn::Module& module, const MetaAdanOptions& options = {})
      : MetaOptimizer(module, adan(options)) {}
};

/// @}

}  // namespace metagrad
