// tree:: arithmetic on TensorLists: values, history (differentiable entries and tensor alphas),
// flatten/unflatten round trips, and structure mismatches rejected by message.
#include "implicit/tensor_tree.hpp"

#include <vector>

#include "tests/support/helpers.hpp"

namespace {

using namespace metagrad;
using metagrad::testing::allclose;
using metagrad::testing::randn64;
using V = std::vector<double>;

TensorList pair_a() {
  return {tensor({1, 2, 3}, {3}, kFloat64), tensor({4, 5, 6, 7}, {2, 2}, kFloat64)};
}
TensorList pair_b() {
  return {tensor({0.5, -1, 2}, {3}, kFloat64), tensor({1, 0, -2, 3}, {2, 2}, kFloat64)};
}

}  // namespace

TEST_CASE("tree arithmetic entry by entry", "[tree]") {
  const TensorList a = pair_a(), b = pair_b();
  const TensorList sum = tree::add(a, b);
  CHECK(sum[0].to_vector<double>() == V{1.5, 1, 5});
  CHECK(sum[1].to_vector<double>() == V{5, 5, 4, 10});
  CHECK(sum[1].shape() == Dims{2, 2});
  CHECK(tree::sub(a, b)[1].to_vector<double>() == V{3, 5, 8, 4});
  CHECK(tree::add_scaled(a, 2.0, b)[0].to_vector<double>() == V{2, 0, 7});
  CHECK(tree::add_scaled(a, scalar_tensor(-1.0, kFloat64), b)[1].to_vector<double>() ==
        V{3, 5, 8, 4});
  CHECK(tree::add_scaled(a, tensor({0.5}, {1}, kFloat64), b)[0].shape() == Dims{3});
  CHECK(tree::scale(a, 3.0)[1].to_vector<double>() == V{12, 15, 18, 21});
  CHECK(tree::scale(a, scalar_tensor(0.5, kFloat64))[0].to_vector<double>() == V{0.5, 1, 1.5});
  CHECK(tree::neg(b)[0].to_vector<double>() == V{-0.5, 1, -2});
  // <a, b> = (0.5 - 2 + 6) + (4 + 0 - 12 + 21) = 17.5
  const Tensor d = tree::vdot(a, b);
  CHECK(d.dim() == 0);
  CHECK(d.item<double>() == 17.5);
  CHECK(tree::squared_norm(a) == 1 + 4 + 9 + 16 + 25 + 36 + 49);
  CHECK(tree::zeros_like(a)[1].to_vector<double>() == V{0, 0, 0, 0});
  CHECK(tree::numel(a) == 7);
  CHECK(tree::numel({}) == 0);
}

TEST_CASE("tree ops are recorded; squared_norm and detach are not", "[tree]") {
  Tensor x = randn64({3}, 1), y = randn64({2, 2}, 2), alpha = randn64({}, 3);
  const TensorList a = {x, y};
  const TensorList b = {x * 2.0, y * 3.0};
  // vdot(a + alpha b, a) = (1 + 2 alpha) |x|² + (1 + 3 alpha) |y|²
  const Tensor f = tree::vdot(tree::add_scaled(a, alpha, b), a);
  const TensorList g = grad({f}, {x, y, alpha});
  const double al = alpha.item<double>();
  CHECK(allclose(g[0], x * (2.0 * (1 + 2 * al))));
  CHECK(allclose(g[1], y * (2.0 * (1 + 3 * al))));
  const double nx = tree::squared_norm({x}), ny = tree::squared_norm({y});
  CHECK(g[2].item<double>() == Approx(2 * nx + 3 * ny).epsilon(1e-12));
  CHECK_FALSE(tree::detach(a)[0].requires_grad());
  CHECK(tree::detach(a)[0].storage() == x.storage());
  CHECK(tree::scale(a, alpha)[1].requires_grad());
}

TEST_CASE("tree flatten and unflatten round trip, also for scalars", "[tree]") {
  Tensor s = scalar_tensor(4.0, kFloat64).requires_grad_();
  const TensorList a = {pair_a()[1], s, pair_a()[0]};
  const Tensor flat = tree::flatten(a);
  CHECK(flat.to_vector<double>() == V{4, 5, 6, 7, 4, 1, 2, 3});
  const TensorList back = tree::unflatten(flat, a);
  REQUIRE(back.size() == 3);
  CHECK(back[0].shape() == Dims{2, 2});
  CHECK(back[1].dim() == 0);
  CHECK(back[1].item<double>() == 4.0);
  CHECK(back[2].to_vector<double>() == V{1, 2, 3});
  // Differentiable: d/ds sum(unflatten(flatten(a))[1] * 3) = 3.
  const TensorList g = grad({(tree::unflatten(tree::flatten(a), a)[1] * 3.0).sum()}, {s});
  CHECK(g[0].item<double>() == 3.0);
  const TensorList single = tree::unflatten(tree::flatten({s}), {s});
  CHECK(single[0].dim() == 0);
}

TEST_CASE("tree ops reject mismatched lists by message", "[tree]") {
  const TensorList a = pair_a();
  using Catch::Contains;
  CHECK_THROWS_WITH(tree::add(a, {a[0]}), Contains("tree::add: the lists have 2 and 1 tensors"));
  CHECK_THROWS_WITH(tree::sub(a, {a[0], a[0]}),
                    Contains("tree::sub: entry 1 has shapes [2, 2] and [3]"));
  CHECK_THROWS_WITH(tree::vdot(a, {a[0], a[1].to(kFloat32)}),
                    Contains("tree::vdot: entry 1 has dtypes float64 and float32"));
  CHECK_THROWS_WITH(tree::vdot({}, {}), Contains("tree::vdot: the lists are empty"));
  CHECK_THROWS_WITH(tree::add_scaled(a, ones({2}, kFloat64), a),
                    Contains("alpha must be a scalar tensor (one element), got shape [2]"));
  CHECK_THROWS_WITH(
      tree::scale(a, ones({}, kFloat32)),
      Contains("tree::scale: alpha has dtype float32 but the list has dtype float64"));
  CHECK_THROWS_WITH(tree::unflatten(ones({5}, kFloat64), a),
                    Contains("`flat` has 5 elements but the list it mirrors has 7"));
  CHECK_THROWS_WITH(
      tree::flatten({a[0], a[1].to(kFloat32)}),
      Contains("tree::flatten: entry 1 has dtype float32 but entry 0 has dtype float64"));
  CHECK_THROWS_WITH(tree::neg({Tensor()}), Contains("tree::neg: entry 0 is an undefined tensor"));
}
