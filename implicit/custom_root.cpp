#include "implicit/custom_root.hpp"

#include <set>

#include "engine/autograd/custom_function.hpp"
#include "engine/autograd/engine.hpp"
#include "engine/grad_mode.hpp"
#include "engine/ops.hpp"
#include "engine/shape.hpp"

// Note [implicit root]
// Let x*(θ) solve F(x, θ) = 0. Differentiating F(x*(θ), θ) = 0 gives ∂F/∂x · dx*/dθ = −∂F/∂θ, so
// for an outer gradient g on x*, the gradient on θ is −(∂F/∂θ)ᵀ (∂F/∂x)⁻ᵀ g = (∂F/∂θ)ᵀ u with u
// solving (∂F/∂x)ᵀ u = −g (the implicit function theorem, as in TorchOpt's _root_vjp).
//
// The solver runs once, inside the forward of one CustomFunction (so without recording, as
// TorchOpt's Function.forward). The node's inputs are the tensors of the arguments in argnums;
// its outputs are the solution. Its backward rebuilds F at the solution with grad mode on, then
// solves the adjoint system with the user's linear solver, whose matvec is the VJP u -> (∂F/∂x)ᵀ u
// of that graph (never the Jacobian), and returns the VJP of F with respect to the inputs.
//
// When the backward is recorded (create_graph), x is the node's own output with its history and
// the arguments enter F through differentiable copies, so that the VJP with respect to them is the
// partial ∂F/∂θ and not a path through x back into this node. F, the solve and the final VJP are
// then all recorded: a second derivative through the root differentiates the adjoint solve and
// F's curvature (TorchOpt cannot: issue #223). Otherwise x is a detached leaf and the solve runs
// without recording; a matvec is still differentiable when a solver enables grad mode around it
// (solve_normal_cg takes its VJP). So F must read the arguments from `args`, not from elsewhere.
// The arguments outside argnums are constants: they reach F detached.

namespace metagrad {

RootArg::RootArg(Tensor tensor) : tensors_{std::move(tensor)}, is_list_(false) {}

RootArg::RootArg(TensorList tensors) : tensors_(std::move(tensors)), is_list_(true) {}

const Tensor& RootArg::tensor() const {
  MG_CHECK(!is_list_,
           "RootArg::tensor: the argument is a list of {} tensor(s), not a single tensor; use "
           "tensors()",
           tensors_.size());
  return tensors_.front();
}

namespace {

// The CustomFunction of one call of a wrapped solver (Note [implicit root]).
class ImplicitRootFunction final : public CustomFunction {
 public:
  ImplicitRootFunction(OptimalityFn optimality, std::vector<int> argnums,
                       linear_solve::LinearSolver solve, RootArgs args)
      : optimality_(std::move(optimality)),
        argnums_(std::move(argnums)),
        solve_(std::move(solve)),
        args_(std::move(args)) {}

  std::string name() const override { return "ImplicitRoot"; }

  /// Runs `solver` on (init, args); keeps its auxiliary output for the caller.
  TensorList run(const std::function<SolutionWithAux(const TensorList&, const RootArgs&)>& solver,
                 const TensorList& init, const TensorList& inputs,
                 const std::shared_ptr<ImplicitRootFunction>& self) {
    solver_ = &solver;
    init_ = &init;
    TensorList out = CustomFunction::apply(self, inputs);
    solver_ = nullptr;
    init_ = nullptr;
    return out;
  }

  std::any take_aux() { return std::move(aux_); }

  TensorList forward(CustomFunctionContext& ctx, const TensorList& inputs) override {
    SolutionWithAux result = (*solver_)(*init_, args_);
    MG_CHECK(!result.solution.empty(), "custom_root: the solver returned an empty solution");
    for (size_t i = 0; i < result.solution.size(); ++i) {
      const Tensor& t = result.solution[i];
      MG_CHECK(t.defined() && is_floating(t.dtype()),
               "custom_root: solution tensor {} is {}; the solver must return defined floating "
               "tensors",
               i,
               t.defined() ? fmt::format("of dtype {}", dtype_name(t.dtype()))
                           : std::string("undefined"));
    }
    // New handles: the solver may return tensors it does not own (init, an argument, a tensor
    // with history); the node's outputs must not re-parent them.
    for (Tensor& t : result.solution) t = t.detach();
    aux_ = std::move(result.aux);
    ctx.save_for_backward(result.solution);
    return result.solution;
  }

  // u solves (∂F/∂x)ᵀ u = −g; the gradient of θ is (∂F/∂θ)ᵀ u.
  TensorList backward(CustomFunctionContext& ctx, const TensorList& grad_outputs) override {
    const bool record = is_grad_enabled();
    const TensorList saved = ctx.saved_tensors();
    // The tensors of the arguments in argnums, as F will see them: the given tensors (history
    // kept) or, when recording, differentiable copies of them, so that the VJP below is the
    // partial ∂F/∂θ (x's own path to θ through this node is not part of it).
    TensorList inputs;
    RootArgs args = constant_args();
    std::vector<size_t> needed;  // positions in `inputs` that need a gradient
    for (int argnum : argnums_) {
      const RootArg& given = args_[argnum - 1];
      TensorList seen;
      for (const Tensor& t : given.tensors()) {
        const bool needs = t.defined() && ctx.needs_input_grad(inputs.size());
        if (needs) needed.push_back(inputs.size());
        inputs.push_back(needs && record ? t.clone() : t);
        seen.push_back(inputs.back());
      }
      if (given.is_list())
        args[argnum - 1] = RootArg(std::move(seen));
      else
        args[argnum - 1] = RootArg(std::move(seen.front()));
    }
    TensorList result(inputs.size());
    if (needed.empty()) return result;

    TensorList x;
    TensorList residual;
    {
      EnableGradGuard enable;
      x = saved;
      if (!record)
        for (Tensor& t : x) t = t.detach().requires_grad_(true);
      residual = optimality_(x, args);
    }
    check_residual(residual, x);

    TensorList needed_inputs;
    for (size_t i : needed) needed_inputs.push_back(inputs[i]);
    // (∂F/∂x)ᵀ u by one VJP through F's graph; differentiable when grad mode is on around it.
    linalg::MatVec transposed_jacobian = [&residual, &x](const TensorList& u) {
      GradOptions options{.retain_graph = true, .create_graph = is_grad_enabled()};
      return grad(residual, x, u, options);
    };
    TensorList g(grad_outputs.size());
    for (size_t i = 0; i < g.size(); ++i) g[i] = -grad_outputs[i];
    const TensorList u = solve_(transposed_jacobian, g);
    MG_CHECK(u.size() == x.size(),
             "custom_root: the linear solver returned {} tensor(s) for a solution of {}", u.size(),
             x.size());
    GradOptions options{.retain_graph = record, .create_graph = record, .allow_unused = true};
    TensorList grads = grad(residual, needed_inputs, u, options);
    for (size_t k = 0; k < needed.size(); ++k) {
      const Tensor& input = inputs[needed[k]];
      result[needed[k]] = grads[k].defined() ? grads[k] : zeros_like(input);
    }
    return result;
  }

 private:
  // The arguments with every tensor detached: what F sees of the arguments outside argnums.
  RootArgs constant_args() const {
    RootArgs out;
    out.reserve(args_.size());
    for (const RootArg& a : args_) {
      TensorList detached;
      detached.reserve(a.tensors().size());
      for (const Tensor& t : a.tensors()) detached.push_back(t.defined() ? t.detach() : t);
      if (a.is_list())
        out.emplace_back(std::move(detached));
      else
        out.emplace_back(std::move(detached.front()));
    }
    return out;
  }

  static void check_residual(const TensorList& residual, const TensorList& x) {
    MG_CHECK(residual.size() == x.size(),
             "custom_root: optimality returned {} tensor(s) for a solution of {}; it must return "
             "one per solution tensor, with the same shapes",
             residual.size(), x.size());
    for (size_t i = 0; i < x.size(); ++i) {
      MG_CHECK(residual[i].defined() && residual[i].shape() == x[i].shape() &&
                   residual[i].dtype() == x[i].dtype(),
               "custom_root: optimality output {} has {} but solution tensor {} has shape {} and "
               "dtype {}; the optimality condition must have the solution's structure",
               i,
               residual[i].defined()
                   ? fmt::format("shape {} and dtype {}", shape_str(residual[i].shape()),
                                 dtype_name(residual[i].dtype()))
                   : std::string("no value"),
               i, shape_str(x[i].shape()), dtype_name(x[i].dtype()));
    }
  }

  OptimalityFn optimality_;
  std::vector<int> argnums_;
  linear_solve::LinearSolver solve_;
  RootArgs args_;
  std::any aux_;
  const std::function<SolutionWithAux(const TensorList&, const RootArgs&)>* solver_ = nullptr;
  const TensorList* init_ = nullptr;
};

void check_argnums(const std::vector<int>& argnums, const char* fn) {
  MG_CHECK(!argnums.empty(),
           "{}: argnums is empty; name at least one argument to differentiate (1 is the first "
           "argument after the initial parameters)",
           fn);
  std::set<int> seen;
  for (int a : argnums) {
    MG_CHECK(a != 0,
             "{}: argnums contains 0, the initial parameters, but the solution does not depend on "
             "them; number the arguments after the initial parameters from 1, as TorchOpt does",
             fn);
    MG_CHECK(a > 0, "{}: argnums contains {}; argument numbers are positive (1 is args[0])", fn, a);
    MG_CHECK(seen.insert(a).second, "{}: argnums contains {} twice", fn, a);
  }
}

// Runs one call of the wrapped solver (Note [implicit root]).
SolutionWithAux solve_implicitly(
    const OptimalityFn& optimality, const std::vector<int>& argnums,
    const linear_solve::LinearSolver& solve,
    const std::function<SolutionWithAux(const TensorList&, const RootArgs&)>& solver,
    const TensorList& init, const RootArgs& args) {
  TensorList inputs;
  for (int argnum : argnums) {
    MG_CHECK(static_cast<size_t>(argnum) <= args.size(),
             "custom_root: argnums names argument {} but the solver got {} argument(s) after the "
             "initial parameters (argument k is args[k - 1])",
             argnum, args.size());
    for (const Tensor& t : args[argnum - 1].tensors()) inputs.push_back(t);
  }
  auto fn = std::make_shared<ImplicitRootFunction>(optimality, argnums, solve, args);
  TensorList solution = fn->run(solver, init, inputs, fn);
  return {std::move(solution), fn->take_aux()};
}

}  // namespace

RootSolver ImplicitRoot::operator()(RootSolver solver) const {
  MG_CHECK(static_cast<bool>(solver), "custom_root: the solver is empty");
  MG_CHECK(!options_.has_aux,
           "custom_root: has_aux is true but the solver returns only the solution; return a "
           "SolutionWithAux{{solution, aux}} or set has_aux = false");
  return [optimality = optimality_, argnums = argnums_, solve = options_.solve,
          solver = std::move(solver)](const TensorList& init, const RootArgs& args) {
    const std::function<SolutionWithAux(const TensorList&, const RootArgs&)> with_aux =
        [&solver](const TensorList& i, const RootArgs& a) {
          return SolutionWithAux{solver(i, a), {}};
        };
    return solve_implicitly(optimality, argnums, solve, with_aux, init, args).solution;
  };
}

RootSolverWithAux ImplicitRoot::operator()(RootSolverWithAux solver) const {
  MG_CHECK(static_cast<bool>(solver), "custom_root: the solver is empty");
  MG_CHECK(options_.has_aux,
           "custom_root: the solver returns a SolutionWithAux but has_aux is false; set has_aux "
           "= true or return only the solution");
  return [optimality = optimality_, argnums = argnums_, solve = options_.solve,
          solver = std::move(solver)](const TensorList& init, const RootArgs& args) {
    return solve_implicitly(optimality, argnums, solve, solver, init, args);
  };
}

ImplicitRoot custom_root(OptimalityFn optimality, std::vector<int> argnums,
                         CustomRootOptions options) {
  MG_CHECK(static_cast<bool>(optimality), "custom_root: the optimality function is empty");
  MG_CHECK(static_cast<bool>(options.solve),
           "custom_root: options.solve is empty; pass a linear solver such as "
           "linear_solve::solve_normal_cg()");
  check_argnums(argnums, "custom_root");
  return ImplicitRoot(std::move(optimality), std::move(argnums), std::move(options));
}

ImplicitRoot custom_fixed_point(FixedPointFn fixed_point, std::vector<int> argnums,
                                CustomRootOptions options) {
  MG_CHECK(static_cast<bool>(fixed_point), "custom_fixed_point: the fixed-point map is empty");
  check_argnums(argnums, "custom_fixed_point");
  // F(x, args) = T(x, args) − x.
  OptimalityFn optimality = [t = std::move(fixed_point)](const TensorList& x,
                                                         const RootArgs& args) {
    TensorList residual = t(x, args);
    MG_CHECK(residual.size() == x.size(),
             "custom_fixed_point: the map returned {} tensor(s) for a solution of {}",
             residual.size(), x.size());
    for (size_t i = 0; i < x.size(); ++i) residual[i] = residual[i] - x[i];
    return residual;
  };
  return custom_root(std::move(optimality), std::move(argnums), std::move(options));
}

}  // namespace metagrad
