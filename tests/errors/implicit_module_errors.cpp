// Error inputs of MetaGradientModule and ImplicitMetaGradientModule (implicit/*module.hpp).
#include "tests/errors/error_table.hpp"

namespace metagrad::testing {
namespace {

// A float64 [2] tensor that requires grad.
Tensor meta_tensor() { return ones({2}, kFloat64).requires_grad_(); }

// Registers `meta` as a meta-parameter under a name its parameter already has.
struct ClashingNames : nn::MetaGradientModule {
  explicit ClashingNames(const Tensor& meta) : MetaGradientModule({meta}) {
    register_parameter("w", ones({2}, kFloat64));
    register_parameter("w", meta);
  }
};

// Registers a meta-parameter that does not require grad.
struct ConstantMeta : nn::MetaGradientModule {
  ConstantMeta() { register_meta_parameter("c", ones({2}, kFloat64)); }
};

// An implicit module over parameter "w" and meta-parameter "m" (each optional), minimising
// ½‖w − m‖²; `kind` says which of objective() / optimality() it overrides.
enum class Overrides { none, objective, vector_objective };
class Quadratic : public nn::ImplicitMetaGradientModule {
 public:
  Quadratic(bool with_params, bool with_meta, Overrides kind,
            nn::ImplicitModuleOptions options = {.linear_solve = identity_solver()})
      : ImplicitMetaGradientModule({}, {}, std::move(options)), kind_(kind) {
    if (with_meta) register_meta_parameter("m", meta_tensor());
    if (with_params) register_parameter("w", zeros({2}, kFloat64));
  }
  static linear_solve::LinearSolver identity_solver() {
    return [](const linalg::MatVec&, const TensorList& b) { return b; };
  }

 protected:
  void inner_solve(const TensorList&) override {}
  Tensor objective(const TensorList& in) override {
    if (kind_ == Overrides::none) return ImplicitMetaGradientModule::objective(in);
    const Tensor d = parameters()[0] - meta_parameters()[0];
    return kind_ == Overrides::objective ? 0.5 * (d * d).sum() : 0.5 * d * d;
  }

 private:
  Overrides kind_;
};

}  // namespace

ErrorTable implicit_module_error_cases() {
  return {
      {"MetaGradientModule",
       "a meta tensor that does not require grad",
       [] { nn::MetaGradientModule module({ones({2}, kFloat64)}); },
       {"MetaGradientModule: meta tensor 0 (shape [2]) does not require grad"}},
      {"MetaGradientModule",
       "a null meta module",
       [] { nn::MetaGradientModule module({}, {nullptr}); },
       {"MetaGradientModule: meta module 0 is null"}},
      {"MetaGradientModule",
       "a meta-parameter named like a parameter",
       [] { ClashingNames module(meta_tensor()); },
       {"register_meta_parameter", "ClashingNames", "\"w\""}},
      {"MetaGradientModule",
       "a meta-parameter that does not require grad",
       [] { ConstantMeta module; },
       {"register_meta_parameter: meta-parameter \"c\" of ConstantMeta (shape [2]) does not "
        "require grad"}},
      {"MetaGradientModule",
       "set_meta_parameters with too few tensors",
       [] {
         Quadratic module(true, true, Overrides::objective);
         module.set_meta_parameters({});
       },
       {"set_meta_parameters: Quadratic has 1 meta-parameters, got 0 tensors"}},
      {"ImplicitMetaGradientModule",
       "solve without inner parameters",
       [] { Quadratic(false, true, Overrides::objective).solve({}); },
       {"ImplicitMetaGradientModule::solve: Quadratic has no parameters"}},
      {"ImplicitMetaGradientModule",
       "solve without meta-parameters",
       [] { Quadratic(true, false, Overrides::objective).solve({}); },
       {"ImplicitMetaGradientModule::solve: Quadratic has no meta-parameters"}},
      {"ImplicitMetaGradientModule",
       "neither optimality() nor objective() overridden (found by the backward)",
       [] {
         Quadratic module(true, true, Overrides::none);
         module.solve({});
         (void)grad({module.parameters()[0].sum()}, module.meta_parameters());
       },
       {"Quadratic overrides neither optimality() nor objective()"}},
      {"ImplicitMetaGradientModule",
       "an objective that is not a scalar",
       [] { (void)Quadratic(true, true, Overrides::vector_objective).optimality_residual({}); },
       {"objective() of Quadratic must return a scalar tensor, got shape [2]"}},
      {"ImplicitMetaGradientModule",
       "an empty linear solver",
       [] { Quadratic module(true, true, Overrides::objective, {.linear_solve = nullptr}); },
       {"options.linear_solve is empty"}},
  };
}

}  // namespace metagrad::testing
