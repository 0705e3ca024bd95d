#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "engine/tensor.hpp"

// torch.optim.LBFGS: limited-memory BFGS over a closure that re-evaluates the loss, with
// PyTorch's two-loop recursion, its first step size, its stopping tests and its strong-Wolfe line
// search (cubic interpolation and zoom, optim/optimizer/strong_wolfe.hpp). TorchOpt has no LBFGS;
// this is PyTorch's, for inner problems solved to convergence (an implicit-differentiation
// root, a least-squares fit) where a few dozen closure calls beat thousands of first-order steps.
//
//   mg::LBFGS opt(net.parameters(), {.line_search_fn = mg::LineSearch::StrongWolfe});
//   for (int i = 0; i < 10; ++i)
//     opt.step([&] { opt.zero_grad(); auto loss = f(net); loss.backward(); return loss; });

namespace metagrad {
/// \addtogroup optim
/// @{

/// LBFGS's line search (PyTorch's line_search_fn).
enum class LineSearch : uint8_t {
  None,         ///< a fixed step of lr (after the first iteration's scaled one)
  StrongWolfe,  ///< PyTorch's "strong_wolfe": cubic interpolation with zoom (c1 1e-4, c2 0.9)
};

/// Options of LBFGS, with torch.optim.LBFGS's defaults.
struct LBFGSOptions {
  /// Step size (the line search's initial step with StrongWolfe).
  double lr = 1.0;
  /// Iterations per step().
  int64_t max_iter = 20;
  /// Closure evaluations per step(); unset: max_iter * 5 / 4.
  std::optional<int64_t> max_eval;
  /// Stop when the largest |gradient| is at most this.
  double tolerance_grad = 1e-7;
  /// Stop when the step or the change of the loss is below this.
  double tolerance_change = 1e-9;
  /// Curvature pairs kept.
  int64_t history_size = 100;
  /// The line search.
  LineSearch line_search_fn = LineSearch::None;
};

/// torch.optim.LBFGS over one group of parameters (float tensors of one dtype and device). The
/// parameters are updated in place, without recording; the closure must clear the gradients,
/// compute the loss, call backward() and return the loss (a one-element tensor). The history
/// (directions, steps, the last gradient and loss) carries over between calls of step().
class LBFGS {
 public:
  /// Throws metagrad::Error for no parameters, undefined or non-float ones, mixed dtypes or
  /// devices, a parameter listed twice, or options out of range (lr <= 0, max_iter < 1,
  /// max_eval < 1, history_size < 1, a negative tolerance).
  LBFGS(const TensorList& params, const LBFGSOptions& options = {});

  /// Clears every parameter's .grad (set_to_none drops it, otherwise it is zeroed in place).
  void zero_grad(bool set_to_none = false);
  /// Up to max_iter iterations, each one direction from the two-loop recursion and one step
  /// along it (a line search with StrongWolfe); returns the closure's first loss. Throws
  /// metagrad::Error when the closure returns no one-element tensor; a parameter without .grad
  /// counts as a zero gradient.
  Tensor step(const std::function<Tensor()>& closure);

  /// The parameters.
  const TensorList& params() const { return params_; }
  /// Closure evaluations and iterations over all steps so far (PyTorch's state func_evals and
  /// n_iter).
  int64_t func_evals() const { return func_evals_; }
  /// \copydoc func_evals
  int64_t n_iter() const { return n_iter_; }

 private:
  Tensor flat_grad() const;
  void add_to_params(double step_size, const Tensor& direction);
  void set_params(const TensorList& values);
  TensorList clone_params() const;
  double evaluate(const std::function<Tensor()>& closure) const;

  TensorList params_;
  LBFGSOptions options_;
  int64_t func_evals_ = 0, n_iter_ = 0;
  // The history of PyTorch's state: direction d, step t, curvature pairs (y, s, 1 / y.s), the
  // diagonal scaling, the previous gradient and loss.
  Tensor direction_, prev_flat_grad_;
  double step_ = 0.0, h_diag_ = 1.0, prev_loss_ = 0.0;
  std::vector<Tensor> old_dirs_, old_stps_;
  std::vector<double> ro_;
};

/// @}

}  // namespace metagrad
