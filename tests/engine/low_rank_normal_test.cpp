// LowRankMultivariateNormal against PyTorch 1.13 in float64 on wave() inputs (checksums
// sum(t * wave(t.shape, phase)) of each quantity, phase 0.3, and of its gradients of
// sum(y * wave(y.shape, 0.9)) in loc, cov_factor and cov_diag, phase 1.3), against the dense
// MultivariateNormal of the same covariance, draws against the covariance, gradcheck and
// gradgradcheck, errors.
#include <string>
#include <vector>

#include "tests/support/helpers.hpp"

using namespace metagrad;
using namespace metagrad::distributions;
using metagrad::testing::allclose;
using metagrad::testing::check_grads;
using metagrad::testing::check_wave_checksums;
using metagrad::testing::leaf;
using metagrad::testing::wave;

TEST_CASE("LowRankMultivariateNormal matches PyTorch", "[distributions]") {
  const Tensor loc = leaf(wave({2, 3}, 0.3));
  const Tensor factor = leaf(wave({3, 2}, 0.8));
  const Tensor diag = leaf(0.4 + abs(wave({2, 3}, 0.5)));
  const TensorList parameters{loc, factor, diag};
  const LowRankMultivariateNormal d(loc, factor, diag);
  REQUIRE(d.batch_shape() == Dims{2});
  check_wave_checksums(
      d.log_prob(wave({4, 2, 3}, 0.7)), parameters, {4, 2},
      {-40.359012286264985, -1.919126457604631, -3.146101261525863, -3.4184901393341893});
  // The covariance's quantities do not depend on loc (PyTorch's gradient there is None).
  const TensorList covariance_parameters{factor, diag};
  check_wave_checksums(d.entropy(), covariance_parameters, {2},
                       {8.197941497079599, 2.0696994852865807, 1.5597902557617151});
  check_wave_checksums(d.variance(), covariance_parameters, {2, 3},
                       {32.21889312356073, 37.67826503783846, 7.74122793312919});
  check_wave_checksums(d.covariance_matrix(), covariance_parameters, {2, 3, 3},
                       {0.08214596153680209, 3.889173898389441, 0.1442546599829404});
  check_wave_checksums(d.precision_matrix(), covariance_parameters, {2, 3, 3},
                       {-0.022063121907634653, -0.04641084936369515, 0.4240280207635188});
  check_wave_checksums(d.scale_tril(), covariance_parameters, {2, 3, 3},
                       {0.194474162448386, 0.21239683046102217, -0.07102934486968976});
  const Tensor other_factor = leaf(wave({2, 3, 1}, 1.1));
  const Tensor other_diag = leaf(0.6 + abs(wave({3}, 0.2)));
  check_wave_checksums(
      kl_divergence(d, LowRankMultivariateNormal(loc * 0.5, other_factor, other_diag)),
      {loc, factor, diag, other_factor, other_diag}, {2},
      {0.9450355660101544, 0.33690343684980223, 3.0673014132981105, 0.4642289181530558,
       -1.8001417699529898, -1.9480836388850886});
  // The same law as the dense MultivariateNormal of W Wᵀ + diag(D).
  const MultivariateNormal dense = MultivariateNormal::from_covariance(loc, d.covariance_matrix());
  const Tensor x = wave({5, 2, 3}, 1.9);
  CHECK(allclose(d.log_prob(x), dense.log_prob(x), 1e-12, 1e-12));
  CHECK(allclose(d.entropy(), dense.entropy(), 1e-12, 1e-12));
  CHECK(allclose(matmul(d.precision_matrix(), d.covariance_matrix()),
                 expand(eye(3, -1, kFloat64), {2, 3, 3}), 1e-12, 1e-12));
}

TEST_CASE("LowRankMultivariateNormal draws: loc + W eps_W + sqrt(D) eps_D", "[distributions]") {
  const Tensor loc = tensor({1.0, -2.0, 0.5}, {3}, kFloat64);
  const Tensor factor = tensor({1.0, 0.2, -0.5, 0.7, 0.3, -1.1}, {3, 2}, kFloat64);
  const Tensor diag = tensor({0.3, 0.8, 0.5}, {3}, kFloat64);
  const LowRankMultivariateNormal d(loc, factor, diag);
  Generator a(17), b(17);
  const Tensor draw = d.rsample({4}, &a);
  const Tensor eps_w = randn({4, 2}, kFloat64, &b);
  const Tensor eps_d = randn({4, 3}, kFloat64, &b);
  CHECK(allclose(draw, loc + matmul(eps_w, transpose(factor, 0, 1)) + sqrt(diag) * eps_d));
  const int64_t n = 40000;
  const Tensor draws = d.sample({n}, &a);
  const Tensor centered = draws - mean(draws, {0}, true);
  const Tensor covariance = matmul(transpose(centered, 0, 1), centered) / static_cast<double>(n);
  CHECK(allclose(mean(draws, {0}), loc, 0, 0.03));
  CHECK(allclose(covariance, d.covariance_matrix(), 0, 0.05));
  check_grads(
      [](const TensorList& in) -> TensorList {
        const LowRankMultivariateNormal dist(in[0], in[1], in[2]);
        Generator generator(2);
        return {dist.log_prob(tensor({0.3, -0.2, 1.1, 0.0, 0.4, -0.9}, {2, 3}, kFloat64)),
                dist.rsample({2}, &generator), dist.entropy()};
      },
      {leaf(loc), leaf(factor), leaf(diag)});
}

TEST_CASE("LowRankMultivariateNormal rejects bad parameters", "[distributions][errors]") {
  const Tensor loc = zeros({3}, kFloat64);
  const Tensor factor = ones({3, 2}, kFloat64);
  CHECK_THROWS_WITH(LowRankMultivariateNormal(loc, factor, tensor({1.0, 0.0, 1.0}, {3}, kFloat64)),
                    MG_CONTAINS("LowRankMultivariateNormal: cov_diag must be positive"));
  CHECK_THROWS_WITH(LowRankMultivariateNormal(loc, factor, ones({2}, kFloat64)),
                    MG_CONTAINS("cov_diag must be [*, 3] for loc shape [3], got shape [2]"));
  CHECK_THROWS_WITH(LowRankMultivariateNormal(zeros({2, 3}, kFloat64), ones({3, 3, 1}, kFloat64),
                                              ones({3}, kFloat64)),
                    MG_CONTAINS("LowRankMultivariateNormal"));
  CHECK_THROWS_WITH(LowRankMultivariateNormal(loc, factor, ones({3}, kFloat32)),
                    MG_CONTAINS("LowRankMultivariateNormal"));
  CHECK_THROWS_WITH(
      LowRankMultivariateNormal(loc, factor, ones({3}, kFloat64)).log_prob(zeros({4}, kFloat64)),
      MG_CONTAINS(
          "LowRankMultivariateNormal.log_prob: value shape [4] must end in the event size 3"));
}
