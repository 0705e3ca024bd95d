// torch.autograd.functional in metagrad: jacobian, hessian, vjp, jvp, vhp, hvp. Checked against
// closed forms, against each other (every product is the full matrix times a vector), against
// finite differences (gradcheck and gradgradcheck of the create_graph results), and for PyTorch's
// strict-mode, captured-input and error behaviour.
#include <vector>

#include "tests/support/helpers.hpp"

namespace metagrad {
namespace {

namespace AF = autograd::functional;
using testing::allclose;
using testing::check_grads;
using testing::randn64;

// The n x n identity in float64.
Tensor identity64(int64_t n) { return eye(n, -1, kFloat64); }

// f(x, y) = {tanh(W x) * y.sum(), (x * x).sum() * y}: two outputs, each depending on both inputs
// nonlinearly.
TensorList two_by_two(const TensorList& in) {
  static const Tensor w = randn64({3, 4}, 7).detach();
  return {matmul(w, in[0]).tanh() * in[1].sum(), (in[0] * in[0]).sum() * in[1]};
}

// A scalar function of two inputs with every second derivative nonzero.
Tensor scalar_of_two(const TensorList& in) {
  return (in[0].sin() * in[1].sum()).sum() + (in[0].pow(3.0)).sum() * in[1].exp().sum();
}

// The matrix of the (i, j) block: outputs[i].numel() x inputs[j].numel().
Tensor as_matrix(const Tensor& block, const Tensor& output, const Tensor& input) {
  return block.reshape({output.numel(), input.numel()});
}

}  // namespace

TEST_CASE("jacobian of a row reduction has the block-diagonal closed form", "[functional]") {
  const Tensor x = randn64({2, 3}, 1);
  const Tensor jac = AF::jacobian([](const Tensor& t) { return t.exp().sum({1}); }, x);
  REQUIRE(jac.shape() == Dims{2, 2, 3});
  // d (sum_l exp(x_kl)) / d x_ij = [i == k] exp(x_ij).
  const Tensor expected =
      stack({cat({x.exp().select(0, 0).unsqueeze(0), zeros({1, 3}, kFloat64)}),
             cat({zeros({1, 3}, kFloat64), x.exp().select(0, 1).unsqueeze(0)})});
  CHECK(allclose(jac, expected.detach()));
  CHECK_FALSE(jac.requires_grad());
  CHECK_FALSE(x.grad().defined());
}

TEST_CASE("jacobian of a linear map is its matrix, block by block", "[functional]") {
  const Tensor a = randn64({3, 4}, 2).detach(), b = randn64({3, 2}, 3).detach();
  const Tensor x = randn64({4}, 4), y = randn64({2}, 5);
  const auto jac = AF::jacobian(
      [&](const TensorList& in) -> TensorList {
        return {matmul(a, in[0]) + matmul(b, in[1]), in[1] * 3.0};
      },
      {x, y});
  REQUIRE(jac.size() == 2);
  REQUIRE(jac[0].size() == 2);
  CHECK(allclose(jac[0][0], a));
  CHECK(allclose(jac[0][1], b));
  CHECK(allclose(jac[1][0], zeros({2, 4}, kFloat64)));
  CHECK(allclose(jac[1][1], identity64(2) * 3.0));
}

TEST_CASE("jacobian agrees with finite differences and keeps shapes", "[functional]") {
  const Tensor x = randn64({4}, 6), y = randn64({2}, 7);
  const auto jac = AF::jacobian(two_by_two, {x, y});
  const TensorList out = two_by_two({x, y});
  const TensorList in{x, y};
  const double eps = 1e-6;
  for (size_t j = 0; j < 2; ++j) {
    for (int64_t k = 0; k < in[j].numel(); ++k) {
      TensorList plus{x.detach().clone(), y.detach().clone()}, minus = plus;
      std::vector<double> p = plus[j].to_vector<double>(), m = p;
      p[static_cast<size_t>(k)] += eps;
      m[static_cast<size_t>(k)] -= eps;
      plus[j] = tensor(p, in[j].shape(), kFloat64);
      minus[j] = tensor(m, in[j].shape(), kFloat64);
      const TensorList fp = two_by_two(plus), fm = two_by_two(minus);
      for (size_t i = 0; i < 2; ++i) {
        REQUIRE(jac[i][j].shape() ==
                (j == 0 ? (i == 0 ? Dims{3, 4} : Dims{2, 4}) : (i == 0 ? Dims{3, 2} : Dims{2, 2})));
        const Tensor column = as_matrix(jac[i][j], out[i], in[j]).select(1, k);
        CHECK(allclose(column, ((fp[i] - fm[i]) / (2 * eps)).reshape({-1}), 1e-6, 1e-7));
      }
    }
  }
}

TEST_CASE("forward-mode jacobian equals reverse mode, column by column", "[functional]") {
  const Tensor x = randn64({4}, 60), y = randn64({2}, 61);
  const auto reverse = AF::jacobian(two_by_two, {x, y});
  const auto forward =
      AF::jacobian(two_by_two, {x, y}, {.strategy = AF::JacobianStrategy::forward_mode});
  for (size_t i = 0; i < 2; ++i)
    for (size_t j = 0; j < 2; ++j) {
      INFO("block " << i << ", " << j);
      REQUIRE(forward[i][j].shape() == reverse[i][j].shape());
      CHECK(allclose(forward[i][j], reverse[i][j]));
      CHECK_FALSE(forward[i][j].requires_grad());
    }
  // Many outputs of a 2-d input, with an output independent of it and a 0-d output.
  const Tensor s = randn64({2, 1}, 62);
  const AF::Function wide = [](const TensorList& in) -> TensorList {
    return {matmul(in[0], linspace(-1.0, 1.0, 30, kFloat64).unsqueeze(0)).sin(),
            ones({3}, kFloat64), in[0].pow(3.0).sum()};
  };
  const auto wide_reverse = AF::jacobian(wide, {s});
  const auto wide_forward =
      AF::jacobian(wide, {s}, {.strategy = AF::JacobianStrategy::forward_mode});
  CHECK(wide_forward[0][0].shape() == Dims{2, 30, 2, 1});
  CHECK(wide_forward[2][0].shape() == Dims{2, 1});
  for (size_t i = 0; i < 3; ++i) CHECK(allclose(wide_forward[i][0], wide_reverse[i][0]));
  // Strict mode names the independent input; create_graph results differentiate correctly.
  const AF::Function only_x = [](const TensorList& in) -> TensorList { return {in[0].exp()}; };
  CHECK_THROWS_WITH(AF::jacobian(only_x, {x, y},
                                 {.strict = true, .strategy = AF::JacobianStrategy::forward_mode}),
                    MG_CONTAINS("jacobian: the output of the user-provided function is "
                                "independent of input 1"));
  check_grads(
      [](const TensorList& in) -> TensorList {
        return AF::jacobian(
            two_by_two, in,
            {.create_graph = true, .strategy = AF::JacobianStrategy::forward_mode})[0];
      },
      {x, y});
}

TEST_CASE("an independent input gets zeros, or an error when strict", "[functional]") {
  const Tensor x = randn64({3}, 8), y = randn64({2, 2}, 9);
  const AF::Function only_x = [](const TensorList& in) -> TensorList { return {in[0] * 2.0}; };
  const auto jac = AF::jacobian(only_x, {x, y});
  CHECK(jac[0][1].shape() == Dims{3, 2, 2});
  CHECK(allclose(jac[0][1], zeros({3, 2, 2}, kFloat64)));
  CHECK_THROWS_WITH(AF::jacobian(only_x, {x, y}, {.strict = true}),
                    MG_CONTAINS("jacobian: the output of the user-provided function is "
                                "independent of input 1"));
  // A constant output: zero rows, or in strict mode an error naming the output.
  const AF::Function constant = [](const TensorList&) -> TensorList {
    return {ones({2}, kFloat64)};
  };
  CHECK(allclose(AF::jacobian(constant, {x})[0][0], zeros({2, 3}, kFloat64)));
  CHECK_THROWS_WITH(AF::jacobian(constant, {x}, {.strict = true}),
                    MG_CONTAINS("output 0 of the user-provided function does not require grad"));
  const auto [out, products] = AF::vjp(only_x, {x, y}, {ones({3}, kFloat64)});
  CHECK(allclose(products[0], full({3}, 2.0, kFloat64)));
  CHECK(allclose(products[1], zeros({2, 2}, kFloat64)));
  CHECK_THROWS_WITH(AF::vjp(only_x, {x, y}, {ones({3}, kFloat64)}, {.strict = true}),
                    MG_CONTAINS("vjp: the output of the user-provided function is independent of "
                                "input 1"));
}

TEST_CASE("a function that reads a captured input instead of its argument sees a constant",
          "[functional]") {
  // As in PyTorch (pytorch#32576), the function is evaluated on fresh tensors standing for the
  // inputs, so the captured x is not the argument.
  const Tensor x = randn64({3}, 10);
  const Tensor jac = AF::jacobian([&x](const Tensor&) { return x * 2.0; }, x);
  CHECK(allclose(jac, zeros({3, 3}, kFloat64)));
}

TEST_CASE("create_graph makes the jacobian differentiable back to the inputs", "[functional]") {
  const Tensor x = randn64({3}, 11);
  const AF::UnaryFunction cube = [](const Tensor& t) { return t.pow(3.0); };
  const Tensor jac = AF::jacobian(cube, x, {.create_graph = true});
  REQUIRE(jac.requires_grad());
  // J = diag(3 x^2), so d sum(J) / dx = 6x.
  CHECK(allclose(jac, identity64(3) * (x * x * 3.0).detach()));
  CHECK(allclose(grad({jac.sum()}, {x})[0], x.detach() * 6.0));
  // An input that does not require grad still gets a graph-carrying result from a fresh leaf.
  const Tensor constant = x.detach();
  CHECK(AF::jacobian(cube, constant, {.create_graph = true}).requires_grad());
  CHECK_FALSE(AF::jacobian(cube, x).requires_grad());
  // d/dx of the jacobian through the function is checked to second order by finite differences.
  check_grads(
      [&cube](const TensorList& in) -> TensorList {
        return {AF::jacobian(cube, in[0], {.create_graph = true})};
      },
      {x});
}

TEST_CASE("hessian has the closed forms of cubic, quadratic and bilinear functions",
          "[functional]") {
  const Tensor x = randn64({2, 2}, 12);
  const Tensor h = AF::hessian([](const Tensor& t) { return t.pow(3.0).sum(); }, x);
  REQUIRE(h.shape() == Dims{2, 2, 2, 2});
  CHECK(allclose(h.reshape({4, 4}), identity64(4) * (x.detach().reshape({4}) * 6.0)));

  const Tensor a = randn64({3, 3}, 13).detach(), v = randn64({3}, 14);
  const Tensor quadratic =
      AF::hessian([&a](const Tensor& t) { return matmul(t, matmul(a, t)); }, v);
  CHECK(allclose(quadratic, a + a.t()));

  const Tensor p = randn64({3}, 15), q = randn64({3}, 16);
  const auto blocks = AF::hessian(
      [](const TensorList& in) { return (in[0] * in[1]).sum() + in[0].pow(2.0).sum(); }, {p, q});
  CHECK(allclose(blocks[0][0], identity64(3) * 2.0));
  CHECK(allclose(blocks[0][1], identity64(3)));
  CHECK(allclose(blocks[1][0], identity64(3)));
  CHECK(allclose(blocks[1][1], zeros({3, 3}, kFloat64)));
  // The Hessian of a linear function is zero; strict mode rejects it.
  const AF::UnaryFunction linear = [](const Tensor& t) { return (t * 2.0).sum(); };
  CHECK(allclose(AF::hessian(linear, q), zeros({3, 3}, kFloat64)));
  CHECK_THROWS_WITH(AF::hessian(linear, q, {.strict = true}),
                    MG_CONTAINS("hessian: the jacobian of the user-provided function with respect "
                                "to input 0 is independent of the inputs"));
}

TEST_CASE("vjp, jvp, vhp and hvp are the full matrices times the vector", "[functional]") {
  const Tensor x = randn64({4}, 17), y = randn64({2}, 18);
  const TensorList in{x, y};
  const TensorList out = two_by_two(in);
  const auto jac = AF::jacobian(two_by_two, in);
  const TensorList u{randn64({3}, 19).detach(), randn64({2}, 20).detach()};
  const TensorList w{randn64({4}, 21).detach(), randn64({2}, 22).detach()};

  const auto [vjp_out, vjp_products] = AF::vjp(two_by_two, in, u);
  CHECK(allclose(vjp_out[0], out[0].detach()));
  for (size_t j = 0; j < 2; ++j) {
    Tensor expected = zeros({in[j].numel()}, kFloat64);
    for (size_t i = 0; i < 2; ++i)
      expected = expected + matmul(as_matrix(jac[i][j], out[i], in[j]).t(), u[i]);
    CHECK(allclose(vjp_products[j], expected.reshape(in[j].shape())));
  }
  const auto [jvp_out, jvp_products] = AF::jvp(two_by_two, in, w);
  CHECK(allclose(jvp_out[1], out[1].detach()));
  for (size_t i = 0; i < 2; ++i) {
    Tensor expected = zeros({out[i].numel()}, kFloat64);
    for (size_t j = 0; j < 2; ++j)
      expected = expected + matmul(as_matrix(jac[i][j], out[i], in[j]), w[j]);
    CHECK(allclose(jvp_products[i], expected.reshape(out[i].shape())));
  }

  const auto hess = AF::hessian(scalar_of_two, in);
  const auto [vhp_out, vhp_products] = AF::vhp(scalar_of_two, in, w);
  const auto [hvp_out, hvp_products] = AF::hvp(scalar_of_two, in, w);
  CHECK(allclose(vhp_out, scalar_of_two(in).detach()));
  CHECK(allclose(hvp_out, vhp_out));
  for (size_t j = 0; j < 2; ++j) {
    Tensor h_times_w = zeros({in[j].numel()}, kFloat64), w_times_h = h_times_w;
    for (size_t k = 0; k < 2; ++k) {
      h_times_w = h_times_w + matmul(as_matrix(hess[j][k], in[j], in[k]), w[k]);
      w_times_h = w_times_h + matmul(as_matrix(hess[k][j], in[k], in[j]).t(), w[k]);
    }
    CHECK(allclose(hvp_products[j], h_times_w));
    CHECK(allclose(vhp_products[j], w_times_h));
    // The Hessian is symmetric: block (j, k) is block (k, j) transposed.
    CHECK(allclose(as_matrix(hess[0][1], x, y), as_matrix(hess[1][0], y, x).t()));
  }
  CHECK_FALSE(hvp_products[0].requires_grad());
  CHECK_FALSE(vjp_products[0].requires_grad());
}

TEST_CASE("the create_graph products differentiate correctly to higher order", "[functional]") {
  const Tensor x = randn64({3}, 23), y = randn64({2}, 24);
  const Tensor v = randn64({3}, 25), w = randn64({2}, 26);
  // Third and fourth derivatives of scalar_of_two through hvp, by gradcheck and gradgradcheck;
  // the vector is an input too, so the products' linearity in it is checked as well.
  check_grads(
      [](const TensorList& in) -> TensorList {
        return AF::hvp(scalar_of_two, {in[0], in[1]}, {in[2], in[3]}, {.create_graph = true})
            .second;
      },
      {x, y, v, w});
  check_grads(
      [](const TensorList& in) -> TensorList {
        return AF::vhp(scalar_of_two, {in[0], in[1]}, {in[2], in[3]}, {.create_graph = true})
            .second;
      },
      {x, y, v, w});
  check_grads(
      [](const TensorList& in) -> TensorList {
        return AF::jvp(two_by_two, {in[0], in[1]}, {in[2], in[3]}, {.create_graph = true}).second;
      },
      {randn64({4}, 27), y, randn64({4}, 28), w});
  check_grads(
      [](const TensorList& in) -> TensorList {
        return AF::vjp(two_by_two, {in[0], in[1]}, {in[2], in[3]}, {.create_graph = true}).second;
      },
      {randn64({4}, 29), y, randn64({3}, 30), w});
  check_grads(
      [](const TensorList& in) -> TensorList {
        const auto blocks = AF::hessian(scalar_of_two, {in[0], in[1]}, {.create_graph = true});
        return {blocks[0][0], blocks[0][1], blocks[1][1]};
      },
      {x, y});
}

TEST_CASE("an omitted v is 1 for a one-element output or input", "[functional]") {
  const Tensor x = randn64({3}, 31);
  const AF::UnaryFunction norm2 = [](const Tensor& t) { return (t * t).sum(); };
  CHECK(allclose(AF::vjp(norm2, x).second, x.detach() * 2.0));
  const Tensor s = randn64({1}, 32);
  const AF::UnaryFunction spread = [](const Tensor& t) { return t.exp() * ones({4}, kFloat64); };
  CHECK(allclose(AF::jvp(spread, s).second, s.detach().exp() * ones({4}, kFloat64)));
  const Tensor scalar = randn64({}, 33);
  CHECK(allclose(AF::hvp([](const Tensor& t) { return t.pow(4.0); }, scalar).second,
                 scalar.detach().pow(2.0) * 12.0));
}

TEST_CASE("float32 inputs give float32 results", "[functional]") {
  const Tensor x = randn64({3}, 34).detach().to(kFloat32);
  const Tensor h = AF::hessian([](const Tensor& t) { return t.pow(3.0).sum(); }, x);
  CHECK(h.dtype() == kFloat32);
  CHECK(allclose(h, identity64(3) * x.to(kFloat64) * 6.0, 1e-5, 1e-6));
}

TEST_CASE("bad arguments to the functional API are clear errors", "[functional][errors]") {
  const Tensor x = randn64({3}, 35);
  const AF::UnaryFunction twice = [](const Tensor& t) { return t * 2.0; };
  const AF::Function doubled = [](const TensorList& in) -> TensorList { return {in[0] * 2.0}; };
  CHECK_THROWS_WITH(AF::vjp(twice, x, ones({4}, kFloat64)),
                    MG_CONTAINS("vjp: v[0] has shape [4] but output 0 has shape [3]"));
  CHECK_THROWS_WITH(AF::vjp(twice, x), MG_CONTAINS("vjp: v can be omitted only for a single output "
                                                   "with a single element"));
  CHECK_THROWS_WITH(AF::jvp(twice, x, ones({3}, kFloat32)),
                    MG_CONTAINS("jvp: v[0] is float32 on cpu but input 0 is float64 on cpu"));
  CHECK_THROWS_WITH(AF::jvp(doubled, {x}, {x, x}),
                    MG_CONTAINS("jvp: got 2 tensors in v for 1 inputs; pass one v per input"));
  CHECK_THROWS_WITH(AF::hessian(twice, x),
                    MG_CONTAINS("hessian: the function should return a tensor with a single "
                                "element, got shape [3]"));
  CHECK_THROWS_WITH(AF::jacobian(twice, ones({3}, kInt64)),
                    MG_CONTAINS("jacobian: inputs[0] has dtype int64; only float32 and float64"));
  CHECK_THROWS_WITH(AF::jacobian(twice, Tensor{}), MG_CONTAINS("jacobian: inputs[0] is undefined"));
  CHECK_THROWS_WITH(AF::jacobian([](const Tensor&) { return Tensor{}; }, x),
                    MG_CONTAINS("jacobian: output 0 of the user-provided function is undefined"));
  const Tensor deep = randn64({1, 1, 1, 1, 1, 1, 2}, 36);
  CHECK_THROWS_WITH(AF::jacobian(twice, deep),
                    MG_CONTAINS("jacobian: the block for output 0 (shape [1, 1, 1, 1, 1, 1, 2]) "
                                "and input 0 (shape [1, 1, 1, 1, 1, 1, 2]) would have 14 dims"));
}

}  // namespace metagrad
