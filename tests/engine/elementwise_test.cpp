#include <cmath>
#include <cstring>
#include <functional>
#include <limits>

#include "tests/support/helpers.hpp"

using namespace metagrad;
using metagrad::testing::allclose;
using metagrad::testing::check_grads;
using metagrad::testing::noncontiguous;
using metagrad::testing::randn64;
using metagrad::testing::uniform64;

namespace {

struct UnaryCase {
  const char* name;
  std::function<Tensor(const Tensor&)> op;
  std::function<double(double)> reference;
  double low, high;  // input domain for the checks
};

std::vector<UnaryCase> unary_cases() {
  return {
      {"neg", [](const Tensor& x) { return -x; }, [](double a) { return -a; }, -2, 2},
      {"abs", [](const Tensor& x) { return abs(x); }, [](double a) { return std::abs(a); }, 0.1, 2},
      {"abs_negative", [](const Tensor& x) { return abs(x); }, [](double a) { return std::abs(a); },
       -2, -0.1},
      {"exp", [](const Tensor& x) { return exp(x); }, [](double a) { return std::exp(a); }, -2, 2},
      {"log", [](const Tensor& x) { return log(x); }, [](double a) { return std::log(a); }, 0.2, 3},
      {"log1p", [](const Tensor& x) { return log1p(x); }, [](double a) { return std::log1p(a); },
       -0.5, 3},
      {"sqrt", [](const Tensor& x) { return sqrt(x); }, [](double a) { return std::sqrt(a); }, 0.2,
       3},
      {"rsqrt", [](const Tensor& x) { return rsqrt(x); }, [](double a) { return 1 / std::sqrt(a); },
       0.2, 3},
      {"square", [](const Tensor& x) { return square(x); }, [](double a) { return a * a; }, -2, 2},
      {"sin", [](const Tensor& x) { return sin(x); }, [](double a) { return std::sin(a); }, -3, 3},
      {"cos", [](const Tensor& x) { return cos(x); }, [](double a) { return std::cos(a); }, -3, 3},
      {"tanh", [](const Tensor& x) { return tanh(x); }, [](double a) { return std::tanh(a); }, -2,
       2},
      {"sigmoid", [](const Tensor& x) { return sigmoid(x); },
       [](double a) { return 1 / (1 + std::exp(-a)); }, -3, 3},
      {"relu_positive", [](const Tensor& x) { return relu(x); },
       [](double a) { return a > 0 ? a : 0; }, 0.1, 2},
      {"relu_negative", [](const Tensor& x) { return relu(x); },
       [](double a) { return a > 0 ? a : 0; }, -2, -0.1},
      {"clamp", [](const Tensor& x) { return clamp(x, -0.5, 0.7); },
       [](double a) { return std::min(std::max(a, -0.5), 0.7); }, -2, 2},
      {"clamp_min_only", [](const Tensor& x) { return clamp(x, 0.1, std::nullopt); },
       [](double a) { return std::max(a, 0.1); }, -2, 2},
      {"pow_scalar", [](const Tensor& x) { return pow(x, 2.5); },
       [](double a) { return std::pow(a, 2.5); }, 0.3, 2},
      {"pow_int", [](const Tensor& x) { return pow(x, 3.0); }, [](double a) { return a * a * a; },
       -2, 2},
      {"scalar_pow", [](const Tensor& x) { return pow(1.7, x); },
       [](double a) { return std::pow(1.7, a); }, -2, 2},
      {"nan_to_num", [](const Tensor& x) { return nan_to_num(x); }, [](double a) { return a; }, -2,
       2},
      {"sign", [](const Tensor& x) { return sign(x); }, [](double a) { return a > 0 ? 1.0 : -1.0; },
       -2, 2},
      {"erf", [](const Tensor& x) { return erf(x); }, [](double a) { return std::erf(a); }, -2.5,
       2.5},
      {"expm1", [](const Tensor& x) { return expm1(x); }, [](double a) { return std::expm1(a); },
       -2, 2},
      {"floor", [](const Tensor& x) { return floor(x); }, [](double a) { return std::floor(a); },
       -3, 3},
      {"ceil", [](const Tensor& x) { return x.ceil(); }, [](double a) { return std::ceil(a); }, -3,
       3},
      {"round", [](const Tensor& x) { return round(x); },
       [](double a) { return std::nearbyint(a); }, -3, 3},
      {"trunc", [](const Tensor& x) { return trunc(x); }, [](double a) { return std::trunc(a); },
       -3, 3},
  };
}

}  // namespace

TEST_CASE("unary ops: values, gradcheck and gradgradcheck", "[elementwise]") {
  uint64_t seed = 100;
  for (const UnaryCase& c : unary_cases()) {
    INFO(c.name);
    Tensor x = uniform64({2, 3}, c.low, c.high, ++seed);
    Tensor y = c.op(x);
    const auto xv = x.to_vector<double>(), yv = y.to_vector<double>();
    for (size_t i = 0; i < xv.size(); ++i)
      CHECK(yv[i] == Approx(c.reference(xv[i])).epsilon(1e-12));
    auto fn = [&c](const TensorList& in) { return TensorList{c.op(in[0])}; };
    check_grads(fn, {x});
    check_grads(fn, {noncontiguous(x)});
    check_grads(fn, {uniform64({}, c.low, c.high, ++seed)});     // 0-d
    CHECK(c.op(zeros({0, 3}, kFloat64)).shape() == Dims{0, 3});  // empty
  }
}

TEST_CASE("erf and expm1 keep their precision far from and near 0", "[elementwise]") {
  // erf(1) and expm1(1e-10) to 16 digits; exp(x) - 1 would lose six of them near 0.
  CHECK(erf(tensor({1.0}, kFloat64)).item<double>() == Approx(0.8427007929497149).epsilon(1e-15));
  CHECK(expm1(tensor({1e-10}, kFloat64)).item<double>() ==
        Approx(1.00000000005e-10).epsilon(1e-15));
  CHECK(erf(tensor({-INFINITY, INFINITY}, kFloat64)).to_vector<double>() ==
        std::vector<double>{-1.0, 1.0});
  // The gradients at 0: 2 / sqrt(pi) and 1.
  const Tensor x = zeros({1}, kFloat64).requires_grad_();
  const Tensor g_erf = grad({erf(x).sum()}, {x})[0];
  CHECK(g_erf.item<double>() == Approx(2.0 / std::sqrt(M_PI)).epsilon(1e-15));
  const Tensor g_expm1 = grad({expm1(x).sum()}, {x})[0];
  CHECK(g_expm1.item<double>() == 1.0);
}

TEST_CASE("floor, ceil, round and trunc: halves, signs, integers and zero gradients",
          "[elementwise]") {
  const Tensor x = tensor({-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, -1.7, 1.7}, kFloat64);
  CHECK(floor(x).to_vector<double>() == std::vector<double>{-3, -2, -1, 0, 1, 2, -2, 1});
  CHECK(ceil(x).to_vector<double>() == std::vector<double>{-2, -1, -0.0, 1, 2, 3, -1, 2});
  // Ties go to the even neighbour, as PyTorch's round (and unlike std::round).
  CHECK(round(x).to_vector<double>() == std::vector<double>{-2, -2, -0.0, 0, 2, 2, -2, 2});
  CHECK(trunc(x).to_vector<double>() == std::vector<double>{-2, -1, -0.0, 0, 1, 2, -1, 1});
  CHECK(std::signbit(round(x).to_vector<double>()[2]));  // round(-0.5) = -0
  CHECK(round(tensor({2.5f, 3.5f}, kFloat32)).to_vector<float>() == std::vector<float>{2, 4});
  // Integer tensors are integral already: a copy comes back, with the dtype kept.
  const Tensor i = tensor({-3, 4}, kInt64);
  for (const Tensor& r : {floor(i), ceil(i), round(i), trunc(i)}) {
    CHECK(r.dtype() == kInt64);
    CHECK(r.to_vector<int64_t>() == std::vector<int64_t>{-3, 4});
  }
  CHECK_THROWS_WITH(floor(tensor({1.0}, kFloat64).to(kBool)),
                    MG_CONTAINS("floor: not defined for bool tensors"));
  // The gradient is zero, to every order, and the graph stays connected.
  const Tensor w = tensor({0.3, 1.7}, kFloat64).requires_grad_();
  const Tensor g = grad({(floor(w * 3.0) * w).sum()}, {w}, {}, {.create_graph = true})[0];
  CHECK(g.to_vector<double>() == std::vector<double>{0.0, 5.0});
}

TEST_CASE("unary ops keep float32", "[elementwise]") {
  Tensor x = tensor({0.5, 1.5}, kFloat32);
  for (const UnaryCase& c : unary_cases()) {
    INFO(c.name);
    CHECK(c.op(x).dtype() == kFloat32);
  }
}

TEST_CASE("binary ops with broadcasting: values and derivatives", "[elementwise]") {
  struct BinaryCase {
    const char* name;
    std::function<Tensor(const Tensor&, const Tensor&)> op;
    std::function<double(double, double)> reference;
    double low, high;
  };
  const std::vector<BinaryCase> cases = {
      {"add", [](const Tensor& a, const Tensor& b) { return a + b; },
       [](double a, double b) { return a + b; }, -2, 2},
      {"add_alpha", [](const Tensor& a, const Tensor& b) { return add(a, b, -0.5); },
       [](double a, double b) { return a - 0.5 * b; }, -2, 2},
      {"sub", [](const Tensor& a, const Tensor& b) { return a - b; },
       [](double a, double b) { return a - b; }, -2, 2},
      {"mul", [](const Tensor& a, const Tensor& b) { return a * b; },
       [](double a, double b) { return a * b; }, -2, 2},
      {"div", [](const Tensor& a, const Tensor& b) { return a / b; },
       [](double a, double b) { return a / b; }, 0.5, 2},
      {"pow", [](const Tensor& a, const Tensor& b) { return pow(a, b); },
       [](double a, double b) { return std::pow(a, b); }, 0.5, 2},
      {"maximum", [](const Tensor& a, const Tensor& b) { return maximum(a, b); },
       [](double a, double b) { return std::max(a, b); }, -2, 2},
      {"minimum", [](const Tensor& a, const Tensor& b) { return minimum(a, b); },
       [](double a, double b) { return std::min(a, b); }, -2, 2},
  };
  const std::vector<std::pair<Dims, Dims>> shapes = {
      {{2, 3}, {2, 3}}, {{2, 3}, {3}}, {{3, 1}, {1, 4}}, {{}, {2, 2}}, {{2, 1, 3}, {4, 1}}};
  uint64_t seed = 500;
  for (const auto& c : cases) {
    for (const auto& [sa, sb] : shapes) {
      INFO(c.name << " " << shape_str(sa) << " " << shape_str(sb));
      Tensor a = uniform64(sa, c.low, c.high, ++seed), b = uniform64(sb, c.low, c.high, ++seed);
      Tensor y = c.op(a, b);
      CHECK(y.shape() == broadcast_shapes(sa, sb, "test"));
      Tensor ea = a.expand(y.shape()).contiguous(), eb = b.expand(y.shape()).contiguous();
      const auto av = ea.to_vector<double>(), bv = eb.to_vector<double>(),
                 yv = y.to_vector<double>();
      for (size_t i = 0; i < yv.size(); ++i) CHECK(yv[i] == Approx(c.reference(av[i], bv[i])));
      check_grads([&c](const TensorList& in) { return TensorList{c.op(in[0], in[1])}; }, {a, b});
    }
    Tensor a = uniform64({3, 2}, c.low, c.high, ++seed),
           b = uniform64({3, 2}, c.low, c.high, ++seed);
    check_grads([&c](const TensorList& in) { return TensorList{c.op(in[0], in[1])}; },
                {noncontiguous(a), noncontiguous(b)});
    CHECK(c.op(zeros({0, 2}, kFloat64), ones({2}, kFloat64)).shape() == Dims{0, 2});
  }
}

TEST_CASE("scalar operands on either side", "[elementwise]") {
  Tensor x = tensor({1.0, 2.0, 4.0}, kFloat64).requires_grad_();
  CHECK(allclose(x + 1.0, tensor({2.0, 3.0, 5.0}, kFloat64)));
  CHECK(allclose(1.0 - x, tensor({0.0, -1.0, -3.0}, kFloat64)));
  CHECK(allclose(2.0 * x, tensor({2.0, 4.0, 8.0}, kFloat64)));
  CHECK(allclose(8.0 / x, tensor({8.0, 4.0, 2.0}, kFloat64)));
  CHECK(allclose(x / 2.0, tensor({0.5, 1.0, 2.0}, kFloat64)));
  check_grads([](const TensorList& in) { return TensorList{3.0 / in[0] - in[0] * 2.0 + 1.0}; },
              {uniform64({3}, 0.5, 2, 9)});
}

TEST_CASE("maximum and minimum split the gradient on ties", "[elementwise]") {
  Tensor a = tensor({1.0, 2.0, 3.0}, kFloat64).requires_grad_();
  Tensor b = tensor({1.0, 5.0, 0.0}, kFloat64).requires_grad_();
  auto g = grad({maximum(a, b).sum()}, {a, b});
  CHECK(allclose(g[0], tensor({0.5, 0.0, 1.0}, kFloat64)));
  CHECK(allclose(g[1], tensor({0.5, 1.0, 0.0}, kFloat64)));
}

TEST_CASE("where selects and routes gradients", "[elementwise]") {
  Tensor cond = tensor({1, 0, 1}, kBool);
  Tensor a = randn64({3}, 1), b = randn64({2, 3}, 2);
  Tensor y = where(cond, a, b);
  CHECK(y.shape() == Dims{2, 3});
  const auto yv = y.to_vector<double>(), av = a.to_vector<double>(), bv = b.to_vector<double>();
  CHECK(yv[0] == av[0]);
  CHECK(yv[1] == bv[1]);
  CHECK(yv[5] == av[2]);
  check_grads(
      [&cond](const TensorList& in) { return TensorList{where(cond, in[0], in[1]) * in[0]}; },
      {a, b});
  CHECK_THROWS_WITH(where(tensor({1.0}, kFloat64), a, b),
                    MG_CONTAINS("where: the condition must be a bool tensor"));
}

TEST_CASE("comparisons and logical ops give bool tensors", "[elementwise]") {
  Tensor a = tensor({1.0, 2.0, 3.0}, kFloat64), b = tensor({3.0, 2.0, 1.0}, kFloat64);
  CHECK(lt(a, b).dtype() == kBool);
  CHECK(lt(a, b).to_vector<bool>() == std::vector<bool>{true, false, false});
  CHECK(le(a, b).to_vector<bool>() == std::vector<bool>{true, true, false});
  CHECK(gt(a, 1.5).to_vector<bool>() == std::vector<bool>{false, true, true});
  CHECK(ge(a, b).to_vector<bool>() == std::vector<bool>{false, true, true});
  CHECK(eq(a, b).to_vector<bool>() == std::vector<bool>{false, true, false});
  CHECK(ne(a, 2.0).to_vector<bool>() == std::vector<bool>{true, false, true});
  Tensor p = tensor({1, 0, 1, 0}, kBool), q = tensor({1, 1, 0, 0}, kBool);
  CHECK(logical_and(p, q).to_vector<bool>() == std::vector<bool>{true, false, false, false});
  CHECK(logical_or(p, q).to_vector<bool>() == std::vector<bool>{true, true, true, false});
  CHECK(logical_xor(p, q).to_vector<bool>() == std::vector<bool>{false, true, true, false});
  CHECK(logical_not(p).to_vector<bool>() == std::vector<bool>{false, true, false, true});
  Tensor i = tensor({-2, 0, 5}, kInt64);
  CHECK(lt(i, tensor({0, 0, 0}, kInt64)).to_vector<bool>() ==
        std::vector<bool>{true, false, false});
  Tensor x = tensor({1.0, 2.0}, kFloat64).requires_grad_();
  CHECK_FALSE(gt(x, 0.0).requires_grad());
}

TEST_CASE("where and comparisons match a scalar reference on every layout and dtype",
          "[elementwise]") {
  // 40000 elements: above the parallel threshold. Contiguous operands, a broadcast scalar on
  // either side and transposed (strided) operands take different kernel paths; the select must
  // keep exact bits (NaN, -0.0, infinities) and every dtype.
  const double inf = std::numeric_limits<double>::infinity();
  const Tensor x = randn64({200, 200}, 7), y = randn64({200, 200}, 8);
  std::vector<double> special = x.to_vector<double>();
  special[0] = std::nan("");
  special[1] = -0.0;
  special[2] = inf;
  special[3] = -inf;
  const Tensor xs = tensor(special, {200, 200}, kFloat64);
  for (const DType dtype : {kFloat32, kFloat64, kInt64, kBool}) {
    // Integers from 3x (no NaN or infinity to convert); floats and bools with the special values.
    const Tensor a = dtype == kInt64 ? (x * 3.0).to(dtype) : xs.to(dtype), b = (y * 3.0).to(dtype);
    const Tensor cond = gt(x, 0.0);
    for (const bool strided : {false, true}) {
      const Tensor ca = strided ? a.t() : a, cb = strided ? b.t() : b,
                   cc = strided ? cond.t() : cond;
      const Tensor scalar = zeros({}, dtype);
      const std::vector<double> av = ca.contiguous().to(kFloat64).to_vector<double>();
      const std::vector<double> bv = cb.contiguous().to(kFloat64).to_vector<double>();
      const std::vector<bool> cv = cc.contiguous().to_vector<bool>();
      const std::vector<double> both = where(cc, ca, cb).to(kFloat64).to_vector<double>();
      const std::vector<double> left = where(cc, ca, scalar).to(kFloat64).to_vector<double>();
      const std::vector<double> right = where(cc, scalar, cb).to(kFloat64).to_vector<double>();
      const std::vector<bool> greater = gt(ca, cb).to_vector<bool>();
      const std::vector<bool> equal_scalar = eq(ca, scalar).to_vector<bool>();
      size_t mismatches = 0;
      for (size_t i = 0; i < av.size(); ++i) {
        const auto same = [](double u, double v) { return std::memcmp(&u, &v, sizeof u) == 0; };
        mismatches += !same(both[i], cv[i] ? av[i] : bv[i]);
        mismatches += !same(left[i], cv[i] ? av[i] : 0.0);
        mismatches += !same(right[i], cv[i] ? 0.0 : bv[i]);
        mismatches += greater[i] != (av[i] > bv[i]);
        mismatches += equal_scalar[i] != (av[i] == 0.0);
      }
      INFO("dtype " << dtype_name(dtype) << ", strided " << strided);
      CHECK(mismatches == 0);
    }
  }
}

TEST_CASE("nan_to_num replaces non-finite values and masks their gradient", "[elementwise]") {
  const double inf = std::numeric_limits<double>::infinity(), nan = std::nan("");
  Tensor x = tensor({nan, inf, -inf, 1.5}, kFloat64).requires_grad_();
  Tensor y = nan_to_num(x, 0.5, 10.0, -10.0);
  CHECK(y.to_vector<double>() == std::vector<double>{0.5, 10.0, -10.0, 1.5});
  CHECK(grad({y.sum()}, {x})[0].to_vector<double>() == std::vector<double>{0, 0, 0, 1});
  Tensor d = nan_to_num(tensor({inf, -inf}, kFloat32));
  CHECK(d.to_vector<float>()[0] == std::numeric_limits<float>::max());
  CHECK(d.to_vector<float>()[1] == std::numeric_limits<float>::lowest());
  CHECK(isfinite(x).to_vector<bool>() == std::vector<bool>{false, false, false, true});
  CHECK(isnan(x).to_vector<bool>() == std::vector<bool>{true, false, false, false});
}

TEST_CASE("relu, abs and clamp subgradients match PyTorch at the kinks", "[elementwise]") {
  Tensor x = tensor({-1.0, 0.0, 1.0}, kFloat64).requires_grad_();
  CHECK(grad({relu(x).sum()}, {x})[0].to_vector<double>() == std::vector<double>{0, 0, 1});
  CHECK(grad({abs(x).sum()}, {x})[0].to_vector<double>() == std::vector<double>{-1, 0, 1});
  CHECK(grad({clamp(x, 0.0, 1.0).sum()}, {x})[0].to_vector<double>() ==
        std::vector<double>{0, 1, 1});
  Tensor z = tensor({0.0}, kFloat64).requires_grad_();
  CHECK(grad({pow(z, 0.0).sum()}, {z})[0].item<double>() == 0.0);
}

TEST_CASE("large elementwise ops match a sequential reference (threaded path)", "[elementwise]") {
  Tensor a = randn({300, 500}, kFloat32);
  Tensor b = randn({500}, kFloat32);
  Tensor y = exp(a) * b - a;
  const auto av = a.to_vector<float>(), bv = b.to_vector<float>(), yv = y.to_vector<float>();
  for (size_t i = 0; i < yv.size(); i += 997) {
    CHECK(yv[i] == Approx(std::exp(av[i]) * bv[i % 500] - av[i]).epsilon(1e-5).margin(1e-5));
  }
  Tensor t = a.t();  // strided input through the threaded loop
  Tensor s = t * 2.0f;
  CHECK(s.to_vector<float>()[1] == Approx(2 * av[500]));
}

TEST_CASE("clamp with min > max gives max everywhere, as PyTorch", "[elementwise]") {
  // Issue 10 defect 7: clamp(2, 1) gave [2, 2, 1]. PyTorch applies min then max: min(max(x, lo),
  // hi).
  Tensor x = tensor({0.0, 1.5, 3.0}, kFloat64).requires_grad_();
  const Tensor y = clamp(x, 2.0, 1.0);
  CHECK(y.to_vector<double>() == std::vector<double>{1.0, 1.0, 1.0});
  CHECK(clamp(tensor({0.0, 1.5, 3.0}), 2.0, 1.0).to_vector<float>() ==
        std::vector<float>{1.0f, 1.0f, 1.0f});
  // No element lies in [2, 1]: the gradient is zero everywhere (PyTorch's mask).
  y.sum().backward();
  CHECK(x.grad().to_vector<double>() == std::vector<double>{0.0, 0.0, 0.0});
  const Tensor nan = clamp(tensor({std::nan(""), 5.0}, kFloat64), 2.0, 1.0);
  CHECK(std::isnan(nan.to_vector<double>()[0]));
  CHECK(nan.to_vector<double>()[1] == 1.0);
}
