#pragma once

#include <any>
#include <functional>
#include <utility>
#include <vector>

#include "engine/tensor.hpp"
#include "implicit/linear_solve.hpp"

// Implicit differentiation of a root (torchopt.diff.implicit.custom_root; jaxopt's
// custom_fixed_point). See Note [implicit root] in custom_root.cpp.

namespace metagrad {
/// \addtogroup implicit
/// @{

/// One argument of a root problem: a tensor, or a list of tensors (TorchOpt's pytree argument).
class RootArg {
 public:
  /// A single-tensor argument.
  RootArg(Tensor tensor);  // NOLINT: implicit, so that {lambda, X, y} builds a RootArgs
  /// A list argument (e.g. a module's meta-parameters).
  RootArg(TensorList tensors);  // NOLINT: implicit
  /// The tensor of a single-tensor argument (throws for a list argument).
  const Tensor& tensor() const;
  /// The tensors of the argument (one for a single tensor).
  const TensorList& tensors() const { return tensors_; }
  /// True when the argument was given as a list.
  bool is_list() const { return is_list_; }

 private:
  TensorList tensors_;
  bool is_list_;
};

/// The arguments after the initial parameters: solver(init, args) and optimality(x, args).
using RootArgs = std::vector<RootArg>;

/// F(x, args): the optimality condition, zero at the solution; returns x's structure.
using OptimalityFn = std::function<TensorList(const TensorList& x, const RootArgs& args)>;
/// T(x, args): a fixed-point map, T(x*, args) = x* at the solution; returns x's structure.
using FixedPointFn = std::function<TensorList(const TensorList& x, const RootArgs& args)>;

/// A solution with auxiliary output (not differentiated), for has_aux solvers.
struct SolutionWithAux {
  /// The root.
  TensorList solution;
  /// What the solver returned beside it.
  std::any aux;
};

/// A solver (init, args) -> solution.
using RootSolver = std::function<TensorList(const TensorList& init, const RootArgs& args)>;
/// A solver (init, args) -> solution and auxiliary output.
using RootSolverWithAux =
    std::function<SolutionWithAux(const TensorList& init, const RootArgs& args)>;

/// Options of custom_root and custom_fixed_point (torchopt.diff.implicit.custom_root's keywords).
struct CustomRootOptions {
  /// The solver returns a SolutionWithAux.
  bool has_aux = false;
  /// Solves the adjoint system (∂F/∂x)ᵀ u = −g. TorchOpt's default: solve_normal_cg().
  linear_solve::LinearSolver solve = linear_solve::solve_normal_cg();
};

/// A solver wrapped by custom_root: its solution carries gradients to the arguments in argnums.
class ImplicitRoot {
 public:
  /// Wraps `solver` (options.has_aux must be false): returns (init, args) -> solution.
  RootSolver operator()(RootSolver solver) const;
  /// Wraps a solver that also returns auxiliary output (options.has_aux must be true).
  RootSolverWithAux operator()(RootSolverWithAux solver) const;

 private:
  friend ImplicitRoot custom_root(OptimalityFn, std::vector<int>, CustomRootOptions);
  ImplicitRoot(OptimalityFn optimality, std::vector<int> argnums, CustomRootOptions options)
      : optimality_(std::move(optimality)),
        argnums_(std::move(argnums)),
        options_(std::move(options)) {}
  OptimalityFn optimality_;
  std::vector<int> argnums_;
  CustomRootOptions options_;
};

/// Makes a solver's solution differentiable by the implicit function theorem
/// (torchopt.diff.implicit.custom_root). `optimality(x, args)` is zero at the solution; `argnums`
/// numbers the solver's arguments as TorchOpt does: 0 is the initial parameters (not allowed: the
/// solution does not depend on them), k ≥ 1 is args[k - 1]. The wrapped solver runs without
/// recording; its solution becomes the output of one node whose backward, given g, solves
/// (∂F/∂x)ᵀ u = −g with VJPs of F (the Jacobian is never formed) and returns (∂F/∂θ)ᵀ u for
/// each argument θ in argnums. With create_graph the backward is recorded, so second derivatives
/// through the solution work (TorchOpt issue #223). `optimality` must read the arguments it
/// depends on from `args` (the backward passes copies of them), and the wrapped solver runs with
/// grad mode off, as in TorchOpt (use EnableGradGuard inside it to take gradients).
///
///   auto solver = custom_root(optimality, {1}, {.solve = linear_solve::solve_cg()})(inner_solver);
///   TensorList w = solver(w0, {lambda, X, y});   // w carries gradients to lambda
ImplicitRoot custom_root(OptimalityFn optimality, std::vector<int> argnums,
                         CustomRootOptions options = {});

/// custom_root for a fixed point x* = T(x*, args): the optimality condition is T(x, args) − x
/// (jaxopt.implicit_diff.custom_fixed_point).
ImplicitRoot custom_fixed_point(FixedPointFn fixed_point, std::vector<int> argnums,
                                CustomRootOptions options = {});

/// @}

}  // namespace metagrad
