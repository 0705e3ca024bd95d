// linalg:: operators and solvers against a direct (Eigen) solve: matrix and function operators,
// multi-tensor lists, x0, maxiter, scalar problems, preconditioners, float32, and errors.
#include "implicit/linalg.hpp"

#include <cmath>
#include <vector>

#include "implicit/tensor_tree.hpp"
#include "tests/implicit/solver_fixtures.hpp"

namespace {

using namespace metagrad;
using Catch::Contains;
using metagrad::testing::allclose;
using metagrad::testing::nonsym_matrix;
using metagrad::testing::reference_solve;
using metagrad::testing::spd_matrix;
using metagrad::testing::vec64;
using V = std::vector<double>;

// A coupled operator on two tensors ([2, 3] and [2]) given by one 8 × 8 matrix on the flattened
// list, and the matching right-hand side.
struct TwoTensorSystem {
  Tensor matrix;
  TensorList b;
  linalg::MatVec matvec() const {
    return
        [m = matrix](const TensorList& x) { return tree::unflatten(mv(m, tree::flatten(x)), x); };
  }
  TensorList reference() const {
    return tree::unflatten(reference_solve(matrix, tree::flatten(b)), b);
  }
};

TwoTensorSystem two_tensor_system(const Tensor& matrix) {
  return {matrix, {vec64({2, 3}, 11), vec64({2}, 12)}};
}

}  // namespace

TEST_CASE("Operator applies a matrix to one tensor of any shape, or a function", "[linalg]") {
  const Tensor m = spd_matrix(6, 1);
  const Tensor x = vec64({2, 3}, 2);
  const linalg::Operator op(m);
  REQUIRE(op.matrix().has_value());
  const TensorList y = op({x});
  CHECK(y[0].shape() == Dims{2, 3});
  CHECK(allclose(y[0], mv(m, x.reshape({6})).reshape({2, 3})));
  const linalg::Operator fn([](const TensorList& v) { return tree::scale(v, 2.0); });
  CHECK_FALSE(fn.matrix().has_value());
  CHECK(fn({x})[0].to_vector<double>() == (x * 2.0).to_vector<double>());
  // Copying keeps the matrix (the function constructor does not swallow an Operator).
  linalg::Operator copy = op;
  linalg::Operator copy2(copy);
  CHECK(copy2.matrix().has_value());
  const linalg::Operator scalar(tensor({4.0}, {1, 1}, kFloat64));
  CHECK(scalar({scalar_tensor(2.0, kFloat64)})[0].dim() == 0);
  CHECK(scalar({scalar_tensor(2.0, kFloat64)})[0].item<double>() == 8.0);
}

TEST_CASE("Operator rejects bad operands by message", "[linalg]") {
  const linalg::Operator op(spd_matrix(3, 1));
  CHECK_THROWS_WITH(op({ones({4}, kFloat64)}),
                    Contains("the matrix has shape [3, 3] but x[0] has shape [4]"));
  CHECK_THROWS_WITH(op({ones({3}, kFloat64), ones({3}, kFloat64)}),
                    Contains("acts on a list of exactly one tensor, got 2"));
  CHECK_THROWS_WITH(op({ones({3})}),
                    Contains("the matrix has dtype float64 but x[0] has dtype float32"));
  CHECK_THROWS_WITH(linalg::Operator(ones({2, 3}, kFloat64))({ones({3}, kFloat64)}),
                    Contains("must be square [n, n], got shape [2, 3]"));
  const linalg::Operator bad([](const TensorList& v) { return TensorList{v[0].sum()}; });
  CHECK_THROWS_WITH(bad({ones({3}, kFloat64)}),
                    Contains("the matvec returned [] float64 at entry 0 for x of [3] float64"));
}

TEST_CASE("cg solves SPD systems as a direct solve", "[linalg]") {
  const Tensor a = spd_matrix(8, 3);
  const Tensor b = vec64({8}, 4);
  const Tensor ref = reference_solve(a, b);
  SECTION("matrix form") {
    const TensorList x = linalg::cg(a, {b}, {.rtol = 1e-12});
    CHECK(allclose(x[0], ref, 1e-8, 1e-10));
  }
  SECTION("function form, b shaped [2, 4]") {
    const linalg::MatVec fn = [a](const TensorList& v) {
      return TensorList{mv(a, v[0].reshape({8})).reshape({2, 4})};
    };
    const TensorList x = linalg::cg(fn, {b.reshape({2, 4})}, {.rtol = 1e-12});
    CHECK(x[0].shape() == Dims{2, 4});
    CHECK(allclose(x[0].reshape({8}), ref, 1e-8, 1e-10));
  }
  SECTION("a coupled two-tensor list") {
    const TwoTensorSystem sys = two_tensor_system(a);
    const TensorList x = linalg::cg(sys.matvec(), sys.b, {.rtol = 1e-12});
    const TensorList want = sys.reference();
    CHECK(allclose(x[0], want[0], 1e-8, 1e-10));
    CHECK(allclose(x[1], want[1], 1e-8, 1e-10));
  }
  SECTION("x0 near the solution converges at once; maxiter = 0 returns x0") {
    int calls = 0;
    const linalg::MatVec counted = [a, &calls](const TensorList& v) {
      ++calls;
      return TensorList{mv(a, v[0])};
    };
    const TensorList x = linalg::cg(counted, {b}, {.x0 = TensorList{ref}, .rtol = 1e-6});
    CHECK(calls == 1);  // only r0 = b - A x0
    CHECK(allclose(x[0], ref, 1e-12, 1e-12));
    const Tensor start = vec64({8}, 5);
    const TensorList same = linalg::cg(a, {b}, {.x0 = TensorList{start}, .maxiter = 0});
    CHECK(same[0].to_vector<double>() == start.to_vector<double>());
  }
  SECTION("maxiter = 1 takes exactly one steepest-descent step") {
    const TensorList x = linalg::cg(a, {b}, {.maxiter = 1});
    // x1 = (bᵀb / bᵀAb) b
    const double step = dot(b, b).item<double>() / dot(b, mv(a, b)).item<double>();
    CHECK(allclose(x[0], b * step, 1e-12, 1e-14));
  }
  SECTION("the default maxiter is 10 × the number of elements") {
    // I + skew: pᵀAp = pᵀp > 0 (no breakdown) but A is not symmetric, so cg never converges.
    const Tensor r = vec64({8, 8}, 9);
    const Tensor skew = (eye(8, 8, kFloat64) + (r - r.t()) * 3.0).contiguous();
    int calls = 0;
    const linalg::MatVec counted = [skew, &calls](const TensorList& v) {
      ++calls;
      return TensorList{mv(skew, v[0])};
    };
    (void)linalg::cg(counted, {b}, {.rtol = 0.0});
    CHECK(calls == 80);
  }
  SECTION("an exact preconditioner converges in one step") {
    TensorList columns;
    for (int64_t i = 0; i < 8; ++i)
      columns.push_back(reference_solve(a, eye(8, 8, kFloat64).select(0, i)));
    const Tensor inv = stack(columns, 1);  // A⁻¹ column by column
    int calls = 0;
    const linalg::MatVec counted = [a, &calls](const TensorList& v) {
      ++calls;
      return TensorList{mv(a, v[0])};
    };
    const TensorList x =
        linalg::cg(counted, {b}, {.rtol = 1e-10, .M = linalg::Operator(inv.contiguous())});
    CHECK(calls == 1);
    CHECK(allclose(x[0], ref, 1e-9, 1e-11));
    // A Jacobi preconditioner still converges to the solution.
    const Tensor jacobi = (eye(8, 8, kFloat64) / (a * eye(8, 8, kFloat64)).sum({1})).contiguous();
    const TensorList xj = linalg::cg(a, {b}, {.rtol = 1e-12, .M = linalg::Operator(jacobi)});
    CHECK(allclose(xj[0], ref, 1e-8, 1e-10));
  }
  SECTION("atol alone stops early") {
    const TensorList x = linalg::cg(a, {b}, {.rtol = 0.0, .atol = 1e30});
    CHECK(x[0].to_vector<double>() == V(8, 0.0));
  }
}

TEST_CASE("cg solves scalar problems and float32", "[linalg]") {
  // TorchOpt's default maxiter is 0 for a 0-d b (issue #222); ours is 10.
  const Tensor b = scalar_tensor(3.0, kFloat64);
  const linalg::MatVec four = [](const TensorList& v) { return tree::scale(v, 4.0); };
  const TensorList x = linalg::cg(four, {b});
  CHECK(x[0].dim() == 0);
  CHECK(x[0].item<double>() == Approx(0.75).epsilon(1e-12));
  const Tensor a32 = spd_matrix(5, 7).to(kFloat32);
  const Tensor b32 = vec64({5}, 8).to(kFloat32);
  const TensorList x32 = linalg::cg(a32, {b32}, {.rtol = 1e-6});
  CHECK(x32[0].dtype() == kFloat32);
  CHECK(allclose(x32[0], reference_solve(a32, b32), 1e-4, 1e-5));
}

TEST_CASE("cg rejects bad input by message", "[linalg]") {
  const Tensor a = spd_matrix(3, 1);
  const Tensor b = ones({3}, kFloat64);
  CHECK_THROWS_WITH(linalg::cg(a, {}), Contains("linalg::cg: b is an empty list"));
  CHECK_THROWS_WITH(linalg::cg(a, {b}, {.x0 = TensorList{ones({4}, kFloat64)}}),
                    Contains("linalg::cg: x0[0] has shape [4] but b[0] has shape [3]"));
  CHECK_THROWS_WITH(linalg::cg(a, {b}, {.x0 = TensorList{ones({3})}}),
                    Contains("x0[0] has dtype float32 but b[0] has dtype float64"));
  CHECK_THROWS_WITH(linalg::cg(a, {b}, {.rtol = -1.0}),
                    Contains("linalg::cg: rtol must be finite and non-negative, got -1"));
  CHECK_THROWS_WITH(linalg::cg(a, {b}, {.maxiter = -2}),
                    Contains("linalg::cg: maxiter must be non-negative, got -2"));
  CHECK_THROWS_WITH(linalg::cg(a, {tensor({1, 2, 3}, kInt64)}),
                    Contains("b[0] has dtype int64; the solvers need float32 or float64"));
  CHECK_THROWS_WITH(linalg::cg([](const TensorList& v) { return tree::zeros_like(v); }, {b}),
                    Contains("linalg::cg: breakdown at iteration 0"));
}

namespace {

// α Σ_{k=0}^{terms−1} (I − αA)ᵏ as a dense matrix, by explicit powers.
Tensor neumann_matrix(const Tensor& a, int64_t terms, double alpha) {
  const int64_t n = a.size(0);
  const Tensor m = eye(n, n, kFloat64) - a * alpha;
  Tensor power = eye(n, n, kFloat64), sum = zeros({n, n}, kFloat64);
  for (int64_t k = 0; k < terms; ++k) {
    sum = sum + power;
    power = matmul(power, m);
  }
  return sum * alpha;
}

// An SPD matrix with spectrum inside (0, 2): I − A is a contraction.
Tensor contractive_spd(int64_t n, uint64_t seed) { return spd_matrix(n, seed) * 0.3; }

}  // namespace

TEST_CASE("ns is the truncated Neumann series α Σ_{k=0}^{maxiter} (I − αA)ᵏ b", "[linalg]") {
  const Tensor a = contractive_spd(6, 71);
  const Tensor b = vec64({6}, 72);
  const TensorList x3 = linalg::ns(a, {b}, {.maxiter = 3});
  CHECK(allclose(x3[0], mv(neumann_matrix(a, 4, 1.0), b), 1e-12, 1e-14));
  const TensorList xa = linalg::ns(a * 5.0, {b}, {.maxiter = 4, .alpha = 0.2});
  CHECK(allclose(xa[0], mv(neumann_matrix(a * 5.0, 5, 0.2), b), 1e-12, 1e-14));
  CHECK(linalg::ns(a, {b}, {.maxiter = 0})[0].to_vector<double>() == b.to_vector<double>());
  // Converged: the direct solve, for a matrix, a function on a [2, 3] tensor, and a scalar.
  CHECK(allclose(linalg::ns(a, {b}, {.maxiter = 200})[0], reference_solve(a, b), 1e-9, 1e-11));
  const linalg::MatVec fn = [a](const TensorList& v) {
    return TensorList{mv(a, v[0].reshape({6})).reshape({2, 3})};
  };
  const TensorList xf = linalg::ns(fn, {b.reshape({2, 3})}, {.maxiter = 200});
  CHECK(allclose(xf[0].reshape({6}), reference_solve(a, b), 1e-9, 1e-11));
  const linalg::MatVec half = [](const TensorList& v) { return tree::scale(v, 0.5); };
  CHECK(linalg::ns(half, {scalar_tensor(1.0, kFloat64)}, {.maxiter = 60})[0].item<double>() ==
        Approx(2.0).epsilon(1e-12));
}

TEST_CASE("ns_inv sums maxiter Neumann terms, as TorchOpt", "[linalg]") {
  const Tensor a = contractive_spd(5, 73);
  CHECK(allclose(linalg::ns_inv(a, {.maxiter = 3}), neumann_matrix(a, 3, 1.0), 1e-12, 1e-14));
  CHECK(allclose(linalg::ns_inv(a * 4.0, {.maxiter = 5, .alpha = 0.25}),
                 neumann_matrix(a * 4.0, 5, 0.25), 1e-12, 1e-14));
  CHECK(linalg::ns_inv(a, {.maxiter = 0}).to_vector<double>() == V(25, 0.0));
  const Tensor inv = linalg::ns_inv(a, {.maxiter = 200});
  CHECK(allclose(matmul(inv, a), eye(5, 5, kFloat64), 1e-9, 1e-10));
  // A batch [2, n, n] inverts each matrix.
  const Tensor a2 = contractive_spd(5, 74);
  const Tensor batch = linalg::ns_inv(stack({a, a2}, 0), {.maxiter = 3});
  CHECK(allclose(batch.select(0, 1), neumann_matrix(a2, 3, 1.0), 1e-12, 1e-14));
  CHECK_THROWS_WITH(linalg::ns_inv(ones({2, 3}, kFloat64)),
                    Contains("linalg::ns_inv: A must be a square matrix [n, n] or a batch"));
  CHECK_THROWS_WITH(linalg::ns(a, {vec64({5}, 1)}, {.maxiter = -1}),
                    Contains("linalg::ns: maxiter must be non-negative, got -1"));
}

TEST_CASE("gmres and bicgstab solve non-symmetric and SPD systems", "[linalg]") {
  const Tensor a = nonsym_matrix(10, 81);
  const Tensor b = vec64({10}, 82);
  const Tensor ref = reference_solve(a, b);
  const Tensor s = spd_matrix(10, 83);
  const Tensor sref = reference_solve(s, b);
  CHECK(allclose(linalg::gmres(a, {b}, {.rtol = 1e-12})[0], ref, 1e-8, 1e-10));
  CHECK(allclose(linalg::gmres(s, {b}, {.rtol = 1e-12})[0], sref, 1e-8, 1e-10));
  CHECK(allclose(linalg::gmres(a, {b}, {.rtol = 1e-12, .restart = 3})[0], ref, 1e-8, 1e-10));
  CHECK(allclose(linalg::bicgstab(a, {b}, {.rtol = 1e-12})[0], ref, 1e-8, 1e-10));
  CHECK(allclose(linalg::bicgstab(s, {b}, {.rtol = 1e-12})[0], sref, 1e-8, 1e-10));
  // x0 and a coupled two-tensor list.
  const TensorList start{vec64({10}, 84)};
  CHECK(allclose(linalg::gmres(a, {b}, {.x0 = start, .rtol = 1e-12})[0], ref, 1e-8, 1e-10));
  CHECK(allclose(linalg::bicgstab(a, {b}, {.x0 = start, .rtol = 1e-12})[0], ref, 1e-8, 1e-10));
  const TwoTensorSystem sys = two_tensor_system(nonsym_matrix(8, 85));
  const TensorList want = sys.reference();
  const TensorList xg = linalg::gmres(sys.matvec(), sys.b, {.rtol = 1e-12});
  const TensorList xb = linalg::bicgstab(sys.matvec(), sys.b, {.rtol = 1e-12});
  CHECK(allclose(xg[0], want[0], 1e-8, 1e-10));
  CHECK(allclose(xg[1], want[1], 1e-8, 1e-10));
  CHECK(allclose(xb[0], want[0], 1e-8, 1e-10));
  CHECK(allclose(xb[1], want[1], 1e-8, 1e-10));
  // Scalar problems and float32.
  const linalg::MatVec four = [](const TensorList& v) { return tree::scale(v, -4.0); };
  CHECK(linalg::gmres(four, {scalar_tensor(2.0, kFloat64)})[0].item<double>() ==
        Approx(-0.5).epsilon(1e-12));
  CHECK(linalg::bicgstab(four, {scalar_tensor(2.0, kFloat64)})[0].item<double>() ==
        Approx(-0.5).epsilon(1e-12));
  const Tensor a32 = a.to(kFloat32), b32 = b.to(kFloat32);
  CHECK(allclose(linalg::gmres(a32, {b32}, {.rtol = 1e-6})[0], ref, 1e-4, 1e-5));
  CHECK(allclose(linalg::bicgstab(a32, {b32}, {.rtol = 1e-6})[0], ref, 1e-4, 1e-5));
}

TEST_CASE("gmres and bicgstab respect maxiter and use the preconditioner", "[linalg]") {
  const Tensor a = nonsym_matrix(10, 91);
  const Tensor b = vec64({10}, 92);
  int calls = 0;
  const linalg::MatVec counted = [a, &calls](const TensorList& v) {
    ++calls;
    return TensorList{mv(a, v[0])};
  };
  // One cycle of 2 Arnoldi steps, then the true residual.
  (void)linalg::gmres(counted, {b}, {.rtol = 0.0, .restart = 2, .maxiter = 1});
  CHECK(calls == 3);
  calls = 0;
  (void)linalg::gmres(counted, {b}, {.rtol = 0.0, .restart = 2, .maxiter = 3});
  CHECK(calls == 9);
  // Two matvecs per BiCGSTAB iteration.
  calls = 0;
  (void)linalg::bicgstab(counted, {b}, {.rtol = 0.0, .maxiter = 3});
  CHECK(calls == 6);
  // An exact preconditioner makes both converge in one step.
  TensorList columns;
  for (int64_t i = 0; i < 10; ++i) {
    columns.push_back(reference_solve(a, eye(10, 10, kFloat64).select(0, i)));
  }
  const linalg::Operator inv(stack(columns, 1).contiguous());
  const Tensor ref = reference_solve(a, b);
  calls = 0;
  const TensorList xg = linalg::gmres(counted, {b}, {.rtol = 1e-10, .M = inv});
  CHECK(calls == 2);  // one Arnoldi step and the final residual
  CHECK(allclose(xg[0], ref, 1e-9, 1e-11));
  calls = 0;
  const TensorList xb = linalg::bicgstab(counted, {b}, {.rtol = 1e-10, .M = inv});
  CHECK(calls == 1);  // v = A M p; s is already 0
  CHECK(allclose(xb[0], ref, 1e-9, 1e-11));
  CHECK_THROWS_WITH(linalg::gmres(a, {b}, {.restart = 0}),
                    Contains("linalg::gmres: restart must be at least 1, got 0"));
  CHECK_THROWS_WITH(linalg::bicgstab(a, {b}, {.maxiter = -1}),
                    Contains("linalg::bicgstab: maxiter must be non-negative, got -1"));
  CHECK_THROWS_WITH(linalg::gmres(a, {b}, {.x0 = TensorList{b, b}}),
                    Contains("linalg::gmres: x0 has 2 tensors but b has 1"));
}

TEST_CASE("solve: dense LU solve against Eigen, and its errors", "[linalg]") {
  const Tensor a = nonsym_matrix(6, 101);
  const Tensor b = vec64({6}, 102);
  CHECK(allclose(linalg::solve(a, b), reference_solve(a, b), 1e-12, 1e-13));
  const Tensor bk = vec64({6, 2}, 103);
  const Tensor xk = linalg::solve(a, bk);
  CHECK(xk.shape() == Dims{6, 2});
  CHECK(allclose(xk.select(1, 1), reference_solve(a, bk.select(1, 1)), 1e-12, 1e-13));
  const Tensor x32 = linalg::solve(a.to(kFloat32), b.to(kFloat32));
  CHECK(x32.dtype() == kFloat32);
  CHECK(allclose(x32, reference_solve(a, b), 1e-4, 1e-5));
  // Non-contiguous A (a transpose) solves Aᵀ x = b.
  CHECK(allclose(linalg::solve(a.t(), b), reference_solve(a.t().contiguous(), b), 1e-12, 1e-13));
  CHECK_THROWS_WITH(linalg::solve(ones({3, 3}, kFloat64), ones({3}, kFloat64)),
                    Contains("linalg::solve: A [3, 3] is singular"));
  // The singularity threshold is the dtype's epsilon: a condition number of 1e9 solves in float64
  // and is singular to float32's precision.
  const Tensor ill = tensor(std::vector<double>{1.0, 0.0, 0.0, 1e-9}, {2, 2}, kFloat64);
  CHECK(allclose(linalg::solve(ill, ones({2}, kFloat64)),
                 tensor(std::vector<double>{1.0, 1e9}, {2}, kFloat64), 1e-12, 0.0));
  CHECK_THROWS_WITH(linalg::solve(ill.to(kFloat32), ones({2}, kFloat32)),
                    Contains("linalg::solve: A [2, 2] is singular"));
  CHECK_THROWS_WITH(linalg::solve(ones({3, 2}, kFloat64), ones({3}, kFloat64)),
                    Contains("square matrices [*, n, n], got shape [3, 2]"));
  CHECK_THROWS_WITH(linalg::solve(a, ones({5}, kFloat64)),
                    Contains("B must be [*, n, k] or [*, n] with n = 6"));
  CHECK_THROWS_WITH(linalg::solve(a, b.to(kFloat32)),
                    Contains("dtype mismatch: float64 [6, 6] and float32 [6]"));
}

TEST_CASE("solve has first and second derivatives in A and b", "[linalg]") {
  const Tensor a = nonsym_matrix(4, 111).detach().requires_grad_();
  const Tensor b = vec64({4}, 112).requires_grad_();
  metagrad::testing::check_grads(
      [](const TensorList& in) { return TensorList{linalg::solve(in[0], in[1])}; }, {a, b});
  const Tensor bk = vec64({4, 3}, 113).requires_grad_();
  metagrad::testing::check_grads(
      [](const TensorList& in) { return TensorList{linalg::solve(in[0], in[1])}; }, {a, bk});
  // Only b requires grad: A's gradient is not computed.
  const TensorList gb = grad({linalg::solve(a.detach(), b).sum()}, {b});
  CHECK(allclose(gb[0], reference_solve(a.detach().t().contiguous(), ones({4}, kFloat64)), 1e-12,
                 1e-13));
}
