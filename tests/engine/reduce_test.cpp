#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "tests/support/helpers.hpp"
#include "tests/support/tensor_values.hpp"

using namespace metagrad;
using metagrad::testing::allclose;
using metagrad::testing::check_grads;
using metagrad::testing::noncontiguous;
using metagrad::testing::randn64;
using metagrad::testing::uniform64;
using metagrad::testing::values;

namespace {

const double kInf = std::numeric_limits<double>::infinity();
const double kNaN = std::numeric_limits<double>::quiet_NaN();

Tensor t64(const std::vector<double>& values, const Dims& shape) {
  return tensor(values, shape, kFloat64);
}

// Throws unless fn throws a metagrad::Error whose message contains `text`.
template <typename F>
void check_error(F&& fn, const std::string& text) {
  try {
    fn();
    FAIL("expected an Error containing: " << text);
  } catch (const Error& e) {
    INFO(e.what());
    CHECK(std::string(e.what()).find(text) != std::string::npos);
  }
}

enum class Op { Sum, Prod, Max, Min };

// Naive reference reduction (keepdim shape) of row-major `v` over sorted `dims`.
std::vector<double> reference(const std::vector<double>& v, const Dims& shape, const Dims& dims,
                              Op op) {
  Dims out_shape = shape;
  for (int64_t d : dims) out_shape[static_cast<int>(d)] = 1;
  const int64_t n_out = numel_of(out_shape);
  const double init = op == Op::Sum ? 0.0 : op == Op::Prod ? 1.0 : op == Op::Max ? -kInf : kInf;
  std::vector<double> out(static_cast<size_t>(n_out), init);
  const Dims out_strides = contiguous_strides(out_shape);
  for (size_t i = 0; i < v.size(); ++i) {
    int64_t rem = static_cast<int64_t>(i), o = 0;
    for (int d = shape.size() - 1; d >= 0; --d) {
      const int64_t idx = rem % shape[d];
      rem /= shape[d];
      if (out_shape[d] != 1) o += idx * out_strides[d];
    }
    double& acc = out[static_cast<size_t>(o)];
    switch (op) {
      case Op::Sum:
        acc += v[i];
        break;
      case Op::Prod:
        acc *= v[i];
        break;
      case Op::Max:
        acc = std::isnan(acc) || v[i] > acc || std::isnan(v[i]) ? v[i] : acc;
        break;
      case Op::Min:
        acc = std::isnan(acc) || v[i] < acc || std::isnan(v[i]) ? v[i] : acc;
        break;
    }
  }
  return out;
}

Tensor reduce_with(Op op, const Tensor& x, const Dims& dims) {
  switch (op) {
    case Op::Sum:
      return sum(x, dims, true);
    case Op::Prod: {
      Tensor p = x;
      for (int64_t d : dims) p = prod(p, d, true);
      return p;
    }
    case Op::Max:
      return amax(x, dims, true);
    case Op::Min:
      return amin(x, dims, true);
  }
  return {};
}

}  // namespace

// ---- sum / mean
// ----------------------------------------------------------------------------------

TEST_CASE("sum: values over dims, negative dims, keepdim, 0-d and empty inputs", "[reduce]") {
  const Tensor x = t64({1, 2, 3, 4, 5, 6}, {2, 3});
  CHECK(sum(x).item<double>() == 21.0);
  CHECK(values(sum(x, {0})) == std::vector<double>{5, 7, 9});
  CHECK(values(sum(x, {-1})) == std::vector<double>{6, 15});
  CHECK(sum(x, {-1}, true).shape() == Dims{2, 1});
  CHECK(sum(x, {0, 1}).dim() == 0);
  CHECK(sum(scalar_tensor(2.5, kFloat64)).item<double>() == 2.5);
  CHECK(sum(scalar_tensor(2.5, kFloat64), {0}).item<double>() == 2.5);
  CHECK(sum(scalar_tensor(2.5, kFloat64), {-1}).item<double>() == 2.5);  // dims -1 and 0 of a 0-d
  CHECK(sum(scalar_tensor(2.5, kFloat64), {-1}, true).dim() == 0);
  const Tensor empty = zeros({0, 3}, kFloat64);
  CHECK(sum(empty).item<double>() == 0.0);
  CHECK(values(sum(empty, {0})) == std::vector<double>{0, 0, 0});
  CHECK(sum(empty, {1}).shape() == Dims{0});
  CHECK(mean(x, {1}).to_vector<double>() == std::vector<double>{2, 5});
  CHECK(std::isnan(mean(empty).item<double>()));
}

TEST_CASE("sum: int64 and bool inputs give int64", "[reduce]") {
  const Tensor i = tensor({1, 2, 3, 4}, {2, 2}, kInt64);
  CHECK(sum(i).dtype() == kInt64);
  CHECK(sum(i, {1}).to_vector<int64_t>() == std::vector<int64_t>{3, 7});
  const Tensor b = tensor({1, 0, 1, 1}, {4}, kBool);
  CHECK(sum(b).dtype() == kInt64);
  CHECK(sum(b).item<int64_t>() == 3);
  CHECK(prod(tensor({2, 3, 4}, {3}, kInt64)).item<int64_t>() == 24);
}

TEST_CASE("sum: float32 sums of a million ones are exact and long sums are accurate", "[reduce]") {
  CHECK(sum(ones({1000000})).item<float>() == 1000000.0f);
  CHECK(values(sum(ones({1000, 1000}), {0}))[999] == 1000.0);
  // 0.1f is not exact; a float accumulator would drift by ~1e-3 relative at this length.
  const Tensor tenths = full({4000000}, 0.1);
  const double expected = 4000000.0 * static_cast<double>(0.1f);
  CHECK(std::abs(sum(tenths).item<double>() - expected) <= 1e-6 * expected);
  CHECK(std::abs(values(sum(full({2000000, 2}, 0.1), {0}))[1] - expected / 2) <= 1e-6 * expected);
}

TEST_CASE("reduction kernels match a naive reference on every loop shape", "[reduce]") {
  Generator gen(7);
  struct Case {
    Dims shape;
    Dims dims;
  };
  const std::vector<Case> cases = {
      {{64, 256}, {0}},    {{64, 256}, {1}},       {{300, 257}, {0}},
      {{300, 257}, {1}},   {{70001}, {0}},         {{4, 50, 300}, {0, 2}},
      {{4, 50, 300}, {1}}, {{3, 4, 5, 6}, {1, 3}}, {{3, 4, 5, 6}, {0, 1, 2, 3}},
      {{40000, 3}, {0}},   {{3, 40000}, {0}},      {{7, 1, 5}, {1}},
      {{2, 3}, {0, 1}},    {{9000, 5}, {1}},
  };
  for (const Case& c : cases) {
    for (int layout = 0; layout < 4; ++layout) {
      // 1 + small noise keeps products finite.
      Tensor base = (randn(c.shape, kFloat64, &gen) * 0.001 + 1.0).detach();
      Tensor x = base;
      if (layout == 1) x = noncontiguous(base).detach();
      if (layout == 2) x = transpose(contiguous(transpose(base, 0, -1)), 0, -1);
      if (layout == 3) x = expand(mean(base, {-1}, true), c.shape);  // stride 0 in the last dim
      const std::vector<double> v = values(x);
      for (Op op : {Op::Sum, Op::Prod, Op::Max, Op::Min}) {
        INFO("shape " << shape_str(c.shape) << " dims " << shape_str(c.dims) << " layout " << layout
                      << " op " << static_cast<int>(op));
        const Tensor got = reduce_with(op, x, c.dims);
        const std::vector<double> want = reference(v, c.shape, c.dims, op);
        REQUIRE(got.numel() == static_cast<int64_t>(want.size()));
        CHECK(allclose(got, tensor(want, got.shape(), kFloat64), 1e-10, 1e-12));
        const Tensor x32 = x.to(kFloat32);
        const std::vector<double> want32 = reference(values(x32), c.shape, c.dims, op);
        // (prod over several dims rounds to float32 between dims.)
        CHECK(allclose(reduce_with(op, x32, c.dims), tensor(want32, got.shape(), kFloat32), 3e-5,
                       1e-6));
      }
      // Argmax/argmin along each reduced dim: the values are the extrema, found at the index.
      for (int64_t d : c.dims) {
        Dims along(x.dim() - d, 1);
        along[0] = x.shape()[static_cast<int>(d)];
        const Tensor positions = reshape(arange(static_cast<double>(along[0]), kInt64), along);
        auto [vmax, imax] = max(x, d, true);
        CHECK(allclose(vmax, amax(x, {d}, true)));
        CHECK(allclose(vmax, sum(where(eq(positions, imax), x, 0.0), {d}, true)));
        auto [vmin, imin] = min(x, d, true);
        CHECK(allclose(vmin, amin(x, {d}, true)));
        CHECK(allclose(vmin, sum(where(eq(positions, imin), x, 0.0), {d}, true)));
      }
    }
  }
}

// ---- amax / amin
// ---------------------------------------------------------------------------------

TEST_CASE("amax/amin: values, keepdim, negative and multiple dims, NaN propagation", "[reduce]") {
  const Tensor x = t64({1, 5, 3, 7, 2, 6, -1, 0, 4, 9, 8, -2}, {2, 2, 3});
  CHECK(values(amax(x)) == std::vector<double>{9});
  CHECK(values(amin(x)) == std::vector<double>{-2});
  CHECK(values(amax(x, {-1})) == std::vector<double>{5, 7, 4, 9});
  CHECK(values(amin(x, {0, 2})) == std::vector<double>{-1, -2});
  CHECK(amax(x, {0, 2}, true).shape() == Dims{1, 2, 1});
  CHECK(values(amax(x, {0})) == std::vector<double>{1, 5, 4, 9, 8, 6});
  CHECK(amax(scalar_tensor(3.0, kFloat64)).item<double>() == 3.0);
  const Tensor nan = t64({1, kNaN, 3, 4, 5, 6}, {2, 3});
  const auto m = values(amax(nan, {1}));
  CHECK(std::isnan(m[0]));
  CHECK(m[1] == 6.0);
  CHECK(std::isnan(amin(nan).item<double>()));
  CHECK(std::isnan(max(nan).item<double>()));
  CHECK(amax(tensor({3, -4, 2}, {3}, kInt64)).item<int64_t>() == 3);
  CHECK(amin(tensor({1, 0, 1}, {3}, kBool)).item<bool>() == false);
  CHECK(max(t64({2, 8, -1}, {3})).item<double>() == 8.0);
  CHECK(min(t64({2, 8, -1}, {3})).item<double>() == -1.0);
  // A non-reduced empty dim gives an empty result, not an error.
  CHECK(amax(zeros({0, 3}, kFloat64), {1}).shape() == Dims{0});
}

TEST_CASE("amax/amin: tied extrema share the gradient equally", "[reduce]") {
  Tensor x = t64({3, 1, 3, 3, 2, 0}, {2, 3}).requires_grad_();
  Tensor g = grad({amax(x, {1})}, {x}, {t64({6, 4}, {2})})[0];
  CHECK(values(g) == std::vector<double>{3, 0, 3, 4, 0, 0});
  Tensor y = t64({5, 5, 5}, {3}).requires_grad_();
  Tensor gy = grad({amin(y)}, {y})[0];
  CHECK(allclose(gy, t64({1.0 / 3, 1.0 / 3, 1.0 / 3}, {3})));
  Tensor n = t64({kNaN, 1, 2}, {3}).requires_grad_();
  CHECK(values(grad({amax(n)}, {n})[0]) == std::vector<double>{0, 0, 0});
}

TEST_CASE("amax/amin: gradcheck and gradgradcheck", "[reduce]") {
  for (bool is_max : {true, false}) {
    auto fn = [is_max](const Dims& dims, bool keepdim) {
      return [=](const TensorList& in) {
        return TensorList{is_max ? amax(in[0], dims, keepdim) : amin(in[0], dims, keepdim)};
      };
    };
    check_grads(fn({1}, false), {randn64({3, 4}, 1)});
    check_grads(fn({0, 2}, true), {randn64({2, 3, 4}, 2)});
    check_grads(fn({}, false), {randn64({2, 3}, 3)});
    check_grads(fn({-1}, false), {noncontiguous(randn64({3, 4}, 4))});
    check_grads(fn({}, false), {randn64({}, 5)});
    check_grads(fn({1}, false), {randn64({0, 3}, 6)});
    // Two-way ties: finite differences see the 1/2 split too. (Second derivatives do not exist
    // at a tie.)
    check_grads(fn({1}, false), {t64({1, 4, 4, -2, -2, 0}, {2, 3}).requires_grad_()}, false);
  }
}

// ---- max / min along a dim
// -----------------------------------------------------------------------

TEST_CASE("max/min along a dim: values, int64 indices, first tie, NaN, keepdim", "[reduce]") {
  const Tensor x = t64({1, 7, 7, 0, -3, 2, 9, 2}, {2, 4});
  auto [v, i] = max(x, 1);
  CHECK(values(v) == std::vector<double>{7, 9});
  CHECK(i.dtype() == kInt64);
  CHECK(i.to_vector<int64_t>() == std::vector<int64_t>{1, 2});
  auto [v0, i0] = min(x, -2, true);
  CHECK(v0.shape() == Dims{1, 4});
  CHECK(values(v0) == std::vector<double>{-3, 2, 7, 0});
  CHECK(i0.to_vector<int64_t>() == std::vector<int64_t>{1, 1, 0, 0});
  auto [vt, it] = min(t64({4, 2, 2, 2}, {4}), 0);
  CHECK(vt.item<double>() == 2.0);
  CHECK(it.item<int64_t>() == 1);
  auto [vn, in] = max(t64({1, kNaN, 5, kNaN}, {4}), 0);
  CHECK(std::isnan(vn.item<double>()));
  CHECK(in.item<int64_t>() == 1);
  auto [vs, is] = max(scalar_tensor(4.0, kFloat64), 0);
  CHECK(vs.dim() == 0);
  CHECK(vs.item<double>() == 4.0);
  CHECK(is.item<int64_t>() == 0);
  // Along a dim of one element: the values themselves, at index 0.
  auto [v_one, i_one] = max(t64({1, 5, 3}, {3, 1}), 1);
  CHECK(values(v_one) == std::vector<double>{1, 5, 3});
  CHECK(i_one.to_vector<int64_t>() == std::vector<int64_t>{0, 0, 0});
  auto [v_min, i_min] = min(t64({1, 5, 3}, {1, 3, 1}), 0);
  CHECK(values(v_min) == std::vector<double>{1, 5, 3});
  CHECK(i_min.to_vector<int64_t>() == std::vector<int64_t>{0, 0, 0});
  auto [vs_last, is_last] = max(scalar_tensor(4.0, kFloat64), -1);
  CHECK(vs_last.item<double>() == 4.0);
  CHECK(is_last.item<int64_t>() == 0);
  auto [vi, ii] = max(tensor({3, 9, 9, 1}, {2, 2}, kInt64), 0);
  CHECK(vi.to_vector<int64_t>() == std::vector<int64_t>{9, 9});
  CHECK(ii.to_vector<int64_t>() == std::vector<int64_t>{1, 0});
  auto [ve, ie] = max(zeros({0, 3}, kFloat64), 1);
  CHECK(ve.shape() == Dims{0});
}

TEST_CASE("max/min along a dim: the gradient goes to the chosen index", "[reduce]") {
  Tensor x = t64({1, 7, 7, 0, -3, 2, 9, 2}, {2, 4}).requires_grad_();
  auto [v, i] = max(x, 1);
  CHECK(values(grad({v}, {x}, {t64({10, 20}, {2})})[0]) ==
        std::vector<double>{0, 10, 0, 0, 0, 0, 20, 0});
  for (bool is_max : {true, false}) {
    auto fn = [is_max](int64_t dim, bool keepdim) {
      return [=](const TensorList& in) {
        return TensorList{
            std::get<0>(is_max ? max(in[0], dim, keepdim) : min(in[0], dim, keepdim))};
      };
    };
    check_grads(fn(1, false), {randn64({3, 4}, 11)});
    check_grads(fn(0, true), {randn64({3, 4, 2}, 12)});
    check_grads(fn(-1, false), {noncontiguous(randn64({2, 5}, 13))});
    check_grads(fn(0, false), {randn64({}, 14)});
  }
}

// ---- prod
// ----------------------------------------------------------------------------------------

TEST_CASE("prod: values over one dim or all, keepdim, empty", "[reduce]") {
  const Tensor x = t64({1, 2, 3, 4, 5, 6}, {2, 3});
  CHECK(prod(x).item<double>() == 720.0);
  CHECK(values(prod(x, 0)) == std::vector<double>{4, 10, 18});
  CHECK(values(prod(x, -1)) == std::vector<double>{6, 120});
  CHECK(prod(x, 1, true).shape() == Dims{2, 1});
  CHECK(prod(zeros({0}, kFloat64)).item<double>() == 1.0);
  CHECK(values(prod(zeros({2, 0}, kFloat64), 1)) == std::vector<double>{1, 1});
  CHECK(prod(scalar_tensor(-2.0, kFloat64), 0).item<double>() == -2.0);
}

TEST_CASE("prod: gradient with zeros present", "[reduce]") {
  Tensor x = t64({2, 0, 3}, {3}).requires_grad_();
  CHECK(values(grad({prod(x)}, {x})[0]) == std::vector<double>{0, 6, 0});
  Tensor y = t64({0, 0, 3}, {3}).requires_grad_();
  Tensor gy =
      grad({prod(y)}, {y}, {}, GradOptions{.retain_graph = std::nullopt, .create_graph = true})[0];
  CHECK(values(gy) == std::vector<double>{0, 0, 0});
  // d2 prod / dy0 dy1 = y2 = 3, although the first derivative is 0 here.
  CHECK(values(grad({select(gy, 0, 0)}, {y})[0]) == std::vector<double>{0, 3, 0});
}

TEST_CASE("prod: gradcheck and gradgradcheck, with and without zeros", "[reduce]") {
  auto fn = [](std::optional<int64_t> dim, bool keepdim) {
    return [=](const TensorList& in) { return TensorList{prod(in[0], dim, keepdim)}; };
  };
  check_grads(fn(1, false), {uniform64({3, 4}, 0.5, 1.5, 21)});
  check_grads(fn(std::nullopt, false), {randn64({2, 3}, 22)});
  check_grads(fn(0, true), {noncontiguous(randn64({3, 2}, 23))});
  check_grads(fn(0, false), {randn64({}, 24)});
  check_grads(fn(1, false), {t64({1.5, 0, -2, 0.5, 0, 0, 3, -1}, {2, 4}).requires_grad_()});
  check_grads(fn(std::nullopt, false), {t64({1.5, 0, -2, 0.5, 0, 0.7}, {2, 3}).requires_grad_()});
  check_grads(fn(std::nullopt, true), {t64({1.5, 0, -2, 0.5, 1.2, 0.7}, {2, 3}).requires_grad_()});
  check_grads(
      fn(std::nullopt, false),
      {t64({1.5, 0, -2, 0.5, 1.2, 0.7, 0, 1.1, -0.9, 2, 0.8, 1.3}, {2, 3, 2}).requires_grad_()});
  check_grads(fn(1, false), {zeros({2, 0}, kFloat64).requires_grad_()});
}

// ---- norm
// ----------------------------------------------------------------------------------------

TEST_CASE("norm: values for p = 2, 1, inf, -inf, 0 and general p", "[reduce]") {
  const Tensor x = t64({3, -4, 0, 1, -2, 2}, {2, 3});
  CHECK(norm(x).item<double>() == Approx(std::sqrt(34.0)).epsilon(1e-14));
  CHECK(allclose(norm(x, 2.0, {1}), t64({5, 3}, {2})));
  CHECK(values(norm(x, 1.0, {1})) == std::vector<double>{7, 5});
  CHECK(values(norm(x, kInf, {0})) == std::vector<double>{3, 4, 2});
  CHECK(values(norm(x, -kInf, {1}, true)) == std::vector<double>{0, 1});
  CHECK(values(norm(x, 0.0, {1})) == std::vector<double>{2, 3});
  CHECK(norm(x, 3.0).item<double>() == Approx(std::cbrt(27.0 + 64 + 1 + 8 + 8)).epsilon(1e-14));
  CHECK(norm(x, 0.5, {1}).to_vector<double>()[0] ==
        Approx(std::pow(std::sqrt(3.0) + 2.0, 2.0)).epsilon(1e-14));
}

TEST_CASE("norm: subgradient 0 at 0 and zero gradient of the 0-norm", "[reduce]") {
  for (double p : {2.0, 3.0, 1.5, 0.5}) {
    INFO("p = " << p);
    Tensor z = zeros({3}, kFloat64).requires_grad_();
    CHECK(values(grad({norm(z, p)}, {z})[0]) == std::vector<double>{0, 0, 0});
  }
  Tensor x = t64({0, 2, -1}, {3}).requires_grad_();
  const double n = std::pow(std::sqrt(2.0) + 1.0, 2.0);
  const auto g = values(grad({norm(x, 0.5)}, {x})[0]);
  CHECK(g[0] == 0.0);
  CHECK(g[1] == Approx(std::pow(2.0, -0.5) * std::pow(n, 0.5)).epsilon(1e-12));
  CHECK(values(grad({norm(x, 0.0)}, {x})[0]) == std::vector<double>{0, 0, 0});
}

TEST_CASE("norm: gradcheck and gradgradcheck for every p", "[reduce]") {
  for (double p : {2.0, 1.0, 3.0, 1.5, 0.5, -1.0, kInf, -kInf, 0.0}) {
    INFO("p = " << p);
    auto fn = [p](const Dims& dims, bool keepdim) {
      return [=](const TensorList& in) { return TensorList{norm(in[0], p, dims, keepdim)}; };
    };
    check_grads(fn({}, false), {randn64({2, 3}, 31)});
    check_grads(fn({1}, true), {noncontiguous(randn64({3, 4}, 32))});
    check_grads(fn({0, 2}, false), {randn64({2, 2, 3}, 33)});
    if (p != kInf && p != -kInf) check_grads(fn({1}, false), {randn64({2, 0}, 34)});
  }
}

// ---- var / std
// -----------------------------------------------------------------------------------

TEST_CASE("var/std: values, unbiased, keepdim, degenerate counts", "[reduce]") {
  const Tensor x = t64({1, 2, 3, 4, 2, 4, 6, 8}, {2, 4});
  CHECK(allclose(var(x, {1}), t64({5.0 / 3, 20.0 / 3}, {2})));
  CHECK(allclose(var(x, {1}, false), t64({1.25, 5}, {2})));
  CHECK(
      allclose(metagrad::std(x, {1}, false, true), t64({std::sqrt(1.25), std::sqrt(5.0)}, {2, 1})));
  CHECK(allclose(var(x, {0}), t64({0.5, 2, 4.5, 8}, {4})));
  CHECK(var(x).item<double>() == Approx(37.5 / 7).epsilon(1e-14));
  const Tensor one = t64({3}, {1});
  CHECK(std::isnan(var(one).item<double>()));
  CHECK(var(one, {}, false).item<double>() == 0.0);
  CHECK(std::isnan(var(zeros({0}, kFloat64)).item<double>()));
}

TEST_CASE("var/std: gradients, and std of a constant has gradient 0", "[reduce]") {
  for (bool unbiased : {true, false}) {
    check_grads([=](const TensorList& in) { return TensorList{var(in[0], {1}, unbiased)}; },
                {randn64({3, 4}, 41)});
    check_grads(
        [=](const TensorList& in) {
          return TensorList{metagrad::std(in[0], {0, 2}, unbiased, true)};
        },
        {noncontiguous(randn64({2, 3, 2}, 42))});
    check_grads(
        [=](const TensorList& in) { return TensorList{metagrad::std(in[0], {}, unbiased)}; },
        {randn64({5}, 43)});
  }
  Tensor c = full({4}, 2.0, kFloat64).requires_grad_();
  CHECK(values(grad({metagrad::std(c)}, {c})[0]) == std::vector<double>{0, 0, 0, 0});
}

// ---- logsumexp
// -----------------------------------------------------------------------------------

TEST_CASE("logsumexp: stable values, infinities, empty", "[reduce]") {
  const Tensor x = t64({1000, 1000, -1000, 0}, {2, 2});
  const auto v = values(logsumexp(x, {1}));
  CHECK(v[0] == Approx(1000 + std::log(2.0)).epsilon(1e-14));
  CHECK(v[1] == Approx(0.0).margin(1e-14));
  CHECK(logsumexp(x, {0, 1}, true).shape() == Dims{1, 1});
  CHECK(logsumexp(t64({-kInf, -kInf}, {2}), {0}).item<double>() == -kInf);
  CHECK(logsumexp(t64({kInf, 1}, {2}), {0}).item<double>() == kInf);
  CHECK(logsumexp(zeros({0}, kFloat64), {0}).item<double>() == -kInf);
  CHECK(logsumexp(t64({1, 2, 3}, {3}), {-1}).item<double>() ==
        Approx(std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0))).epsilon(1e-14));
}

TEST_CASE("logsumexp: the gradient is the softmax; gradcheck", "[reduce]") {
  Tensor x = t64({1, 2, 3}, {3}).requires_grad_();
  const double z = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
  CHECK(allclose(grad({logsumexp(x, {0})}, {x})[0],
                 t64({std::exp(1.0) / z, std::exp(2.0) / z, std::exp(3.0) / z}, {3})));
  auto fn = [](const Dims& dims, bool keepdim) {
    return [=](const TensorList& in) { return TensorList{logsumexp(in[0], dims, keepdim)}; };
  };
  check_grads(fn({1}, false), {randn64({3, 4}, 51)});
  check_grads(fn({0, 2}, true), {noncontiguous(randn64({2, 3, 2}, 52))});
  check_grads(fn({}, false), {randn64({}, 53)});
  check_grads(fn({0}, false), {randn64({0, 2}, 54)});
}

// ---- all / any
// -----------------------------------------------------------------------------------

TEST_CASE("all/any: bool results for every dtype, empty inputs", "[reduce]") {
  const Tensor f = t64({1, 0, kNaN, 2}, {2, 2});
  CHECK(all(f).dtype() == kBool);
  CHECK(all(f).item<bool>() == false);
  CHECK(any(f).item<bool>() == true);
  CHECK(all(f, {0}).to_vector<bool>() == std::vector<bool>{true, false});
  CHECK(any(f, {1}, true).shape() == Dims{2, 1});
  CHECK(all(tensor({1, -3}, {2}, kInt64)).item<bool>() == true);
  CHECK(any(zeros({3}, kInt64)).item<bool>() == false);
  CHECK(any(tensor({0, 1, 0}, {3}, kBool)).item<bool>() == true);
  CHECK(all(zeros({0}, kFloat64)).item<bool>() == true);
  CHECK(any(zeros({0}, kFloat64)).item<bool>() == false);
  CHECK(all(zeros({2, 0}), {1}).to_vector<bool>() == std::vector<bool>{true, true});
  Tensor big = ones({100000});
  CHECK(all(big).item<bool>() == true);
  CHECK(any(zeros({100000})).item<bool>() == false);
  CHECK(all(ones({3, 50000}), {1}).to_vector<bool>() == std::vector<bool>{true, true, true});
  Tensor x = randn64({3}, 61);
  CHECK_FALSE(any(x).requires_grad());
}

// ---- errors
// --------------------------------------------------------------------------------------

TEST_CASE("reduction errors name the op, the dim and the shape", "[reduce]") {
  const Tensor x = zeros({2, 3}, kFloat64);
  check_error([&] { sum(x, {2}); },
              "sum: dimension out of range (expected to be in range of [-2, 1], but got 2)");
  check_error([&] { amax(x, {1, -1}); }, "amax: dim 1 appears multiple times in the list of dims");
  check_error([&] { prod(x, -3); }, "prod: dimension out of range");
  check_error([&] { max(x, 2); }, "max: dimension out of range");
  check_error([&] { amax(zeros({0}, kFloat64)); },
              "amax: cannot reduce over dim 0 of size 0 (input shape [0])");
  check_error(
      [&] {
        amin(zeros({2, 0}, kFloat64), {1});
      },
      "amin: cannot reduce over dim 1 of size 0 (input shape [2, 0])");
  check_error([&] { max(zeros({0, 2}, kFloat64)); }, "max: cannot reduce over dim 0 of size 0");
  check_error(
      [&] {
        min(zeros({3, 0}, kFloat64), 1);
      },
      "min: cannot reduce over dim 1 of size 0 (input shape [3, 0])");
  check_error([&] { norm(zeros({0}, kFloat64), kInf); }, "norm: cannot reduce over dim 0");
  check_error([&] { var(zeros({2}, kInt64)); }, "var: expected a float32 or float64 tensor");
  check_error([&] { max(tensor({1, 0}, {2}, kBool), 0); }, "max: not supported for bool tensors");
}
