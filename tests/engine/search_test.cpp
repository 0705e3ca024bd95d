// searchsorted, bucketize, isin, unique, unique_consecutive, histc, histogram, tril_indices and
// triu_indices against PyTorch 1.13 (the results it prints for the same inputs: rounded wave()
// values full of ties, float32 bin edges); NaN handling; errors.
#include <cmath>
#include <limits>
#include <vector>

#include "tests/support/helpers.hpp"

using namespace metagrad;
using metagrad::testing::allclose;
using metagrad::testing::wave;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

std::vector<int64_t> values_of(const Tensor& t) { return t.to_vector<int64_t>(); }
std::vector<double> doubles_of(const Tensor& t) { return t.to(kFloat64).to_vector<double>(); }
std::vector<bool> flags_of(const Tensor& t) {
  std::vector<bool> out;
  for (const int64_t v : t.to(kInt64).to_vector<int64_t>()) out.push_back(v != 0);
  return out;
}

// wave values rounded to halves: many ties.
Tensor halves(const Dims& shape, double phase) { return round(wave(shape, phase) * 2.0) / 2.0; }

}  // namespace

TEST_CASE("searchsorted and bucketize match PyTorch, ties included", "[ops][search]") {
  const Tensor seq = std::get<0>(sort(halves({2, 9}, 0.1), -1));
  const Tensor values = halves({2, 6}, 0.7);
  CHECK(values_of(searchsorted(seq, values)) ==
        std::vector<int64_t>{4, 6, 6, 6, 4, 4, 9, 8, 6, 4, 0, 0});
  CHECK(values_of(searchsorted(seq, values, true)) ==
        std::vector<int64_t>{6, 9, 9, 9, 6, 6, 9, 9, 8, 6, 4, 4});
  CHECK(values_of(searchsorted(seq, values, "right")) ==
        values_of(searchsorted(seq, values, true)));
  const Tensor line = select(seq, 0, 0);
  const Tensor grid = halves({3, 4}, 0.2);
  const Tensor left = searchsorted(line, grid);
  CHECK(left.shape() == Dims{3, 4});
  CHECK(values_of(left) == std::vector<int64_t>{2, 4, 4, 6, 6, 6, 4, 2, 0, 0, 0, 0});
  CHECK(values_of(searchsorted(line, grid, true)) ==
        std::vector<int64_t>{4, 6, 6, 9, 9, 9, 6, 4, 2, 0, 0, 0});
  CHECK(values_of(bucketize(grid, line)) == values_of(left));
  CHECK(values_of(bucketize(grid, line, true)) == values_of(searchsorted(line, grid, true)));
  // An unsorted sequence with its sorter.
  const Tensor unsorted = halves({7}, 1.0);
  CHECK(values_of(searchsorted(unsorted, select(grid, 0, 0), false, argsort(unsorted))) ==
        std::vector<int64_t>{1, 2, 2, 3});
  // Scalars, mixed dtypes, NaN and infinities.
  CHECK(searchsorted(line, 0.25).dim() == 0);
  CHECK(searchsorted(line, 0.25).item<int64_t>() == 2);
  const Tensor steps = tensor({1, 2, 2, 3}, {4}, kInt64);
  CHECK(values_of(searchsorted(steps, tensor({2.5, 2, kNaN, -kInf, kInf}, {5}, kFloat64))) ==
        std::vector<int64_t>{3, 1, 4, 0, 4});
  CHECK(values_of(searchsorted(empty({0}, kFloat64), tensor({1, 2}, {2}, kFloat64))) ==
        std::vector<int64_t>{0, 0});
}

TEST_CASE("isin matches PyTorch", "[ops][search]") {
  const Tensor grid = halves({3, 4}, 0.2);
  const Tensor set = tensor({0, 0, 0.5, 0.5}, {4}, kFloat64);
  const std::vector<bool> want{true,  false, false, false, false, false,
                               false, true,  true,  false, false, false};
  CHECK(flags_of(isin(grid, set)) == want);
  std::vector<bool> inverted;
  for (const bool b : want) inverted.push_back(!b);
  CHECK(flags_of(isin(grid, set, false, true)) == inverted);
  CHECK(
      flags_of(isin(tensor({1, 2, kNaN, 4}, {4}, kFloat64), tensor({2, kNaN, 4}, {3}, kFloat64))) ==
      std::vector<bool>{false, true, false, true});
  CHECK(flags_of(isin(tensor({1, 2, 3}, {3}, kInt64), 2.0)) ==
        std::vector<bool>{false, true, false});
  CHECK(flags_of(isin(tensor({1, 2}, {2}, kInt64), empty({0}, kInt64))) ==
        std::vector<bool>{false, false});
}

TEST_CASE("unique and unique_consecutive match PyTorch", "[ops][search]") {
  const Tensor u = round(wave({3, 5}, 0.4));
  const auto [values, inverse, counts] = unique(u);
  CHECK(doubles_of(values) == std::vector<double>{-1, 0, 1});
  CHECK(inverse.shape() == Dims{3, 5});
  CHECK(values_of(inverse) == std::vector<int64_t>{2, 2, 2, 2, 2, 2, 2, 1, 1, 0, 0, 0, 0, 0, 0});
  CHECK(values_of(counts) == std::vector<int64_t>{6, 2, 7});
  const Tensor table = tensor({1, 2, 1, 2, 0, 3, 4, 3, 4, 1, 1, 0, 1, 0, 0}, {3, 5}, kInt64);
  const UniqueResult columns = unique(table, 1);
  CHECK(columns.values.shape() == Dims{3, 3});
  CHECK(values_of(columns.values) == std::vector<int64_t>{0, 1, 2, 1, 3, 4, 0, 1, 0});
  CHECK(values_of(columns.inverse) == std::vector<int64_t>{1, 2, 1, 2, 0});
  CHECK(values_of(columns.counts) == std::vector<int64_t>{1, 2, 2});
  const UniqueResult rows = unique(table, 0);
  CHECK(values_of(rows.values) ==
        std::vector<int64_t>{1, 0, 1, 0, 0, 1, 2, 1, 2, 0, 3, 4, 3, 4, 1});
  CHECK(values_of(rows.inverse) == std::vector<int64_t>{1, 2, 0});
  const UniqueResult runs = unique_consecutive(tensor({2, 2, 1, 1, 1, 2, 3, 3}, {8}, kInt64));
  CHECK(values_of(runs.values) == std::vector<int64_t>{2, 1, 2, 3});
  CHECK(values_of(runs.inverse) == std::vector<int64_t>{0, 0, 1, 1, 1, 2, 3, 3});
  CHECK(values_of(runs.counts) == std::vector<int64_t>{2, 3, 1, 2});
  const UniqueResult column_runs = unique_consecutive(table, 1);
  CHECK(column_runs.values.shape() == Dims{3, 5});
  CHECK(values_of(column_runs.counts) == std::vector<int64_t>{1, 1, 1, 1, 1});
  // NaN is distinct from everything and sorts last; an empty input gives empty results.
  const UniqueResult nan = unique(tensor({3, 1, kNaN, 1, kNaN}, {5}, kFloat64));
  REQUIRE(nan.values.numel() == 4);
  CHECK(std::isnan(doubles_of(nan.values)[3]));
  CHECK(values_of(nan.inverse) == std::vector<int64_t>{1, 0, 2, 0, 3});
  CHECK(values_of(nan.counts) == std::vector<int64_t>{2, 1, 1, 1});
  CHECK(unique(empty({0}, kFloat64)).values.numel() == 0);
  CHECK(unique(tensor({1, 0, 1}, {3}, kBool)).values.dtype() == kBool);
}

TEST_CASE("histc and histogram match PyTorch's bins", "[ops][search]") {
  const Tensor h = wave({50}, 0.3).to(kFloat32);
  CHECK(doubles_of(histc(h, 7, -1.2, 1.3)) == std::vector<double>{6, 6, 3, 2, 6, 5, 6});
  CHECK(doubles_of(histc(h, 6)) == std::vector<double>{15, 6, 5, 6, 6, 12});
  // Float32 rounding at the edges decides the bins, as in PyTorch.
  std::vector<double> tenths;
  for (int i = 0; i <= 30; ++i) tenths.push_back(0.1 * i);
  const Tensor grid = tensor(tenths, {31}, kFloat32);
  CHECK(doubles_of(histc(grid, 3, 0.0, 3.0)) == std::vector<double>{10, 10, 11});
  CHECK(doubles_of(histc(grid.to(kFloat64), 30, 0.0, 3.0)) ==
        std::vector<double>{1, 1, 1, 1, 1, 1, 2, 0, 2, 0, 1, 1, 2, 1, 0,
                            1, 1, 2, 1, 0, 2, 0, 2, 0, 1, 2, 0, 2, 0, 2});
  CHECK(doubles_of(histc(tensor({1, 2, 1, 4, kNaN, 0}, {6}, kFloat32), 4, 0, 3)) ==
        std::vector<double>{1, 2, 1, 0});
  CHECK(doubles_of(histc(tensor({1, 1}, {2}, kFloat32), 4)) == std::vector<double>{0, 0, 2, 0});
  const HistogramResult five = histogram(h, 5);
  CHECK(doubles_of(five.hist) == std::vector<double>{15, 6, 5, 9, 15});
  CHECK(allclose(five.bin_edges.to(kFloat64),
                 tensor({-1.4994282722473145, -0.9027854800224304, -0.3061426877975464,
                         0.2905001640319824, 0.8871429562568665, 1.4837857484817505},
                        {6}, kFloat64),
                 2e-7, 0));
  const HistogramResult weighted = histogram(
      h.to(kFloat64), tensor({-1.5, -0.2, 0, 0.7, 1.5}, {5}, kFloat64), wave({50}, 0.9), true);
  CHECK(
      allclose(weighted.hist,
               tensor({19.996154866361543, 9.8849732613274, -3.876127494352579, -30.32338341561085},
                      {4}, kFloat64),
               1e-13, 0));
  // Off the edges, the bins are PyTorch's; its float32 edges come from float32 arithmetic and
  // may differ by an ulp from these (rounded once from double), which moves values on an edge.
  CHECK(doubles_of(histogram(grid + 0.05f, 30, std::pair{0.0, 3.0}).hist) ==
        std::vector<double>{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
                            1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1});
  const HistogramResult single = histogram(tensor({1, 1}, {2}, kFloat32), 4);
  CHECK(doubles_of(single.hist) == std::vector<double>{0, 0, 2, 0});
  CHECK(doubles_of(single.bin_edges) == std::vector<double>{0.5, 0.75, 1.0, 1.25, 1.5});
}

TEST_CASE("tril_indices and triu_indices match PyTorch", "[ops][search]") {
  CHECK(values_of(tril_indices(4, 5, -1)) ==
        std::vector<int64_t>{1, 2, 2, 3, 3, 3, 0, 0, 1, 0, 1, 2});
  CHECK(values_of(triu_indices(4, 5, 1)) ==
        std::vector<int64_t>{0, 0, 0, 0, 1, 1, 1, 2, 2, 3, 1, 2, 3, 4, 2, 3, 4, 3, 4, 4});
  CHECK(values_of(tril_indices(3, 2, 5)) ==
        std::vector<int64_t>{0, 0, 1, 1, 2, 2, 0, 1, 0, 1, 0, 1});
  CHECK(values_of(triu_indices(5, 3, -2)) == std::vector<int64_t>{0, 0, 0, 1, 1, 1, 2, 2,
                                                                  2, 3, 3, 4, 0, 1, 2, 0,
                                                                  1, 2, 0, 1, 2, 1, 2, 2});
  CHECK(tril_indices(3, 3, -5).shape() == Dims{2, 0});
  CHECK(triu_indices(0, 3).shape() == Dims{2, 0});
  // The counts of a big triangle come from the closed form, without a pass over its rows.
  CHECK(tril_indices(2000, 1500, -700).size(1) == 1300 * 1301 / 2);
  CHECK(triu_indices(1000000000, 2, 1).size(1) == 1);
}

TEST_CASE("search and counting ops reject bad input with clear errors", "[ops][search][errors]") {
  const Tensor seq = tensor({1, 2, 3}, {3}, kFloat64);
  CHECK_THROWS_WITH(searchsorted(wave({2, 3}, 0.1), wave({3, 2}, 0.2)),
                    MG_CONTAINS("must share every dim but the last"));
  CHECK_THROWS_WITH(searchsorted(seq, wave({2}, 0.1), "middle"),
                    MG_CONTAINS("side must be \"left\" or \"right\""));
  CHECK_THROWS_WITH(searchsorted(full({}, 1.0), wave({2}, 0.1)), MG_CONTAINS("at least one dim"));
  CHECK_THROWS_WITH(searchsorted(seq, wave({2}, 0.1), false, tensor({0, 1}, {2}, kInt64)),
                    MG_CONTAINS("the sorter must be an int64 tensor of the sequence's shape [3]"));
  CHECK_THROWS_WITH(bucketize(seq, wave({2, 2}, 0.1)), MG_CONTAINS("the boundaries must be 1-D"));
  CHECK_THROWS_WITH(histc(tensor({1, 2}, {2}, kInt64)),
                    MG_CONTAINS("histc: the input must be a float"));
  CHECK_THROWS_WITH(histc(seq, 3, 2.0, 1.0), MG_CONTAINS("max must be larger than min"));
  CHECK_THROWS_WITH(histc(tensor({1, kInf}, {2}, kFloat64), 3), MG_CONTAINS("is not finite"));
  CHECK_THROWS_WITH(histogram(seq, tensor({1}, {1}, kFloat64)), MG_CONTAINS("at least 2 entries"));
  CHECK_THROWS_WITH(tril_indices(-1, 2), MG_CONTAINS("must be non-negative"));
  CHECK_THROWS_WITH(unique(full({}, 1.0), 0), MG_CONTAINS("unique: dim 0 given for a 0-d input"));
}
