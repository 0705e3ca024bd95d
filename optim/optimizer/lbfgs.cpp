// torch.optim.LBFGS (torch/optim/lbfgs.py), step for step: the two-loop recursion over the kept
// curvature pairs, PyTorch's first step size min(1, 1 / ||g||_1) lr, its stopping tests and,
// with LineSearch::StrongWolfe, its line search. Vectors are flat tensors of the parameters'
// dtype and device, so the iteration runs where the parameters live.
#include "optim/optimizer/lbfgs.hpp"

#include <algorithm>
#include <cmath>

#include "engine/grad_mode.hpp"
#include "engine/ops.hpp"
#include "optim/optimizer/optimizer.hpp"
#include "optim/optimizer/strong_wolfe.hpp"

namespace metagrad {
namespace {

double max_abs(const Tensor& flat) { return amax(abs(flat)).item<double>(); }

}  // namespace

LBFGS::LBFGS(const TensorList& params, const LBFGSOptions& options)
    : params_(params), options_(options) {
  MG_CHECK(!params.empty(), "LBFGS: no parameters to optimize; pass e.g. net.parameters()");
  for (size_t i = 0; i < params.size(); ++i) {
    MG_CHECK(params[i].defined(), "LBFGS: parameter {} is undefined", i);
    MG_CHECK(is_floating(params[i].dtype()) && params[i].dtype() == params[0].dtype() &&
                 params[i].device() == params[0].device(),
             "LBFGS: parameters must be float tensors of one dtype and device; parameter {} is "
             "{} on {}, parameter 0 {} on {}",
             i, dtype_name(params[i].dtype()), params[i].device().str(),
             dtype_name(params[0].dtype()), params[0].device().str());
    for (size_t j = 0; j < i; ++j)
      MG_CHECK(!params[j].is_same(params[i]), "LBFGS: parameter {} is parameter {} again", i, j);
  }
  MG_CHECK(options.lr > 0.0 && options.max_iter >= 1 && options.history_size >= 1 &&
               options.max_eval.value_or(1) >= 1 && options.tolerance_grad >= 0.0 &&
               options.tolerance_change >= 0.0,
           "LBFGS: needs lr > 0 (got {}), max_iter >= 1 (got {}), max_eval >= 1 (got {}), "
           "history_size >= 1 (got {}) and non-negative tolerances (got {} and {})",
           options.lr, options.max_iter, options.max_eval.value_or(1), options.history_size,
           options.tolerance_grad, options.tolerance_change);
  if (!options_.max_eval) options_.max_eval = options.max_iter * 5 / 4;
}

void LBFGS::zero_grad(bool set_to_none) { detail::zero_grads(params_, set_to_none); }

Tensor LBFGS::flat_grad() const {
  TensorList pieces;
  for (const Tensor& p : params_) {
    const Tensor g = p.grad();
    pieces.push_back(g.defined() ? reshape(g, {-1})
                                 : zeros({p.numel()}, TensorOptions(p.dtype(), p.device())));
  }
  return cat(pieces, 0);
}

void LBFGS::add_to_params(double step_size, const Tensor& direction) {
  int64_t offset = 0;
  for (const Tensor& p : params_) {
    Tensor target = p;
    target.add_(reshape(slice(direction, 0, offset, offset + p.numel()), p.shape()) * step_size);
    offset += p.numel();
  }
}

TensorList LBFGS::clone_params() const {
  TensorList copies;
  for (const Tensor& p : params_) copies.push_back(p.detach().clone());
  return copies;
}

void LBFGS::set_params(const TensorList& values) {
  for (size_t i = 0; i < params_.size(); ++i) {
    Tensor target = params_[i];
    target.copy_(values[i]);
  }
}

double LBFGS::evaluate(const std::function<Tensor()>& closure) const {
  EnableGradGuard enable;
  const Tensor loss = closure();
  MG_CHECK(
      loss.defined() && loss.numel() == 1,
      "LBFGS: the closure must return the loss as a one-element tensor, got {}",
      loss.defined() ? "shape " + shape_str(loss.shape()) : std::string("an undefined tensor"));
  return loss.item<double>();
}

Tensor LBFGS::step(const std::function<Tensor()>& closure) {
  MG_CHECK(closure != nullptr, "LBFGS: step needs a closure that re-evaluates the loss");
  NoGradGuard no_grad;
  Tensor orig_loss;
  {
    EnableGradGuard enable;
    orig_loss = closure();
  }
  MG_CHECK(orig_loss.defined() && orig_loss.numel() == 1,
           "LBFGS: the closure must return the loss as a one-element tensor, got {}",
           orig_loss.defined() ? "shape " + shape_str(orig_loss.shape())
                               : std::string("an undefined tensor"));
  double loss = orig_loss.item<double>();
  int64_t current_evals = 1;
  ++func_evals_;
  Tensor grad = flat_grad();
  bool optimal = max_abs(grad) <= options_.tolerance_grad;
  if (optimal) return orig_loss;

  const int64_t history = options_.history_size;
  for (int64_t n_iter = 1; n_iter <= options_.max_iter; ++n_iter) {
    ++n_iter_;
    if (n_iter_ == 1) {
      direction_ = -grad;
      old_dirs_.clear(), old_stps_.clear(), ro_.clear();
      h_diag_ = 1.0;
    } else {
      // A new curvature pair (y, s) when y.s is positive enough; then the two-loop recursion
      // d = -H g with H from the kept pairs and the scaling y.s / y.y.
      const Tensor y = grad - prev_flat_grad_, s = direction_ * step_;
      const double ys = detail::flat_dot(y, s);
      if (ys > 1e-10) {
        if (static_cast<int64_t>(old_dirs_.size()) == history) {
          old_dirs_.erase(old_dirs_.begin());
          old_stps_.erase(old_stps_.begin());
          ro_.erase(ro_.begin());
        }
        old_dirs_.push_back(y), old_stps_.push_back(s), ro_.push_back(1.0 / ys);
        h_diag_ = ys / detail::flat_dot(y, y);
      }
      const size_t kept = old_dirs_.size();
      std::vector<double> al(kept);
      Tensor q = -grad;
      for (size_t i = kept; i-- > 0;) {
        al[i] = detail::flat_dot(old_stps_[i], q) * ro_[i];
        q = q - old_dirs_[i] * al[i];
      }
      Tensor r = q * h_diag_;
      for (size_t i = 0; i < kept; ++i) {
        const double be_i = detail::flat_dot(old_dirs_[i], r) * ro_[i];
        r = r + old_stps_[i] * (al[i] - be_i);
      }
      direction_ = r;
    }
    prev_flat_grad_ = grad.clone();
    prev_loss_ = loss;
    // The first iteration scales its step by the gradient's size, the later ones take lr.
    step_ = n_iter_ == 1 ? std::min(1.0, 1.0 / sum(abs(grad)).item<double>()) * options_.lr
                         : options_.lr;
    const double gtd = detail::flat_dot(grad, direction_);
    if (gtd > -options_.tolerance_change) break;  // not a descent direction
    int64_t ls_evals = 0;
    if (options_.line_search_fn == LineSearch::StrongWolfe) {
      const TensorList start = clone_params();
      const auto objective = [&](double t) {
        add_to_params(t, direction_);
        const double value = evaluate(closure);
        Tensor g = flat_grad();
        set_params(start);
        return std::make_pair(value, g);
      };
      const detail::LineSearchResult found = detail::strong_wolfe(
          objective, step_, direction_, loss, grad, gtd, options_.tolerance_change);
      loss = found.loss, grad = found.flat_grad, step_ = found.step;
      ls_evals = found.evaluations;
      add_to_params(step_, direction_);
      optimal = max_abs(grad) <= options_.tolerance_grad;
    } else {
      add_to_params(step_, direction_);
      if (n_iter != options_.max_iter) {
        loss = evaluate(closure);
        grad = flat_grad();
        optimal = max_abs(grad) <= options_.tolerance_grad;
        ls_evals = 1;
      }
    }
    current_evals += ls_evals;
    func_evals_ += ls_evals;
    // PyTorch's stopping tests, in its order.
    if (n_iter == options_.max_iter || current_evals >= *options_.max_eval || optimal) break;
    if (max_abs(direction_ * step_) <= options_.tolerance_change) break;
    if (std::abs(loss - prev_loss_) < options_.tolerance_change) break;
  }
  return orig_loss;
}

}  // namespace metagrad
