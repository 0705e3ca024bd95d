// cumsum, argmax/argmin, flip, roll, repeat, tril/triu, diagonal and trace: values against plain
// loops and hand-worked examples, layouts, dtypes, gradcheck and gradgradcheck, and the errors.
#include <cmath>
#include <vector>

#include "tests/support/helpers.hpp"

using namespace metagrad;
using metagrad::testing::allclose;
using metagrad::testing::check_grads;
using metagrad::testing::noncontiguous;
using metagrad::testing::randn64;

namespace {

// cumsum of x [rows, cols] along `dim` by plain loops, in double.
std::vector<double> loop_cumsum(const Tensor& x, int dim) {
  const int64_t rows = x.size(0), cols = x.size(1);
  const auto v = x.to_vector<double>();
  std::vector<double> out(v.size());
  for (int64_t i = 0; i < rows; ++i) {
    for (int64_t j = 0; j < cols; ++j) {
      const int64_t k = i * cols + j;
      const int64_t prev = dim == 0 ? k - cols : k - 1;
      const bool first = dim == 0 ? i == 0 : j == 0;
      out[k] = v[k] + (first ? 0.0 : out[prev]);
    }
  }
  return out;
}

}  // namespace

TEST_CASE("cumsum along either dim, on every layout, matches a loop", "[scan]") {
  const Tensor x = randn64({37, 300}, 3).detach();
  for (int dim : {0, 1}) {
    INFO("dim " << dim);
    const auto want = loop_cumsum(x, dim);
    CHECK(cumsum(x, dim).to_vector<double>() == want);
    CHECK(cumsum(x, dim - 2).to_vector<double>() == want);
    // The same sums from a transposed view and from a strided one.
    CHECK(cumsum(x.t().contiguous().t(), dim).to_vector<double>() == want);
    CHECK(allclose(cumsum(noncontiguous(x).detach(), dim), cumsum(x, dim), 0, 0));
  }
  // Large enough for several threads, along the long dim and across it.
  const Tensor big = randn64({3, 50000}, 4).detach();
  CHECK(cumsum(big, 1).to_vector<double>() == loop_cumsum(big, 1));
  CHECK(cumsum(big.t(), 0).t().to_vector<double>() == loop_cumsum(big, 1));
}

TEST_CASE("cumsum of float32 sums in double; of int64 and bool gives int64", "[scan]") {
  // 2^24 + 1 + 1: float32 running sums would stall at 2^24.
  const Tensor f = tensor({16777216.0, 1.0, 1.0}, kFloat32);
  CHECK(cumsum(f, 0).to_vector<float>() ==
        std::vector<float>{16777216.0f, 16777216.0f, 16777218.0f});
  const Tensor i = tensor({3, -1, 4}, kInt64);
  CHECK(cumsum(i, 0).dtype() == kInt64);
  CHECK(cumsum(i, 0).to_vector<int64_t>() == std::vector<int64_t>{3, 2, 6});
  const Tensor b = tensor({1, 0, 1, 1}, kBool);
  CHECK(cumsum(b, 0).dtype() == kInt64);
  CHECK(cumsum(b, 0).to_vector<int64_t>() == std::vector<int64_t>{1, 1, 2, 3});
  CHECK(cumsum(tensor({2.5}, kFloat64).reshape({}), 0).item<double>() == 2.5);
  CHECK(cumsum(zeros({0, 3}), 0).shape() == Dims{0, 3});
}

TEST_CASE("cumsum's gradient is the reversed running sum, to every order", "[scan]") {
  const Tensor x = tensor({1, 2, 3, 4}, kFloat64).requires_grad_();
  const Tensor w = tensor({1, 10, 100, 1000}, kFloat64);
  // d/dx_j sum_i w_i cumsum(x)_i = sum_{i >= j} w_i
  CHECK(grad({(cumsum(x, 0) * w).sum()}, {x})[0].to_vector<double>() ==
        std::vector<double>{1111, 1110, 1100, 1000});
  const auto fn = [](const TensorList& in) {
    return TensorList{cumsum(in[0], 1), cumsum(in[0] * in[0], 0)};
  };
  check_grads(fn, {randn64({3, 5}, 5)});
  check_grads(fn, {noncontiguous(randn64({3, 5}, 6))});
}

TEST_CASE("argmax and argmin: first index on ties, flattened without a dim", "[scan]") {
  const Tensor x = tensor({1, 5, 5, -2, 0, -2}, {2, 3}, kFloat64);
  CHECK(argmax(x).item<int64_t>() == 1);
  CHECK(argmin(x).item<int64_t>() == 3);
  CHECK(argmax(x).dim() == 0);
  CHECK(argmax(x, std::nullopt, true).shape() == Dims{1, 1});
  CHECK(argmax(x, 1).to_vector<int64_t>() == std::vector<int64_t>{1, 1});
  CHECK(argmin(x, 0).to_vector<int64_t>() == std::vector<int64_t>{1, 1, 1});
  CHECK(x.argmax(-1, true).shape() == Dims{2, 1});
  CHECK(argmax(tensor({3, 9, 9}, kInt64)).item<int64_t>() == 1);
  // Not recorded: the indices have no gradient.
  CHECK(!argmax(x.clone().requires_grad_()).requires_grad());
}

TEST_CASE("flip and roll move entries as PyTorch's", "[rearrange]") {
  const Tensor x = arange(6.0, kFloat64).reshape({2, 3});
  CHECK(flip(x, {1}).to_vector<double>() == std::vector<double>{2, 1, 0, 5, 4, 3});
  CHECK(flip(x, {0, 1}).to_vector<double>() == std::vector<double>{5, 4, 3, 2, 1, 0});
  CHECK(x.flip({-2}).to_vector<double>() == std::vector<double>{3, 4, 5, 0, 1, 2});
  CHECK(roll(x, {1}, {1}).to_vector<double>() == std::vector<double>{2, 0, 1, 5, 3, 4});
  CHECK(roll(x, {-1}, {1}).to_vector<double>() == std::vector<double>{1, 2, 0, 4, 5, 3});
  CHECK(roll(x, {2}).to_vector<double>() == std::vector<double>{4, 5, 0, 1, 2, 3});
  CHECK(roll(x, {7, 1}, {1, 0}).to_vector<double>() == std::vector<double>{5, 3, 4, 2, 0, 1});
  // Copies, never views.
  const Tensor same = flip(x, {});
  CHECK(same.storage() != x.storage());
  CHECK(roll(x, {3}, {1}).storage() != x.storage());
  CHECK(flip(tensor({1, 0}, kBool), {0}).to_vector<bool>() == std::vector<bool>{false, true});
  const auto fn = [](const TensorList& in) {
    return TensorList{flip(in[0], {0, 1}), roll(in[0], {2, -1}, {1, 0}), roll(in[0], {4})};
  };
  check_grads(fn, {randn64({3, 4}, 7)});
}

TEST_CASE("repeat tiles as torch.Tensor.repeat, with leading dims", "[rearrange]") {
  const Tensor x = tensor({1, 2, 3}, kFloat64);
  CHECK(repeat(x, {2}).to_vector<double>() == std::vector<double>{1, 2, 3, 1, 2, 3});
  const Tensor y = repeat(x, {2, 1});
  CHECK(y.shape() == Dims{2, 3});
  CHECK(y.to_vector<double>() == std::vector<double>{1, 2, 3, 1, 2, 3});
  const Tensor m = tensor({1, 2, 3, 4}, {2, 2}, kFloat64);
  CHECK(m.repeat({1, 2}).to_vector<double>() == std::vector<double>{1, 2, 1, 2, 3, 4, 3, 4});
  CHECK(repeat(m, {2, 1, 1}).shape() == Dims{2, 2, 2});
  CHECK(repeat(m, {0, 1}).shape() == Dims{0, 2});
  // A size-1 dim repeated is a real copy, not a stride-0 view into x.
  const Tensor one = tensor({5.0}, kFloat64);
  const Tensor tiled = repeat(one, {3});
  CHECK(tiled.storage() != one.storage());
  CHECK(tiled.is_contiguous());
  // Backward: the sum over the tiles.
  const Tensor leaf = x.clone().requires_grad_();
  CHECK(grad({repeat(leaf, {2, 2}).sum()}, {leaf})[0].to_vector<double>() ==
        std::vector<double>{4, 4, 4});
  check_grads(
      [](const TensorList& in) {
        return TensorList{repeat(in[0], {3, 1, 2})};
      },
      {randn64({2, 3}, 8)});
}

TEST_CASE("tril and triu keep a band of the last two dims", "[rearrange]") {
  const Tensor x = arange(1.0, 10.0, 1.0, kFloat64).reshape({3, 3});
  CHECK(tril(x).to_vector<double>() == std::vector<double>{1, 0, 0, 4, 5, 0, 7, 8, 9});
  CHECK(triu(x).to_vector<double>() == std::vector<double>{1, 2, 3, 0, 5, 6, 0, 0, 9});
  CHECK(tril(x, -1).to_vector<double>() == std::vector<double>{0, 0, 0, 4, 0, 0, 7, 8, 0});
  CHECK(x.triu(1).to_vector<double>() == std::vector<double>{0, 2, 3, 0, 0, 6, 0, 0, 0});
  const Tensor batch = ones({2, 2, 3}, kInt64);
  CHECK(tril(batch).to_vector<int64_t>() ==
        std::vector<int64_t>{1, 0, 0, 1, 1, 0, 1, 0, 0, 1, 1, 0});
  check_grads(
      [](const TensorList& in) {
        return TensorList{tril(in[0], 1), triu(in[0], -1)};
      },
      {randn64({2, 3, 4}, 9)});
}

TEST_CASE("diagonal and trace of square, wide and tall matrices and of batches", "[rearrange]") {
  const Tensor x = arange(12.0, kFloat64).reshape({3, 4});  // rows 0..3, 4..7, 8..11
  CHECK(diagonal(x).to_vector<double>() == std::vector<double>{0, 5, 10});
  CHECK(diagonal(x, 1).to_vector<double>() == std::vector<double>{1, 6, 11});
  CHECK(diagonal(x, 3).to_vector<double>() == std::vector<double>{3});
  CHECK(diagonal(x, 4).shape() == Dims{0});
  CHECK(diagonal(x, -1).to_vector<double>() == std::vector<double>{4, 9});
  CHECK(diagonal(x, -3).shape() == Dims{0});
  CHECK(diagonal(x.t()).to_vector<double>() == std::vector<double>{0, 5, 10});
  CHECK(trace(x).item<double>() == 15.0);
  CHECK(trace(tensor({1, 2, 3, 4}, {2, 2}, kInt64)).item<int64_t>() == 5);
  // A batch [2, 3, 4] over dims 1 and 2, and over dims 0 and 2 (the others stay in order).
  const Tensor b = arange(24.0, kFloat64).reshape({2, 3, 4});
  CHECK(diagonal(b, 0, 1, 2).to_vector<double>() == std::vector<double>{0, 5, 10, 12, 17, 22});
  const Tensor d02 = diagonal(b, 0, 0, 2);
  CHECK(d02.shape() == Dims{3, 2});
  CHECK(d02.to_vector<double>() == std::vector<double>{0, 13, 4, 17, 8, 21});
  // d trace(A B) / dA = B^T.
  const Tensor a = randn64({3, 3}, 10);
  const Tensor m = randn64({3, 3}, 11).detach();
  CHECK(allclose(grad({trace(matmul(a, m))}, {a})[0], m.t()));
  check_grads(
      [](const TensorList& in) {
        return TensorList{diagonal(in[0], 1, 0, 2), diagonal(in[0], -1, -1, 1),
                          trace(in[0].select(0, 0))};
      },
      {randn64({3, 4, 3}, 12)});
}

TEST_CASE("einsum agrees with the ops it spells", "[einsum]") {
  const Tensor a = randn64({3, 4}, 20).detach(), b = randn64({4, 5}, 21).detach();
  const Tensor v = randn64({4}, 22).detach(), w = randn64({4}, 23).detach();
  const Tensor sq = randn64({4, 4}, 24).detach();
  CHECK(allclose(einsum("ij,jk->ik", {a, b}), matmul(a, b)));
  CHECK(allclose(einsum("ij,jk", {a, b}), matmul(a, b)));  // implicit output: ik
  CHECK(allclose(einsum("ji", {a}), a.t()));               // implicit output: ij
  CHECK(allclose(einsum("bA", {a}), a.t()));               // upper case sorts first: Ab
  CHECK(allclose(einsum("ij->", {a}), a.sum()));
  CHECK(allclose(einsum("ij->j", {a}), a.sum({0})));
  CHECK(allclose(einsum("ii->i", {sq}), diagonal(sq)));
  CHECK(allclose(einsum("ii", {sq}), trace(sq)));
  CHECK(allclose(einsum("i,i->", {v, w}), dot(v, w)));
  CHECK(allclose(einsum("i,j->ij", {v, w}), outer(v, w)));
  CHECK(allclose(einsum("i,i->i", {v, w}), v * w));
  const Tensor x = randn64({2, 3, 4}, 25).detach(), y = randn64({2, 4, 5}, 26).detach();
  CHECK(allclose(einsum("bij,bjk->bik", {x, y}), matmul(x, y)));
  CHECK(allclose(einsum("bij,bij->b", {x, x}), (x * x).sum({1, 2})));
  CHECK(allclose(einsum("bij,bjk->ki", {x, y}), matmul(x, y).sum({0}).t()));
  // Three operands, a letter shared by all, and one only the first and last share.
  const Tensor c = randn64({5, 3}, 27).detach();
  CHECK(allclose(einsum("ij,jk,ki->", {a, b, c}), trace(matmul(matmul(a, b), c))));
  CHECK(allclose(einsum("ij,ij,ij->i", {a, a, a}), (a * a * a).sum({1})));
  // "..." broadcasts like NumPy: [2, 1, 3, 4] x [5, 4, 2] -> [2, 5, 3, 2].
  const Tensor p = randn64({2, 1, 3, 4}, 28).detach(), q = randn64({5, 4, 2}, 29).detach();
  const Tensor pq = einsum("...ij,...jk->...ik", {p, q});
  REQUIRE(pq.shape() == Dims{2, 5, 3, 2});
  CHECK(allclose(pq, matmul(p, q)));
  CHECK(allclose(einsum("...ii->...i", {x.slice(2, 0, 3)}), diagonal(x.slice(2, 0, 3), 0, 1, 2)));
  CHECK(allclose(einsum("i...->...", {x}), x.sum({0})));
  // Repeated letters across three dims of one operand.
  const Tensor cube = randn64({3, 3, 3}, 30).detach();
  double want = 0;
  for (int64_t i = 0; i < 3; ++i)
    want += cube.select(0, i).select(0, i).select(0, i).item<double>();
  CHECK(einsum("iii->", {cube}).item<double>() == Approx(want).epsilon(1e-14));
}

TEST_CASE("einsum gradcheck and gradgradcheck", "[einsum]") {
  check_grads(
      [](const TensorList& in) {
        return TensorList{einsum("ij,jk->ik", {in[0], in[1]})};
      },
      {randn64({2, 3}, 31), randn64({3, 4}, 32)});
  check_grads(
      [](const TensorList& in) {
        return TensorList{einsum("bij,bjk,bk->bi", {in[0], in[1], in[2]}),
                          einsum("ii,i->", {in[3], in[2].select(0, 0)})};
      },
      {randn64({2, 3, 4}, 33), randn64({2, 4, 2}, 34), randn64({2, 2}, 35), randn64({2, 2}, 36)});
  check_grads(
      [](const TensorList& in) {
        return TensorList{einsum("...i,...i->...", {in[0], in[1]})};
      },
      {randn64({3, 1, 4}, 37), randn64({2, 4}, 38)});
}

TEST_CASE("einsum errors name the equation and the operand", "[einsum]") {
  const Tensor a = ones({2, 3});
  CHECK_THROWS_WITH(einsum("ij,jk->ik", {a}),
                    MG_CONTAINS("einsum: \"ij,jk->ik\" names 2 operands but 1 were given"));
  CHECK_THROWS_WITH(einsum("ijk", {a}),
                    MG_CONTAINS("einsum: operand 0 has 2 dims (shape [2, 3]) but its subscripts "
                                "name 3"));
  CHECK_THROWS_WITH(einsum("i1", {a}), MG_CONTAINS("subscripts must be letters"));
  CHECK_THROWS_WITH(
      einsum("ij,ij->", {a, ones({2, 4})}),
      MG_CONTAINS("einsum: subscript 'j' has size 3 in one operand and 4 in another"));
  CHECK_THROWS_WITH(einsum("ij->k", {a}),
                    MG_CONTAINS("einsum: output subscript 'k' of \"ij->k\" appears in no operand"));
  CHECK_THROWS_WITH(einsum("ii->i", {a}), MG_CONTAINS("repeated in an operand of shape [2, 3]"));
  CHECK_THROWS_WITH(einsum("ij,jk", {a, ones({3, 2}, kFloat64)}), MG_CONTAINS("einsum"));
}
