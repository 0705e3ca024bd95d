#include <vector>

#include "tests/support/helpers.hpp"
#include "tests/support/tensor_values.hpp"

using namespace metagrad;
using metagrad::testing::check_grads;
using metagrad::testing::iota;
using metagrad::testing::noncontiguous;
using metagrad::testing::randn64;
using metagrad::testing::values;

namespace {

Tensor idx(const std::vector<double>& v, const Dims& shape) { return tensor(v, shape, kInt64); }
Tensor idx(const std::vector<double>& v) { return tensor(v, kInt64); }

}  // namespace

// ---- slice / select --------------------------------------------------------------------------

TEST_CASE("slice follows Python bounds and returns a view", "[index]") {
  Tensor x = iota({3, 4});
  Tensor s = x.slice(1, 1, 3);
  CHECK(s.shape() == Dims{3, 2});
  CHECK(values(s) == std::vector<double>{1, 2, 5, 6, 9, 10});
  CHECK(s.storage() == x.storage());
  CHECK(s.storage_offset() == 1);
  CHECK(s.strides() == Dims{4, 1});

  Tensor stepped = x.slice(-1, std::nullopt, std::nullopt, 2);
  CHECK(stepped.strides() == Dims{4, 2});
  CHECK(values(stepped) == std::vector<double>{0, 2, 4, 6, 8, 10});
  CHECK(values(x.slice(1, 1, std::nullopt, 2)) == std::vector<double>{1, 3, 5, 7, 9, 11});
  CHECK(values(x.slice(1, 0, 4, 3)) == std::vector<double>{0, 3, 4, 7, 8, 11});

  CHECK(values(x.slice(0, -2, std::nullopt)) == std::vector<double>{4, 5, 6, 7, 8, 9, 10, 11});
  CHECK(values(x.slice(0, -100, 100)) == values(x));
  CHECK(values(x.slice(1, 1, -1)) == std::vector<double>{1, 2, 5, 6, 9, 10});
  CHECK(x.slice(1, 3, 1).shape() == Dims{3, 0});
  CHECK(x.slice(1, 10, 20).shape() == Dims{3, 0});
  CHECK(x.slice(0, -1, std::nullopt).shape() == Dims{1, 4});
}

TEST_CASE("writing through a slice or select changes the base", "[index]") {
  Tensor x = zeros({3, 4}, kFloat64);
  {
    NoGradGuard no_grad;
    x.slice(1, 1, std::nullopt, 2).copy_(ones({3, 2}, kFloat64));
    x.select(0, -1).copy_(full({4}, 5.0, kFloat64));
  }
  CHECK(values(x) == std::vector<double>{0, 1, 0, 1, 0, 1, 0, 1, 5, 5, 5, 5});
}

TEST_CASE("slice rejects a bad step, a 0-d input and a bad dim", "[index]") {
  Tensor x = iota({2, 3});
  CHECK_THROWS_WITH(x.slice(1, 0, 2, 0), MG_CONTAINS("slice: step must be positive, got 0"));
  CHECK_THROWS_WITH(x.slice(1, 0, 2, -1), MG_CONTAINS("step must be positive, got -1"));
  CHECK_THROWS_WITH(scalar_tensor(1.0).slice(0, 0, 1),
                    MG_CONTAINS("slice: cannot slice a 0-d tensor"));
  CHECK_THROWS_WITH(x.slice(2, 0, 1), MG_CONTAINS("slice: dimension out of range"));
}

TEST_CASE("slice gradients are exact to second order", "[index]") {
  Tensor x = randn64({4, 5}, 1);
  check_grads([](const TensorList& in) { return TensorList{in[0].slice(1, 1, 4)}; }, {x});
  check_grads([](const TensorList& in) { return TensorList{in[0].slice(-1, 0, std::nullopt, 2)}; },
              {x});
  check_grads(
      [](const TensorList& in) {
        return TensorList{in[0].slice(0, -3, -1, 2) * in[0].slice(0, 1, 3)};
      },
      {x});
  check_grads([](const TensorList& in) { return TensorList{in[0].slice(1, 3, 1)}; }, {x});
  check_grads(
      [](const TensorList& in) { return TensorList{in[0].slice(0, 1, std::nullopt, 3).square()}; },
      {noncontiguous(randn64({5, 3}, 2))});
  check_grads([](const TensorList& in) { return TensorList{in[0].slice(1, 0, 2)}; },
              {randn64({0, 3}, 3)});
}

TEST_CASE("slice backward places the gradient at the sliced positions", "[index]") {
  Tensor x = randn64({2, 5}, 4);
  Tensor g = grad({(x.slice(1, 1, std::nullopt, 2) * 3.0).sum()}, {x})[0];
  CHECK(values(g) == std::vector<double>{0, 3, 0, 3, 0, 0, 3, 0, 3, 0});
}

TEST_CASE("select removes the dim, shares storage and checks the index", "[index]") {
  Tensor x = iota({2, 3, 4});
  Tensor s = x.select(1, -1);
  CHECK(s.shape() == Dims{2, 4});
  CHECK(values(s) == std::vector<double>{8, 9, 10, 11, 20, 21, 22, 23});
  CHECK(s.storage() == x.storage());
  Tensor e = x.select(-1, 0).select(0, 1).select(0, 2);
  CHECK(e.dim() == 0);
  CHECK(e.item<double>() == 20.0);
  CHECK_THROWS_WITH(x.select(2, 4),
                    MG_CONTAINS("select: index 4 is out of range for dimension 2 with size 4"));
  CHECK_THROWS_WITH(x.select(0, -3), MG_CONTAINS("index -3 is out of range for dimension 0"));
  CHECK_THROWS_WITH(x.select(3, 0), MG_CONTAINS("select: dimension out of range"));
  CHECK_THROWS_WITH(scalar_tensor(2.0).select(0, 0),
                    MG_CONTAINS("select: cannot select from a 0-d"));
}

TEST_CASE("select gradients are exact to second order", "[index]") {
  check_grads([](const TensorList& in) { return TensorList{in[0].select(1, 2)}; },
              {randn64({3, 4}, 5)});
  check_grads(
      [](const TensorList& in) { return TensorList{in[0].select(-1, -1) * in[0].select(0, 0)}; },
      {randn64({3, 3}, 6)});
  check_grads([](const TensorList& in) { return TensorList{in[0].select(0, 1)}; },
              {randn64({4}, 7)});
  check_grads([](const TensorList& in) { return TensorList{in[0].select(0, 1)}; },
              {noncontiguous(randn64({2, 3}, 8))});
  check_grads([](const TensorList& in) { return TensorList{in[0].select(1, 0)}; },
              {randn64({0, 2}, 9)});
}

// ---- pad -------------------------------------------------------------------------------------

TEST_CASE("pad pads from the last dim backwards and crops with negative amounts", "[index]") {
  Tensor x = iota({2, 3});
  Tensor p = pad(x, {1, 2}, 7.0);
  CHECK(p.shape() == Dims{2, 6});
  CHECK(values(p) == std::vector<double>{7, 0, 1, 2, 7, 7, 7, 3, 4, 5, 7, 7});
  Tensor q = pad(x, {0, 1, 1, 0});
  CHECK(q.shape() == Dims{3, 4});
  CHECK(values(q) == std::vector<double>{0, 0, 0, 0, 0, 1, 2, 0, 3, 4, 5, 0});
  Tensor c = pad(x, {-1, 1});
  CHECK(c.shape() == Dims{2, 3});
  CHECK(values(c) == std::vector<double>{1, 2, 0, 4, 5, 0});
  Tensor crop = pad(x, {0, 0, -1, 0});
  CHECK(values(crop) == std::vector<double>{3, 4, 5});
  CHECK(crop.storage() != x.storage());
  CHECK(values(pad(x.t(), {1, 0}, -1.0)) == std::vector<double>{-1, 0, 3, -1, 1, 4, -1, 2, 5});
  CHECK(pad(x, {-3, 0}).shape() == Dims{2, 0});
  CHECK(values(pad(zeros({0}, kFloat64), {2, 1}, 4.0)) == std::vector<double>{4, 4, 4});
}

TEST_CASE("pad checks its padding list", "[index]") {
  Tensor x = iota({2, 3});
  CHECK_THROWS_WITH(pad(x, {1, 2, 3}),
                    MG_CONTAINS("pad: the padding must hold (before, after) pairs"));
  CHECK_THROWS_WITH(pad(x, {1, 1, 1, 1, 1, 1}),
                    MG_CONTAINS("6 padding values pad 3 dimensions, but the input has only 2"));
  CHECK_THROWS_WITH(pad(x, {-2, -2}), MG_CONTAINS("would have negative size -1"));
}

TEST_CASE("pad gradients are exact to second order", "[index]") {
  check_grads(
      [](const TensorList& in) {
        return TensorList{pad(in[0], {1, 2, 0, 1}, 3.0)};
      },
      {randn64({2, 3}, 10)});
  check_grads(
      [](const TensorList& in) {
        return TensorList{pad(in[0], {-1, 2})};
      },
      {noncontiguous(randn64({2, 4}, 11))});
  check_grads(
      [](const TensorList& in) {
        return TensorList{pad(in[0], {0, 0, -1, -1}).square()};
      },
      {randn64({4, 2}, 12)});
  check_grads(
      [](const TensorList& in) {
        return TensorList{pad(in[0], {2, 1})};
      },
      {randn64({0}, 13)});
}

// ---- cat / stack -----------------------------------------------------------------------------

TEST_CASE("cat joins along any dim and skips legacy empty tensors", "[index]") {
  Tensor a = iota({2, 2}), b = iota({2, 3}) + 10.0, c = iota({1, 2}) + 20.0;
  Tensor h = cat({a, b}, -1);
  CHECK(h.shape() == Dims{2, 5});
  CHECK(values(h) == std::vector<double>{0, 1, 10, 11, 12, 2, 3, 13, 14, 15});
  Tensor v = cat({a, c, a.t()}, 0);
  CHECK(v.shape() == Dims{5, 2});
  CHECK(values(v) == std::vector<double>{0, 1, 2, 3, 20, 21, 0, 2, 1, 3});
  Tensor skipped = cat({zeros({0}, kFloat64), a, zeros({0}, kFloat64)}, 1);
  CHECK(values(skipped) == values(a));
  CHECK(cat({zeros({0}, kFloat64), zeros({0}, kFloat64)}).shape() == Dims{0});
  CHECK(cat({a, zeros({2, 0}, kFloat64)}, 1).shape() == Dims{2, 2});
  Tensor ints = cat({idx({1, 2}), idx({3})});
  CHECK(ints.dtype() == kInt64);
  CHECK(ints.to_vector<int64_t>() == std::vector<int64_t>{1, 2, 3});
}

TEST_CASE("cat errors name the op, the tensor and the shapes", "[index]") {
  Tensor a = iota({2, 3}), b = iota({3, 3});
  CHECK_THROWS_WITH(cat({a, b}, 1),
                    MG_CONTAINS("cat: sizes of tensors must match except in dimension 1") &&
                        MG_CONTAINS("tensor 1 (shape [3, 3]") &&
                        MG_CONTAINS("tensor 0 has shape [2, 3]"));
  CHECK_THROWS_WITH(cat({a, iota({6})}), MG_CONTAINS("same number of dimensions") &&
                                             MG_CONTAINS("tensor 1 has shape [6]"));
  CHECK_THROWS_WITH(
      cat({a, a.to(kFloat32)}),
      MG_CONTAINS("cat: expected all tensors to have dtype float64") && MG_CONTAINS("tensor 1"));
  CHECK_THROWS_WITH(cat({}), MG_CONTAINS("cat: expected a non-empty list"));
  CHECK_THROWS_WITH(cat({a, scalar_tensor(1.0, kFloat64)}),
                    MG_CONTAINS("zero-dimensional tensor (at position 1)"));
  CHECK_THROWS_WITH(cat({a, a}, 2), MG_CONTAINS("cat: dimension out of range"));
  CHECK_THROWS_WITH(cat({a, Tensor()}), MG_CONTAINS("cat: tensor 1 in the list is undefined"));
}

TEST_CASE("cat gradients are slices of the output gradient", "[index]") {
  check_grads(
      [](const TensorList& in) {
        return TensorList{cat({in[0], in[1], in[0]}, 1)};
      },
      {randn64({2, 2}, 14), noncontiguous(randn64({2, 3}, 15))});
  check_grads(
      [](const TensorList& in) {
        return TensorList{cat({in[0] * in[1], in[1]}, -2)};
      },
      {randn64({1, 3}, 16), randn64({1, 3}, 17)});
  check_grads(
      [](const TensorList& in) {
        return TensorList{cat({in[0], in[1]})};
      },
      {randn64({0}, 18), randn64({3}, 19)});
  // An input that does not require grad gets no gradient; the others still do.
  Tensor x = randn64({2}, 20);
  Tensor g = grad({(cat({x, ones({3}, kFloat64)}) * arange(5.0, kFloat64)).sum()}, {x})[0];
  CHECK(values(g) == std::vector<double>{0, 1});
}

TEST_CASE("stack inserts a new dim", "[index]") {
  Tensor a = iota({2, 3}), b = iota({2, 3}) + 6.0;
  Tensor s0 = stack({a, b});
  CHECK(s0.shape() == Dims{2, 2, 3});
  CHECK(values(s0) == std::vector<double>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
  Tensor s2 = stack({a, b}, -1);
  CHECK(s2.shape() == Dims{2, 3, 2});
  CHECK(values(s2) == std::vector<double>{0, 6, 1, 7, 2, 8, 3, 9, 4, 10, 5, 11});
  CHECK(stack({scalar_tensor(1.0), scalar_tensor(2.0)}).shape() == Dims{2});
  CHECK_THROWS_WITH(stack({a, iota({3, 2})}),
                    MG_CONTAINS("stack: expects each tensor to be equal size, but got [2, 3] at "
                                "entry 0 and [3, 2] at entry 1"));
  CHECK_THROWS_WITH(stack({a, b}, 3), MG_CONTAINS("stack: dimension out of range"));
  check_grads(
      [](const TensorList& in) {
        return TensorList{stack({in[0], in[1].square()}, 1)};
      },
      {randn64({2, 3}, 21), noncontiguous(randn64({2, 3}, 22))});
  check_grads(
      [](const TensorList& in) {
        return TensorList{stack({in[0], in[0]})};
      },
      {randn64({}, 23)});
}

// ---- split / chunk ---------------------------------------------------------------------------

TEST_CASE("split and chunk give views of the pieces", "[index]") {
  Tensor x = iota({5, 2});
  TensorList parts = x.split(2);
  REQUIRE(parts.size() == 3);
  CHECK(parts[0].shape() == Dims{2, 2});
  CHECK(parts[2].shape() == Dims{1, 2});
  CHECK(values(parts[2]) == std::vector<double>{8, 9});
  CHECK(parts[1].storage() == x.storage());
  CHECK(split(x, 7).size() == 1);

  TensorList sized = split(x, std::vector<int64_t>{1, 0, 4}, 0);
  REQUIRE(sized.size() == 3);
  CHECK(sized[1].shape() == Dims{0, 2});
  CHECK(values(sized[2]) == std::vector<double>{2, 3, 4, 5, 6, 7, 8, 9});

  TensorList cols = x.split(1, -1);
  REQUIRE(cols.size() == 2);
  CHECK(values(cols[1]) == std::vector<double>{1, 3, 5, 7, 9});

  TensorList chunks = x.chunk(3);
  REQUIRE(chunks.size() == 3);
  CHECK(chunks[0].size(0) == 2);
  CHECK(chunks[2].size(0) == 1);
  CHECK(iota({6}).chunk(4).size() == 3);  // pieces of ceil(6 / 4) = 2, as torch.chunk
  CHECK(zeros({0, 3}).chunk(3).size() == 3);
  CHECK(zeros({0, 3}).split(0).size() == 1);
}

TEST_CASE("split and chunk check their arguments", "[index]") {
  Tensor x = iota({4, 2});
  CHECK_THROWS_WITH(x.split(0),
                    MG_CONTAINS("split: split_size can only be 0 if dimension 0 has size 0"));
  CHECK_THROWS_WITH(x.split(-1), MG_CONTAINS("split: split_size must be non-negative, got -1"));
  CHECK_THROWS_WITH(split(x, std::vector<int64_t>{1, 2}),
                    MG_CONTAINS("split: split_sizes [1, 2] sum to 3, but dimension 0") &&
                        MG_CONTAINS("has size 4"));
  CHECK_THROWS_WITH(x.chunk(0), MG_CONTAINS("chunk: expects `chunks` to be greater than 0"));
  CHECK_THROWS_WITH(scalar_tensor(1.0).split(1),
                    MG_CONTAINS("split: expects at least a 1-dimensional"));
}

TEST_CASE("split pieces are differentiable", "[index]") {
  check_grads(
      [](const TensorList& in) {
        TensorList p = in[0].split(2, 1);
        return TensorList{p[0] * p[1], p[2]};
      },
      {randn64({2, 5}, 24)});
  check_grads(
      [](const TensorList& in) {
        TensorList p = split(in[0], std::vector<int64_t>{1, 2}, 0);
        return TensorList{p[0].sum() * p[1]};
      },
      {noncontiguous(randn64({3, 2}, 25))});
  check_grads([](const TensorList& in) { return in[0].chunk(2, -1); }, {randn64({2, 3}, 26)});
}

// ---- index_select / index_add ----------------------------------------------------------------

TEST_CASE("index_select picks rows, repeats included", "[index]") {
  Tensor x = iota({3, 4});
  CHECK(values(x.index_select(0, idx({2, 0, 2}))) ==
        std::vector<double>{8, 9, 10, 11, 0, 1, 2, 3, 8, 9, 10, 11});
  CHECK(values(x.index_select(-1, idx({3, 1}))) == std::vector<double>{3, 1, 7, 5, 11, 9});
  CHECK(values(x.t().index_select(1, idx({1}))) == std::vector<double>{4, 5, 6, 7});
  CHECK(x.index_select(0, idx({1}, {})).shape() == Dims{1, 4});
  CHECK(x.index_select(1, zeros({0}, kInt64)).shape() == Dims{3, 0});
  CHECK(scalar_tensor(5.0).index_select(0, idx({0})).dim() == 0);
  Tensor b = tensor({1, 0, 1}, kBool).index_select(0, idx({1, 2}));
  CHECK(b.to_vector<bool>() == std::vector<bool>{false, true});
}

TEST_CASE("index_select and index_add reject bad indices", "[index]") {
  Tensor x = iota({3, 4});
  CHECK_THROWS_WITH(
      x.index_select(0, idx({1, 5})),
      MG_CONTAINS("index_select: index 5 is out of bounds for dimension 0 with size 3"));
  CHECK_THROWS_WITH(
      x.index_select(1, idx({-1})),
      MG_CONTAINS("index_select: index -1 is out of bounds for dimension 1 with size 4"));
  CHECK_THROWS_WITH(x.index_select(0, tensor({0.0})),
                    MG_CONTAINS("index_select: index must be an int64 tensor"));
  CHECK_THROWS_WITH(x.index_select(0, idx({0, 1}, {1, 2})),
                    MG_CONTAINS("index must be 0-d or 1-d"));
  CHECK_THROWS_WITH(x.index_select(2, idx({0})),
                    MG_CONTAINS("index_select: dimension out of range"));
  CHECK_THROWS_WITH(index_add(x, 0, idx({3}), zeros({1, 4}, kFloat64)),
                    MG_CONTAINS("index_add: index 3 is out of bounds for dimension 0 with size 3"));
  CHECK_THROWS_WITH(index_add(x, 0, idx({0, 1}), zeros({1, 4}, kFloat64)),
                    MG_CONTAINS("index_add: src must have shape [2, 4]"));
  CHECK_THROWS_WITH(index_add(x, 0, idx({0}), zeros({1, 4})),
                    MG_CONTAINS("index_add: dtype mismatch"));
}

TEST_CASE("index_add accumulates repeated indices out of place", "[index]") {
  Tensor x = ones({3, 2}, kFloat64);
  Tensor src = iota({4, 2});
  Tensor y = index_add(x, 0, idx({2, 0, 2, 2}), src);
  CHECK(values(y) == std::vector<double>{3, 4, 1, 1, 11, 14});
  CHECK(values(x) == std::vector<double>(6, 1.0));
  Tensor cols = index_add(zeros({2, 3}, kInt64), 1, idx({1, 1}), ones({2, 2}, kInt64));
  CHECK(cols.to_vector<int64_t>() == std::vector<int64_t>{0, 2, 0, 0, 2, 0});
}

TEST_CASE("index_select and index_add gradients are exact to second order", "[index]") {
  const Tensor rows = idx({2, 0, 2, 1});
  check_grads([rows](const TensorList& in) { return TensorList{in[0].index_select(0, rows)}; },
              {randn64({3, 2}, 27)});
  check_grads(
      [rows](const TensorList& in) { return TensorList{in[0].index_select(-1, rows).square()}; },
      {noncontiguous(randn64({2, 3}, 28))});
  check_grads([rows](const TensorList& in) { return TensorList{index_add(in[0], 1, rows, in[1])}; },
              {randn64({2, 3}, 29), randn64({2, 4}, 30)});
  check_grads(
      [rows](const TensorList& in) { return TensorList{index_add(in[0], 0, rows, in[1] * in[1])}; },
      {randn64({3}, 31), noncontiguous(randn64({4}, 32))});
  check_grads([](const TensorList& in) { return TensorList{in[0].index_select(0, idx({0}))}; },
              {randn64({}, 33)});
  check_grads(
      [](const TensorList& in) { return TensorList{in[0].index_select(1, zeros({0}, kInt64))}; },
      {randn64({2, 3}, 34)});
}

TEST_CASE("index_select backward sums the gradient of repeated rows", "[index]") {
  Tensor x = randn64({3, 2}, 35);
  Tensor g = grad({x.index_select(0, idx({0, 2, 0, 0})).sum()}, {x})[0];
  CHECK(values(g) == std::vector<double>{3, 3, 0, 0, 1, 1});
}

// ---- gather / scatter_add --------------------------------------------------------------------

TEST_CASE("gather picks along a dim like torch.gather", "[index]") {
  Tensor x = tensor({1, 2, 3, 4}, {2, 2}, kFloat64);
  CHECK(values(x.gather(1, idx({0, 0, 1, 0}, {2, 2}))) == std::vector<double>{1, 1, 4, 3});
  Tensor y = iota({3, 4});
  Tensor g0 = y.gather(0, idx({2, 1, 0, 0, 1, 2}, {2, 3}));
  CHECK(g0.shape() == Dims{2, 3});
  CHECK(values(g0) == std::vector<double>{8, 5, 2, 0, 5, 10});
  CHECK(values(y.t().gather(-1, idx({2, 0}, {2, 1}))) == std::vector<double>{8, 1});
  CHECK(values(y.gather(1, idx({3, 3, 3, 3, 3}, {1, 5}))) == std::vector<double>{3, 3, 3, 3, 3});
  CHECK(scalar_tensor(4.0).gather(0, idx({0}, {})).item<double>() == 4.0);
  CHECK(y.gather(0, zeros({0, 2}, kInt64)).shape() == Dims{0, 2});
  Tensor ints = idx({5, 6, 7}).gather(0, idx({2, 2, 0}));
  CHECK(ints.to_vector<int64_t>() == std::vector<int64_t>{7, 7, 5});
}

TEST_CASE("gather and scatter_add check index shapes and bounds", "[index]") {
  Tensor x = iota({2, 5});
  CHECK_THROWS_WITH(x.gather(1, idx({0, 7}, {2, 1})),
                    MG_CONTAINS("gather: index 7 is out of bounds for dimension 1 with size 5"));
  CHECK_THROWS_WITH(x.gather(0, idx({-1}, {1, 1})),
                    MG_CONTAINS("gather: index -1 is out of bounds for dimension 0 with size 2"));
  CHECK_THROWS_WITH(x.gather(1, idx({0, 1}, {2})),
                    MG_CONTAINS("gather: index must have as many dimensions as the input"));
  CHECK_THROWS_WITH(
      x.gather(1, zeros({3, 1}, kInt64)),
      MG_CONTAINS("gather: index shape [3, 1] exceeds the input shape [2, 5] in dimension 0"));
  CHECK_THROWS_WITH(x.gather(1, zeros({2, 1})),
                    MG_CONTAINS("gather: index must be an int64 tensor"));
  CHECK_THROWS_WITH(x.gather(-3, zeros({2, 1}, kInt64)),
                    MG_CONTAINS("gather: dimension out of range"));
  CHECK_THROWS_WITH(
      x.scatter_add(1, idx({5}, {1, 1}), ones({1, 1}, kFloat64)),
      MG_CONTAINS("scatter_add: index 5 is out of bounds for dimension 1 with size 5"));
  CHECK_THROWS_WITH(
      x.scatter_add(1, zeros({1, 2}, kInt64), ones({1, 1}, kFloat64)),
      MG_CONTAINS("scatter_add: index shape [1, 2] exceeds the src shape [1, 1] in dimension 1"));
  CHECK_THROWS_WITH(
      x.scatter_add(0, zeros({1, 6}, kInt64), ones({1, 6}, kFloat64)),
      MG_CONTAINS("index shape [1, 6] exceeds the input shape [2, 5] in dimension 1"));
  CHECK_THROWS_WITH(
      x.scatter_add(0, zeros({1}, kInt64), ones({1}, kFloat64)),
      MG_CONTAINS("scatter_add: input, index and src must have the same number of dimensions"));
}

TEST_CASE("scatter_add accumulates repeated indices out of place", "[index]") {
  Tensor x = zeros({2, 4}, kFloat64);
  Tensor src = iota({2, 3}) + 1.0;  // [[1, 2, 3], [4, 5, 6]]
  Tensor y = x.scatter_add(1, idx({3, 0, 3, 1, 1, 1}, {2, 3}), src);
  CHECK(values(y) == std::vector<double>{2, 0, 0, 4, 0, 15, 0, 0});
  CHECK(values(x) == std::vector<double>(8, 0.0));
  Tensor down = ones({3, 2}, kFloat64).scatter_add(0, idx({2, 2}, {1, 2}), src);
  CHECK(values(down) == std::vector<double>{1, 1, 1, 1, 2, 3});  // src larger than index
  Tensor counts = zeros({3}, kInt64).scatter_add(0, idx({0, 2, 2, 2}), ones({4}, kInt64));
  CHECK(counts.to_vector<int64_t>() == std::vector<int64_t>{1, 0, 3});
}

TEST_CASE("gather and scatter_add gradients are exact to second order", "[index]") {
  const Tensor index = idx({0, 2, 2, 1, 0, 0}, {2, 3});
  check_grads([index](const TensorList& in) { return TensorList{in[0].gather(1, index)}; },
              {randn64({2, 4}, 36)});
  check_grads([index](const TensorList& in) { return TensorList{in[0].gather(0, index).square()}; },
              {noncontiguous(randn64({3, 3}, 37))});
  check_grads(
      [index](const TensorList& in) { return TensorList{in[0].scatter_add(1, index, in[1])}; },
      {randn64({2, 3}, 38), randn64({2, 3}, 39)});
  check_grads(
      [index](const TensorList& in) {
        return TensorList{in[0].scatter_add(0, index, in[1] * in[1])};
      },
      {randn64({3, 4}, 40), noncontiguous(randn64({3, 4}, 41))});
  check_grads([](const TensorList& in) { return TensorList{in[0].gather(0, idx({0}, {}))}; },
              {randn64({}, 42)});
  check_grads(
      [](const TensorList& in) {
        return TensorList{in[0].gather(1, zeros({2, 0}, kInt64))};
      },
      {randn64({2, 3}, 43)});
}

TEST_CASE("gather backward accumulates repeated indices", "[index]") {
  Tensor x = randn64({2, 3}, 44);
  Tensor g = grad({x.gather(1, idx({1, 1, 1, 0, 2, 0}, {2, 3})).sum()}, {x})[0];
  CHECK(values(g) == std::vector<double>{0, 3, 0, 2, 0, 1});
  Tensor src = randn64({2, 3}, 45);
  Tensor gs = grad(
      {(zeros({3, 3}, kFloat64).scatter_add(0, idx({1, 2}, {1, 2}), src) * iota({3, 3})).sum()},
      {src})[0];
  CHECK(values(gs) == std::vector<double>{3, 7, 0, 0, 0, 0});
}

TEST_CASE("large scatter_add and index_add match a serial count", "[index]") {
  // Above the parallel threshold; threads split the non-indexed dims, so no update is lost.
  const int64_t rows = 4, n = 20000, bins = 8;
  std::vector<double> where(static_cast<size_t>(rows * n));
  std::vector<double> expected(static_cast<size_t>(rows * bins), 0.0);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t i = 0; i < n; ++i) {
      const int64_t b = (i * 7 + r) % bins;
      where[static_cast<size_t>(r * n + i)] = static_cast<double>(b);
      expected[static_cast<size_t>(r * bins + b)] += 1.0;
    }
  }
  Tensor index = idx(where, {rows, n});
  Tensor y = zeros({rows, bins}, kFloat64).scatter_add(1, index, ones({rows, n}, kFloat64));
  CHECK(values(y) == expected);
  Tensor back = ones({rows, bins}, kFloat64).gather(1, index);
  CHECK(back.sum().item<double>() == static_cast<double>(rows * n));

  Tensor flat = index.reshape({rows * n});
  Tensor h = index_add(zeros({bins, 3}, kFloat64), 0, flat, ones({rows * n, 3}, kFloat64));
  for (int64_t b = 0; b < bins; ++b) {
    double total = 0;
    for (int64_t r = 0; r < rows; ++r) total += expected[static_cast<size_t>(r * bins + b)];
    CHECK(h.select(0, b).to_vector<double>() == std::vector<double>(3, total));
  }
  Tensor picked = iota({bins, 3}).index_select(0, flat);
  CHECK(values(picked.select(1, 0).slice(0, 0, 3)) ==
        std::vector<double>{where[0] * 3, where[1] * 3, where[2] * 3});
}
