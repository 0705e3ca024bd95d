// Kind `implicit_ridge`: the ridge solution w*(λ) = argmin ½‖Xw − y‖² + ½ Σ λᵢ wᵢ², the validation
// loss ½‖X_val w* − y_val‖² and its hypergradient dL/dλ, computed as the README asks: the inner
// problem by conjugate gradients, the hypergradient by custom_root (optimality = the gradient of
// the inner objective) with solve_cg — not by the closed form.
#include "engine/autograd/engine.hpp"
#include "engine/ops.hpp"
#include "implicit/custom_root.hpp"
#include "implicit/linalg.hpp"
#include "implicit/linear_solve.hpp"
#include "tests/golden_check/golden_case.hpp"

namespace golden {

namespace {

using metagrad::RootArgs;

// Xᵀ X w + λ ⊙ w: the inner objective's Hessian applied to w (λ of one element or one per feature).
Tensor ridge_hessian_times(const Tensor& w, const RootArgs& args) {
  const Tensor& X = args[1].tensor();
  return metagrad::matmul(X.t(), metagrad::matmul(X, w)) + args[0].tensor() * w;
}

// F(w; λ, X, y) = Xᵀ(Xw − y) + λ ⊙ w.
TensorList ridge_optimality(const TensorList& w, const RootArgs& args) {
  const Tensor& X = args[1].tensor();
  return {ridge_hessian_times(w[0], args) - metagrad::matmul(X.t(), args[2].tensor())};
}

// Solves (XᵀX + diag λ) w = Xᵀ y by CG to round-off (the system is tiny and SPD).
TensorList ridge_solver(const TensorList& init, const RootArgs& args) {
  const Tensor rhs = metagrad::matmul(args[1].tensor().t(), args[2].tensor());
  return metagrad::linalg::cg(
      [&args](const TensorList& w) { return TensorList{ridge_hessian_times(w[0], args)}; }, {rhs},
      {.x0 = init, .rtol = 1e-14, .maxiter = 1000});
}

}  // namespace

void run_implicit_ridge(const GoldenCase& golden_case, Checker& check) {
  const Tensor X = golden_case.tensor("X");
  const Tensor y = golden_case.tensor("y");
  const Tensor X_val = golden_case.tensor("X_val");
  const Tensor y_val = golden_case.tensor("y_val");
  const Tensor lambda = golden_case.tensor("lambda").clone().requires_grad_();

  const auto solver = metagrad::custom_root(
      ridge_optimality, {1},
      {.solve = metagrad::linear_solve::solve_cg({.rtol = 1e-14, .maxiter = 1000})})(ridge_solver);
  const Tensor w =
      solver({metagrad::zeros({X.shape()[1]}, {metagrad::kFloat64, golden_case.device})},
             {lambda, X, y})[0];
  const Tensor residual = metagrad::matmul(X_val, w) - y_val;
  const Tensor val_loss = 0.5 * (residual * residual).sum();
  const Tensor dval_dlambda = metagrad::grad({val_loss}, {lambda})[0];

  check.expect_close("expect.w", w, golden_case.tensor("expect.w"));
  check.expect_close("expect.val_loss", val_loss, golden_case.tensor("expect.val_loss"));
  check.expect_close("expect.dval_dlambda", dval_dlambda,
                     golden_case.tensor("expect.dval_dlambda"));
}

}  // namespace golden
