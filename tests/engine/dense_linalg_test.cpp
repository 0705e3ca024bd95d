// The dense linalg functions of engine/ops/dense_linalg.hpp: values and gradients against
// PyTorch 1.13 in float64 (dense_linalg_reference.hpp), the factorizations' identities, float32,
// errors naming the failing batch element, and gradcheck + gradgradcheck of every function.
#include <fmt/format.h>

#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "tests/engine/dense_linalg_reference.hpp"
#include "tests/support/helpers.hpp"

using namespace metagrad;
using Catch::Matchers::Contains;
using metagrad::testing::check_grads;
using metagrad::testing::noncontiguous;
using metagrad::testing::wave;

namespace {

using Fn = std::function<Tensor(const TensorList&)>;

const std::vector<double>& reference(const std::string& key) {
  const auto it = dense_linalg_reference::kTorch.find(key);
  INFO("reference key " << key);
  REQUIRE(it != dense_linalg_reference::kTorch.end());
  return it->second;
}

// |got - want| <= rtol (|want| + scale) elementwise, with scale the largest |want|.
void check_close(const Tensor& got, const std::vector<double>& want, double rtol,
                 const std::string& what) {
  const std::vector<double> values = got.to(kFloat64).contiguous().to_vector<double>();
  REQUIRE(values.size() == want.size());
  double scale = 0.0;
  for (const double w : want) scale = std::max(scale, std::abs(w));
  for (size_t i = 0; i < want.size(); ++i) {
    INFO(what << " element " << i << ": got " << fmt::format("{:.17g}", values[i]) << ", want "
              << fmt::format("{:.17g}", want[i]));
    CHECK(std::abs(values[i] - want[i]) <= rtol * (std::abs(want[i]) + scale));
  }
}

// Runs fn on fresh leaves of `inputs`, compares y and the gradients of sum(y * wave(y, 0.9))
// with PyTorch's under `name`.
void check_against_torch(const std::string& name, const Fn& fn, const TensorList& inputs,
                         double rtol = 1e-12) {
  TensorList leaves;
  for (const Tensor& x : inputs) leaves.push_back(x.detach().clone().requires_grad_());
  const Tensor y = fn(leaves);
  check_close(y, reference(name), rtol, name);
  const Tensor loss = sum(y * wave(y.shape(), 0.9));
  const TensorList grads = grad({loss}, leaves, {}, {.allow_unused = true});
  for (size_t i = 0; i < leaves.size(); ++i) {
    const Tensor g = grads[i].defined() ? grads[i] : zeros_like(leaves[i]);
    check_close(g, reference(fmt::format("{}.grad{}", name, i)), rtol,
                fmt::format("{}.grad{}", name, i));
  }
}

const Tensor kEye3 = eye(3, 3, kFloat64);

// The inputs of the reference script: an SPD batch, a general batch, right-hand sides and a
// lower-triangular batch.
Tensor spd() {
  const Tensor m = wave({2, 3, 3}, 0.3);
  return matmul(m, m.transpose(-2, -1)) + 3.0 * kEye3;
}
Tensor general() { return wave({2, 3, 3}, 1.1) + 2.0 * kEye3; }
Tensor rhs() { return wave({2, 3, 2}, 0.7); }
Tensor lower_triangular() { return tril(wave({2, 3, 3}, 1.7)) + 3.0 * kEye3; }

Tensor mT(const Tensor& x) { return x.transpose(-2, -1); }

}  // namespace

TEST_CASE("linalg::solve, inv, det, slogdet, logdet match PyTorch", "[dense_linalg]") {
  check_against_torch("solve", [](const TensorList& x) { return linalg::solve(x[0], x[1]); },
                      {general(), rhs()});
  check_against_torch("solve_broadcast",
                      [](const TensorList& x) { return linalg::solve(x[0], x[1]); },
                      {general(), wave({3, 2}, 2.0)});
  check_against_torch("solve_vector", [](const TensorList& x) { return linalg::solve(x[0], x[1]); },
                      {general(), wave({2, 3}, 0.5)});
  check_against_torch("inv", [](const TensorList& x) { return linalg::inv(x[0]); }, {general()});
  check_against_torch("det", [](const TensorList& x) { return linalg::det(x[0]); }, {general()});
  check_against_torch("logabsdet",
                      [](const TensorList& x) { return linalg::slogdet(x[0]).logabsdet; },
                      {general()});
  check_close(linalg::slogdet(general()).sign, reference("slogdet.sign"), 0.0, "slogdet.sign");
  check_against_torch("logdet", [](const TensorList& x) { return logdet(x[0]); }, {spd()});
}

TEST_CASE("linalg::cholesky, solve_triangular, cholesky_solve, cholesky_inverse match PyTorch",
          "[dense_linalg]") {
  check_against_torch("cholesky", [](const TensorList& x) { return linalg::cholesky(x[0]); },
                      {spd()});
  check_against_torch("cholesky_upper",
                      [](const TensorList& x) { return linalg::cholesky(x[0], true); }, {spd()});
  const Tensor t = lower_triangular();
  check_against_torch(
      "trsm_lower", [](const TensorList& x) { return linalg::solve_triangular(x[0], x[1], false); },
      {t, rhs()});
  check_against_torch(
      "trsm_upper", [](const TensorList& x) { return linalg::solve_triangular(x[0], x[1], true); },
      {mT(t).contiguous(), rhs()});
  check_against_torch(
      "trsm_lower_unit",
      [](const TensorList& x) { return linalg::solve_triangular(x[0], x[1], false, true, true); },
      {t, rhs()});
  check_against_torch("trsm_right_upper",
                      [](const TensorList& x) {
                        return linalg::solve_triangular(x[0], x[1], true, /*left=*/false);
                      },
                      {mT(t).contiguous(), mT(rhs()).contiguous()});
  // Only the named triangle is read, and only it gets a gradient.
  check_against_torch(
      "trsm_full_lower",
      [](const TensorList& x) { return linalg::solve_triangular(x[0], x[1], false); },
      {general(), rhs()});
  // PyTorch 1.13 also puts a gradient on the factor's other triangle, which cholesky_solve and
  // cholesky_inverse never read; the reference keeps the factor's own triangle.
  const Tensor l = linalg::cholesky(spd());
  check_against_torch("cholesky_solve",
                      [](const TensorList& x) { return cholesky_solve(x[0], x[1]); }, {rhs(), l});
  check_against_torch("cholesky_solve_upper",
                      [](const TensorList& x) { return cholesky_solve(x[0], x[1], true); },
                      {rhs(), mT(l).contiguous()});
  check_against_torch("cholesky_inverse",
                      [](const TensorList& x) { return cholesky_inverse(x[0].select(0, 0)); }, {l});
}

TEST_CASE("linalg::eigh and eigvalsh match PyTorch", "[dense_linalg]") {
  check_against_torch("eigvalsh", [](const TensorList& x) { return linalg::eigvalsh(x[0]); },
                      {spd()});
  check_against_torch("eigvalsh_U", [](const TensorList& x) { return linalg::eigvalsh(x[0], "U"); },
                      {general()});
  check_close(linalg::eigvalsh(general()), reference("eigvalsh_L_of_G"), 1e-13, "lower of G");
  // Eigenvectors are unique up to sign: compare w and V² (and their gradients).
  check_against_torch(
      "eigh_sq",
      [](const TensorList& x) {
        const linalg::EighResult e = linalg::eigh(x[0]);
        return cat({e.eigenvalues.reshape({-1}), (e.eigenvectors * e.eigenvectors).reshape({-1})});
      },
      {spd()}, 1e-11);
}

TEST_CASE("linalg norms, multi_dot, matrix_power, cross, lu_factor match PyTorch",
          "[dense_linalg]") {
  check_against_torch("norm_fro", [](const TensorList& x) { return linalg::matrix_norm(x[0]); },
                      {general()});
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<std::pair<std::string, double>> ords = {
      {"1", 1.0}, {"m1", -1.0}, {"inf", inf}, {"minf", -inf}};
  for (const auto& [name, ord] : ords) {
    const double p = ord;
    check_against_torch("norm_" + name,
                        [p](const TensorList& x) { return linalg::matrix_norm(x[0], p); },
                        {general()});
  }
  check_against_torch("vector_norm3",
                      [](const TensorList& x) { return linalg::vector_norm(x[0], 3.0, {-1}); },
                      {general()});
  check_against_torch("multi_dot", [](const TensorList& x) { return linalg::multi_dot(x); },
                      {wave({4}, 0.1), wave({4, 6}, 0.2), wave({6, 2}, 0.3), wave({2, 5}, 0.4)});
  check_against_torch("matrix_power3",
                      [](const TensorList& x) { return linalg::matrix_power(x[0], 3); },
                      {general()});
  check_against_torch(
      "matrix_power_m2", [](const TensorList& x) { return linalg::matrix_power(x[0], -2); },
      {general()}, 1e-11);
  check_against_torch("cross", [](const TensorList& x) { return linalg::cross(x[0], x[1], 0); },
                      {wave({3, 4}, 0.2), wave({3, 1}, 1.3)});
  const linalg::LuFactorResult lu =
      linalg::lu_factor(wave({2, 4, 4}, 0.6) + 2.0 * eye(4, 4, kFloat64));
  check_close(lu.LU, reference("lu_factor.LU"), 1e-13, "LU");
  check_close(lu.pivots, reference("lu_factor.pivots"), 0.0, "pivots");
  CHECK(lu.pivots.dtype() == kInt64);
  const Tensor identity = linalg::matrix_power(general(), 0);
  CHECK(all(eq(identity, kEye3.expand({2, 3, 3}))).item<bool>());
}

// The inputs of the reference script's orthogonal factorizations: full-rank tall and wide
// batches, and a batch of rank 2.
Tensor tall() { return wave({2, 4, 3}, 0.4) + 2.0 * eye(4, 3, kFloat64); }
Tensor wide() { return wave({2, 3, 5}, 0.8) + 2.0 * eye(3, 5, kFloat64); }
Tensor rank_two() { return wave({2, 4, 4}, 0.6); }

TensorList flat(const TensorList& parts) {
  TensorList flattened;
  for (const Tensor& part : parts) flattened.push_back(part.reshape({-1}));
  return flattened;
}

Tensor qr_cat(const Tensor& a, const std::string& mode = "reduced") {
  const linalg::QrResult qr = linalg::qr(a, mode);
  return cat(flat({qr.Q, qr.R}));
}

// Singular vectors are unique up to sign: S, U² and Vh² are not.
Tensor svd_squares(const Tensor& a) {
  const linalg::SvdResult svd = linalg::svd(a, false);
  return cat(flat({svd.S, svd.U * svd.U, svd.Vh * svd.Vh}));
}

TEST_CASE("linalg::qr, svd, svdvals, pinv, matrix_rank, lstsq, cond match PyTorch",
          "[dense_linalg]") {
  const auto qr_of = [](const TensorList& x) { return qr_cat(x[0]); };
  check_against_torch("qr_tall", qr_of, {tall()});
  check_against_torch("qr_wide", qr_of, {wide()});
  check_against_torch("qr_square", qr_of, {general()});
  // A wide matrix's complete factorization is its reduced one (torch's too).
  CHECK(testing::allclose(qr_cat(wide(), "complete"), qr_cat(wide()), 0, 0));
  const linalg::QrResult r_only = linalg::qr(tall(), "r");
  check_close(r_only.R, reference("qr_r"), 1e-13, "qr mode r");
  CHECK(r_only.Q.numel() == 0);
  const auto svd_of = [](const TensorList& x) { return svd_squares(x[0]); };
  check_against_torch("svd_tall", svd_of, {tall()}, 1e-11);
  check_against_torch("svd_wide", svd_of, {wide()}, 1e-11);
  check_against_torch("svd_square", svd_of, {general()}, 1e-11);
  check_against_torch("svdvals", [](const TensorList& x) { return linalg::svdvals(x[0]); },
                      {tall()});
  const auto pinv_of = [](const TensorList& x) { return linalg::pinv(x[0]); };
  check_against_torch("pinv_tall", pinv_of, {tall()}, 1e-11);
  check_against_torch("pinv_wide", pinv_of, {wide()}, 1e-11);
  check_against_torch(
      "pinv_hermitian", [](const TensorList& x) { return linalg::pinv(x[0], {.hermitian = true}); },
      {spd()}, 1e-11);
  check_against_torch("pinv_deficient", pinv_of, {rank_two()}, 1e-9);
  check_close(linalg::matrix_rank(rank_two()), reference("matrix_rank"), 0.0, "rank");
  check_close(linalg::matrix_rank(rank_two() + 1e-3 * eye(4, 4, kFloat64), {.atol = 0.01}),
              reference("matrix_rank_atol"), 0.0, "rank with atol");
  check_against_torch(
      "lstsq", [](const TensorList& x) { return linalg::lstsq(x[0], x[1]).solution; },
      {tall(), wave({2, 4, 2}, 1.4)}, 1e-11);
  const linalg::LstsqResult ls = linalg::lstsq(tall(), wave({2, 4, 2}, 1.4));
  check_close(ls.residuals, reference("lstsq.residuals"), 1e-11, "residuals");
  check_close(ls.rank, reference("lstsq.rank"), 0.0, "lstsq rank");
  check_close(ls.singular_values, reference("lstsq.singular_values"), 1e-13, "singular values");
  CHECK(linalg::lstsq(wide(), wave({2, 3, 1}, 0.2)).residuals.numel() == 0);
  check_against_torch(
      "cond", [](const TensorList& x) { return linalg::cond(x[0]); }, {general()}, 1e-11);
  // PyTorch 1.13's cond backward fails for these ords; its values are checked, and the gradients
  // against its norm(A) norm(inv(A)).
  check_close(linalg::cond(general(), "fro"), reference("cond_fro.check"), 1e-12, "cond fro");
  check_close(linalg::cond(general(), 1.0), reference("cond_1.check"), 1e-12, "cond 1");
  check_against_torch(
      "cond_fro", [](const TensorList& x) { return linalg::cond(x[0], "fro"); }, {general()},
      1e-11);
  check_against_torch(
      "cond_1", [](const TensorList& x) { return linalg::cond(x[0], 1.0); }, {general()}, 1e-11);
  check_against_torch("norm_nuc",
                      [](const TensorList& x) { return linalg::matrix_norm(x[0], "nuc"); },
                      {general()});
  check_against_torch("norm_2", [](const TensorList& x) { return linalg::matrix_norm(x[0], 2.0); },
                      {general()});
  check_against_torch(
      "norm_m2", [](const TensorList& x) { return linalg::matrix_norm(x[0], -2.0); }, {general()},
      1e-11);
}

TEST_CASE("qr and svd: factors reproduce the matrix, orthonormal, full matrices, gradients",
          "[dense_linalg]") {
  for (const Tensor& a : {tall(), wide(), general(), rank_two()}) {
    INFO("shape " << shape_str(a.shape()));
    const linalg::QrResult qr = linalg::qr(a);
    CHECK(testing::allclose(matmul(qr.Q, qr.R), a, 1e-12, 1e-12));
    const int64_t k = std::min(a.size(-2), a.size(-1));
    CHECK(testing::allclose(matmul(mT(qr.Q), qr.Q), eye(k, k, kFloat64).expand({2, k, k}), 1e-12,
                            1e-12));
    CHECK(testing::allclose(tril(qr.R, -1), zeros_like(qr.R), 0, 0));
    for (const bool full : {false, true}) {
      const linalg::SvdResult svd = linalg::svd(a, full);
      const int64_t m = a.size(-2), n = a.size(-1);
      CHECK(svd.U.shape() == Dims{2, m, full ? m : k});
      CHECK(svd.Vh.shape() == Dims{2, full ? n : k, n});
      const Tensor u = svd.U.slice(2, 0, k), vh = svd.Vh.slice(1, 0, k);
      CHECK(testing::allclose(matmul(u * svd.S.unsqueeze(-2), vh), a, 1e-12, 1e-12));
      CHECK(testing::allclose(
          matmul(mT(svd.U), svd.U),
          eye(svd.U.size(-1), -1, kFloat64).expand({2, svd.U.size(-1), svd.U.size(-1)}), 1e-12,
          1e-12));
    }
  }
  // The complete Q of a tall matrix: square, orthogonal, and R's extra rows zero.
  const linalg::QrResult complete = linalg::qr(tall(), "complete");
  CHECK(complete.Q.shape() == Dims{2, 4, 4});
  CHECK(complete.R.shape() == Dims{2, 4, 3});
  CHECK(testing::allclose(matmul(complete.Q, complete.R), tall(), 1e-12, 1e-12));
  CHECK(testing::allclose(matmul(mT(complete.Q), complete.Q), eye(4, 4, kFloat64).expand({2, 4, 4}),
                          1e-12, 1e-12));
  CHECK(all(eq(complete.R.select(1, 3), 0.0)).item<bool>());
  const linalg::QrResult reduced = linalg::qr(tall());
  CHECK(testing::allclose(complete.Q.slice(2, 0, 3), reduced.Q, 0, 0));
  // float32.
  const linalg::SvdResult svd32 = linalg::svd(tall().to(kFloat32), false);
  CHECK(svd32.S.dtype() == kFloat32);
  CHECK(testing::allclose(svd32.S.to(kFloat64), linalg::svdvals(tall()), 1e-5, 1e-5));
  // R only ("r") still differentiates, unlike torch.
  const Tensor leaf = tall().requires_grad_();
  const Tensor g = grad({sum(linalg::qr(leaf, "r").R)}, {leaf})[0];
  const Tensor g_reduced = grad({sum(linalg::qr(leaf).R)}, {leaf})[0];
  CHECK(testing::allclose(g, g_reduced, 0, 0));
  // The full U's extra columns have no derivative: a loss on them alone gives zero.
  const Tensor g_extra =
      grad({sum(linalg::svd(leaf, true).U.slice(2, 3, 4))}, {leaf}, {}, {.allow_unused = true})[0];
  CHECK((!g_extra.defined() || all(eq(g_extra, 0.0)).item<bool>()));
  // svdvals at a repeated singular value (the identity's) has a finite gradient.
  const Tensor identity = eye(3, 3, kFloat64).requires_grad_();
  const Tensor gi = grad({sum(linalg::svdvals(identity))}, {identity})[0];
  CHECK(testing::allclose(gi, eye(3, 3, kFloat64), 1e-14, 1e-14));
}

TEST_CASE("qr, svd, pinv, lstsq, cond, matrix norms: gradcheck and gradgradcheck",
          "[dense_linalg]") {
  const Tensor t = tall().requires_grad_(), w = wide().requires_grad_();
  const Tensor g = general().requires_grad_();
  for (const Tensor& a : {t, w, g}) {
    check_grads(
        [](const TensorList& x) {
          const linalg::QrResult qr = linalg::qr(x[0]);
          return TensorList{qr.Q, qr.R};
        },
        {a});
    check_grads([](const TensorList& x) { return TensorList{svd_squares(x[0])}; }, {a});
    check_grads(
        [](const TensorList& x) {
          const linalg::SvdResult svd = linalg::svd(x[0], false);
          return TensorList{matmul(svd.U * svd.S.unsqueeze(-2), svd.Vh)};
        },
        {a});
    check_grads([](const TensorList& x) { return TensorList{linalg::pinv(x[0])}; }, {a});
    check_grads([](const TensorList& x) { return TensorList{linalg::matrix_norm(x[0], "nuc")}; },
                {a});
    check_grads([](const TensorList& x) { return TensorList{linalg::cond(x[0])}; }, {a});
  }
  check_grads([](const TensorList& x) { return TensorList{linalg::lstsq(x[0], x[1]).solution}; },
              {t, wave({2, 4, 2}, 1.4).requires_grad_()});
  check_grads([](const TensorList& x) { return TensorList{linalg::cond(x[0], "fro")}; }, {g});
  check_grads(
      [](const TensorList& x) {
        const linalg::QrResult qr = linalg::qr(x[0], "complete");
        return TensorList{qr.Q, qr.R};
      },
      {w});
}

TEST_CASE("linalg::matrix_exp matches PyTorch and known exponentials; cholesky_ex reports",
          "[dense_linalg]") {
  // Norms that pick a low degree, degree 13 unscaled, and degree 13 with squarings.
  const auto exp_of = [](const TensorList& x) { return linalg::matrix_exp(x[0]); };
  // PyTorch 1.13's exponential of the second small matrix is 3e-11 off (40-digit mpmath agrees
  // with ours to rounding), hence its looser tolerance here.
  check_against_torch("matrix_exp_small", exp_of, {0.01 * general()}, 5e-11);
  check_close(linalg::matrix_exp(0.01 * general()), reference("matrix_exp_small.mpmath"), 1e-15,
              "matrix_exp against mpmath");
  check_against_torch("matrix_exp_mid", exp_of, {0.5 * general()}, 1e-11);
  check_against_torch("matrix_exp_large", exp_of, {3.0 * general()}, 1e-10);
  // A rotation generator, a nilpotent matrix, exp(A) exp(-A) = I, and float32.
  const double t = 0.7;
  const Tensor rotation = linalg::matrix_exp(tensor({0.0, -t, t, 0.0}, {2, 2}, kFloat64));
  CHECK(testing::allclose(
      rotation, tensor({std::cos(t), -std::sin(t), std::sin(t), std::cos(t)}, {2, 2}, kFloat64),
      1e-15, 1e-15));
  const Tensor nilpotent = linalg::matrix_exp(tensor({0.0, 5.0, 0.0, 0.0}, {2, 2}, kFloat64));
  CHECK(testing::allclose(nilpotent, tensor({1.0, 5.0, 0.0, 1.0}, {2, 2}, kFloat64), 1e-15, 0));
  const Tensor a = 2.0 * general();
  CHECK(testing::allclose(matmul(linalg::matrix_exp(a), linalg::matrix_exp(-a)),
                          kEye3.expand({2, 3, 3}), 1e-9, 1e-9));
  CHECK(testing::allclose(linalg::matrix_exp(a.to(kFloat32)).to(kFloat64), linalg::matrix_exp(a),
                          1e-4, 1e-4));
  CHECK_THROWS_WITH(linalg::matrix_exp(full({2, 2}, std::nan(""), kFloat64)),
                    Contains("linalg::matrix_exp") && Contains("non-finite"));

  // cholesky_ex: the factor and a zero status where cholesky succeeds, NaN and the failing
  // minor's order where it throws.
  Tensor not_pd = spd().clone();
  {
    NoGradGuard no_grad;
    not_pd.select(0, 1).select(0, 1).select(0, 1).fill_(-1.0);
  }
  const linalg::CholeskyExResult ex = linalg::cholesky_ex(not_pd);
  CHECK(ex.info.to_vector<int64_t>() == std::vector<int64_t>{0, 2});
  CHECK(ex.info.dtype() == kInt64);
  CHECK(testing::allclose(ex.L.select(0, 0), linalg::cholesky(spd()).select(0, 0), 0, 0));
  CHECK(all(isnan(ex.L.select(0, 1))).item<bool>());
  const linalg::CholeskyExResult upper = linalg::cholesky_ex(spd(), true);
  CHECK(testing::allclose(upper.L, linalg::cholesky(spd(), true), 0, 0));
  check_grads(
      [](const TensorList& x) {
        const Tensor s = matmul(x[0], mT(x[0])) + 3.0 * kEye3;
        return TensorList{linalg::cholesky_ex(s).L};
      },
      {wave({2, 3, 3}, 0.3).requires_grad_()});
  check_grads([](const TensorList& x) { return TensorList{linalg::matrix_exp(x[0])}; },
              {(0.5 * general()).requires_grad_()});
  check_grads([](const TensorList& x) { return TensorList{linalg::matrix_exp(x[0])}; },
              {(3.0 * general()).requires_grad_()});
}

TEST_CASE("linalg::lu_factor, lu, lu_solve match PyTorch and differentiate", "[dense_linalg]") {
  const Tensor a = wave({2, 4, 4}, 0.6) + 2.0 * eye(4, 4, kFloat64);
  const Tensor b = wave({2, 4, 3}, 0.9);
  check_against_torch("lu_factor_packed",
                      [](const TensorList& x) { return linalg::lu_factor(x[0]).LU; }, {a});
  check_against_torch("lu_plu",
                      [](const TensorList& x) {
                        const linalg::LuResult f = linalg::lu(x[0]);
                        return cat(flat({f.P, f.L, f.U}));
                      },
                      {a});
  const auto solve_with = [](bool left, bool adjoint) {
    return [=](const TensorList& x) {
      const linalg::LuFactorResult f = linalg::lu_factor(x[0]);
      return linalg::lu_solve(f.LU, f.pivots, x[1], left, adjoint);
    };
  };
  check_against_torch("lu_solve", solve_with(true, false), {a, b});
  check_against_torch("lu_solve_adjoint", solve_with(true, true), {a, b});
  check_against_torch("lu_solve_right", solve_with(false, false), {a, mT(b).contiguous()});
  const linalg::LuResult plu = linalg::lu(a);
  CHECK(testing::allclose(matmul(plu.P, matmul(plu.L, plu.U)), a, 1e-14, 1e-14));
  for (const bool left : {true, false}) {
    for (const bool adjoint : {false, true}) {
      INFO("left " << left << " adjoint " << adjoint);
      check_grads(
          [=](const TensorList& x) {
            return TensorList{solve_with(left, adjoint)({x[0], left ? x[1] : mT(x[1])})};
          },
          {a.clone().requires_grad_(), b.clone().requires_grad_()});
    }
  }
  check_grads([](const TensorList& x) { return TensorList{linalg::lu_factor(x[0]).LU}; },
              {a.clone().requires_grad_()});
  const linalg::LuFactorResult f = linalg::lu_factor(a);
  CHECK_THROWS_WITH(linalg::lu_solve(f.LU, f.pivots + 7, b),
                    Contains("linalg::lu_solve: pivots must lie in [1, 4]"));
  CHECK_THROWS_WITH(linalg::lu_solve(f.LU, f.pivots.to(kFloat64), b),
                    Contains("pivots must be int64 of shape [2, 4]"));
}

TEST_CASE("dense factorizations reproduce their matrices, also in float32 and on views",
          "[dense_linalg]") {
  const Tensor a = spd();
  const Tensor l = linalg::cholesky(a);
  CHECK(testing::allclose(matmul(l, mT(l)), a, 1e-13, 1e-13));
  CHECK(testing::allclose(triu(l, 1), zeros_like(l), 0, 0));
  const linalg::EighResult e = linalg::eigh(a);
  CHECK(testing::allclose(matmul(e.eigenvectors * e.eigenvalues.unsqueeze(-2), mT(e.eigenvectors)),
                          a, 1e-12, 1e-12));
  CHECK(testing::allclose(matmul(mT(e.eigenvectors), e.eigenvectors), kEye3.expand({2, 3, 3}),
                          1e-12, 1e-12));
  const Tensor g = general();
  CHECK(testing::allclose(matmul(g, linalg::inv(g)), kEye3.expand({2, 3, 3}), 1e-12, 1e-12));
  // det of a product is the product of dets; slogdet agrees with det.
  const Tensor h = wave({2, 3, 3}, 2.3);
  CHECK(
      testing::allclose(linalg::det(matmul(g, h)), linalg::det(g) * linalg::det(h), 1e-12, 1e-12));
  const linalg::SlogdetResult s = linalg::slogdet(h);
  CHECK(testing::allclose(s.sign * exp(s.logabsdet), linalg::det(h), 1e-12, 1e-12));
  // A 0x0 matrix has determinant 1; a batch of none gives an empty result.
  CHECK(linalg::det(zeros({0, 0}, kFloat64)).item<double>() == 1.0);
  CHECK(linalg::inv(zeros({0, 4, 4}, kFloat64)).shape() == Dims{0, 4, 4});

  // float32: the same factorizations within float32 rounding.
  const Tensor a32 = a.to(kFloat32);
  const Tensor l32 = linalg::cholesky(a32);
  CHECK(l32.dtype() == kFloat32);
  CHECK(testing::allclose(l32.to(kFloat64), l, 1e-5, 1e-5));
  CHECK(testing::allclose(linalg::solve(g.to(kFloat32), rhs().to(kFloat32)).to(kFloat64),
                          linalg::solve(g, rhs()), 1e-3, 1e-4));
  CHECK(testing::allclose(linalg::eigvalsh(a32).to(kFloat64), e.eigenvalues, 1e-5, 1e-5));

  // Non-contiguous and transposed operands give the contiguous results.
  CHECK(testing::allclose(linalg::solve(noncontiguous(g), noncontiguous(rhs())),
                          linalg::solve(g, rhs()), 1e-14, 1e-14));
  CHECK(testing::allclose(
      linalg::solve_triangular(mT(lower_triangular()), rhs(), true),
      linalg::solve_triangular(mT(lower_triangular()).contiguous(), rhs(), true), 1e-14, 1e-14));
}

TEST_CASE("dense linalg: gradcheck and gradgradcheck", "[dense_linalg]") {
  const Tensor g = (wave({2, 3, 3}, 1.1) + 2.0 * kEye3).requires_grad_();
  const Tensor b = wave({2, 3, 2}, 0.7).requires_grad_();
  const Tensor m = wave({2, 3, 3}, 0.3).requires_grad_();
  // Symmetric inputs built inside the function, as PyTorch's gradchecks of cholesky and eigh do.
  const auto spd_of = [](const Tensor& x) { return matmul(x, mT(x)) + 3.0 * kEye3; };
  check_grads([](const TensorList& x) { return TensorList{linalg::solve(x[0], x[1])}; }, {g, b});
  check_grads([](const TensorList& x) { return TensorList{linalg::inv(x[0])}; }, {g});
  check_grads([](const TensorList& x) { return TensorList{linalg::det(x[0])}; }, {g});
  check_grads([](const TensorList& x) { return TensorList{linalg::slogdet(x[0]).logabsdet}; }, {g});
  check_grads([&](const TensorList& x) { return TensorList{logdet(spd_of(x[0]))}; }, {m});
  check_grads([&](const TensorList& x) { return TensorList{linalg::cholesky(spd_of(x[0]))}; }, {m});
  check_grads([&](const TensorList& x) { return TensorList{linalg::cholesky(spd_of(x[0]), true)}; },
              {m});
  for (const bool upper : {false, true}) {
    for (const bool left : {false, true}) {
      for (const bool unit : {false, true}) {
        INFO("upper " << upper << " left " << left << " unit " << unit);
        check_grads(
            [=](const TensorList& x) {
              return TensorList{
                  linalg::solve_triangular(x[0], left ? x[1] : mT(x[1]), upper, left, unit)};
            },
            {g, b});
      }
    }
  }
  check_grads([&](const TensorList& x) { return TensorList{cholesky_solve(x[1], x[0])}; },
              {(tril(wave({2, 3, 3}, 1.7)) + 3.0 * kEye3).requires_grad_(), b});
  check_grads([&](const TensorList& x) { return TensorList{linalg::eigvalsh(spd_of(x[0]))}; }, {m});
  check_grads(
      [&](const TensorList& x) {
        const linalg::EighResult e = linalg::eigh(spd_of(x[0]));
        return TensorList{e.eigenvalues, e.eigenvectors * e.eigenvectors};
      },
      {m});
  check_grads([](const TensorList& x) { return TensorList{linalg::matrix_norm(x[0], 1.0)}; }, {g});
  check_grads([](const TensorList& x) { return TensorList{linalg::matrix_power(x[0], -3)}; }, {g});
  check_grads([](const TensorList& x) { return TensorList{linalg::multi_dot(x)}; },
              {wave({3, 4}, 0.1).requires_grad_(), wave({4, 2}, 0.2).requires_grad_(),
               wave({2}, 0.3).requires_grad_()});
  check_grads([](const TensorList& x) { return TensorList{linalg::cross(x[0], x[1])}; },
              {wave({2, 3}, 0.4).requires_grad_(), wave({2, 3}, 0.5).requires_grad_()});
}

TEST_CASE("eigh's gradient at repeated eigenvalues", "[dense_linalg]") {
  // The identity's eigenvalues are all 1: eigvalsh's gradient V diag(g) Vᵀ is still defined, and
  // a loss of the eigenvalues alone gets it (no inf or NaN from the gap terms).
  const Tensor a = eye(3, 3, kFloat64).requires_grad_();
  const Tensor w = linalg::eigvalsh(a);
  const Tensor ga = grad({sum(w * tensor({1.0, 2.0, 3.0}, kFloat64))}, {a})[0];
  CHECK(all(isfinite(ga)).item<bool>());
  CHECK(trace(ga).item<double>() == Approx(6.0));
}

TEST_CASE("dense linalg errors name the function, the batch element and the remedy",
          "[dense_linalg]") {
  Tensor singular = general();
  {
    NoGradGuard no_grad;
    singular.select(0, 1).select(0, 2).zero_();
  }
  CHECK_THROWS_WITH(linalg::solve(singular, wave({2, 3}, 0.1)),
                    Contains("linalg::solve: A [3, 3] (batch element (1)) is singular") &&
                        Contains("add a ridge term"));
  CHECK_THROWS_WITH(linalg::inv(singular),
                    Contains("linalg::inv") && Contains("(batch element (1))"));
  // det of a singular matrix is 0; its backward needs the inverse and says so.
  const Tensor leaf = singular.clone().requires_grad_();
  const Tensor d = linalg::det(leaf);
  CHECK(d.select(0, 1).item<double>() == 0.0);
  CHECK_THROWS_WITH(grad({sum(d)}, {leaf}), Contains("linalg::det backward"));
  CHECK(linalg::slogdet(singular).logabsdet.select(0, 1).item<double>() ==
        -std::numeric_limits<double>::infinity());

  Tensor not_pd = spd().clone();
  {
    NoGradGuard no_grad;
    not_pd.select(0, 1).select(0, 2).select(0, 2).fill_(-1.0);
  }
  CHECK_THROWS_WITH(linalg::cholesky(not_pd),
                    Contains("linalg::cholesky: the input (batch element (1)) is not "
                             "positive-definite (its leading minor of order 3"));
  CHECK_THROWS_WITH(
      linalg::cholesky(wave({2, 3}, 0.1)),
      Contains("linalg::cholesky") && Contains("square matrices [*, n, n], got shape [2, 3]"));
  CHECK_THROWS_WITH(linalg::solve(general(), wave({2, 4}, 0.1)),
                    Contains("B must be [*, n, k] or [*, n] with n = 3"));
  CHECK_THROWS_WITH(linalg::solve_triangular(general(), wave({2, 2, 3}, 0.1), false),
                    Contains("linalg::solve_triangular: B must be [*, n, k]"));
  CHECK_THROWS_WITH(linalg::eigh(general(), "X"), Contains("uplo must be \"L\" or \"U\""));
  CHECK_THROWS_WITH(linalg::eigh(full({3, 3}, std::nan(""), kFloat64)),
                    Contains("linalg::eigh: the eigenvalue iteration did not converge"));
  CHECK_THROWS_WITH(linalg::matrix_norm(general(), 3.0),
                    Contains("ord must be 2, -2, 1, -1, inf, -inf"));
  CHECK_THROWS_WITH(linalg::qr(general(), "full"), Contains("mode must be \"reduced\""));
  const Tensor tall_leaf = tall().requires_grad_();
  CHECK_THROWS_WITH(grad({sum(linalg::qr(tall_leaf, "complete").Q)}, {tall_leaf}),
                    Contains("mode \"complete\" with more rows than columns (4 > 3)"));
  CHECK_THROWS_WITH(linalg::svd(full({2, 3}, std::nan(""), kFloat64)),
                    Contains("linalg::svd: the SVD did not converge"));
  CHECK_THROWS_WITH(linalg::pinv(general(), {.rtol = -1.0}), Contains("rtol must be non-negative"));
  CHECK_THROWS_WITH(linalg::lstsq(tall(), wave({2, 3, 1}, 0.1)),
                    Contains("B must be [*, m, k] with m = 4"));
  CHECK_THROWS_WITH(linalg::multi_dot({wave({2, 3}, 0.1), wave({4, 2}, 0.1)}),
                    Contains("tensors 0 and 1 cannot be multiplied: shapes [2, 3] and [4, 2]"));
  CHECK_THROWS_WITH(linalg::cross(wave({2, 4}, 0.1), wave({2, 4}, 0.1)),
                    Contains("dim -1 must have size 3"));
  CHECK_THROWS_WITH(linalg::det(zeros({2, 2}, kInt64)),
                    Contains("linalg::det: expected a float32"));
}
