// gammainc, gammaincc (torch.special) and the Hurwitz zeta function: values against mpmath (40
// digits) in every region of the incomplete gamma functions, down to tails of 1e-286 (PyTorch
// 1.13's agree with mpmath only to 1.6e-9 there); checksums of the gradients, the one in the
// order a included (which PyTorch does not implement), against mpmath's numerical derivatives;
// gradcheck and gradgradcheck; PyTorch's edge values; float32; the zeta order's missing
// derivative.
#include <cmath>
#include <limits>
#include <vector>

#include "tests/support/helpers.hpp"

using namespace metagrad;
using metagrad::testing::allclose;
using metagrad::testing::check_grads;
using metagrad::testing::check_wave_checksums;
using metagrad::testing::leaf;
using metagrad::testing::wave;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Each got[i] within rtol of want[i] (relative), and exactly 0 where want[i] is 0.
void check_relative(const Tensor& got, const std::vector<double>& want, double rtol) {
  const std::vector<double> values = got.to_vector<double>();
  REQUIRE(values.size() == want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    INFO("element " << i << ": got " << values[i] << ", want " << want[i]);
    CHECK(std::abs(values[i] - want[i]) <= rtol * std::abs(want[i]));
  }
}

// The orders a [2, 3] and points x [3] of the gradient checksums.
Tensor orders() { return leaf(0.5 + 2.0 * abs(wave({2, 3}, 0.3))); }
Tensor points() { return leaf(0.1 + 3.0 * abs(wave({3}, 0.7))); }

}  // namespace

TEST_CASE("gammainc and gammaincc match mpmath in every region, tails included",
          "[special][gamma]") {
  // a = 0.05, 0.5, 2.5, 25, 150 against x = 1e-3, 0.9, 2, 24, 160, 1100: the series of P, the
  // continued fraction and the small-x series of Q, and a = 150 near x = 160.
  const Tensor a = tensor({0.05, 0.5, 2.5, 25.0, 150.0}, {5, 1}, kFloat64);
  const Tensor x = tensor({1e-3, 0.9, 2.0, 24.0, 160.0, 1100.0}, {1, 6}, kFloat64);
  const std::vector<double> lower = {0.7271792290529226,
                                     0.9863864260345634,
                                     0.9973614572912035,
                                     0.9999999999999087,
                                     1.0,
                                     1.0,
                                     0.03567059172967989,
                                     0.8202875051210001,
                                     0.9544997361036416,
                                     0.9999999999957379,
                                     1.0,
                                     1.0,
                                     9.50853459860795e-09,
                                     0.12393159967534005,
                                     0.4505840486472198,
                                     0.9999999964480775,
                                     1.0,
                                     1.0,
                                     6.440754277466484e-101,
                                     1.949086336209415e-27,
                                     3.1707866758025054e-19,
                                     0.44599877692500434,
                                     1.0,
                                     1.0,
                                     0.0,
                                     9.79973030083463e-271,
                                     3.426156045205941e-219,
                                     8.448838882288876e-67,
                                     0.7956261882343224,
                                     1.0};
  const std::vector<double> upper = {0.27282077094707735,
                                     0.013613573965436629,
                                     0.0026385427087965347,
                                     9.122665159473165e-14,
                                     1.3398179532251528e-73,
                                     0.0,
                                     0.9643294082703201,
                                     0.17971249487899985,
                                     0.04550026389635842,
                                     4.262191597843645e-12,
                                     1.448442437273694e-71,
                                     0.0,
                                     0.9999999904914654,
                                     0.8760684003246599,
                                     0.5494159513527802,
                                     3.5519225555601793e-09,
                                     5.006010772334441e-67,
                                     0.0,
                                     1.0,
                                     1.0,
                                     1.0,
                                     0.5540012230749957,
                                     4.887470932227896e-41,
                                     0.0,
                                     1.0,
                                     1.0,
                                     1.0,
                                     1.0,
                                     0.20437381176567754,
                                     8.431767847865516e-286};
  check_relative(gammainc(a, x), lower, 2e-13);
  check_relative(gammaincc(a, x), upper, 2e-13);
  CHECK(allclose(igamma(a, x), gammainc(a, x), 0.0, 0.0));
  CHECK(allclose(igammac(a, x), gammaincc(a, x), 0.0, 0.0));
  // float32: the double result rounded.
  CHECK(
      allclose(gammainc(a.to(kFloat32), x.to(kFloat32)), gammainc(a, x).to(kFloat32), 1e-6, 1e-30));
}

TEST_CASE("gammainc and gammaincc: PyTorch's edge values", "[special][gamma]") {
  const Tensor a = tensor({0.0, 0.0, 2.0, -1.0, kInf, 2.0, kInf, 2.0}, {8}, kFloat64);
  const Tensor x = tensor({0.0, 2.0, 0.0, 2.0, 3.0, kInf, kInf, -0.5}, {8}, kFloat64);
  const std::vector<double> lower = gammainc(a, x).to_vector<double>();
  const std::vector<double> upper = gammaincc(a, x).to_vector<double>();
  const std::vector<double> want_lower = {NAN, 1.0, 0.0, NAN, 0.0, 1.0, NAN, NAN};
  const std::vector<double> want_upper = {NAN, 0.0, 1.0, NAN, 1.0, 0.0, NAN, NAN};
  for (size_t i = 0; i < want_lower.size(); ++i) {
    INFO("a = " << a.to_vector<double>()[i] << ", x = " << x.to_vector<double>()[i]);
    CHECK((std::isnan(want_lower[i]) ? std::isnan(lower[i]) : lower[i] == want_lower[i]));
    CHECK((std::isnan(want_upper[i]) ? std::isnan(upper[i]) : upper[i] == want_upper[i]));
  }
}

TEST_CASE("gammainc and gammaincc: gradients in a and x against mpmath", "[special][gamma]") {
  // mpmath's derivatives of P and Q (the order's by numerical differentiation at 40 digits); a
  // [2, 3] broadcast against x [3].
  const Tensor a = orders(), x = points();
  check_wave_checksums(gammainc(a, x), {a, x}, {2, 3},
                       {5.019591304796982, -1.2295562378280618, 1.3859633192608325});
  check_wave_checksums(gammaincc(a, x), {a, x}, {2, 3},
                       {1.852067574545464, 1.2295562378280618, -1.3859633192608325});
  check_grads([](const TensorList& in) { return TensorList{gammainc(in[0], in[1])}; }, {a, x});
  check_grads([](const TensorList& in) { return TensorList{gammaincc(in[0], in[1])}; }, {a, x});
}

TEST_CASE("gammainc: gradients at the edges of x", "[special][gamma]") {
  // d/dx P(1, x) = e^-x is 1 at x = 0 (PyTorch's exp((a - 1) log x - x - lgamma a) gives NaN);
  // d/da is 0 at x = 0 (P(a, 0) = 0 for every a) and beyond the series' bound a + 20 sqrt(a) + 50.
  const Tensor a = leaf(tensor({1.0, 2.5, 0.7}, {3}, kFloat64));
  const Tensor x = leaf(tensor({0.0, 0.0, 90.0}, {3}, kFloat64));
  const TensorList grads = grad({sum(gammainc(a, x))}, {a, x});
  CHECK(allclose(grads[0], zeros({3}, kFloat64), 0.0, 0.0));
  const std::vector<double> dx = grads[1].to_vector<double>();
  CHECK(dx[0] == 1.0);
  CHECK(dx[1] == 0.0);
  CHECK(dx[2] < 1e-30);
}

TEST_CASE("zeta: values and the gradient in q against mpmath", "[special][zeta]") {
  const Tensor s = tensor({3.5, 2.0, 1.0001, 40.0, 2.5}, {5}, kFloat64);
  const Tensor q = tensor({0.25, -2.5, 3.0, 0.7, 2e8}, {5}, kFloat64);
  check_relative(zeta(s, q),
                 {128.54695896428436, 9.539246644989124, 9999.077257603696, 1570646.3139488439,
                  2.357022612793993e-13},
                 1e-13);
  // +inf at x = 1 and at whole q <= 0; NaN for x < 1 and for a fractional x at q < 0.
  const std::vector<double> edges = zeta(tensor({1.0, 0.5, 2.0, 2.5}, {4}, kFloat64),
                                         tensor({2.0, 2.0, -3.0, -2.5}, {4}, kFloat64))
                                        .to_vector<double>();
  CHECK(edges[0] == kInf);
  CHECK(std::isnan(edges[1]));
  CHECK(edges[2] == kInf);
  CHECK(std::isnan(edges[3]));
  // x [2, 3] (not differentiated) against q [3].
  const Tensor order = 1.5 + 2.0 * abs(wave({2, 3}, 0.3));
  const Tensor shift = leaf(0.2 + 3.0 * abs(wave({3}, 0.5)));
  check_wave_checksums(zeta(order, shift), {shift}, {2, 3},
                       {0.2191206383316184, -0.5141870329657298});
  check_grads([&](const TensorList& in) { return TensorList{zeta(order, in[0])}; }, {shift});
  CHECK(allclose(zeta(order.to(kFloat32), shift.detach().to(kFloat32)),
                 zeta(order, shift.detach()).to(kFloat32), 1e-6, 0.0));
}

TEST_CASE("Gamma.cdf and Chi2.cdf: P(a, rate value), differentiable in every parameter",
          "[special][gamma][distributions]") {
  // a [2, 3], rate [3] and values [4, 2, 3]; mpmath's checksums (PyTorch 2's Gamma.cdf formula,
  // which PyTorch 1.13 lacks; its gradient in a is not implemented there).
  const Tensor a = orders();
  const Tensor rate = leaf(0.5 + abs(wave({3}, 0.6)));
  const Tensor value = leaf(0.1 + 2.0 * abs(wave({4, 2, 3}, 0.5)));
  check_wave_checksums(
      distributions::Gamma(a, rate).cdf(value), {a, rate, value}, {4, 2, 3},
      {6.163757294678568, -0.9427841737827743, 2.763593111082059, 5.077412747182939});
  const Tensor df = leaf(2.0 * a.detach());
  check_wave_checksums(distributions::Chi2(df).cdf(value.detach()), {df}, {4, 2, 3},
                       {1.020833449170577, -1.24003090382121});
  check_grads(
      [](const TensorList& in) {
        return TensorList{distributions::Gamma(in[0], in[1]).cdf(in[2])};
      },
      {leaf(select(a, 0, 0)), rate, leaf(select(select(value, 0, 0), 0, 0))});
}
