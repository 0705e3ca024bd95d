#pragma once

#include <memory>
#include <vector>

#include "implicit/linear_solve.hpp"
#include "implicit/meta_gradient_module.hpp"

// A module whose inner parameters are the solution of an optimisation problem, differentiated
// implicitly (torchopt.diff.implicit.nn.ImplicitMetaGradientModule). See Note [implicit module]
// in implicit_module.cpp.

namespace metagrad::nn {
/// \addtogroup implicit
/// @{

/// Options of ImplicitMetaGradientModule (TorchOpt's class keyword `linear_solve`).
struct ImplicitModuleOptions {
  /// Solves the adjoint system of custom_root's backward. Default: custom_root's,
  /// linear_solve::solve_normal_cg().
  linear_solve::LinearSolver linear_solve = linear_solve::solve_normal_cg();
};

/// A MetaGradientModule whose parameters() are the solution of an inner problem that depends on
/// its meta_parameters(), e.g. iMAML's task-adapted network (inner loss + (λ/2)‖φ − θ‖²).
///
/// A subclass overrides inner_solve() and one of optimality() or objective(); users call solve().
/// solve(inputs) runs inner_solve() through custom_root (argnums {1}: the meta-parameters as one
/// list argument) and rebinds the parameter slots to the solution, which then carries implicit
/// gradients to the meta-parameters: a later outer loss computed with the module back-propagates,
/// through the implicit function theorem, into the meta-parameters' .grad (or into grad()'s
/// results; with create_graph, second derivatives through the solution work too).
///
/// Lifetime: the graph of a solution does not own the module (the module owns the solution), so
/// an instance per task is freed with its graph. Back-propagating through a solution after its
/// module was destroyed (or assigned to) throws.
/// ```cpp
/// class InnerNet : public nn::ImplicitMetaGradientModule {
///  public:
///   InnerNet(const std::shared_ptr<nn::Module>& meta_net, double lambda)
///       : ImplicitMetaGradientModule({}, {meta_net}, {.linear_solve = linear_solve::solve_cg()}),
///         meta_(register_module("meta_net", meta_net)),     // a meta input: a meta-module
///         net_(register_module("net", meta_net->clone())),  // a new object: a submodule
///         lambda_(lambda) {}
///   Tensor forward(const Tensor& x) override { return module_at(net_)(x); }
///  protected:
///   void inner_solve(const TensorList& in) override {      // any optimiser on parameters()
///     SGD opt(parameters(), {.lr = 0.1});
///     for (int k = 0; k < 16; ++k) {
///       opt.zero_grad();
///       objective(in).backward({}, std::nullopt, false, parameters());  // into φ only
///       opt.step();
///     }
///   }
///   Tensor objective(const TensorList& in) override {      // task loss + (λ/2)‖φ − θ‖²
///     const TensorList phi = parameters(), theta = meta_parameters();
///     Tensor reg = zeros({}, phi[0].dtype());
///     for (size_t i = 0; i < phi.size(); ++i) reg = reg + (phi[i] - theta[i]).pow(2).sum();
///     return cross_entropy(forward(in[0]), in[1]) + 0.5 * lambda_ * reg;
///   }
///  private:
///   size_t meta_, net_;
///   double lambda_;
/// };
/// InnerNet task(meta_net, 2.0);
/// task.solve({x_support, y_support});
/// cross_entropy(task(x_query), y_query).backward();  // meta_net gets the meta-gradient
/// ```
class ImplicitMetaGradientModule : public MetaGradientModule {
 public:
  /// A module with the given meta inputs (see MetaGradientModule) and options.
  explicit ImplicitMetaGradientModule(const TensorList& meta_tensors = {},
                                      std::vector<std::shared_ptr<Module>> meta_modules = {},
                                      ImplicitModuleOptions options = {});
  /// MetaGradientModule's copy; the copy's solutions are its own.
  ImplicitMetaGradientModule(const ImplicitMetaGradientModule& other);
  /// \copydoc ImplicitMetaGradientModule(const ImplicitMetaGradientModule&)
  ImplicitMetaGradientModule& operator=(const ImplicitMetaGradientModule& other);
  /// Moves the module; solutions made by `other` keep working with the moved-to module.
  ImplicitMetaGradientModule(ImplicitMetaGradientModule&& other) noexcept;
  /// \copydoc ImplicitMetaGradientModule(ImplicitMetaGradientModule&&)
  ImplicitMetaGradientModule& operator=(ImplicitMetaGradientModule&& other) noexcept;
  ~ImplicitMetaGradientModule() override;

  /// Solves the inner problem and makes the solution differentiable (TorchOpt's wrapped solve).
  /// The parameter slots are first rebound to fresh leaves (requiring grad) holding their current
  /// values; inner_solve(inputs) then runs with grad mode on and may update them in place or
  /// rebind them; the resulting values, detached, become the output of one custom_root node and
  /// are rebound into the slots. Throws, naming the module, when it has no parameters or no
  /// meta-parameters; when inner_solve throws, the slots are restored and the error propagates.
  /// The optimality condition is evaluated only in the backward, at the solution.
  /// Returns *this.
  ImplicitMetaGradientModule& solve(const TensorList& inputs);

  /// The optimality residual at the current parameters: optimality(inputs), or the gradient of
  /// objective(inputs) with respect to parameters() (recorded, create_graph) when optimality() is
  /// not overridden. Zero (up to the solver's tolerance) right after solve(inputs). Throws when
  /// neither optimality() nor objective() is overridden.
  TensorList optimality_residual(const TensorList& inputs);

  /// The options given at construction.
  const ImplicitModuleOptions& options() const { return options_; }

 protected:
  /// The inner solver (TorchOpt's user-defined solve): updates parameters() towards the optimum
  /// of the inner problem given `inputs`, with any optimiser. Runs with grad mode on; no graph is
  /// needed across steps (the solution is detached). Read parameters() inside it: the slots hold
  /// fresh leaves for every solve. Back-propagate only into parameters() (backward's `inputs` or
  /// grad()), or the meta-parameters' .grad collects inner gradients.
  virtual void inner_solve(const TensorList& inputs) = 0;
  /// The inner objective, a scalar. Only needed when optimality() is not overridden; the default
  /// throws.
  virtual Tensor objective(const TensorList& inputs);
  /// The optimality condition F(parameters, meta-parameters), zero at the solution, shaped like
  /// parameters(). Read the parameters and meta-parameters from the module's slots as in forward.
  /// The default is the gradient of objective() with respect to parameters(), with create_graph.
  virtual TensorList optimality(const TensorList& inputs);

 private:
  struct Anchor;
  ImplicitModuleOptions options_;
  // Shared with the optimality closures of this module's solutions (weakly), which reach the
  // module through it; it dies with the module, so a late backward throws instead of dangling.
  std::shared_ptr<Anchor> anchor_;
};

/// @}

}  // namespace metagrad::nn
