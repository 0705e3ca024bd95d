// exp where the result is subnormal or 0: Eigen's vectorized exp clamps its argument and gave
// ~5.6e-309 for exp(-inf) in float64 (~2.9e-39 in float32), so logsumexp of all -inf was -709.09.
#include <cmath>
#include <limits>
#include <vector>

#include "tests/support/helpers.hpp"

using namespace metagrad;

namespace {
constexpr double kInf = std::numeric_limits<double>::infinity();

// Every packet width (SSE, AVX, AVX-512) and a scalar tail: rows of 1 to 19 elements.
template <typename T>
void check_exp_matches_std(DType dtype, const std::vector<double>& low_values) {
  for (size_t n = 1; n < 20; ++n) {
    for (double low : low_values) {
      std::vector<double> values(n, 0.5);
      values[n / 2] = low;
      values[0] = low;
      const std::vector<T> got =
          exp(tensor(values, {static_cast<int64_t>(n)}, dtype)).to_vector<T>();
      for (size_t i = 0; i < n; ++i) {
        INFO("n = " << n << ", element " << i << " = " << values[i]);
        CHECK(got[i] == std::exp(static_cast<T>(values[i])));
      }
    }
  }
}
}  // namespace

TEST_CASE("exp: subnormal and zero results are std::exp's, in every row length") {
  check_exp_matches_std<double>(kFloat64, {-kInf, -800.0, -745.0, -720.0, -709.5, -708.5});
  check_exp_matches_std<float>(kFloat32, {-kInf, -200.0, -103.0, -95.0, -88.5, -87.5});
}

TEST_CASE("exp: a strided view with -inf gives 0") {
  const Tensor x =
      tensor({-kInf, 1.0, -kInf, 2.0, -kInf, 3.0, -kInf, 4.0, -kInf, 5.0}, {10}, kFloat64);
  const Tensor strided = x.slice(0, 0, 10, 2);
  REQUIRE_FALSE(strided.is_contiguous());
  CHECK(exp(strided).to_vector<double>() == std::vector<double>(5, 0.0));
}

TEST_CASE("exp: rows without very negative inputs keep the vectorized values") {
  const Tensor x = testing::uniform64({257}, -700.0, 80.0, 3);
  const std::vector<double> in = x.to_vector<double>();
  const std::vector<double> got = exp(x.detach()).to_vector<double>();
  for (size_t i = 0; i < in.size(); ++i) CHECK(got[i] == Approx(std::exp(in[i])).epsilon(1e-14));
}

TEST_CASE("logsumexp of all -inf is -inf for every row length") {
  for (int64_t n = 1; n < 20; ++n) {
    INFO("n = " << n);
    const Tensor x64 = full({n}, -kInf, kFloat64);
    CHECK(logsumexp(x64, {0}).item<double>() == -kInf);
    const Tensor x32 = full({3, n}, -kInf, kFloat32);
    CHECK(logsumexp(x32, {1}).to_vector<float>() ==
          std::vector<float>(3, -std::numeric_limits<float>::infinity()));
  }
}

TEST_CASE("exp: NaN next to -inf stays NaN and the -inf gives 0") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (int64_t n = 2; n < 20; ++n) {
    INFO("n = " << n);
    std::vector<double> values(static_cast<size_t>(n), nan);
    values.back() = -kInf;
    const std::vector<double> got = exp(tensor(values, {n}, kFloat64)).to_vector<double>();
    for (int64_t i = 0; i + 1 < n; ++i) CHECK(std::isnan(got[static_cast<size_t>(i)]));
    CHECK(got.back() == 0.0);
  }
  CHECK(std::isnan(exp(full({8}, nan, kFloat64)).to_vector<double>()[7]));
}
