#include "implicit/implicit_module.hpp"

#include <exception>
#include <optional>
#include <utility>

#include "engine/autograd/engine.hpp"
#include "engine/error.hpp"
#include "engine/grad_mode.hpp"
#include "engine/ops.hpp"
#include "implicit/custom_root.hpp"

// Note [implicit module]
// TorchOpt's metaclass replaces a subclass's solve() by a wrapper that runs it inside custom_root.
// C++ cannot rewrite a method, so the roles are split: the subclass overrides the protected
// virtuals inner_solve(), objective() and/or optimality(), and the public, non-virtual solve() is
// the wrapper. solve() calls custom_root(F, argnums {1}) on a solver (init, {meta}) -> solution
// whose one argument is the list of meta-parameters, so the solution's node differentiates into
// every meta-parameter. The solver rebinds the parameter slots to fresh leaves, runs inner_solve()
// with grad mode on and returns the slots' values detached; solve() then rebinds the slots to the
// node's outputs.
//
// F(x, meta) is the user's optimality (or the gradient of the objective, with create_graph, so
// that custom_root can take VJPs of it) evaluated with the parameter slots temporarily rebound to
// x, and the meta-parameter slots to `meta` when they hold other tensors, restored afterwards even
// when F throws: the user's code reads the module as in forward, as TorchOpt's reparametrize
// arranges. The meta slots differ when the meta-network was rebound after solve() (an outer
// MetaSGD step) and always in a recorded backward (create_graph), where custom_root passes
// differentiable copies of the arguments; a meta-module's slots are the outer network's, so such
// a backward must not run concurrently with another use of that network.
//
// Ownership (TorchOpt PR #113 fixed a leak of exactly this shape): the module's slots own the
// solution, the solution's node owns F's closure, so the closure must not own the module. It holds
// a weak_ptr to an Anchor that the module owns and that points back at it: destroying the module
// frees the whole graph, and a backward through a solution whose module is gone finds the anchor
// expired and throws. A move repoints the anchor; an assignment or destruction clears it.

namespace metagrad::nn {

struct ImplicitMetaGradientModule::Anchor {
  ImplicitMetaGradientModule* module;
};

namespace {

// Rebinds a module's parameter slots to `values` while alive; restores the previous tensors.
class ParameterSwap {
 public:
  ParameterSwap(Module& module, const TensorList& values)
      : module_(module), saved_(module.parameters()) {
    module_.set_parameters(values);
  }
  ~ParameterSwap() { module_.set_parameters(saved_); }
  ParameterSwap(const ParameterSwap&) = delete;
  ParameterSwap& operator=(const ParameterSwap&) = delete;

 private:
  Module& module_;
  TensorList saved_;
};

// Rebinds a module's meta-parameter slots to `values` while alive, when they hold other tensors.
class MetaParameterSwap {
 public:
  MetaParameterSwap(MetaGradientModule& module, const TensorList& values) : module_(module) {
    TensorList current = module.meta_parameters();
    bool same = current.size() == values.size();
    for (size_t i = 0; same && i < values.size(); ++i) same = current[i].is_same(values[i]);
    if (same) return;
    module_.set_meta_parameters(values);
    saved_ = std::move(current);
  }
  ~MetaParameterSwap() {
    if (saved_) module_.set_meta_parameters(*saved_);
  }
  MetaParameterSwap(const MetaParameterSwap&) = delete;
  MetaParameterSwap& operator=(const MetaParameterSwap&) = delete;

 private:
  MetaGradientModule& module_;
  std::optional<TensorList> saved_;
};

}  // namespace

ImplicitMetaGradientModule::ImplicitMetaGradientModule(
    const TensorList& meta_tensors, std::vector<std::shared_ptr<Module>> meta_modules,
    ImplicitModuleOptions options)
    : MetaGradientModule(meta_tensors, std::move(meta_modules)),
      options_(std::move(options)),
      anchor_(std::make_shared<Anchor>(Anchor{this})) {
  MG_CHECK(static_cast<bool>(options_.linear_solve),
           "ImplicitMetaGradientModule: options.linear_solve is empty; pass a linear solver such "
           "as linear_solve::solve_cg() (or leave the default, solve_normal_cg())");
}

ImplicitMetaGradientModule::ImplicitMetaGradientModule(const ImplicitMetaGradientModule& other)
    : MetaGradientModule(other),
      options_(other.options_),
      anchor_(std::make_shared<Anchor>(Anchor{this})) {}

ImplicitMetaGradientModule& ImplicitMetaGradientModule::operator=(
    const ImplicitMetaGradientModule& other) {
  if (this != &other) {
    MetaGradientModule::operator=(other);
    options_ = other.options_;
    if (anchor_) anchor_->module = nullptr;
    anchor_ = std::make_shared<Anchor>(Anchor{this});
  }
  return *this;
}

ImplicitMetaGradientModule::ImplicitMetaGradientModule(ImplicitMetaGradientModule&& other) noexcept
    : MetaGradientModule(std::move(other)),
      options_(std::move(other.options_)),
      anchor_(std::move(other.anchor_)) {
  if (anchor_) anchor_->module = this;
}

ImplicitMetaGradientModule& ImplicitMetaGradientModule::operator=(
    ImplicitMetaGradientModule&& other) noexcept {
  if (this != &other) {
    MetaGradientModule::operator=(std::move(other));
    options_ = std::move(other.options_);
    if (anchor_) anchor_->module = nullptr;
    anchor_ = std::move(other.anchor_);
    if (anchor_) anchor_->module = this;
  }
  return *this;
}

ImplicitMetaGradientModule::~ImplicitMetaGradientModule() {
  if (anchor_) anchor_->module = nullptr;
}

// ---- the user's functions ----------------------------------------------------------------------

Tensor ImplicitMetaGradientModule::objective(const TensorList&) {
  MG_FAIL(
      "ImplicitMetaGradientModule: {} overrides neither optimality() nor objective(); override "
      "objective() (a scalar inner loss whose gradient with respect to parameters() is the "
      "optimality condition) or optimality() (a residual shaped like parameters())",
      type_name());
}

// F(x, θ) = ∇ₓ objective(x, θ), recorded (create_graph) so that custom_root can take its VJPs.
TensorList ImplicitMetaGradientModule::optimality(const TensorList& inputs) {
  const TensorList params = parameters();
  EnableGradGuard enable;
  const Tensor value = objective(inputs);
  MG_CHECK(value.defined() && value.numel() == 1,
           "ImplicitMetaGradientModule: objective() of {} must return a scalar tensor, got {}",
           type_name(),
           value.defined() ? fmt::format("shape {}", shape_str(value.shape()))
                           : std::string("an undefined tensor"));
  MG_CHECK(value.requires_grad(),
           "ImplicitMetaGradientModule: objective() of {} does not depend on parameters() (its "
           "value does not require grad); compute it from the module's parameters",
           type_name());
  TensorList grads = grad({value}, params, {}, {.create_graph = true, .allow_unused = true});
  for (size_t i = 0; i < grads.size(); ++i) {
    if (!grads[i].defined()) grads[i] = zeros_like(params[i]);
  }
  return grads;
}

TensorList ImplicitMetaGradientModule::optimality_residual(const TensorList& inputs) {
  TensorList residual = optimality(inputs);
  const NamedTensors params = named_parameters();
  MG_CHECK(residual.size() == params.size(),
           "ImplicitMetaGradientModule: optimality() of {} returned {} tensor(s) for {} "
           "parameters; return one per entry of parameters(), with the same shapes",
           type_name(), residual.size(), params.size());
  return residual;
}

// ---- solve -------------------------------------------------------------------------------------

ImplicitMetaGradientModule& ImplicitMetaGradientModule::solve(const TensorList& inputs) {
  const TensorList original = parameters();
  MG_CHECK(!original.empty(),
           "ImplicitMetaGradientModule::solve: {} has no parameters; register the inner "
           "parameters that inner_solve() optimises (register_parameter, or a submodule with "
           "register_module)",
           type_name());
  const TensorList meta = meta_parameters();
  MG_CHECK(!meta.empty(),
           "ImplicitMetaGradientModule::solve: {} has no meta-parameters, so there is nothing to "
           "differentiate; pass them to the constructor and register them, or use "
           "register_meta_parameter / register_meta_module",
           type_name());
  if (!anchor_) anchor_ = std::make_shared<Anchor>(Anchor{this});

  // F(x, {meta}), evaluated on the module reached through the anchor (Note [implicit module]).
  OptimalityFn optimality = [anchor = std::weak_ptr<Anchor>(anchor_), inputs](
                                const TensorList& x, const RootArgs& args) {
    const std::shared_ptr<Anchor> alive = anchor.lock();
    MG_CHECK(alive != nullptr && alive->module != nullptr,
             "ImplicitMetaGradientModule: the module whose solve() produced this solution was "
             "destroyed or assigned to before the backward through the solution; keep the module "
             "alive (and unchanged) until the outer backward is done");
    ImplicitMetaGradientModule& module = *alive->module;
    ParameterSwap params(module, x);
    MetaParameterSwap metas(module, args[0].tensors());
    return module.optimality_residual(inputs);
  };
  RootSolver solver = [this, &inputs](const TensorList& init, const RootArgs&) {
    TensorList leaves;
    leaves.reserve(init.size());
    for (const Tensor& t : init) leaves.push_back(t.detach().clone().requires_grad_(true));
    set_parameters(leaves);
    {
      EnableGradGuard enable;
      inner_solve(inputs);
    }
    TensorList solution = parameters();
    MG_CHECK(solution.size() == init.size(),
             "ImplicitMetaGradientModule::solve: inner_solve() of {} changed the number of "
             "parameters from {} to {}; it may update or rebind them but not add or remove any",
             type_name(), init.size(), solution.size());
    for (Tensor& t : solution) t = t.detach();
    return solution;
  };

  TensorList solution;
  try {
    solution = custom_root(std::move(optimality), {1}, {.solve = options_.linear_solve})(
        std::move(solver))(original, {RootArg(meta)});
  } catch (...) {
    // Put the slots back as they were (best effort: inner_solve may have left them unusable).
    try {
      set_parameters(original);
    } catch (const std::exception&) {
    }
    throw;
  }
  set_parameters(solution);
  return *this;
}

}  // namespace metagrad::nn
