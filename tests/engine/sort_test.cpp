// sort, argsort, topk, kthvalue, median, nanmedian, quantile and nanquantile: values and indices
// against PyTorch 1.13 (float64, stable sort), against std::sort on random lines and layouts,
// dtypes, shapes, gradcheck and gradgradcheck.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

#include "tests/support/helpers.hpp"

using namespace metagrad;
using metagrad::testing::allclose;
using metagrad::testing::check_grads;
using metagrad::testing::noncontiguous;
using metagrad::testing::randn64;

namespace {

const double kNan = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();

// Element-wise equality that counts NaN == NaN and tells -0.0 from 0.0.
bool same_values(const std::vector<double>& got, const std::vector<double>& want) {
  if (got.size() != want.size()) return false;
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(got[i]) != std::isnan(want[i])) return false;
    if (!std::isnan(got[i]) && (got[i] != want[i] || std::signbit(got[i]) != std::signbit(want[i])))
      return false;
  }
  return true;
}

std::vector<int64_t> indices_of(const Tensor& t) { return t.to_vector<int64_t>(); }

// The stable ascending (or descending) order of each row of a [rows, cols] tensor, by std::sort.
std::vector<int64_t> loop_order(const Tensor& x, bool descending) {
  const int64_t rows = x.size(0), cols = x.size(1);
  const auto v = x.to_vector<double>();
  std::vector<int64_t> out;
  for (int64_t r = 0; r < rows; ++r) {
    std::vector<int64_t> order(cols);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
      return descending ? v[r * cols + a] > v[r * cols + b] : v[r * cols + a] < v[r * cols + b];
    });
    out.insert(out.end(), order.begin(), order.end());
  }
  return out;
}

}  // namespace

TEST_CASE("sort orders NaN last (first descending) and keeps equal values in order", "[sort]") {
  const Tensor x = tensor({2.0, kNan, 1.0, 2.0, -0.0, 0.0, kNan, -kInf, 0.5}, kFloat64);
  // torch.sort(x, stable=True) and torch.sort(x, descending=True, stable=True)
  const auto [up, up_at] = sort(x);
  CHECK(same_values(up.to_vector<double>(), {-kInf, -0.0, 0.0, 0.5, 1.0, 2.0, 2.0, kNan, kNan}));
  CHECK(indices_of(up_at) == std::vector<int64_t>{7, 4, 5, 8, 2, 0, 3, 1, 6});
  const auto [down, down_at] = x.sort(0, true);
  CHECK(same_values(down.to_vector<double>(), {kNan, kNan, 2.0, 2.0, 1.0, 0.5, -0.0, 0.0, -kInf}));
  CHECK(indices_of(down_at) == std::vector<int64_t>{1, 6, 0, 3, 2, 8, 4, 5, 7});
  CHECK(indices_of(argsort(x, 0, true)) == indices_of(down_at));
  CHECK(indices_of(x.to(kFloat32).argsort()) == indices_of(up_at));
}

TEST_CASE("sort along either dim and layout matches std::stable_sort", "[sort]") {
  // Rounded to a few values so that many ties test the order of position.
  const Tensor x = round(randn64({40, 300}, 7) * 2.0).detach();
  for (bool descending : {false, true}) {
    INFO("descending " << descending);
    const auto want = loop_order(x, descending);
    CHECK(indices_of(argsort(x, 1, descending)) == want);
    CHECK(indices_of(argsort(x.t(), 0, descending).t().contiguous()) == want);
    CHECK(indices_of(argsort(noncontiguous(x).detach(), -1, descending)) == want);
    const auto [values, at] = sort(x.t().contiguous(), 0, descending);
    CHECK(indices_of(at.t().contiguous()) == want);
    CHECK(allclose(values, gather(x.t().contiguous(), 0, at), 0, 0));
  }
  // The first k ranks by selection (k above the one-pass limit) and by the one-pass insertion.
  for (const int64_t k : {40, 5}) {
    INFO("k " << k);
    CHECK(allclose(std::get<1>(topk(x, k, 1, false)), slice(argsort(x, 1), 1, 0, k), 0, 0));
    CHECK(allclose(std::get<1>(topk(x.t(), k, 0)), slice(argsort(x.t(), 0, true), 0, 0, k), 0, 0));
  }
  // Many lines: the parallel path.
  const Tensor many = randn64({3000, 20}, 8).detach();
  CHECK(indices_of(argsort(many)) == loop_order(many, false));
}

TEST_CASE("sort of int64 and bool tensors, of 0-d and empty ones", "[sort]") {
  const auto [iv, ii] = sort(tensor({3, -1, 4, -1, 5}, kInt64), 0, true);
  CHECK(iv.dtype() == kInt64);
  CHECK(iv.to_vector<int64_t>() == std::vector<int64_t>{5, 4, 3, -1, -1});
  CHECK(indices_of(ii) == std::vector<int64_t>{4, 2, 0, 1, 3});
  // torch.sort(torch.tensor([True, False, True])): indices [1, 0, 2]
  const auto [bv, bi] = sort(tensor({1, 0, 1}, kBool));
  CHECK(bv.dtype() == kBool);
  CHECK(indices_of(bi) == std::vector<int64_t>{1, 0, 2});
  const auto [sv, si] = sort(scalar_tensor(3.0, kFloat64));
  CHECK(sv.dim() == 0);
  CHECK(sv.item<double>() == 3.0);
  CHECK(si.item<int64_t>() == 0);
  const auto [ev, ei] = sort(zeros({2, 0}), 1);
  CHECK(ev.shape() == Dims{2, 0});
  CHECK(ei.shape() == Dims{2, 0});
}

TEST_CASE("topk picks the k largest or smallest in order", "[sort]") {
  const Tensor x = tensor({3.0, 1.0, 4.0, 1.5, 9.0, 2.6}, kFloat64);
  const auto [top, top_at] = topk(x, 3);  // torch.topk(x, 3)
  CHECK(top.to_vector<double>() == std::vector<double>{9.0, 4.0, 3.0});
  CHECK(indices_of(top_at) == std::vector<int64_t>{4, 2, 0});
  const auto [low, low_at] = x.topk(2, 0, false);  // torch.topk(x, 2, largest=False)
  CHECK(low.to_vector<double>() == std::vector<double>{1.0, 1.5});
  CHECK(indices_of(low_at) == std::vector<int64_t>{1, 3});
  // NaN counts as the largest; ties go to the earlier position.
  const auto [nan_top, nan_at] = topk(tensor({2.0, 1.0, 2.0, kNan}, kFloat64), 2);
  CHECK(std::isnan(nan_top.to_vector<double>()[0]));
  CHECK(indices_of(nan_at) == std::vector<int64_t>{3, 0});
  CHECK(std::get<0>(topk(x, 0)).shape() == Dims{0});
  CHECK(indices_of(std::get<1>(topk(x, 6))) == indices_of(argsort(x, 0, true)));
  // Along dim 0 of a matrix, the first k of the full order.
  const Tensor m = randn64({50, 9}, 9).detach();
  CHECK(allclose(std::get<1>(topk(m, 7, 0, false)), slice(argsort(m, 0), 0, 0, 7), 0, 0));
}

TEST_CASE("kthvalue, median and nanmedian follow PyTorch", "[sort]") {
  const Tensor m =
      tensor({3.0, 1.0, 4.0, 1.5, 9.0, 2.6, 5.0, kNan, -1.0, 7.0, 0.25, 8.0}, {2, 6}, kFloat64);
  const auto [kv, ki] = kthvalue(m, 3, 1);  // torch.kthvalue(m, 3, 1)
  CHECK(kv.to_vector<double>() == std::vector<double>{2.6, 5.0});
  CHECK(indices_of(ki) == std::vector<int64_t>{5, 0});
  const auto [mv, mi] = median(m, 1);  // a NaN line gives its NaN
  CHECK(same_values(mv.to_vector<double>(), {2.6, kNan}));
  CHECK(indices_of(mi) == std::vector<int64_t>{5, 1});
  CHECK(median(select(m, 0, 0)).item<double>() == 2.6);
  CHECK(std::isnan(median(m).item<double>()));
  const auto [nv, ni] = nanmedian(m, 1);
  CHECK(nv.to_vector<double>() == std::vector<double>{2.6, 5.0});
  CHECK(indices_of(ni) == std::vector<int64_t>{5, 0});
  const auto [cv, ci] = median(m, 0, true);
  CHECK(cv.shape() == Dims{1, 6});
  CHECK(same_values(cv.to_vector<double>(), {3.0, kNan, -1.0, 1.5, 0.25, 2.6}));
  CHECK(indices_of(ci) == std::vector<int64_t>{0, 1, 1, 0, 1, 0});
  // A line of NaNs only: NaN at its first position (torch.nanmedian).
  const auto [av, ai] = nanmedian(tensor({kNan, kNan, kNan, kNan, 2.0, 1.0}, {2, 3}, kFloat64), 1);
  CHECK(same_values(av.to_vector<double>(), {kNan, 1.0}));
  CHECK(indices_of(ai) == std::vector<int64_t>{0, 2});
  CHECK(nanmedian(m).item<double>() == 3.0);
  CHECK(std::isnan(median(zeros({0})).item<double>()));
  CHECK(median(tensor({1, 2, 3, 4}, kInt64)).item<int64_t>() == 2);
}

TEST_CASE("quantile and nanquantile: every interpolation against PyTorch", "[sort][quantile]") {
  const Tensor m =
      tensor({3.0, 1.0, 4.0, 1.5, 9.0, 2.6, 5.0, kNan, -1.0, 7.0, 0.25, 8.0}, {2, 6}, kFloat64);
  using I = QuantileInterpolation;
  struct Case {
    I how;
    double q;
    double row0, nan_row1;  // quantile of row 0; nanquantile of row 1 (quantile gives NaN)
  };
  const std::vector<Case> cases = {
      {I::Linear, 0.0, 1.0, -1.0},   {I::Linear, 0.3, 2.05, 1.1999999999999997},
      {I::Linear, 0.5, 2.8, 5.0},    {I::Linear, 0.77, 3.85, 7.08},
      {I::Linear, 1.0, 9.0, 8.0},    {I::Lower, 0.3, 1.5, 0.25},
      {I::Lower, 0.77, 3.0, 7.0},    {I::Higher, 0.3, 2.6, 5.0},
      {I::Higher, 0.77, 4.0, 8.0},   {I::Midpoint, 0.3, 2.05, 2.625},
      {I::Midpoint, 0.77, 3.5, 7.5}, {I::Nearest, 0.3, 2.6, 0.25},
      {I::Nearest, 0.5, 2.6, 5.0},   {I::Nearest, 0.77, 4.0, 7.0},
  };
  for (const Case& c : cases) {
    INFO("interpolation " << static_cast<int>(c.how) << " q " << c.q);
    const auto plain = quantile(m, c.q, 1, false, c.how).to_vector<double>();
    CHECK(plain[0] == c.row0);
    CHECK(std::isnan(plain[1]));
    CHECK(nanquantile(m, c.q, 1, false, c.how).to_vector<double>() ==
          std::vector<double>{c.row0, c.nan_row1});
  }
}

TEST_CASE("quantile in float32 rounds as PyTorch; shapes of dim, keepdim and a q tensor",
          "[sort][quantile]") {
  const Tensor y = tensor({0.1, 0.7, 0.3, 0.9, 0.2, 0.6, 0.4}, kFloat32);
  // torch.quantile(y, q) for float32 y
  CHECK(quantile(y, 0.1).item<float>() == 0.1600000113248825f);
  CHECK(quantile(y, 0.3).item<float>() == 0.2800000309944153f);
  CHECK(quantile(y, 0.35).item<float>() == 0.3100000023841858f);
  CHECK(quantile(y, 0.9).item<float>() == 0.7799999117851257f);
  const Tensor q = tensor({0.1, 0.5}, kFloat32);
  const Tensor several = quantile(y.reshape({1, 7}), q, 1, true);
  CHECK(several.shape() == Dims{2, 1, 1});
  CHECK(several.to_vector<float>() == std::vector<float>{0.1600000113248825f, 0.4000000059604645f});
  CHECK(quantile(y.reshape({1, 7}), scalar_tensor(0.5, kFloat32), 1).shape() == Dims{1});
  const Tensor x = randn64({3, 4, 5}, 10).detach();
  CHECK(quantile(x, 0.5).dim() == 0);
  CHECK(quantile(x, 0.5, std::nullopt, true).shape() == Dims{1, 1, 1});
  CHECK(quantile(x, 0.5, -2).shape() == Dims{3, 5});
  CHECK(quantile(x, 0.5, 1, true).shape() == Dims{3, 1, 5});
  // The median of an odd line is its middle element, and quantile 0 / 1 are min and max.
  CHECK(allclose(quantile(x, 0.5, 2), std::get<0>(median(x, 2)), 0, 0));
  CHECK(allclose(quantile(x, 0.0, 0), amin(x, {0}), 0, 0));
  CHECK(allclose(quantile(x, 1.0, 0), amax(x, {0}), 0, 0));
}

TEST_CASE("quantile's gradient matches PyTorch's", "[sort][quantile]") {
  const Tensor z =
      tensor({0.3, -1.2, 2.5, 0.7, 1.1, 0.4, -0.6, 3.3, 2.2, -0.9, 0.8, 0.1}, {3, 4}, kFloat64)
          .requires_grad_();
  const Tensor weights = tensor({1.0, 2.0, 3.0, 4.0}, kFloat64);
  const Tensor column_q = quantile(z, 0.3, 0);
  const Tensor out = sum(column_q * weights) + quantile(z, 0.85);
  CHECK(allclose(column_q,
                 tensor({0.78, -1.02, 0.24000000000000005, 0.45999999999999996}, kFloat64), 1e-15,
                 0));
  const Tensor g = grad({out}, {z})[0];
  // torch.autograd.grad of the same expression
  const Tensor want = tensor({0.4, 0.8, 0.34999999999999964, 2.4, 0.6, 0.0, 1.2000000000000002, 0.0,
                              0.6500000000000004, 1.2, 1.7999999999999998, 1.6},
                             {3, 4}, kFloat64);
  CHECK(allclose(g, want, 1e-14, 1e-15));
}

TEST_CASE("gradcheck and gradgradcheck of every order statistic", "[sort][grad]") {
  // Distinct values, so that no small perturbation changes the order.
  const Tensor x = randn64({4, 7}, 11);
  check_grads(
      [](const TensorList& in) -> TensorList { return {std::get<0>(sort(in[0], 1, true))}; }, {x});
  check_grads([](const TensorList& in) -> TensorList { return {std::get<0>(sort(in[0], 0))}; },
              {noncontiguous(randn64({5, 3}, 12))});
  check_grads([](const TensorList& in) -> TensorList { return {std::get<0>(topk(in[0], 3, 1))}; },
              {x});
  check_grads(
      [](const TensorList& in) -> TensorList { return {std::get<0>(kthvalue(in[0], 2, 0, true))}; },
      {x});
  check_grads([](const TensorList& in) -> TensorList { return {std::get<0>(median(in[0], 1))}; },
              {x});
  check_grads([](const TensorList& in) -> TensorList { return {nanmedian(in[0])}; }, {x});
  for (auto how : {QuantileInterpolation::Linear, QuantileInterpolation::Midpoint,
                   QuantileInterpolation::Nearest}) {
    check_grads(
        [how](const TensorList& in) -> TensorList { return {quantile(in[0], 0.3, 1, false, how)}; },
        {x});
  }
  check_grads([](const TensorList& in) -> TensorList { return {nanquantile(in[0], 0.6)}; }, {x});
}
