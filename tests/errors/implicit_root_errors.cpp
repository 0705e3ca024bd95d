// Error inputs of custom_root and custom_fixed_point (implicit/custom_root.hpp).
#include "tests/errors/error_table.hpp"

namespace metagrad::testing {
namespace {

TensorList identity_map(const TensorList& x, const RootArgs&) { return x; }

// F(x; a) = a ⊙ x − 1 and its solver, for the entries that get as far as solving.
TensorList scaled_optimality(const TensorList& x, const RootArgs& args) {
  return {args[0].tensor() * x[0] - 1.0};
}
TensorList scaled_solver(const TensorList&, const RootArgs& args) {
  return {1.0 / args[0].tensor().detach()};
}

}  // namespace

ErrorTable implicit_root_error_cases() {
  return {
      {"custom_root",
       "argnums naming the initial parameters",
       [] { (void)custom_root(identity_map, {0}); },
       {"custom_root: argnums contains 0", "number the arguments after the initial parameters"}},
      {"custom_root",
       "empty argnums",
       [] { (void)custom_root(identity_map, {}); },
       {"custom_root: argnums is empty"}},
      {"custom_root",
       "empty optimality function",
       [] { (void)custom_root(OptimalityFn(), {1}); },
       {"custom_root: the optimality function is empty"}},
      {"custom_root",
       "argnums beyond the arguments given",
       [] {
         auto solver = custom_root(scaled_optimality, {2})(RootSolver(scaled_solver));
         (void)solver({f64({2})}, {f64({2}).requires_grad_()});
       },
       {"argnums names argument 2 but the solver got 1 argument(s)"}},
      {"custom_root",
       "solver returning an integer solution",
       [] {
         auto solver = custom_root(scaled_optimality, {1})(
             RootSolver([](const TensorList&, const RootArgs&) { return TensorList{i64({1})}; }));
         (void)solver({f64({1})}, {f64({1}).requires_grad_()});
       },
       {"custom_root: solution tensor 0 is of dtype int64", "defined floating tensors"}},
      {"custom_root",
       "optimality condition of another shape than the solution",
       [] {
         auto solver =
             custom_root([](const TensorList&, const RootArgs& a) { return a[0].tensors(); },
                         {1})(RootSolver(identity_map));
         Tensor a = f64({2}).requires_grad_();
         TensorList x = solver({f64({2})}, {TensorList{a, a}});
         (void)grad({x[0].sum()}, {a});
       },
       {"custom_root: optimality returned 2 tensor(s) for a solution of 1"}},
      {"custom_fixed_point",
       "argnums naming the initial parameters",
       [] {
         (void)custom_fixed_point(identity_map, {1, 0});
       },
       {"custom_fixed_point: argnums contains 0"}},
      {"custom_fixed_point",
       "duplicate argnums",
       [] {
         (void)custom_fixed_point(identity_map, {2, 2});
       },
       {"custom_fixed_point: argnums contains 2 twice"}},
      {"ImplicitRoot",
       "has_aux without an aux-returning solver",
       [] {
         (void)custom_root(scaled_optimality, {1}, {.has_aux = true})(RootSolver(scaled_solver));
       },
       {"has_aux is true but the solver returns only the solution"}},
      {"ImplicitRoot",
       "aux-returning solver without has_aux",
       [] {
         (void)custom_root(scaled_optimality,
                           {1})(RootSolverWithAux([](const TensorList& init, const RootArgs&) {
           return SolutionWithAux{init, {}};
         }));
       },
       {"has_aux is false"}},
      {"RootArg",
       "tensor() of a list argument",
       [] {
         (void)RootArg(TensorList{f64({1}), f64({1})}).tensor();
       },
       {"RootArg::tensor: the argument is a list of 2 tensor(s)", "use tensors()"}},
  };
}

}  // namespace metagrad::testing
