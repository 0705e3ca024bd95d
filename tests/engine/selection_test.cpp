// nonzero, masked_fill/select/scatter, scatter, index_fill, index_copy, index, index_put, take,
// cummax/cummin, repeat_interleave, combinations, cartesian_prod and weighted bincount against
// PyTorch 1.13 in float64 on wave() inputs (checksums sum(t * wave(t.shape, phase)) of the output,
// phase 0.3, and of the gradients of sum(y * wave(y.shape, 0.9)), phase 1.3). Where duplicates
// write one place, only the last writer gets a gradient here: PyTorch gives the losers one too
// (its scatter / index_copy / index_put backwards gather without looking at who won), so those
// references mask its gradient with the winners. gradcheck and gradgradcheck; errors.
#include <cmath>
#include <limits>
#include <vector>

#include "tests/support/helpers.hpp"

using namespace metagrad;
using metagrad::testing::allclose;
using metagrad::testing::check_grads;
using metagrad::testing::check_wave_checksums;
using metagrad::testing::wave;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

Tensor leaf(const Dims& shape, double phase) {
  return wave(shape, phase).to(kFloat64).detach().requires_grad_();
}

Tensor ints(const std::vector<double>& values, const Dims& shape) {
  return tensor(values, shape, kInt64);
}

std::vector<int64_t> values_of(const Tensor& t) { return t.to_vector<int64_t>(); }

}  // namespace

TEST_CASE("nonzero and argwhere list coordinates in row-major order", "[ops][selection]") {
  const Tensor x = tensor({0, 2, 0, 1, 0, kNaN}, {2, 3}, kFloat64);
  const Tensor coordinates = nonzero(x);
  CHECK(coordinates.shape() == Dims{3, 2});
  CHECK(values_of(coordinates) == std::vector<int64_t>{0, 1, 1, 0, 1, 2});
  CHECK(values_of(argwhere(x)) == values_of(coordinates));
  const TensorList split = nonzero_tuple(x);
  REQUIRE(split.size() == 2);
  CHECK(values_of(split[0]) == std::vector<int64_t>{0, 1, 1});
  CHECK(values_of(split[1]) == std::vector<int64_t>{1, 0, 2});
  CHECK(nonzero(full({}, 3.0, kFloat64)).shape() == Dims{1, 0});
  CHECK(nonzero(zeros({4, 0, 2})).shape() == Dims{0, 3});
  CHECK(values_of(nonzero(tensor({1, 0, 1, 1}, {2, 1, 2}, kBool))) ==
        std::vector<int64_t>{0, 0, 0, 1, 0, 0, 1, 0, 1});
  // A big sparse mask: every coordinate is exact.
  const Tensor big = eq(remainder(arange(60000.0, kInt64), 7919.0), 5.0);
  const Tensor flat = nonzero(reshape(big, {20, 30, 100}));
  REQUIRE(flat.size(0) == 8);
  const std::vector<int64_t> c = values_of(select(flat, 0, 7));
  CHECK(c[0] * 3000 + c[1] * 100 + c[2] == 7 * 7919 + 5);
}

TEST_CASE("masked_fill, masked_select and masked_scatter match PyTorch", "[ops][selection]") {
  const Tensor x = leaf({3, 4, 5}, 0.2);
  const Tensor mask = gt(wave({4, 5}, 0.5), 0.2);
  check_wave_checksums(masked_select(x, mask), {x}, {33}, {9.014143063318269, 7.884059886479938});
  const Tensor source = leaf({70}, 0.7);
  check_wave_checksums(masked_scatter(x, mask, source), {x, source}, {3, 4, 5},
                       {40.86514461546891, 27.842803798983773, 7.748172240060313});
  const Tensor value = full({}, 2.5, kFloat64).requires_grad_();
  check_wave_checksums(masked_fill(x, mask, value), {x, value}, {3, 4, 5},
                       {77.26168670046977, 27.842803798983773, 12.299234225182321});
  check_wave_checksums(masked_fill(x, mask, -1.0), {x}, {3, 4, 5},
                       {11.430770447634188, 27.842803798983773});
  CHECK(values_of(masked_fill(ints({1, 2, 3}, {3}), tensor({0, 1, 0}, {3}, kBool), 9.0)) ==
        std::vector<int64_t>{1, 9, 3});
  check_grads(
      [&](const TensorList& in) -> TensorList {
        return {masked_select(in[0], mask), masked_scatter(in[0], mask, in[1])};
      },
      {leaf({2, 4, 5}, 0.1), leaf({50}, 0.4)});
}

TEST_CASE("scatter, index_fill and index_copy let the last duplicate win", "[ops][selection]") {
  const Tensor x = leaf({3, 5}, 0.1);
  const Tensor index = ints({1, 1, 4, 0, 2, 2, 2, 3, 0, 4, 0, 4}, {3, 4});
  const Tensor src = leaf({3, 4}, 0.8);
  check_wave_checksums(scatter(x, 1, index, src), {x, src}, {3, 5},
                       {20.107175516181453, 8.197426154949682, 8.495541353845496});
  const Tensor src0 = leaf({2, 4}, 0.65);
  check_wave_checksums(scatter(x, 0, ints({1, 2, 1, 0, 1, 1, 0, 0}, {2, 4}), src0), {x, src0},
                       {3, 5}, {11.263285826588259, 10.911161220771033, -4.761814460162609});
  check_wave_checksums(scatter(x, 1, index, -2.0), {x}, {3, 5},
                       {10.94951951057628, 8.197426154949682});
  // src larger than the index is read over the index's shape.
  const Tensor wide = leaf({4, 6}, 0.8);
  CHECK(allclose(scatter(x, 1, index, wide),
                 scatter(x, 1, index, slice(slice(wide, 0, 0, 3), 1, 0, 4))));
  const Tensor xi = leaf({4, 3, 2}, 0.3);
  check_wave_checksums(index_fill(xi, 1, ints({2, 0, 2}, {3}), 7.0), {xi}, {4, 3, 2},
                       {42.674094062322006, 8.674008362197554});
  const Tensor si = leaf({4, 4, 2}, 0.9);
  check_wave_checksums(index_copy(xi, 1, ints({2, 0, 2, 2}, {4}), si), {xi, si}, {4, 3, 2},
                       {1.0647741254137648, 8.674008362197554, -7.200740337477075});
  check_grads(
      [&](const TensorList& in) -> TensorList {
        return {scatter(in[0], 1, index, in[1]), index_copy(in[0], 0, ints({2, 0, 2}, {3}), in[2])};
      },
      {leaf({3, 5}, 0.1), leaf({3, 4}, 0.5), leaf({3, 5}, 0.7)});
}

TEST_CASE("index, index_put and take match PyTorch", "[ops][selection]") {
  const Tensor x = leaf({4, 3, 2}, 0.4);
  const Tensor i0 = ints({0, 3, 3, -1}, {2, 2});
  const Tensor i1 = ints({1, 2}, {2});
  const Tensor values = leaf({2, 2, 2}, 1.1);
  check_wave_checksums(index(x, {i0, i1}), {x}, {2, 2, 2}, {9.870844372464976, 3.8238402723342766});
  check_wave_checksums(index_put(x, {i0, i1}, values, true), {x, values}, {4, 3, 2},
                       {35.82120965313361, 25.322825373859246, 5.335250740005115});
  check_wave_checksums(index_put(x, {i0, i1}, values), {x, values}, {4, 3, 2},
                       {22.594152937280352, 20.10441991754572, 4.559764525297518});
  const Tensor mask = gt(wave({4, 3}, 0.2), 0.5);
  const Tensor row_values = leaf({7, 2}, 0.6);
  check_wave_checksums(index_put(x, {mask}, row_values), {x, row_values}, {4, 3, 2},
                       {27.64556067622074, 12.465681664108551, 15.136629394574102});
  check_wave_checksums(index(x, {mask}), {x}, {7, 2}, {13.288072962295033, 6.865356849846791});
  check_wave_checksums(take(x, ints({0, 23, -1, 5}, {2, 2})), {x}, {2, 2},
                       {3.6302666140255235, 0.030178957929100303});
  // A scalar value broadcasts over the indexed places.
  const Tensor filled =
      index_put(zeros({3, 2}, kFloat64), {ints({0, 0, 2}, {3})}, full({}, 4.0, kFloat64), true);
  CHECK(allclose(filled, tensor({8, 8, 0, 0, 4, 4}, {3, 2}, kFloat64)));
  check_grads(
      [&](const TensorList& in) -> TensorList {
        return {index(in[0], {i0, i1}), index_put(in[0], {i0, i1}, in[1]),
                index_put(in[0], {i0}, in[2], true)};
      },
      {leaf({4, 3, 2}, 0.4), leaf({2, 2, 2}, 1.1), leaf({2, 2, 3, 2}, 0.3)});
}

TEST_CASE("cummax and cummin match PyTorch, ties and NaN included", "[ops][selection]") {
  const Tensor x = leaf({3, 8}, 0.15);
  const auto [high, high_at] = cummax(x, 1);
  check_wave_checksums(high, {x}, {3, 8}, {19.82655336087931, 26.657252123676944});
  CHECK(values_of(high_at) == std::vector<int64_t>{0, 1, 2, 3, 4, 4, 4, 4, 0, 0, 0, 0,
                                                   0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 5, 5});
  const auto [low, low_at] = cummin(x, 0);
  check_wave_checksums(low, {x}, {3, 8}, {9.449600278334671, 10.882439038902941});
  CHECK(values_of(low_at) == std::vector<int64_t>{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1,
                                                  1, 1, 1, 1, 2, 1, 1, 1, 1, 1, 1, 1});
  const Tensor ties = tensor({1, 3, 3, -1, 3, 5, 5, 0}, {8}, kFloat64).requires_grad_();
  const auto [tie_high, tie_high_at] = cummax(ties, 0);
  check_wave_checksums(tie_high, {ties}, {8}, {28.473693161918074, 8.462974869890498});
  CHECK(values_of(tie_high_at) == std::vector<int64_t>{0, 1, 2, 2, 4, 5, 6, 6});
  const auto [tie_low, tie_low_at] = cummin(ties, 0);
  check_wave_checksums(tie_low, {ties}, {8}, {-2.781843770814586, 8.42244089138224});
  CHECK(values_of(tie_low_at) == std::vector<int64_t>{0, 0, 0, 3, 3, 3, 3, 3});
  // PyTorch: a NaN is the running extreme from where it appears, and a later NaN takes over.
  const Tensor nan = tensor({1, 3, 1, kNaN, 2, kNaN, 5, 5}, {8}, kFloat64);
  CHECK(values_of(std::get<1>(cummax(nan, 0))) == std::vector<int64_t>{0, 1, 1, 3, 3, 5, 5, 5});
  CHECK(values_of(std::get<1>(cummin(nan, 0))) == std::vector<int64_t>{0, 0, 2, 3, 3, 5, 5, 5});
  CHECK(values_of(std::get<0>(cummax(ints({2, 1, 4, 4}, {4}), 0))) ==
        std::vector<int64_t>{2, 2, 4, 4});
  check_grads([](const TensorList& in) -> TensorList { return {std::get<0>(cummax(in[0], 1))}; },
              {leaf({2, 6}, 0.3)});
}

TEST_CASE("repeat_interleave, combinations, cartesian_prod and bincount match PyTorch",
          "[ops][selection]") {
  CHECK(values_of(repeat_interleave(ints({2, 0, 3}, {3}))) == std::vector<int64_t>{0, 0, 2, 2, 2});
  const Tensor x = leaf({3, 2}, 0.35);
  check_wave_checksums(repeat_interleave(x, ints({2, 0, 3}, {3}), 0), {x}, {5, 2},
                       {7.537834951266096, 8.084490550717577});
  check_wave_checksums(repeat_interleave(x, 2), {x}, {12}, {4.563283295045236, 8.507079939042269});
  const Tensor a = leaf({5}, 0.45), b = leaf({3}, 0.55);
  check_wave_checksums(combinations(a, 3), {a}, {10, 3}, {2.726363095299444, 3.2896237177877303});
  check_wave_checksums(combinations(a, 2, true), {a}, {15, 2},
                       {1.9668319347621732, 4.371029659162518});
  check_wave_checksums(cartesian_prod({a, b}), {a, b}, {15, 2},
                       {1.797348093439084, 2.310125072262502, -0.5801783298958523});
  CHECK(combinations(a, 6).shape() == Dims{0, 6});
  CHECK(combinations(a, 0).shape() == Dims{0});
  const Tensor weights = leaf({6}, 0.25);
  check_wave_checksums(bincount(ints({4, 1, 1, 0, 6, 1}, {6}), weights, 9), {weights}, {9},
                       {5.6744345168583, 6.7277890059181935});
  CHECK(values_of(bincount(ints({3, 0, 3, 7, 3}, {5}))) ==
        std::vector<int64_t>{1, 0, 0, 3, 0, 0, 0, 1});
  CHECK(bincount(ints({1, 2}, {2}), ints({1, 2}, {2})).dtype() == kFloat64);
  CHECK(values_of(bincount(empty({0}, kInt64), {}, 3)) == std::vector<int64_t>{0, 0, 0});
}

TEST_CASE("selection ops reject bad input with clear errors", "[ops][selection][errors]") {
  const Tensor x = wave({2, 3}, 0.1);
  CHECK_THROWS_WITH(masked_fill(x, ones({2, 3}), 1.0),
                    MG_CONTAINS("masked_fill: expected a bool mask"));
  CHECK_THROWS_WITH(masked_fill(x, ones({4, 3}, kBool), 1.0),
                    MG_CONTAINS("masked_fill: shapes [2, 3] and [4, 3] cannot be broadcast"));
  CHECK_THROWS_WITH(masked_scatter(x, ones({2, 3}, kBool), wave({5}, 0.2)),
                    MG_CONTAINS("masked_scatter: the mask has 6 true places"));
  CHECK_THROWS_WITH(
      index_put(x, {ints({2}, {1})}, wave({3}, 0.2)),
      MG_CONTAINS("index_put: index 0 holds a value out of range for dim 0 of size 2"));
  CHECK_THROWS_WITH(index(x, {ints({0}, {1}), ints({0}, {1}), ints({0}, {1})}),
                    MG_CONTAINS("index: too many indices (3)"));
  CHECK_THROWS_WITH(index(x, {wave({2}, 0.1)}),
                    MG_CONTAINS("index: index 0 must be an int64 or bool"));
  CHECK_THROWS_WITH(repeat_interleave(ints({1, -1}, {2})),
                    MG_CONTAINS("repeat_interleave: repeats must be non-negative"));
  CHECK_THROWS_WITH(repeat_interleave(x, ints({1, 2}, {2}), 1),
                    MG_CONTAINS("repeats has 2 entries but dim 1"));
  CHECK_THROWS_WITH(bincount(ints({1, -2}, {2})),
                    MG_CONTAINS("bincount: the input must be non-negative"));
  CHECK_THROWS_WITH(combinations(x), MG_CONTAINS("combinations: expected a 1-D tensor"));
  CHECK_THROWS_WITH(scatter(x, 1, ints({0, 1}, {1, 2}), wave({1, 1}, 0.1)),
                    MG_CONTAINS("scatter: the index of shape [1, 2] exceeds src's shape [1, 1]"));
  CHECK_THROWS_WITH(index_fill(x, 0, ints({0}, {1, 1}), 1.0),
                    MG_CONTAINS("index_fill: the index must be a 0-d or 1-D int64 tensor"));
}
