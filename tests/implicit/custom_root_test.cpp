// custom_root and custom_fixed_point: implicit gradients against closed forms and finite
// differences of the converged solver, several argnums, list arguments, has_aux, a second
// derivative through the root, and argument errors.
#include <Eigen/Dense>
#include <cmath>
#include <string>

#include "metagrad.hpp"
#include "tests/support/catch.hpp"
#include "tests/support/eigen_convert.hpp"
#include "tests/support/helpers.hpp"

using namespace metagrad;
using metagrad::testing::randn64;

namespace {

using metagrad::testing::from_vec;
using metagrad::testing::Matrix;
using metagrad::testing::to_matrix;
using metagrad::testing::to_vec;
using metagrad::testing::Vector;

// The ridge problem of the golden cases: w*(λ) = argmin ½‖Xw − y‖² + ½ Σ λᵢ wᵢ² (λ of one element
// or one per feature), so H(λ) = XᵀX + diag(λ) and w* = H⁻¹ Xᵀ y.
struct Ridge {
  Tensor X = randn64({12, 4}, 1).detach();
  Tensor y = randn64({12}, 2).detach();
  Tensor X_val = randn64({9, 4}, 3).detach();
  Tensor y_val = randn64({9}, 4).detach();

  Matrix hessian(const Vector& lambda) const {
    const Matrix Xm = to_matrix(X);
    Matrix H = Xm.transpose() * Xm;
    for (Eigen::Index i = 0; i < H.rows(); ++i)
      H(i, i) += lambda.size() == 1 ? lambda(0) : lambda(i);
    return H;
  }
  Vector solution(const Vector& lambda) const {
    return hessian(lambda).ldlt().solve(to_matrix(X).transpose() * to_vec(y));
  }
};

// F(w; λ, X, y) = Xᵀ(Xw − y) + λ ⊙ w, the gradient of the inner objective.
TensorList ridge_optimality(const TensorList& w, const RootArgs& args) {
  const Tensor& lambda = args[0].tensor();
  const Tensor& X = args[1].tensor();
  const Tensor& y = args[2].tensor();
  return {matmul(X.t(), matmul(X, w[0]) - y) + lambda * w[0]};
}

// The inner solver: a direct solve without graph.
TensorList ridge_solver(const Ridge& problem, const TensorList&, const RootArgs& args) {
  return {from_vec(problem.solution(to_vec(args[0].tensor())))};
}

// A dense linear solver for the adjoint system, from n matvecs: fine for these small problems
// (no graph: the tests that differentiate twice use solve_cg).
linear_solve::LinearSolver dense_solver() {
  return [](const linalg::MatVec& matvec, const TensorList& b) {
    const int64_t n = b[0].numel();
    Matrix A(n, n);
    for (int64_t j = 0; j < n; ++j) {
      Vector e = Vector::Zero(n);
      e(j) = 1.0;
      A.col(j) = to_vec(matvec({from_vec(e).reshape(b[0].shape())})[0]);
    }
    return TensorList{from_vec(A.partialPivLu().solve(to_vec(b[0]))).reshape(b[0].shape())};
  };
}

Tensor val_loss(const Ridge& p, const Tensor& w) {
  const Tensor r = matmul(p.X_val, w) - p.y_val;
  return 0.5 * (r * r).sum();
}

}  // namespace

TEST_CASE("custom_root: the ridge hypergradient matches the closed form", "[custom_root]") {
  const Ridge p;
  for (const int64_t lambda_size : {int64_t{1}, int64_t{4}}) {
    const Tensor lambda = (0.3 + 0.5 * rand({lambda_size}, kFloat64)).detach().requires_grad_();
    auto solver = custom_root(ridge_optimality, {1}, {.solve = dense_solver()})(
        [&p](const TensorList& init, const RootArgs& args) { return ridge_solver(p, init, args); });
    const TensorList w = solver({zeros({4}, kFloat64)}, {lambda, p.X, p.y});
    REQUIRE(w[0].requires_grad());
    const Tensor dlambda = grad({val_loss(p, w[0])}, {lambda})[0];

    // dL/dλ = −(H⁻¹ X_valᵀ r) ⊙ w (summed for a scalar λ), r = X_val w − y_val.
    const Vector lam = to_vec(lambda);
    const Vector ws = p.solution(lam);
    const Vector r = to_matrix(p.X_val) * ws - to_vec(p.y_val);
    const Vector adj = p.hessian(lam).ldlt().solve(to_matrix(p.X_val).transpose() * r);
    Vector expected = -(adj.array() * ws.array()).matrix();
    if (lambda_size == 1) expected = Vector::Constant(1, expected.sum());
    CHECK(metagrad::testing::allclose(dlambda, from_vec(expected), 1e-9, 1e-12));
    CHECK(metagrad::testing::allclose(w[0].detach(), from_vec(ws), 1e-12, 1e-12));
  }
}

TEST_CASE("custom_root: gradients match finite differences of the converged solver",
          "[custom_root]") {
  const Ridge p;
  auto solver = custom_root(ridge_optimality, {1, 3}, {.solve = dense_solver()})(
      [&p](const TensorList& init, const RootArgs& args) {
        // Solves for the y given in args (not p.y), so that y's finite differences move w.
        Ridge q = p;
        q.y = args[2].tensor();
        return ridge_solver(q, init, args);
      });
  const Tensor lambda = tensor({0.4, 0.7, 0.2, 1.1}, kFloat64).requires_grad_();
  const Tensor y = p.y.clone().requires_grad_();
  // Two argnums at once (λ and y); the checked function is the solution itself.
  metagrad::testing::check_grads(
      [&](const TensorList& in) {
        return solver({zeros({4}, kFloat64)}, {in[0], p.X, in[1]});
      },
      {lambda, y}, /*second_order=*/false);
}

TEST_CASE("custom_root: a list argument gets one gradient per tensor", "[custom_root]") {
  // x* solves a ⊙ x = b with a = (a0, a1) given as one list argument: x* = b / a.
  const Tensor a0 = tensor({2.0, 3.0}, kFloat64).requires_grad_();
  const Tensor a1 = tensor({5.0}, kFloat64).requires_grad_();
  const Tensor b = tensor({1.0, -2.0, 4.0}, kFloat64);
  OptimalityFn optimality = [](const TensorList& x, const RootArgs& args) {
    const Tensor a = cat(args[0].tensors(), 0);
    return TensorList{a * x[0] - args[1].tensor()};
  };
  auto solver = custom_root(optimality, {1},
                            {.solve = dense_solver()})([](const TensorList&, const RootArgs& args) {
    return TensorList{args[1].tensor() / cat(args[0].tensors(), 0)};
  });
  const TensorList x = solver({zeros({3}, kFloat64)}, {TensorList{a0, a1}, b});
  const TensorList g = grad({x[0].sum()}, {a0, a1});
  // d(b/a)/da = −b / a².
  CHECK(metagrad::testing::allclose(g[0], tensor({-1.0 / 4.0, 2.0 / 9.0}, kFloat64)));
  CHECK(metagrad::testing::allclose(g[1], tensor({-4.0 / 25.0}, kFloat64)));
}

TEST_CASE("custom_root: has_aux returns the solver's auxiliary output", "[custom_root]") {
  const Ridge p;
  const Tensor lambda = tensor({0.5}, kFloat64).requires_grad_();
  auto solver = custom_root(ridge_optimality, {1}, {.has_aux = true, .solve = dense_solver()})(
      [&p](const TensorList& init, const RootArgs& args) {
        return SolutionWithAux{ridge_solver(p, init, args), std::string("direct")};
      });
  const SolutionWithAux out = solver({zeros({4}, kFloat64)}, {lambda, p.X, p.y});
  CHECK(std::any_cast<std::string>(out.aux) == "direct");
  const Tensor g = grad({val_loss(p, out.solution[0])}, {lambda})[0];
  const Tensor g_plain =
      grad({val_loss(p, custom_root(ridge_optimality, {1}, {.solve = dense_solver()})(
                            [&p](const TensorList& i, const RootArgs& a) {
                              return ridge_solver(p, i, a);
                            })({zeros({4}, kFloat64)}, {lambda, p.X, p.y})[0])},
           {lambda})[0];
  CHECK(metagrad::testing::allclose(g, g_plain, 1e-12, 1e-14));
}

TEST_CASE("custom_root: nothing is recorded when no argument in argnums requires grad",
          "[custom_root]") {
  const Ridge p;
  auto solver = custom_root(ridge_optimality, {1}, {.solve = dense_solver()})(
      [&p](const TensorList& init, const RootArgs& args) { return ridge_solver(p, init, args); });
  const Tensor lambda = tensor({0.5}, kFloat64);
  const Tensor X = p.X.clone().requires_grad_();  // requires grad but is not in argnums
  const TensorList w = solver({zeros({4}, kFloat64)}, {lambda, X, p.y});
  CHECK_FALSE(w[0].requires_grad());
}

TEST_CASE("custom_fixed_point: the root of T(x, θ) − x", "[custom_root]") {
  // T(x, θ) = ½ tanh(x) + θ is a contraction; x* = ½ tanh(x*) + θ, so dx*/dθ = 1 / (1 − ½ sech²x*).
  const Tensor theta = tensor({0.3, -1.2, 2.0}, kFloat64).requires_grad_();
  FixedPointFn T = [](const TensorList& x, const RootArgs& args) {
    return TensorList{0.5 * tanh(x[0]) + args[0].tensor()};
  };
  auto solver = custom_fixed_point(
      T, {1}, {.solve = dense_solver()})([&T](const TensorList& init, const RootArgs& args) {
    TensorList x = init;
    for (int k = 0; k < 200; ++k) x = T(x, args);
    return x;
  });
  const TensorList x = solver({zeros({3}, kFloat64)}, {theta});
  const Tensor g = grad({x[0].sum()}, {theta})[0];
  const Tensor sech2 = 1.0 - tanh(x[0].detach()) * tanh(x[0].detach());
  CHECK(metagrad::testing::allclose(g, 1.0 / (1.0 - 0.5 * sech2), 1e-10, 1e-12));
}

TEST_CASE("custom_root: argument errors name the problem", "[custom_root]") {
  const auto solver = [](const TensorList& init, const RootArgs&) { return init; };
  CHECK_THROWS_WITH(custom_root(ridge_optimality, {0}), MG_CONTAINS("argnums contains 0"));
  CHECK_THROWS_WITH(custom_root(ridge_optimality, {}), MG_CONTAINS("argnums is empty"));
  CHECK_THROWS_WITH(custom_root(ridge_optimality, {-1}), MG_CONTAINS("argnums contains -1"));
  CHECK_THROWS_WITH(custom_root(ridge_optimality, {1, 1}), MG_CONTAINS("argnums contains 1 twice"));
  CHECK_THROWS_WITH(custom_root(ridge_optimality, {1}, {.has_aux = true})(RootSolver(solver)),
                    MG_CONTAINS("has_aux is true"));
  const Tensor lambda = tensor({0.5}, kFloat64).requires_grad_();
  auto wrapped = custom_root(ridge_optimality, {4})(RootSolver(solver));
  CHECK_THROWS_WITH(wrapped({zeros({4}, kFloat64)}, {lambda, lambda}),
                    MG_CONTAINS("argnums names argument 4 but the solver got 2 argument(s)"));
  // An optimality condition of the wrong shape is reported at backward.
  auto bad = custom_root(
      [](const TensorList&, const RootArgs& args) { return TensorList{args[0].tensor()}; }, {1},
      {.solve = dense_solver()})(RootSolver(solver));
  const TensorList x = bad({ones({3}, kFloat64)}, {lambda});
  CHECK_THROWS_WITH(grad({x[0].sum()}, {lambda}), MG_CONTAINS("optimality output 0 has shape [1]"));
  CHECK_THROWS_WITH(RootArg(TensorList{lambda}).tensor(), MG_CONTAINS("use tensors()"));
}

TEST_CASE("custom_root: a second derivative through the root matches its closed form",
          "[custom_root]") {
  // Scalar λ: H(λ) = XᵀX + λI, w' = −H⁻¹w, w'' = −2H⁻¹w'; with r = X_val w − y_val,
  // L' = rᵀ X_val w' and L'' = ‖X_val w'‖² + rᵀ X_val w''.
  const Ridge p;
  const Tensor lambda = tensor({0.7}, kFloat64).requires_grad_();
  for (const bool normal : {false, true}) {
    const linear_solve::SolveCgOptions tight{.rtol = 1e-13, .maxiter = 200};
    auto solver = custom_root(
        ridge_optimality, {1},
        {.solve = normal ? linear_solve::solve_normal_cg(tight) : linear_solve::solve_cg(tight)})(
        [&p](const TensorList& init, const RootArgs& args) { return ridge_solver(p, init, args); });
    const TensorList w = solver({zeros({4}, kFloat64)}, {lambda, p.X, p.y});
    const Tensor d1 = grad({val_loss(p, w[0])}, {lambda}, {}, {.create_graph = true})[0];
    REQUIRE(d1.requires_grad());
    const Tensor d2 = grad({d1.sum()}, {lambda})[0];

    const Vector lam = to_vec(lambda);
    const Matrix H = p.hessian(lam);
    const Matrix Xv = to_matrix(p.X_val);
    const Vector ws = p.solution(lam);
    const Vector w1 = -H.ldlt().solve(ws);
    const Vector w2 = -2.0 * H.ldlt().solve(w1);
    const Vector r = Xv * ws - to_vec(p.y_val);
    CHECK(d1.item<double>() == Catch::Approx(r.dot(Xv * w1)).epsilon(1e-9));
    CHECK(d2.item<double>() ==
          Catch::Approx((Xv * w1).squaredNorm() + r.dot(Xv * w2)).epsilon(1e-8));
  }
}

TEST_CASE("custom_root: the default solver (normal CG) gives the hypergradient", "[custom_root]") {
  const Ridge p;
  const Tensor lambda = tensor({0.3, 0.9, 1.5, 0.1}, kFloat64).requires_grad_();
  auto implicit = custom_root(ridge_optimality, {1})(
      [&p](const TensorList& init, const RootArgs& args) { return ridge_solver(p, init, args); });
  auto dense = custom_root(ridge_optimality, {1}, {.solve = dense_solver()})(
      [&p](const TensorList& init, const RootArgs& args) { return ridge_solver(p, init, args); });
  const Tensor g =
      grad({val_loss(p, implicit({zeros({4}, kFloat64)}, {lambda, p.X, p.y})[0])}, {lambda})[0];
  const Tensor g_dense =
      grad({val_loss(p, dense({zeros({4}, kFloat64)}, {lambda, p.X, p.y})[0])}, {lambda})[0];
  // Normal CG stops at ‖r‖ ≤ 1e-5 ‖b‖ (TorchOpt's default rtol) on the squared system.
  CHECK(metagrad::testing::allclose(g, g_dense, 1e-4, 1e-8));
}
