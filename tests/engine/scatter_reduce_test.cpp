// scatter_reduce and index_reduce against PyTorch 1.13 in float64 on wave() inputs (checksums
// sum(t * wave(t.shape, phase)) of the output, phase 0.3, and of the gradients of sum(y *
// wave(y.shape, 0.9)) in x and src, phase 1.3): every reduce with and without include_self,
// duplicates and ties (amax/amin split the gradient evenly among the values equal to the
// result), prod through zeros; int64 floor-division means; NaN; gradcheck and gradgradcheck.
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "tests/support/helpers.hpp"

using namespace metagrad;
using metagrad::testing::allclose;
using metagrad::testing::check_grads;
using metagrad::testing::check_wave_checksums;
using metagrad::testing::leaf;
using metagrad::testing::wave;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Named "<reduce> <include_self>".
using Reference = metagrad::testing::ChecksumReference;

// wave values rounded to halves: ties within each row.
Tensor halves(const Dims& shape, double phase) { return round(wave(shape, phase) * 2.0) / 2.0; }

// "[index ]<reduce> <True|False>": the reduce and include_self.
std::pair<std::string, bool> parse(const std::string& name) {
  const size_t space = name.rfind(' ');
  const size_t start = name.rfind(' ', space - 1);
  const size_t first = start == std::string::npos ? 0 : start + 1;
  return {name.substr(first, space - first), name.substr(space + 1) == "True"};
}

}  // namespace

TEST_CASE("scatter_reduce matches PyTorch for every reduce", "[ops][scatter_reduce]") {
  const Tensor index = tensor({1, 1, 4, 0, 2, 2, 2, 3, 0, 4, 0, 4}, {3, 4}, kInt64);
  const Tensor zero_at = tensor({0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0}, {3, 4}, kBool);
  const std::vector<Reference> references{
      {"sum True", {30.046139392749676, 16.493211443213603, 12.764301215035564}},
      {"sum False", {24.5163237787765, 8.197426154949682, 12.764301215035564}},
      {"prod True", {18.56784017565293, 10.843865418990932, 7.195849010537176}},
      {"prod False", {13.540921850511857, 8.197426154949682, 3.081208840774573}},
      {"mean True", {19.212972477826998, 11.515709548902894, 4.84823092685157}},
      {"mean False", {19.94051393052471, 8.197426154949682, 8.164083846934794}},
      {"amax True", {19.618818446810362, 11.584557119592843, 4.428974096594159}},
      {"amax False", {20.07629282992781, 8.197426154949682, 7.8535091970091795}},
      {"amin True", {18.907404732899906, 12.58337351809932, 3.841394796464962}},
      {"amin False", {19.80473503112161, 8.197426154949682, 8.474367141214094}},
  };
  for (const Reference& r : references) {
    INFO(r.name);
    const auto [reduce, include_self] = parse(r.name);
    const Tensor x = leaf(wave({3, 5}, 0.1));
    const Tensor src =
        leaf(reduce == "prod" ? masked_fill(wave({3, 4}, 0.8), zero_at, 0.0) : halves({3, 4}, 0.8));
    check_wave_checksums(scatter_reduce(x, 1, index, src, reduce, include_self), {x, src}, {3, 5},
                         r.checksums);
  }
}

TEST_CASE("index_reduce matches PyTorch", "[ops][scatter_reduce]") {
  const Tensor index = tensor({2, 0, 2, 3, 2}, {5}, kInt64);
  const std::vector<Reference> references{
      {"index prod True", {3.223862104918058, 2.387047114439447, -4.991129390755674}},
      {"index prod False", {13.16483749932493, 1.9025235444915547, 6.115830685971065}},
      {"index mean True", {13.158899922500346, 8.20728590764439, 3.7896169249280316}},
      {"index mean False", {13.856875372505716, 1.9025235444915547, 7.643244468521847}},
      {"index amax True", {14.10120830928673, 9.757026391983134, -0.10077161368675269}},
      {"index amax False", {14.867529815017935, 1.9025235444915547, 5.732824349440424}},
      {"index amin True", {11.115286320893611, 5.73919207691608, 6.462034774864271}},
      {"index amin False", {12.291342086958618, 1.9025235444915547, 8.399704517590514}},
  };
  for (const Reference& r : references) {
    INFO(r.name);
    const auto [reduce, include_self] = parse(r.name);
    const Tensor x = leaf(wave({4, 3}, 0.2));
    const Tensor source = leaf(halves({5, 3}, 0.6));
    check_wave_checksums(index_reduce(x, 0, index, source, reduce, include_self), {x, source},
                         {4, 3}, r.checksums);
  }
}

TEST_CASE("scatter_reduce: int64 means, NaN and derivatives", "[ops][scatter_reduce]") {
  const Tensor a = tensor({5, 1, 7, 3}, {4}, kInt64);
  const Tensor to = tensor({0, 0, 2, 2, 3}, {5}, kInt64);
  const Tensor values = tensor({2, 4, -3, 6, 9}, {5}, kInt64);
  CHECK(scatter_reduce(a, 0, to, values, "mean").to_vector<int64_t>() ==
        std::vector<int64_t>{3, 1, 3, 6});
  CHECK(scatter_reduce(a, 0, to, values, "mean", false).to_vector<int64_t>() ==
        std::vector<int64_t>{3, 1, 1, 9});
  CHECK(scatter_reduce(a, 0, to, values, "prod").to_vector<int64_t>() ==
        std::vector<int64_t>{40, 1, -126, 27});
  const Tensor base = tensor({1, 2, 3}, {3}, kFloat64);
  const std::vector<double> low = scatter_reduce(base, 0, tensor({0, 0, 1, 1}, {4}, kInt64),
                                                 tensor({kNaN, 5, 0, kNaN}, {4}, kFloat64), "amin")
                                      .to_vector<double>();
  CHECK((std::isnan(low[0]) && std::isnan(low[1]) && low[2] == 3.0));
  const std::vector<double> high = scatter_reduce(base, 0, tensor({0, 0, 1, 2}, {4}, kInt64),
                                                  tensor({kNaN, 5, 0, 9}, {4}, kFloat64), "amax")
                                       .to_vector<double>();
  CHECK((std::isnan(high[0]) && high[1] == 2.0 && high[2] == 9.0));
  const Tensor index = tensor({1, 1, 4, 0, 2, 2, 2, 3}, {2, 4}, kInt64);
  for (const char* reduce : {"sum", "prod", "mean"}) {
    INFO(reduce);
    check_grads(
        [&](const TensorList& in) -> TensorList {
          return {scatter_reduce(in[0], 1, index, in[1], reduce),
                  scatter_reduce(in[0], 1, index, in[1], reduce, false)};
        },
        {leaf(wave({2, 5}, 0.3)), leaf(wave({2, 4}, 0.7))});
  }
  // amax / amin are piecewise linear: gradcheck away from ties.
  check_grads(
      [&](const TensorList& in) -> TensorList {
        return {scatter_reduce(in[0], 1, index, in[1], "amax"),
                scatter_reduce(in[0], 1, index, in[1], "amin", false)};
      },
      {leaf(wave({2, 5}, 0.3)), leaf(wave({2, 4}, 0.7))});
  CHECK_THROWS_WITH(scatter_reduce(base, 0, to, base, "max"),
                    MG_CONTAINS("scatter_reduce: reduce must be \"sum\", \"prod\", \"mean\", "
                                "\"amax\" or \"amin\", got \"max\""));
  CHECK_THROWS_WITH(index_reduce(wave({3, 2}, 0.1), 0, to, wave({4, 2}, 0.2), "amax"),
                    MG_CONTAINS("index_reduce: the source must have shape [5, 2]"));
}
