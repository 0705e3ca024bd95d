// conv2d with per-task weights (a leading task dim) and with groups: both run as one task-batched
// op (Note [task-batched conv]); each is checked against per-task / per-group conv2d calls, with
// gradients of the first three orders.
#include <vector>

#include "tests/support/helpers.hpp"

using namespace metagrad;
using metagrad::testing::allclose;
using metagrad::testing::check_grads;
using metagrad::testing::noncontiguous;
using metagrad::testing::randn64;

namespace {

// conv2d of each task's images with that task's weight, stacked: the per-task definition.
Tensor conv_per_task(const Tensor& x, const Tensor& w, const Tensor& b, IntPair stride,
                     IntPair padding, IntPair dilation, int64_t groups = 1) {
  TensorList outs;
  for (int64_t t = 0; t < x.size(0); ++t)
    outs.push_back(conv2d(x.select(0, t), w.select(0, t), b.defined() ? b.select(0, t) : Tensor(),
                          stride, padding, dilation, groups));
  return stack(outs, 0);
}

// conv2d of each channel group with its slice of the weight, concatenated: groups' definition.
Tensor conv_per_group(const Tensor& x, const Tensor& w, const Tensor& b, int64_t groups,
                      IntPair stride, IntPair padding) {
  const int64_t cg = x.size(-3) / groups, og = w.size(0) / groups;
  TensorList outs;
  for (int64_t j = 0; j < groups; ++j)
    outs.push_back(conv2d(x.slice(-3, j * cg, j * cg + cg), w.slice(0, j * og, j * og + og),
                          b.defined() ? b.slice(0, j * og, j * og + og) : Tensor(), stride,
                          padding));
  return cat(outs, -3);
}

}  // namespace

TEST_CASE("conv2d with per-task weights equals one conv2d per task", "[conv]") {
  const Tensor x = randn64({3, 2, 4, 7, 6}, 1).detach();
  const Tensor w = randn64({3, 5, 4, 3, 2}, 2).detach(), b = randn64({3, 5}, 3).detach();
  for (const bool with_bias : {true, false}) {
    const Tensor bias = with_bias ? b : Tensor();
    const Tensor expected = conv_per_task(x, w, bias, {2, 1}, {1, 0}, {1, 2});
    const Tensor out = conv2d(x, w, bias, {2, 1}, {1, 0}, {1, 2});
    REQUIRE(out.shape() == expected.shape());
    CHECK(allclose(out, expected, 1e-12, 1e-12));
    CHECK(allclose(conv2d(noncontiguous(x).detach(), w, bias, {2, 1}, {1, 0}, {1, 2}), expected,
                   1e-12, 1e-12));
    // float32 within a tolerance, and per-task weights with groups.
    CHECK(allclose(conv2d(x.to(kFloat32), w.to(kFloat32), with_bias ? b.to(kFloat32) : Tensor(),
                          {2, 1}, {1, 0}, {1, 2}),
                   expected, 1e-4, 1e-4));
  }
  const Tensor wg = randn64({3, 6, 2, 3, 3}, 4).detach(), bg = randn64({3, 6}, 5).detach();
  CHECK(
      allclose(conv2d(x, wg, bg, 1, 1, 1, 2), conv_per_task(x, wg, bg, 1, 1, 1, 2), 1e-12, 1e-12));
}

TEST_CASE("per-task conv2d keeps the products' layout; batch norm reads and keeps it", "[conv]") {
  // Note [task-batched conv]: out [T, N, O, oh, ow] is stored as [T, O, N, oh, ow].
  const int64_t tasks = 3, n = 2, o = 5, oh = 5, ow = 4, l = oh * ow;
  const Tensor x = randn64({tasks, n, 4, 7, 6}, 1).detach();
  const Tensor out =
      conv2d(x, randn64({tasks, o, 4, 3, 3}, 2).detach(), randn64({tasks, o}, 3).detach());
  REQUIRE(out.shape() == Dims{tasks, n, o, oh, ow});
  CHECK(out.strides() == Dims{o * n * l, l, n * l, ow, 1});
  // The tasks' channels as one batch's channels: a view, and batch norm's result keeps its strides
  // with the values of the contiguous input's.
  const Tensor channels = out.permute({1, 0, 2, 3, 4}).reshape({n, tasks * o, oh, ow});
  CHECK(channels.storage().get() == out.storage().get());
  const Tensor weight = randn64({tasks * o}, 4).detach(), bias = randn64({tasks * o}, 5).detach();
  const Tensor y = batch_norm(channels, Tensor(), Tensor(), weight, bias, true);
  CHECK(y.strides() == channels.strides());
  CHECK(allclose(y, batch_norm(channels.contiguous(), Tensor(), Tensor(), weight, bias, true),
                 1e-12, 1e-12));
}

TEST_CASE("conv2d with groups equals one conv2d per channel group", "[conv]") {
  const Tensor x = randn64({2, 6, 7, 7}, 6).detach();
  for (const int64_t groups : {2, 3, 6}) {
    INFO("groups " << groups);
    const Tensor w = randn64({6, 6 / groups, 3, 3}, 7).detach(), b = randn64({6}, 8).detach();
    const Tensor expected = conv_per_group(x, w, b, groups, 2, 1);
    CHECK(allclose(conv2d(x, w, b, 2, 1, 1, groups), expected, 1e-12, 1e-12));
    // Unbatched input, and no bias.
    CHECK(allclose(conv2d(x.select(0, 1), w, b, 2, 1, 1, groups), expected.select(0, 1), 1e-12,
                   1e-12));
    CHECK(allclose(conv2d(x, w, {}, 2, 1, 1, groups), conv_per_group(x, w, {}, groups, 2, 1), 1e-12,
                   1e-12));
  }
  // Depthwise with a channel multiplier: 12 outputs over 6 groups.
  const Tensor w = randn64({12, 1, 2, 2}, 9).detach();
  CHECK(allclose(conv2d(x, w, {}, 1, 0, 1, 6), conv_per_group(x, w, {}, 6, 1, 0), 1e-12, 1e-12));
}

TEST_CASE("conv2d per-task and grouped: gradcheck and gradgradcheck", "[conv]") {
  check_grads([](const TensorList& in) { return TensorList{conv2d(in[0], in[1], in[2], 1, 1)}; },
              {randn64({2, 2, 2, 4, 4}, 10), randn64({2, 3, 2, 2, 3}, 11), randn64({2, 3}, 12)});
  check_grads(
      [](const TensorList& in) {
        return TensorList{conv2d(in[0], in[1], {}, {2, 1}, 0, {1, 2})};
      },
      {noncontiguous(randn64({2, 1, 2, 5, 6}, 13)), randn64({2, 2, 2, 2, 2}, 14)});
  check_grads(
      [](const TensorList& in) { return TensorList{conv2d(in[0], in[1], in[2], 1, 1, 1, 2)}; },
      {randn64({2, 4, 4, 4}, 15), randn64({4, 2, 3, 3}, 16), randn64({4}, 17)});
  check_grads(
      [](const TensorList& in) { return TensorList{conv2d(in[0], in[1], in[2], 1, 0, 1, 2)}; },
      {randn64({2, 1, 4, 3, 3}, 18), randn64({2, 4, 2, 2, 2}, 19), randn64({2, 4}, 20)});
}

TEST_CASE("conv2d per-task: third-order gradients equal the per-task loop's", "[conv]") {
  // d/dw of |d loss/dx|^2, where loss = sum(conv(x, w)^3): third-order terms of the family.
  const auto third = [](bool batched) {
    const Tensor x = randn64({2, 2, 3, 5, 5}, 21), w = randn64({2, 4, 3, 3, 3}, 22);
    const Tensor y = batched ? conv2d(x, w, {}, 1, 1) : conv_per_task(x, w, {}, 1, 1, 1);
    const Tensor gx = grad({(y * y * y).sum()}, {x}, {}, {.create_graph = true})[0];
    const Tensor gw = grad({(gx * gx).sum()}, {w}, {}, {.create_graph = true})[0];
    return grad({(gw * gw).sum()}, {x, w});
  };
  const TensorList a = third(true), b = third(false);
  CHECK(allclose(a[0], b[0], 1e-10, 1e-10));
  CHECK(allclose(a[1], b[1], 1e-10, 1e-10));
}

TEST_CASE("conv2d per-task and grouped: bad shapes name both", "[conv]") {
  const Tensor x5 = zeros({3, 2, 4, 6, 6}), w5 = zeros({3, 5, 4, 3, 3});
  CHECK_THROWS_WITH(conv2d(x5.slice(0, 0, 0 + 2), w5),
                    MG_CONTAINS("needs a 5-D input [T, N, C, H, W] with T = 3"));
  CHECK_THROWS_WITH(conv2d(zeros({2, 4, 6, 6}), w5), MG_CONTAINS("per-task weight shape"));
  CHECK_THROWS_WITH(conv2d(x5, w5, zeros({5})), MG_CONTAINS("expected a bias of shape [3, 5]"));
  CHECK_THROWS_WITH(conv2d(x5, zeros({5, 4, 3, 3})), MG_CONTAINS("4-D (batched"));
  const Tensor x = zeros({2, 6, 5, 5});
  CHECK_THROWS_WITH(conv2d(x, zeros({4, 3, 3, 3}), {}, 1, 0, 1, 4),
                    MG_CONTAINS("groups = 4 must be positive and divide"));
  CHECK_THROWS_WITH(conv2d(x, zeros({4, 2, 3, 3}), {}, 1, 0, 1, 2),
                    MG_CONTAINS("with groups = 2 expects 4"));
  CHECK_THROWS_WITH(conv2d(x, zeros({4, 3, 3, 3}), {}, 1, 0, 1, 0), MG_CONTAINS("groups = 0"));
}
