// cumprod, logcumsumexp, nansum, nanmean, var_mean, std_mean, cov, corrcoef, count_nonzero and
// isclose against PyTorch 1.13 in float64 on wave() inputs (checksums sum(t * wave(t.shape,
// phase)) of the output, phase 0.3, and of the gradients of sum(y * wave(y.shape, 0.9)), phase
// 1.3); cumprod through zeros; gradcheck and gradgradcheck; errors.
#include <cmath>
#include <limits>
#include <vector>

#include "tests/support/helpers.hpp"

using namespace metagrad;
using metagrad::testing::allclose;
using metagrad::testing::check_grads;
using metagrad::testing::check_wave_checksums;
using metagrad::testing::wave;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

Tensor leaf(const Dims& shape, double phase) {
  return wave(shape, phase).to(kFloat64).detach().requires_grad_();
}

// wave(shape, phase) with `value` at the flat positions `at`, as a leaf.
Tensor leaf_with(const Dims& shape, double phase, const std::vector<int64_t>& at, double value) {
  std::vector<double> values = wave(shape, phase).to(kFloat64).to_vector<double>();
  for (const int64_t i : at) values[static_cast<size_t>(i)] = value;
  return tensor(values, shape, kFloat64).requires_grad_();
}

}  // namespace

TEST_CASE("cumprod and logcumsumexp match PyTorch", "[ops][statistics]") {
  const Tensor x = leaf({3, 7, 2}, 0.2);
  check_wave_checksums(cumprod(x, 1), {x}, {3, 7, 2}, {4.710931542856224, 3.5669994466566575});
  check_wave_checksums(logcumsumexp(x, 1), {x}, {3, 7, 2},
                       {33.478219442976055, 23.624927090956266});
  // Zeros: the gradient of every product that skips them survives.
  const Tensor z = leaf_with({2, 5}, 0.4, {2, 5, 8}, 0.0);
  check_wave_checksums(cumprod(z, -1), {z}, {2, 5}, {0.8270856115434695, 9.79012145358504});
  CHECK(allclose(cumprod(tensor({2, 3, 0, 4}, {4}, kInt64), 0), tensor({2, 6, 0, 0}, {4}, kInt64),
                 0, 0));
  CHECK(cumprod(tensor({1, 1, 0}, {3}, kBool), 0).dtype() == kInt64);
  CHECK(allclose(cumprod(full({}, 3.0, kFloat64), 0), full({}, 3.0, kFloat64), 0, 0));
  check_grads(
      [](const TensorList& in) -> TensorList {
        return {cumprod(in[0], 0), logcumsumexp(in[0], 1)};
      },
      {leaf_with({5, 3}, 0.3, {4}, 0.0)});
}

TEST_CASE("nansum, nanmean, var_mean and std_mean match PyTorch", "[ops][statistics]") {
  const Tensor n = leaf_with({3, 4}, 0.6, {1, 11}, kNaN);
  check_wave_checksums(nansum(n, {1}), {n}, {3}, {0.22395969871153287, -3.4746024502266657});
  check_wave_checksums(nanmean(n, {0}, true), {n}, {1, 4},
                       {1.4662127943544936, -1.1735401743204468});
  const Tensor x = leaf({3, 7, 2}, 0.2);
  const auto [v, m] = var_mean(x, {0, 2}, false);
  check_wave_checksums(v, {x}, {7}, {5.728859066484941, 5.242450183558651});
  CHECK(allclose(m, mean(x, {0, 2}), 0, 0));
  const auto [s, m2] = std_mean(x, {1}, true, true);
  CHECK(allclose(s, metagrad::std(x, {1}, true, true), 0, 0));
  CHECK(m2.shape() == Dims{3, 1, 2});
  CHECK(std::isnan(nanmean(full({2}, kNaN, kFloat64)).item<double>()));
}

TEST_CASE("cov and corrcoef match PyTorch", "[ops][statistics]") {
  const Tensor c = leaf({3, 6}, 0.3);
  check_wave_checksums(cov(c), {c}, {3, 3}, {-0.2277572461193803, -0.404144086393877});
  const Tensor fweights = tensor({1, 2, 1, 3, 1, 2}, {6}, kInt64);
  const Tensor aweights = (abs(wave({6}, 0.8).to(kFloat64)) + 0.1).detach().requires_grad_();
  check_wave_checksums(cov(c, 2, fweights, aweights), {c, aweights}, {3, 3},
                       {-0.19158224073882113, -0.33210980688508884, 0.03807048093486702});
  check_wave_checksums(cov(c.select(0, 0)), {c}, {}, {0.06993162603274525, -0.29597020640625754});
  check_wave_checksums(corrcoef(c), {c}, {3, 3}, {-0.4394920443286596, 0.4626645201643614});
  check_grads([](const TensorList& in) -> TensorList { return {cov(in[0], 1, {}, in[1])}; },
              {leaf({2, 4}, 0.1), (abs(wave({4}, 0.5).to(kFloat64)) + 0.2).requires_grad_()});
}

TEST_CASE("count_nonzero and isclose match PyTorch", "[ops][statistics]") {
  CHECK(allclose(count_nonzero(tensor({0, 1, 2, 0, 0, 3}, {2, 3}, kFloat64), {1}),
                 tensor({2, 1}, {2}, kInt64), 0, 0));
  CHECK(count_nonzero(tensor({0, 1, 2, 0}, {4}, kInt64)).item<int64_t>() == 2);
  const Tensor a = tensor({1.0, kInf, kNaN, 1e-9, 100.0, -kInf}, {6}, kFloat64);
  const Tensor b = tensor({1.0 + 1e-6, kInf, kNaN, 0.0, 100.002, kInf}, {6}, kFloat64);
  const auto flags = [](const Tensor& t) { return t.to(kInt64).to_vector<int64_t>(); };
  CHECK(flags(isclose(a, b)) == std::vector<int64_t>{1, 1, 0, 1, 0, 0});
  CHECK(flags(isclose(a, b, 1e-5, 1e-8, true)) == std::vector<int64_t>{1, 1, 1, 1, 0, 0});
  CHECK(flags(isclose(a, b, 1e-4)) == std::vector<int64_t>{1, 1, 0, 1, 1, 0});
}

TEST_CASE("statistics: errors name the op and the remedy", "[ops][statistics]") {
  CHECK_THROWS_WITH(cov(wave({2, 2, 2}, 0.1)), MG_CONTAINS("cov: expected x [variables"));
  CHECK_THROWS_WITH(cov(wave({2, 3}, 0.1), 1, tensor({1, 2}, {2}, kInt64)),
                    MG_CONTAINS("cov: fweights must be 1-D with one weight per observation (3)"));
  CHECK_THROWS_WITH(cov(wave({2, 3}, 0.1), 1, wave({3}, 0.2)),
                    MG_CONTAINS("cov: fweights must be integers, got float"));
  CHECK_THROWS_WITH(cov(wave({2, 3}, 0.1), 1, {}, -abs(wave({3}, 0.2))),
                    MG_CONTAINS("cov: aweights must be non-negative"));
  CHECK_THROWS_WITH(isclose(wave({2}, 0.1), wave({2}, 0.2), -1.0),
                    MG_CONTAINS("isclose: rtol (-1) and atol"));
  CHECK_THROWS_WITH(logcumsumexp(tensor({1, 2}, {2}, kInt64), 0), MG_CONTAINS("logcumsumexp"));
  CHECK_THROWS_WITH(nansum(tensor({1, 2}, {2}, kInt64)), MG_CONTAINS("nansum"));
}
