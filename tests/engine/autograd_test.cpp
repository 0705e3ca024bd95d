#include <atomic>
#include <cmath>
#include <thread>

#include "tests/support/helpers.hpp"

using namespace metagrad;
using metagrad::testing::allclose;
using metagrad::testing::check_grads;
using metagrad::testing::randn64;

TEST_CASE("grad of a scalar polynomial matches the analytic derivative", "[autograd]") {
  Tensor x = tensor({0.3, 1.1, -2.0}, {3}, kFloat64).requires_grad_();
  Tensor y = (x * x * x * sin(x)).sum();
  Tensor g = grad({y}, {x}, {}, {.create_graph = true})[0];
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

TEST_CASE("x * x gives 2x and a diamond graph sums both paths", "[autograd]") {
  Tensor x = tensor({1.5, -2.0}, kFloat64).requires_grad_();
  CHECK(allclose(grad({(x * x).sum()}, {x})[0], tensor({3.0, -4.0}, kFloat64)));
  // y = exp(x); z = y * sin(y) + y  -> dz/dx = (sin y + y cos y + 1) y
  Tensor y = exp(x);
  Tensor z = (y * sin(y) + y).sum();
  Tensor g = grad({z}, {x})[0];
  const auto xv = x.to_vector<double>();
  for (size_t i = 0; i < 2; ++i) {
    const double e = std::exp(xv[i]);
    CHECK(g.to_vector<double>()[i] == Approx((std::sin(e) + e * std::cos(e) + 1) * e));
  }
}

TEST_CASE("backward accumulates into .grad of shared leaves", "[autograd]") {
  Tensor w = tensor({2.0}, kFloat64).requires_grad_();
  Tensor a = w * 3.0, b = w * w;
  (a + b).sum().backward();
  CHECK(w.grad().item<double>() == Approx(3.0 + 4.0));
  (w * 5.0).sum().backward();
  CHECK(w.grad().item<double>() == Approx(12.0));
  CHECK(w.grad().is_leaf());
  CHECK_FALSE(w.grad().requires_grad());
  w.set_grad(Tensor());
  CHECK_FALSE(w.grad().defined());
}

TEST_CASE("backward with inputs only fills those", "[autograd]") {
  Tensor a = tensor({1.0}, kFloat64).requires_grad_();
  Tensor b = tensor({2.0}, kFloat64).requires_grad_();
  (a * b).sum().backward({}, std::nullopt, false, {a});
  CHECK(a.grad().item<double>() == Approx(2.0));
  CHECK_FALSE(b.grad().defined());
}

TEST_CASE("grad with grad_outputs is a vector-Jacobian product", "[autograd]") {
  Tensor x = randn64({2, 3}, 3);
  Tensor y = x * x;
  Tensor v = tensor({1, 2, 3, 4, 5, 6}, {2, 3}, kFloat64);
  Tensor g = grad({y}, {x}, {v})[0];
  CHECK(allclose(g, v * x * 2.0));
}

TEST_CASE("grad of a non-leaf input and of an output with respect to itself", "[autograd]") {
  Tensor x = tensor({3.0}, kFloat64).requires_grad_();
  Tensor h = x * 2.0;
  Tensor y = (h * h).sum();
  CHECK(grad({y}, {h}, {}, {.retain_graph = true})[0].item<double>() == Approx(12.0));
  CHECK(grad({y}, {y})[0].item<double>() == Approx(1.0));
}

TEST_CASE("retain_graph and create_graph rules", "[autograd]") {
  Tensor x = tensor({1.0, 2.0}, kFloat64).requires_grad_();
  Tensor y = (exp(x) * x).sum();
  grad({y}, {x}, {}, {.retain_graph = true});
  CHECK_NOTHROW(grad({y}, {x}));
  CHECK_THROWS_WITH(grad({y}, {x}), MG_CONTAINS("backward through the graph a second time"));
  // create_graph keeps the graph by default.
  Tensor z = (x * x * x).sum();
  Tensor g = grad({z}, {x}, {}, {.create_graph = true})[0];
  CHECK(g.requires_grad());
  CHECK_NOTHROW(grad({z}, {x}));
  // Without create_graph the result has no history.
  Tensor w = (x * x).sum();
  CHECK_FALSE(grad({w}, {x})[0].requires_grad());
}

TEST_CASE("allow_unused returns undefined gradients", "[autograd]") {
  Tensor x = tensor({1.0}, kFloat64).requires_grad_();
  Tensor u = tensor({1.0}, kFloat64).requires_grad_();
  Tensor y = (x * 2.0).sum();
  TensorList g = grad({y}, {x, u}, {}, {.allow_unused = true});
  CHECK(g[0].defined());
  CHECK_FALSE(g[1].defined());
}

TEST_CASE("hooks see and may replace the gradient", "[autograd]") {
  Tensor x = tensor({1.0, 2.0}, kFloat64).requires_grad_();
  Tensor seen;
  x.register_hook([&](const Tensor& g) {
    seen = g;
    return g * 10.0;
  });
  Tensor h = x * 3.0;
  int calls = 0;
  h.register_hook([&](const Tensor&) {
    ++calls;
    return Tensor();
  });
  h.sum().backward();
  CHECK(calls == 1);
  CHECK(allclose(seen, tensor({3.0, 3.0}, kFloat64)));
  CHECK(allclose(x.grad(), tensor({30.0, 30.0}, kFloat64)));
  // grad() applies the hooks too.
  CHECK(allclose(grad({(x * 1.0).sum()}, {x})[0], tensor({10.0, 10.0}, kFloat64)));
}

TEST_CASE("a hook that changes the gradient's shape or dtype is an error", "[autograd]") {
  // Issue 10 defect 7: a [3] leaf got a [7] grad, a float64 leaf a float32 grad.
  Tensor x = tensor({1.0, 2.0, 3.0}, kFloat64).requires_grad_();
  x.register_hook([](const Tensor&) { return zeros({7}, kFloat64); });
  CHECK_THROWS_WITH(
      (x * 2.0).sum().backward(),
      MG_CONTAINS("register_hook: the hook on a leaf tensor returned a float64 tensor "
                  "of shape [7] on cpu, expected float64 [3] on cpu"));
  CHECK_FALSE(x.grad().defined());

  Tensor y = tensor({1.0, 2.0, 3.0}, kFloat64).requires_grad_();
  y.register_hook([](const Tensor& g) { return g.to(kFloat32); });
  CHECK_THROWS_WITH(grad({(y * 2.0).sum()}, {y}),
                    MG_CONTAINS("returned a float32 tensor of shape [3] on cpu, expected float64 "
                                "[3]"));

  // A hook on a non-leaf replaces the gradient flowing into its node.
  Tensor z = tensor({1.0, 2.0, 3.0}, kFloat64).requires_grad_();
  Tensor h = z * 3.0;
  h.register_hook([](const Tensor& g) { return g.sum(); });
  CHECK_THROWS_WITH(h.sum().backward(),
                    MG_CONTAINS("register_hook: the hook on output 0 of MulBackward returned a "
                                "float64 tensor of shape [] on cpu, expected float64 [3]"));

  // Same shape, dtype and device: accepted.
  Tensor w = tensor({1.0, 2.0, 3.0}, kFloat64).requires_grad_();
  w.register_hook([](const Tensor& g) { return g * 0.5; });
  (w * 2.0).sum().backward();
  CHECK(allclose(w.grad(), tensor({1.0, 1.0, 1.0}, kFloat64)));
}

TEST_CASE("retain_grad fills .grad of a non-leaf", "[autograd]") {
  Tensor x = tensor({1.0, 2.0}, kFloat64).requires_grad_();
  Tensor h = x * x;
  h.retain_grad();
  (h * 3.0).sum().backward();
  CHECK(allclose(h.grad(), tensor({3.0, 3.0}, kFloat64)));
  CHECK(allclose(x.grad(), tensor({6.0, 12.0}, kFloat64)));
}

TEST_CASE("NoGradGuard stops recording, EnableGradGuard restores it", "[autograd]") {
  Tensor x = tensor({1.0}, kFloat64).requires_grad_();
  {
    NoGradGuard no_grad;
    Tensor y = x * 2.0;
    CHECK_FALSE(y.requires_grad());
    {
      EnableGradGuard enable;
      CHECK((x * 2.0).requires_grad());
    }
    CHECK_FALSE((x * 2.0).requires_grad());
  }
  CHECK((x * 2.0).requires_grad());
  // Thread-local: another thread is unaffected.
  NoGradGuard no_grad;
  bool other_thread_records = false;
  std::thread([&] { other_thread_records = (x * 2.0).requires_grad(); }).join();
  CHECK(other_thread_records);
}

TEST_CASE("a saved tensor modified in place makes backward throw", "[autograd]") {
  Tensor x = tensor({1.0, 2.0}, kFloat64).requires_grad_();
  Tensor h = x * 1.0;
  Tensor y = (h * h).sum();
  {
    NoGradGuard no_grad;
    h.mul_(2.0);
  }
  CHECK_THROWS_WITH(y.backward(), MG_CONTAINS("modified by an inplace operation") &&
                                      MG_CONTAINS("MulBackward") && MG_CONTAINS("is at version 1"));
}

TEST_CASE("destroying a 10^6-node chain does not recurse", "[autograd]") {
  Tensor x = tensor({1.0}, kFloat32).requires_grad_();
  Tensor y = x;
  for (int i = 0; i < 1000000; ++i) y = y * 1.0f;
  CHECK(y.requires_grad());
  y = Tensor();  // the whole chain is released here
  CHECK_FALSE(y.defined());
}

TEST_CASE("backward through a long chain runs iteratively", "[autograd]") {
  Tensor x = tensor({2.0}, kFloat64).requires_grad_();
  Tensor y = x;
  for (int i = 0; i < 100000; ++i) y = y + 1.0;
  y.sum().backward();
  CHECK(x.grad().item<double>() == 1.0);
}

TEST_CASE("independent graphs run forward and backward concurrently", "[autograd]") {
  std::atomic<int> correct{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t, &correct] {
      Tensor x = tensor({static_cast<double>(t + 1)}, kFloat64).requires_grad_();
      Tensor y = x;
      for (int i = 0; i < 200; ++i) y = y * x / x + x * 0.0;
      Tensor g = grad({(y * y).sum()}, {x})[0];
      if (std::abs(g.item<double>() - 2.0 * (t + 1)) < 1e-9) ++correct;
    });
  }
  for (auto& th : threads) th.join();
  CHECK(correct == 4);
}

TEST_CASE("anomaly mode names the op that produced a non-finite gradient", "[autograd]") {
  Tensor x = tensor({0.0}, kFloat64).requires_grad_();
  Tensor y = sqrt(x).sum();
  DetectAnomalyGuard anomaly;
  CHECK_THROWS_WITH(y.backward(), MG_CONTAINS("SqrtBackward") && MG_CONTAINS("non-finite"));
}

TEST_CASE("without anomaly mode non-finite gradients pass through", "[autograd]") {
  Tensor x = tensor({0.0}, kFloat64).requires_grad_();
  sqrt(x).sum().backward();
  CHECK(std::isinf(x.grad().item<double>()));
}

TEST_CASE("accumulated .grad keeps its history with create_graph", "[autograd]") {
  Tensor x = tensor({2.0}, kFloat64).requires_grad_();
  (x * x * x).sum().backward({}, std::nullopt, true);
  Tensor g = x.grad();  // 3x^2 = 12, with history
  CHECK(g.item<double>() == Approx(12.0));
  REQUIRE(g.requires_grad());
  Tensor gg = grad({g.sum()}, {x})[0];  // 6x = 12
  CHECK(gg.item<double>() == Approx(12.0));
  // As in PyTorch, x.grad now holds a graph that saved x itself: a reference cycle. Clearing
  // .grad breaks it (PyTorch's advice for backward(create_graph=True)).
  x.set_grad(Tensor());
}

TEST_CASE("gradcheck passes for broadcasting arithmetic", "[autograd]") {
  check_grads(
      [](const TensorList& in) {
        return TensorList{in[0] * in[1] + in[0] / (in[1] * in[1] + 1.0)};
      },
      {randn64({2, 3}, 1), randn64({3}, 2)});
}

TEST_CASE("gradcheck reports a wrong backward", "[autograd]") {
  // A CustomFunction-free way to get a wrong derivative: a hook that doubles the gradient.
  auto fn = [](const TensorList& in) {
    Tensor y = in[0] * 1.0;
    y.register_hook([](const Tensor& g) { return g * 2.0; });
    return TensorList{y * y};
  };
  CHECK_FALSE(gradcheck(fn, {randn64({3}, 5)}, {.raise_exception = false}));
  CHECK_THROWS_WITH(gradcheck(fn, {randn64({3}, 5)}), MG_CONTAINS("Jacobian mismatch"));
}
