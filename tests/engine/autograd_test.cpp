#include <cmath>

#include "tests/support/helpers.hpp"

using namespace metagrad;
using metagrad::testing::check_grads;
using metagrad::testing::randn64;

TEST_CASE("grad of a scalar polynomial matches the analytic derivative") {
  Tensor x = tensor({0.3, 1.1, -2.0}, {3}, kFloat64).requires_grad_();
  Tensor y = (x * x * x * sin(x)).sum();
  auto [g] = std::array<Tensor, 1>{grad({y}, {x}, {}, {.create_graph = true})[0]};
  const auto xv = x.to_vector<double>();
  const auto gv = g.to_vector<double>();
  for (size_t i = 0; i < 3; ++i) {
    const double a = xv[i];
    CHECK(gv[i] == Approx(3 * a * a * std::sin(a) + a * a * a * std::cos(a)).epsilon(1e-12));
  }
  Tensor h = grad({g.sum()}, {x})[0];
  const auto hv = h.to_vector<double>();
  for (size_t i = 0; i < 3; ++i) {
    const double a = xv[i];
    const double expected = 6 * a * std::sin(a) + 6 * a * a * std::cos(a) - a * a * a * std::sin(a);
    CHECK(hv[i] == Approx(expected).epsilon(1e-12));
  }
}

TEST_CASE("gradcheck passes for broadcasting arithmetic") {
  check_grads([](const TensorList& in) { return TensorList{in[0] * in[1] + in[0] / (in[1] * in[1] + 1.0)}; },
              {randn64({2, 3}, 1), randn64({3}, 2)});
}
