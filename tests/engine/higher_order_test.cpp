#include <cmath>

#include "tests/support/helpers.hpp"

using namespace metagrad;
using metagrad::testing::allclose;
using metagrad::testing::randn64;

TEST_CASE("third derivative of a composite matches its closed form", "[higher]") {
  // f(x) = exp(x) * sin(x):  f''' = 2 e^x (cos x - sin x)
  Tensor x = tensor({-0.7, 0.2, 1.3}, kFloat64).requires_grad_();
  Tensor f = (exp(x) * sin(x)).sum();
  Tensor d1 = grad({f}, {x}, {}, {.create_graph = true})[0];
  Tensor d2 = grad({d1.sum()}, {x}, {}, {.create_graph = true})[0];
  Tensor d3 = grad({d2.sum()}, {x})[0];
  const auto xv = x.to_vector<double>();
  const auto v1 = d1.to_vector<double>(), v2 = d2.to_vector<double>(), v3 = d3.to_vector<double>();
  for (size_t i = 0; i < xv.size(); ++i) {
    const double a = xv[i], e = std::exp(a);
    CHECK(v1[i] == Approx(e * (std::sin(a) + std::cos(a))).epsilon(1e-12));
    CHECK(v2[i] == Approx(2 * e * std::cos(a)).epsilon(1e-12));
    CHECK(v3[i] == Approx(2 * e * (std::cos(a) - std::sin(a))).epsilon(1e-12));
  }
}

TEST_CASE("third derivative through tanh, division and powers", "[higher]") {
  // g(x) = tanh(x) / (1 + x^2); compare the 3rd derivative with central differences of the
  // analytic 2nd derivative computed by the engine at shifted points.
  auto second = [](double a) {
    Tensor x = tensor({a}, kFloat64).requires_grad_();
    Tensor y = (tanh(x) / (square(x) + 1.0)).sum();
    Tensor d1 = grad({y}, {x}, {}, {.create_graph = true})[0];
    return grad({d1.sum()}, {x}, {}, {.create_graph = true})[0];
  };
  const double a = 0.4, h = 1e-5;
  Tensor d2 = second(a);
  Tensor x = tensor({a}, kFloat64).requires_grad_();
  Tensor y = (tanh(x) / (square(x) + 1.0)).sum();
  Tensor g1 = grad({y}, {x}, {}, {.create_graph = true})[0];
  Tensor g2 = grad({g1.sum()}, {x}, {}, {.create_graph = true})[0];
  Tensor g3 = grad({g2.sum()}, {x})[0];
  const double numeric = (second(a + h).item<double>() - second(a - h).item<double>()) / (2 * h);
  CHECK(g2.item<double>() == Approx(d2.item<double>()));
  CHECK(g3.item<double>() == Approx(numeric).epsilon(1e-6));
}

TEST_CASE("Hessian-vector product matches the analytic Hessian", "[higher]") {
  // f(x) = sum_i x_i^2 x_{i+1} + sum_i sin(x_i):
  // H_ii = 2 x_{i+1} - sin x_i (i < n-1), H_{n-1,n-1} = -sin x_{n-1}, H_{i,i+1} = H_{i+1,i} = 2
  // x_i.
  const int n = 5;
  Tensor x = randn64({n}, 11);
  Tensor v = randn64({n}, 12).detach();
  Tensor head = x.slice(0, 0, n - 1), tail = x.slice(0, 1, n);
  Tensor f = (square(head) * tail).sum() + sin(x).sum();
  Tensor g = grad({f}, {x}, {}, {.create_graph = true})[0];
  Tensor hvp = grad({(g * v).sum()}, {x})[0];
  const auto xv = x.to_vector<double>(), vv = v.to_vector<double>();
  std::vector<double> expected(n, 0.0);
  for (int i = 0; i < n; ++i) {
    double hii = -std::sin(xv[i]) + (i < n - 1 ? 2 * xv[i + 1] : 0.0);
    expected[i] += hii * vv[i];
    if (i < n - 1) {
      expected[i] += 2 * xv[i] * vv[i + 1];
      expected[i + 1] += 2 * xv[i] * vv[i];
    }
  }
  CHECK(allclose(hvp, tensor(expected, kFloat64), 1e-10, 1e-12));
}

TEST_CASE("gradient of a gradient-norm penalty (double backward through a loss)", "[higher]") {
  // L(w) = |grad_w (w . w)^2|^2 = |4 (w.w) w|^2 = 16 (w.w)^3;  dL/dw = 96 (w.w)^2 w
  Tensor w = tensor({0.5, -1.0, 2.0}, kFloat64).requires_grad_();
  Tensor inner = square((w * w).sum());
  Tensor gw = grad({inner}, {w}, {}, {.create_graph = true})[0];
  Tensor penalty = (gw * gw).sum();
  Tensor dpen = grad({penalty}, {w})[0];
  const double ww = 0.25 + 1.0 + 4.0;
  CHECK(allclose(dpen, w.detach() * (96 * ww * ww), 1e-10));
}
