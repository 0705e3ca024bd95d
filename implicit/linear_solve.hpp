#pragma once

#include <cstdint>
#include <functional>
#include <optional>

#include "implicit/linalg.hpp"

// Linear solvers for implicit differentiation (torchopt.linear_solve). Each factory returns a
// LinearSolver, a function (matvec, b) -> x with matvec(x) ≈ b, that custom_root calls with the
// transposed Jacobian of the optimality function. A ridge term turns matvec into
// x -> matvec(x) + ridge · x.

namespace metagrad::linear_solve {
/// \addtogroup implicit
/// @{

/// A linear solver: (matvec, b) -> x such that matvec(x) ≈ b.
using LinearSolver = std::function<TensorList(const linalg::MatVec& matvec, const TensorList& b)>;

/// Options of solve_cg and solve_normal_cg: the ridge, the initial guess and cg's options.
struct SolveCgOptions {
  /// Adds ridge · x to the operator (Tikhonov regularisation).
  std::optional<double> ridge;
  /// Initial guess (cg's x0).
  std::optional<TensorList> init;
  /// Relative tolerance.
  double rtol = 1e-5;
  /// Absolute tolerance.
  double atol = 0.0;
  /// Default: cg's (10 × the number of elements).
  std::optional<int64_t> maxiter;
  /// Preconditioner (none when absent).
  std::optional<linalg::Operator> M;
};

/// Conjugate gradients on matvec (+ ridge): the operator must be symmetric positive definite
/// (torchopt.linear_solve.solve_cg).
LinearSolver solve_cg(const SolveCgOptions& options = {});

/// Conjugate gradients on the normal equations Aᵀ A x = Aᵀ b (+ ridge on AᵀA), with Aᵀ taken from
/// a VJP of matvec; works for any non-singular A, at the price of squaring its condition number
/// (torchopt.linear_solve.solve_normal_cg, custom_root's default). Aᵀ comes from one VJP graph of
/// matvec recorded (grad mode on) at init, else at b: matvec must be written in differentiable ops
/// so that, with grad mode on, its result carries history to its argument (a matvec that is itself
/// a VJP must be computed with create_graph = is_grad_enabled()); otherwise this throws.
LinearSolver solve_normal_cg(const SolveCgOptions& options = {});

/// Options of solve_inv.
struct SolveInvOptions {
  /// Adds ridge · x to the operator.
  std::optional<double> ridge;
  /// false: materialise A (one matvec per element) and solve densely by LU; true: the Neumann
  /// series (linalg::ns with the two options below).
  bool ns = false;
  /// Terms of the Neumann series (with ns).
  int64_t maxiter = 10;
  /// Step size of the Neumann series (with ns).
  std::optional<double> alpha;
};

/// Solves by inverting the operator densely or by the Neumann series
/// (torchopt.linear_solve.solve_inv).
LinearSolver solve_inv(const SolveInvOptions& options = {});

/// Options of solve_gmres (jaxopt.linear_solve.solve_gmres).
struct SolveGmresOptions {
  /// Adds ridge · x to the operator.
  std::optional<double> ridge;
  /// Initial guess.
  std::optional<TensorList> init;
  /// Relative tolerance.
  double rtol = 1e-5;
  /// Absolute tolerance.
  double atol = 0.0;
  /// Krylov subspace size before a restart.
  int64_t restart = 20;
  /// Iteration limit (the solver's default when absent).
  std::optional<int64_t> maxiter;
  /// Preconditioner (none when absent).
  std::optional<linalg::Operator> M;
};

/// Restarted GMRES on matvec (+ ridge), for non-symmetric systems.
LinearSolver solve_gmres(const SolveGmresOptions& options = {});

/// Options of solve_bicgstab (jaxopt.linear_solve.solve_bicgstab).
struct SolveBicgstabOptions {
  /// Adds ridge · x to the operator.
  std::optional<double> ridge;
  /// Initial guess.
  std::optional<TensorList> init;
  /// Relative tolerance.
  double rtol = 1e-5;
  /// Absolute tolerance.
  double atol = 0.0;
  /// Iteration limit (the solver's default when absent).
  std::optional<int64_t> maxiter;
  /// Preconditioner (none when absent).
  std::optional<linalg::Operator> M;
};

/// BiCGSTAB on matvec (+ ridge), for non-symmetric systems.
LinearSolver solve_bicgstab(const SolveBicgstabOptions& options = {});

/// @}

}  // namespace metagrad::linear_solve
