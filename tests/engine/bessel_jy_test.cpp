// torch.special's Bessel functions of the first and second kind (bessel_j0, bessel_j1, bessel_y0,
// bessel_y1): values against mpmath (40 digits) in each region of the kernels (the series up to 2,
// Miller's recurrence up to 20, the asymptotic expansion above), at a zero of J0 and of Y0 and out
// to x = 1000; checksums of the gradients (which PyTorch 1.13 does not implement) against
// mpmath's derivatives; gradcheck and gradgradcheck; the edges. PyTorch 1.13's own values are
// up to 2.4e-6 off near x = 5; these stay within 2e-15 of the functions' envelope.
#include <algorithm>
#include <cmath>
#include <functional>
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

struct BesselReference {
  const char* name;
  std::function<Tensor(const Tensor&)> fn;
  std::vector<double> points;
  std::vector<double> values;     // at points
  std::vector<double> checksums;  // of fn at 9 wave([2, 3], 0.3) (J) or 0.1 + 9 |wave| (Y)
};

const std::vector<double> kJPoints = {-7.0, -0.5, 1e-3, 0.5,  1.9,   2.1, 2.404825557695773,
                                      7.0,  19.9, 20.1, 40.0, 1000.0};
const std::vector<double> kYPoints = {1e-3, 0.5,   0.8935769662791675, 1.9, 2.1, 7.0, 19.9, 20.1,
                                      40.0, 1000.0};

// The scale of an error: the value, or where it is near a zero the amplitude of the oscillation
// there, min(1, sqrt(2 / (pi |x|))).
double error_scale(double x, double value) {
  const double envelope = std::min(1.0, std::sqrt(2.0 / (M_PI * std::abs(x))));
  return std::max(std::abs(value), envelope);
}

}  // namespace

TEST_CASE("Bessel J0, J1, Y0, Y1 against mpmath", "[special][bessel]") {
  const std::vector<BesselReference> references = {
      {"bessel_j0",
       bessel_j0,
       kJPoints,
       {0.3000792705195556, 0.9384698072408129, 0.9999997500000156, 0.9384698072408129,
        0.28181855937438555, 0.16660698033199028, -6.10876525973673e-17, 0.3000792705195556,
        0.17287775639261846, 0.15953606793729708, 0.00736689058423729, 0.024786686152420176},
       {0.3476167976120919, 0.005864300207282316}},
      {"bessel_j1",
       bessel_j1,
       kJPoints,
       {0.004682823482345833, -0.2422684576748739, 0.0004999999375000026, 0.2422684576748739,
        0.5811570727134341, 0.5682921357570386, 0.5191474972894667, -0.004682823482345833,
        0.05011742480737974, 0.08280100576020977, 0.126038318037585, 0.004728311907089524},
       {-0.3830275797403032, -0.17220728491234533}},
      {"bessel_y0",
       bessel_y0,
       kYPoints,
       {-4.471416611375923, -0.44451873350670656, -2.3389279284062102e-17, 0.4968199712838202,
        0.5182937375137607, -0.025949743967209265, 0.04576209415938548, 0.0788105924287503,
        0.12593641705826092, 0.0047159179776228135},
       {-0.3433010187827922, -0.17732468904806878}},
      {"bessel_y1",
       bessel_y1,
       kYPoints,
       {-636.6221672311394, -1.471472392670243, -0.8794208024971948, -0.1644057723315953,
        -0.05167861213042353, -0.30266723702418485, -0.17178303121049257, -0.15762598074781153,
        -0.005793505821549633, -0.024784331292351778},
       {-0.3958638572198635, -0.08471867401647869}},
  };
  for (const BesselReference& r : references) {
    INFO(r.name);
    const auto count = static_cast<int64_t>(r.points.size());
    const Tensor points = tensor(r.points, {count}, kFloat64);
    const std::vector<double> got = r.fn(points).to_vector<double>();
    for (size_t i = 0; i < got.size(); ++i) {
      INFO("x = " << r.points[i] << ": " << got[i] << " vs " << r.values[i]);
      CHECK(std::abs(got[i] - r.values[i]) <= 2e-15 * error_scale(r.points[i], r.values[i]));
    }
    const bool second_kind = r.name[7] == 'y';
    const Tensor waves = 9.0 * wave({2, 3}, 0.3);
    const Tensor x = leaf(second_kind ? 0.1 + abs(waves) : waves);
    check_wave_checksums(r.fn(x), {x}, {2, 3}, r.checksums);
    check_grads([&](const TensorList& in) { return TensorList{r.fn(in[0])}; }, {x});
    // float32: computed in double, so the double result at the float32 points, rounded.
    const Tensor single = points.to(kFloat32);
    CHECK(allclose(r.fn(single), r.fn(single.to(kFloat64)).to(kFloat32), 0.0, 0.0));
  }
}

TEST_CASE("Bessel J and Y: edges and symmetry", "[special][bessel]") {
  const double inf = std::numeric_limits<double>::infinity();
  const Tensor edges = tensor({0.0, -1.0, std::nan(""), inf, -inf}, {5}, kFloat64);
  const std::vector<double> j0 = bessel_j0(edges).to_vector<double>();
  const std::vector<double> j1 = bessel_j1(edges).to_vector<double>();
  const std::vector<double> y0 = bessel_y0(edges).to_vector<double>();
  const std::vector<double> y1 = bessel_y1(edges).to_vector<double>();
  CHECK(j0[0] == 1.0);
  CHECK(j1[0] == 0.0);
  CHECK(std::isnan(j0[2]));
  CHECK(std::isnan(j1[2]));
  // The limits at +-inf (PyTorch 1.13 gives NaN there).
  CHECK(j0[3] == 0.0);
  CHECK(j0[4] == 0.0);
  CHECK(j1[3] == 0.0);
  for (const std::vector<double>& y : {y0, y1}) {
    CHECK(y[0] == -inf);
    CHECK(std::isnan(y[1]));
    CHECK(std::isnan(y[2]));
    CHECK(y[3] == 0.0);
    CHECK(std::isnan(y[4]));
  }
  // J0 is even and J1 odd, bit for bit; J1's slope at 0 is 1/2.
  const Tensor x = tensor({0.3, 4.0, 18.0, 33.0}, {4}, kFloat64);
  CHECK(allclose(bessel_j0(-x), bessel_j0(x), 0.0, 0.0));
  CHECK(allclose(bessel_j1(-x), -bessel_j1(x), 0.0, 0.0));
  const Tensor origin = leaf(zeros({1}, kFloat64));
  CHECK(grad({sum(bessel_j1(origin))}, {origin})[0].item<double>() == 0.5);
  // The Wronskian J1 Y0 - J0 Y1 = 2 / (pi x), across all three regions.
  const Tensor across = tensor({0.7, 1.99, 2.01, 9.5, 19.99, 20.01, 55.0}, {7}, kFloat64);
  const Tensor wronskian =
      bessel_j1(across) * bessel_y0(across) - bessel_j0(across) * bessel_y1(across);
  CHECK(allclose(wronskian, 2.0 / (M_PI * across), 1e-14, 0.0));
}
