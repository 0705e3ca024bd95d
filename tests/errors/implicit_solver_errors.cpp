// Error inputs of the tree arithmetic, the iterative and dense solvers and the linear_solve
// factories (implicit/{tensor_tree,linalg,linear_solve}.hpp).
#include "tests/errors/error_table.hpp"

namespace metagrad::testing {
namespace {

TensorList two64() { return {f64({3}), f64({2, 2})}; }

linalg::MatVec identity_matvec() {
  return [](const TensorList& x) { return x; };
}

}  // namespace

ErrorTable implicit_solver_error_cases() {
  return {
      // ---- tree:: ----
      {"add",
       "lists of different lengths",
       [] { (void)tree::add(two64(), {f64({3})}); },
       {"tree::add", "the lists have 2 and 1 tensors"}},
      {"sub",
       "entries of different shapes",
       [] {
         (void)tree::sub(two64(), {f64({3}), f64({4})});
       },
       {"tree::sub", "entry 1 has shapes [2, 2] and [4]"}},
      {"add_scaled",
       "a non-scalar tensor alpha",
       [] { (void)tree::add_scaled(two64(), f64({2}), two64()); },
       {"tree::add_scaled", "alpha must be a scalar tensor (one element), got shape [2]"}},
      {"add_scaled",
       "entries of different dtypes",
       [] { (void)tree::add_scaled({f64({3})}, 2.0, {f32({3})}); },
       {"tree::add_scaled", "entry 0 has dtypes float64 and float32"}},
      {"scale",
       "alpha of another dtype",
       [] { (void)tree::scale(two64(), f32({})); },
       {"tree::scale", "alpha has dtype float32 but the list has dtype float64"}},
      {"neg",
       "an undefined entry",
       [] { (void)tree::neg({Tensor()}); },
       {"tree::neg", "entry 0 is an undefined tensor"}},
      {"vdot",
       "empty lists",
       [] { (void)tree::vdot({}, {}); },
       {"tree::vdot", "the lists are empty"}},
      {"squared_norm",
       "an empty list",
       [] { (void)tree::squared_norm({}); },
       {"tree::squared_norm", "the list is empty"}},
      {"zeros_like",
       "an undefined entry",
       [] {
         (void)tree::zeros_like({f64({2}), Tensor()});
       },
       {"tree::zeros_like", "entry 1 is an undefined tensor"}},
      {"detach",
       "an undefined entry",
       [] { (void)tree::detach({Tensor()}); },
       {"tree::detach", "entry 0 is an undefined tensor"}},
      {"numel",
       "an undefined entry",
       [] { (void)tree::numel({Tensor()}); },
       {"tree::numel", "entry 0 is an undefined tensor"}},
      {"flatten",
       "entries of different dtypes",
       [] {
         (void)tree::flatten({f64({2}), f32({2})});
       },
       {"tree::flatten", "entry 1 has dtype float32 but entry 0 has dtype float64"}},
      {"unflatten",
       "a flat tensor of the wrong size",
       [] { (void)tree::unflatten(f64({5}), two64()); },
       {"tree::unflatten", "`flat` has 5 elements but the list it mirrors has 7"}},
      {"unflatten",
       "a 2-D flat tensor",
       [] {
         (void)tree::unflatten(f64({7, 1}), two64());
       },
       {"tree::unflatten", "`flat` must be 1-D, got shape [7, 1]"}},
      // ---- linalg:: ----
      {"Operator",
       "a matrix operator given a vector of the wrong size",
       [] {
         (void)linalg::Operator(f64({3, 3}))({f64({4})});
       },
       {"linalg::Operator", "the matrix has shape [3, 3] but x[0] has shape [4]"}},
      {"Operator",
       "a non-square matrix",
       [] {
         (void)linalg::Operator(f64({2, 3}))({f64({3})});
       },
       {"linalg::Operator", "must be square [n, n], got shape [2, 3]"}},
      {"Operator",
       "a matvec changing the structure",
       [] {
         const linalg::Operator op([](const TensorList& x) { return TensorList{x[0], x[0]}; });
         (void)op({f64({2})});
       },
       {"linalg::Operator", "the matvec returned 2 tensors for an input of 1"}},
      {"cg",
       "an empty right-hand side",
       [] { (void)linalg::cg(identity_matvec(), {}); },
       {"linalg::cg", "b is an empty list"}},
      {"cg",
       "x0 of another shape",
       [] { (void)linalg::cg(identity_matvec(), {f64({3})}, {.x0 = TensorList{f64({2})}}); },
       {"linalg::cg", "x0[0] has shape [2] but b[0] has shape [3]"}},
      {"cg",
       "a negative rtol",
       [] { (void)linalg::cg(identity_matvec(), {f64({3})}, {.rtol = -1.0}); },
       {"linalg::cg", "rtol must be finite and non-negative, got -1"}},
      {"cg",
       "an integer right-hand side",
       [] {
         (void)linalg::cg(identity_matvec(), {i64({1, 2})});
       },
       {"linalg::cg", "b[0] has dtype int64; the solvers need float32 or float64"}},
      {"cg",
       "a zero operator (breakdown)",
       [] {
         (void)linalg::cg([](const TensorList& x) { return tree::zeros_like(x); }, {f64({3})});
       },
       {"linalg::cg: breakdown at iteration 0", "symmetric positive definite"}},
      {"ns",
       "a negative maxiter",
       [] { (void)linalg::ns(identity_matvec(), {f64({2})}, {.maxiter = -1}); },
       {"linalg::ns", "maxiter must be non-negative, got -1"}},
      {"ns",
       "a non-finite alpha",
       [] { (void)linalg::ns(identity_matvec(), {f64({2})}, {.alpha = kNaN}); },
       {"linalg::ns", "alpha must be finite"}},
      {"ns",
       "entries of different dtypes",
       [] {
         (void)linalg::ns(identity_matvec(), {f64({2}), f32({2})});
       },
       {"linalg::ns", "b[1] has dtype float32 but b[0] has dtype float64"}},
      {"ns_inv",
       "a non-square matrix",
       [] {
         (void)linalg::ns_inv(f64({2, 3}));
       },
       {"linalg::ns_inv", "square matrix [n, n] or a batch [..., n, n], got shape [2, 3]"}},
      {"ns_inv",
       "an integer matrix",
       [] {
         (void)linalg::ns_inv(i64({1, 0, 0, 1}).reshape({2, 2}));
       },
       {"linalg::ns_inv", "A has dtype int64"}},
      {"gmres",
       "restart 0",
       [] { (void)linalg::gmres(identity_matvec(), {f64({2})}, {.restart = 0}); },
       {"linalg::gmres", "restart must be at least 1, got 0"}},
      {"gmres",
       "x0 with another number of tensors",
       [] {
         (void)linalg::gmres(identity_matvec(), {f64({2})}, {.x0 = TensorList{f64({2}), f64({2})}});
       },
       {"linalg::gmres", "x0 has 2 tensors but b has 1"}},
      {"bicgstab",
       "a negative maxiter",
       [] { (void)linalg::bicgstab(identity_matvec(), {f64({2})}, {.maxiter = -3}); },
       {"linalg::bicgstab", "maxiter must be non-negative, got -3"}},
      {"bicgstab",
       "an infinite atol",
       [] { (void)linalg::bicgstab(identity_matvec(), {f64({2})}, {.atol = kInf}); },
       {"linalg::bicgstab", "atol must be finite and non-negative, got inf"}},
      {"solve",
       "a singular matrix",
       [] {
         (void)linalg::solve(f64({3, 3}), f64({3}));
       },
       {"linalg::solve", "A [3, 3] is singular", "add a ridge term"}},
      {"solve",
       "a right-hand side of the wrong length",
       [] {
         (void)linalg::solve(f64({3, 3}), f64({4}));
       },
       {"linalg::solve", "B must be [*, n, k] or [*, n] with n = 3", "got shape [4]"}},
      {"solve",
       "mixed dtypes",
       [] {
         (void)linalg::solve(f64({2, 2}), f32({2}));
       },
       {"linalg::solve", "dtype mismatch: float64 [2, 2] and float32 [2]"}},
      {"solve",
       "A and b on different devices",
       [] {
         ScopedEmulatedCuda cuda;
         (void)linalg::solve(f64({2, 2}), zeros({2}, {kFloat64, cuda_device(0)}));
       },
       {"linalg::solve", "same device, got cpu (shape [2, 2]) and cuda:0"}},
      {"solve",
       "a non-finite matrix",
       [] {
         (void)linalg::solve(full({2, 2}, kNaN, kFloat64), f64({2}));
       },
       {"linalg::solve", "is singular or not finite"}},
      // ---- linear_solve:: ----
      {"solve_cg",
       "a NaN ridge",
       [] { (void)linear_solve::solve_cg({.ridge = kNaN}); },
       {"linear_solve::solve_cg", "ridge must be finite"}},
      {"solve_cg",
       "an empty matvec",
       [] { (void)linear_solve::solve_cg()(linalg::MatVec{}, {f64({2})}); },
       {"linear_solve::solve_cg", "the matvec function is empty"}},
      {"solve_normal_cg",
       "init of another shape",
       [] {
         (void)linear_solve::solve_normal_cg({.init = TensorList{f64({2})}})(identity_matvec(),
                                                                             {f64({3})});
       },
       {"linear_solve::solve_normal_cg", "init[0] has shape [2] but b[0] has shape [3]"}},
      {"solve_normal_cg",
       "a matvec without autograd history",
       [] {
         const linalg::MatVec detached = [](const TensorList& x) { return tree::detach(x); };
         (void)linear_solve::solve_normal_cg()(detached, {f64({3})});
       },
       {"linear_solve::solve_normal_cg", "matvec(x) has no autograd history with respect to x"}},
      {"solve_normal_cg",
       "a negative atol",
       [] { (void)linear_solve::solve_normal_cg({.atol = -1.0}); },
       {"linear_solve::solve_normal_cg", "atol must be finite and non-negative"}},
      {"solve_inv",
       "a negative maxiter",
       [] { (void)linear_solve::solve_inv({.ns = true, .maxiter = -1}); },
       {"linear_solve::solve_inv", "maxiter must be non-negative, got -1"}},
      {"solve_inv",
       "a singular operator (dense)",
       [] {
         (void)linear_solve::solve_inv()([](const TensorList& x) { return tree::scale(x, 0.0); },
                                         {f64({2})});
       },
       {"linalg::solve", "is singular"}},
      {"solve_gmres",
       "restart 0",
       [] { (void)linear_solve::solve_gmres({.restart = 0}); },
       {"linear_solve::solve_gmres", "restart must be at least 1, got 0"}},
      {"solve_gmres",
       "an empty matvec",
       [] { (void)linear_solve::solve_gmres()(linalg::MatVec{}, {f64({2})}); },
       {"linear_solve::solve_gmres", "the matvec function is empty"}},
      {"solve_bicgstab",
       "a negative rtol",
       [] { (void)linear_solve::solve_bicgstab({.rtol = -0.5}); },
       {"linear_solve::solve_bicgstab", "rtol must be finite and non-negative, got -0.5"}},
      {"solve_bicgstab",
       "init of another dtype",
       [] {
         (void)linear_solve::solve_bicgstab({.init = TensorList{f32({2})}})(identity_matvec(),
                                                                            {f64({2})});
       },
       {"linalg::bicgstab", "x0[0] has dtype float32 but b[0] has dtype float64"}},
  };
}

}  // namespace metagrad::testing
