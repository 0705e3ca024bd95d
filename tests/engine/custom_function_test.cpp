// CustomFunction: user-supplied forward/backward, validation, saved tensors, higher order.
#include <cmath>

#include "tests/support/helpers.hpp"

using namespace metagrad;
using metagrad::testing::allclose;
using metagrad::testing::check_grads;
using metagrad::testing::randn64;

namespace {

// y = x^3, saving the input.
struct Cube : CustomFunction {
  std::string name() const override { return "Cube"; }
  TensorList forward(CustomFunctionContext& ctx, const TensorList& in) override {
    ctx.save_for_backward({in[0]});
    return {in[0] * in[0] * in[0]};
  }
  TensorList backward(CustomFunctionContext& ctx, const TensorList& g) override {
    const Tensor x = ctx.saved_tensors()[0];
    return {g[0] * 3.0 * x * x};  // d(x^3) = 3 x^2 dx
  }
};

// y = exp(x), saving the output.
struct Exp : CustomFunction {
  std::string name() const override { return "Exp"; }
  TensorList forward(CustomFunctionContext& ctx, const TensorList& in) override {
    Tensor y = exp(in[0]);
    ctx.save_for_backward({y});
    return {y};
  }
  TensorList backward(CustomFunctionContext& ctx, const TensorList& g) override {
    return {g[0] * ctx.saved_tensors()[0]};  // d exp(x) = exp(x) dx
  }
};

// (a * b, a + b) with broadcasting of b; backward reduces with sum_to.
struct MulAdd : CustomFunction {
  std::string name() const override { return "MulAdd"; }
  TensorList forward(CustomFunctionContext& ctx, const TensorList& in) override {
    ctx.save_for_backward({in[0], in[1]});
    return {in[0] * in[1], in[0] + in[1]};
  }
  TensorList backward(CustomFunctionContext& ctx, const TensorList& g) override {
    const TensorList s = ctx.saved_tensors();
    Tensor ga, gb;
    // d(ab) = b da + a db; d(a + b) = da + db
    if (ctx.needs_input_grad(0)) ga = (g[0] * s[1] + g[1]).sum_to(s[0].shape());
    if (ctx.needs_input_grad(1)) gb = (g[0] * s[0] + g[1]).sum_to(s[1].shape());
    return {ga, gb};
  }
};

// Returns a configurable (wrong) list of gradients.
struct Faulty : CustomFunction {
  int mode;
  explicit Faulty(int m) : mode(m) {}
  std::string name() const override { return "MyFn"; }
  TensorList forward(CustomFunctionContext&, const TensorList& in) override {
    return {in[0] * in[1]};
  }
  TensorList backward(CustomFunctionContext&, const TensorList& g) override {
    if (mode == 0) return {g[0]};
    return {g[0].sum({0}), g[0]};
  }
};

}  // namespace

TEST_CASE("custom cube: values, gradcheck and gradgradcheck", "[custom]") {
  Tensor x = tensor({0.5, -1.5, 2.0}, kFloat64).requires_grad_();
  Tensor y = CustomFunction::apply<Cube>({x})[0];
  CHECK(allclose(y, tensor({0.125, -3.375, 8.0}, kFloat64)));
  REQUIRE(y.grad_fn() != nullptr);
  CHECK(y.grad_fn()->name() == "CubeBackward");
  Tensor g = grad({y.sum()}, {x}, {}, {.create_graph = true})[0];
  CHECK(allclose(g, tensor({0.75, 6.75, 12.0}, kFloat64)));
  Tensor h = grad({g.sum()}, {x})[0];
  CHECK(allclose(h, tensor({3.0, -9.0, 12.0}, kFloat64)));  // 6x

  auto cube = [](const TensorList& in) { return CustomFunction::apply<Cube>({in[0]}); };
  check_grads(cube, {randn64({2, 3}, 1)});
  check_grads(cube, {randn64({}, 2)});
  check_grads(cube, {testing::noncontiguous(randn64({3, 2}, 3))});
}

TEST_CASE("custom function saving its output has exact double backward", "[custom]") {
  auto fn = [](const TensorList& in) { return CustomFunction::apply<Exp>({in[0] * 0.5}); };
  check_grads(fn, {randn64({4}, 4)});
  Tensor x = tensor({0.0, 1.0}, kFloat64).requires_grad_();
  Tensor y = CustomFunction::apply<Exp>({x})[0];
  Tensor g = grad({y.sum()}, {x}, {}, {.create_graph = true})[0];
  Tensor h = grad({g.sum()}, {x})[0];
  CHECK(allclose(h, tensor({1.0, std::exp(1.0)}, kFloat64)));
}

TEST_CASE("custom function with two inputs, two outputs and broadcasting", "[custom]") {
  auto fn = [](const TensorList& in) { return CustomFunction::apply<MulAdd>(in); };
  check_grads(fn, {randn64({2, 3}, 5), randn64({3}, 6)});
  // Only b requires grad: backward skips a's gradient.
  Tensor a = randn64({3}, 7).detach();
  Tensor b = randn64({3}, 8);
  TensorList out = CustomFunction::apply<MulAdd>({a, b});
  CHECK(allclose(grad({out[0].sum()}, {b})[0], a));
}

TEST_CASE("backward returning the wrong number of gradients names the function", "[custom]") {
  Tensor a = randn64({3}, 9), b = randn64({3}, 10);
  Tensor y = CustomFunction::apply<Faulty>({a, b}, 0)[0];
  CHECK_THROWS_WITH(grad({y.sum()}, {a}),
                    MG_CONTAINS("MyFn.backward returned 1 gradient(s) but forward had 2 input(s)"));
}

TEST_CASE("backward returning a gradient of the wrong shape is rejected", "[custom]") {
  Tensor a = randn64({2, 3}, 11), b = randn64({2, 3}, 12);
  Tensor y = CustomFunction::apply<Faulty>({a, b}, 1)[0];
  CHECK_THROWS_WITH(grad({y.sum()}, {a}),
                    MG_CONTAINS("MyFnBackward: backward returned a gradient of shape [3] for "
                                "input 0, which has shape [2, 3]"));
}

TEST_CASE("an output that is an input becomes a new alias with history", "[custom]") {
  Tensor x = tensor({1.0, -2.0}, kFloat64).requires_grad_();
  Tensor y = custom_function(
      "Identity", {x}, [](CustomFunctionContext&, const TensorList& in) { return in; },
      [](CustomFunctionContext&, const TensorList& g) { return g; })[0];
  CHECK_FALSE(y.is_same(x));
  CHECK(x.is_leaf());
  CHECK(x.grad_fn() == nullptr);
  REQUIRE(y.grad_fn() != nullptr);
  CHECK(y.grad_fn()->name() == "IdentityBackward");
  CHECK(y.raw_data() == x.raw_data());
  CHECK(allclose(grad({(y * y).sum()}, {x})[0], tensor({2.0, -4.0}, kFloat64)));
  check_grads(
      [](const TensorList& in) {
        return custom_function(
            "Identity", in, [](CustomFunctionContext&, const TensorList& i) { return i; },
            [](CustomFunctionContext&, const TensorList& g) { return g; });
      },
      {randn64({3}, 13)});
}

TEST_CASE("a tensor returned twice becomes two outputs, each with its own gradient slot",
          "[custom]") {
  // forward returns (y, y) with y = 2x; backward weighs the two slots differently, so that
  // gradients routed to the wrong slot change the result.
  const Tensor x = tensor({1.0, -2.0}, kFloat64).requires_grad_();
  const TensorList out = custom_function(
      "Twice", {x},
      [](CustomFunctionContext&, const TensorList& in) {
        const Tensor y = in[0] * 2.0;
        return TensorList{y, y};
      },
      [](CustomFunctionContext&, const TensorList& g) {
        return TensorList{(g[0] + g[1] * 10.0) * 2.0};  // d/dx of (y0 + 10 y1) with y = 2x
      });
  CHECK_FALSE(out[0].is_same(out[1]));
  // loss = 2 y0 + 3 y1: d loss / dx = 2 (2 + 3 * 10) under the backward above.
  const Tensor g = grad({(out[0] * 2.0 + out[1] * 3.0).sum()}, {x})[0];
  CHECK(allclose(g, full({2}, 2.0 * (2.0 + 30.0), kFloat64)));
}

TEST_CASE("a hook on an output that gets no gradient is not called", "[custom][hooks]") {
  // Both outputs of MulAdd belong to one node; only the second reaches the loss.
  const Tensor a = tensor({1.0, 2.0}, kFloat64).requires_grad_();
  const Tensor b = tensor({3.0, 4.0}, kFloat64).requires_grad_();
  const TensorList out = CustomFunction::apply<MulAdd>({a, b});
  int unused_calls = 0, used_calls = 0;
  out[0].register_hook([&](const Tensor& g) {
    ++unused_calls;
    return g;
  });
  out[1].register_hook([&](const Tensor& g) {
    ++used_calls;
    return g;
  });
  const TensorList g = grad({out[1].sum()}, {a, b});
  CHECK(unused_calls == 0);
  CHECK(used_calls == 1);
  CHECK(allclose(g[0], ones({2}, kFloat64)));
}

TEST_CASE("int64 outputs are not differentiable; marked float outputs neither", "[custom]") {
  Tensor x = tensor({0.4, 2.6, -1.2}, kFloat64).requires_grad_();
  TensorList out = custom_function(
      "TwiceAndIndex", {x},
      [](CustomFunctionContext& ctx, const TensorList& in) {
        Tensor flags = in[0] * 0.0;
        ctx.mark_non_differentiable({flags});
        return TensorList{in[0] * 2.0, in[0].to(kInt64), flags};
      },
      [](CustomFunctionContext&, const TensorList& g) {
        CHECK(g[1].dtype() == kInt64);
        CHECK(g[1].sum().item<int64_t>() == 0);
        return TensorList{g[0] * 2.0};  // d(2x) = 2 dx
      });
  REQUIRE(out.size() == 3);
  CHECK(out[1].dtype() == kInt64);
  CHECK_FALSE(out[1].requires_grad());
  CHECK(out[1].to_vector<int64_t>() == std::vector<int64_t>{0, 2, -1});
  CHECK_FALSE(out[2].requires_grad());
  CHECK(out[0].requires_grad());
  CHECK(out[0].output_nr() == 0);
  CHECK(allclose(grad({out[0].sum()}, {x})[0], tensor({2.0, 2.0, 2.0}, kFloat64)));
}

TEST_CASE("custom functions record only when grad is needed", "[custom]") {
  int forwards = 0;
  bool expect_record = false;
  auto run = [&](const Tensor& x) {
    return custom_function(
        "Square", {x},
        [&](CustomFunctionContext& ctx, const TensorList& in) {
          ++forwards;
          CHECK_FALSE(is_grad_enabled());  // forward runs without recording
          ctx.set("scale", 2.0);
          CHECK(ctx.needs_input_grad(0) == expect_record);
          return TensorList{in[0] * in[0]};
        },
        [](CustomFunctionContext& ctx, const TensorList& g) {
          return TensorList{g[0] * ctx.get<double>("scale")};
        })[0];
  };
  Tensor plain = tensor({1.0, 2.0}, kFloat64);
  CHECK_FALSE(run(plain).requires_grad());
  Tensor x = plain.detach().requires_grad_();
  {
    NoGradGuard no_grad;
    CHECK_FALSE(run(x).requires_grad());
  }
  expect_record = true;
  CHECK(run(x).requires_grad());
  CHECK(forwards == 3);
}

TEST_CASE("context values are type checked by name", "[custom]") {
  Tensor x = randn64({2}, 14);
  Tensor y = custom_function(
      "Scaled", {x},
      [](CustomFunctionContext& ctx, const TensorList& in) {
        ctx.set("k", int64_t{3});
        return TensorList{in[0] * 3.0};
      },
      [](CustomFunctionContext& ctx, const TensorList& g) {
        return TensorList{g[0] * ctx.get<double>("k")};
      })[0];
  CHECK_THROWS_WITH(grad({y.sum()}, {x}), MG_CONTAINS("Scaled: the value saved under key 'k'"));
}

TEST_CASE("saved tensors are released after backward and version checked", "[custom]") {
  Tensor x = randn64({3}, 15);
  Tensor y = CustomFunction::apply<Cube>({x})[0];
  grad({y.sum()}, {x});
  CHECK_THROWS_WITH(
      grad({y.sum()}, {x}),
      MG_CONTAINS("CubeBackward: trying to backward through the graph a second time"));

  Tensor a = randn64({3}, 16).detach();
  Tensor b = randn64({3}, 17);
  TensorList out = CustomFunction::apply<MulAdd>({a, b});
  a.add_(1.0);
  CHECK_THROWS_WITH(grad({out[0].sum()}, {b}),
                    MG_CONTAINS("MulAddBackward: one of the tensors needed for gradient "
                                "computation has been modified by an inplace operation"));

  Tensor z = CustomFunction::apply<Cube>({x})[0];
  Tensor g1 = grad({z.sum()}, {x}, {}, {.retain_graph = true})[0];
  Tensor g2 = grad({z.sum()}, {x})[0];
  CHECK(allclose(g1, g2));
}

TEST_CASE("custom function misuse errors name the function", "[custom]") {
  Tensor x = randn64({2}, 18);
  CHECK_THROWS_WITH(
      custom_function(
          "Empty", {x}, [](CustomFunctionContext&, const TensorList&) { return TensorList{}; },
          [](CustomFunctionContext&, const TensorList& g) { return g; }),
      MG_CONTAINS("Empty.forward returned no outputs"));
  CHECK_THROWS_WITH(custom_function(
                        "Hole", {x},
                        [](CustomFunctionContext&, const TensorList& in) {
                          return TensorList{in[0], Tensor()};
                        },
                        [](CustomFunctionContext&, const TensorList& g) { return g; }),
                    MG_CONTAINS("Hole.forward returned an undefined tensor as output 1"));
  CHECK_THROWS_WITH(custom_function("NoBackward", {x}, nullptr, nullptr),
                    MG_CONTAINS("forward and backward must both be given"));
}

TEST_CASE("backward accumulates into leaves through a custom function", "[custom]") {
  Tensor x = tensor({1.0, 2.0}, kFloat64).requires_grad_();
  Tensor y = CustomFunction::apply<Cube>({x})[0];
  (y.sum() + x.sum()).backward();
  CHECK(allclose(x.grad(), tensor({4.0, 13.0}, kFloat64)));
}
