// torch.special's modified Bessel functions of the second kind (modified_bessel_k0, k1 and the
// scaled forms), the I aliases and spherical_bessel_j0: values against mpmath (30 digits) on
// both sides of the series/integral switch at x = 2, down to K0(700) = 4.7e-306; checksums of the
// gradients (which PyTorch 1.13 does not implement) against mpmath's derivatives; gradcheck and
// gradgradcheck; PyTorch's edges.
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
  std::vector<double> values;     // at kPoints
  std::vector<double> checksums;  // at 0.1 + 3 |wave([2, 3], 0.3)|
};

const std::vector<double> kPoints = {1e-3, 0.5, 1.9, 2.0, 2.1, 5.0, 30.0, 700.0};

}  // namespace

TEST_CASE("modified Bessel K0, K1 and their scaled forms against mpmath", "[special][bessel]") {
  const std::vector<BesselReference> references = {
      {"modified_bessel_k0",
       modified_bessel_k0,
       {7.023688800562382, 0.9244190712276659, 0.1288459792760475, 0.11389387274953344,
        0.10078374088996693, 0.0036910983340425942, 2.1324774964630563e-14, 4.669776431685377e-306},
       {0.18986921270098114, -0.6575089847095544}},
      {"modified_bessel_k1",
       modified_bessel_k1,
       {999.9962381560856, 1.656441120003301, 0.15966015303266762, 0.13986588181652243,
        0.12274641153350789, 0.004044613445452165, 2.1677320018915495e-14, 4.6731107967079664e-306},
       {0.23373256111006788, -0.9240760595142398}},
      {"scaled_modified_bessel_k0",
       scaled_modified_bessel_k0,
       {7.030716002378251, 1.5241093857739094, 0.8614506167517558, 0.8415682150707714,
        0.8230171525316621, 0.547807564313519, 0.22788666561625373, 0.04736236945461357},
       {4.356523960685316, -1.0218847866541814}},
      {"scaled_modified_bessel_k1",
       scaled_modified_bessel_k1,
       {1000.9967345590684, 2.731009708211786, 1.0674709298145701, 1.0334768470686886,
        1.0023680527405792, 0.6002738587883126, 0.2316541293777118, 0.04739618765349454},
       {4.966086159832514, -1.7207359963310531}},
  };
  const Tensor points = tensor(kPoints, {8}, kFloat64);
  for (const BesselReference& r : references) {
    INFO(r.name);
    const std::vector<double> got = r.fn(points).to_vector<double>();
    for (size_t i = 0; i < got.size(); ++i) {
      INFO("x = " << kPoints[i]);
      CHECK(std::abs(got[i] - r.values[i]) <= 2e-15 * r.values[i]);
    }
    const Tensor x = leaf(0.1 + 3.0 * abs(wave({2, 3}, 0.3)));
    check_wave_checksums(r.fn(x), {x}, {2, 3}, r.checksums);
    check_grads([&](const TensorList& in) { return TensorList{r.fn(in[0])}; }, {x});
    // float32: the double result rounded; PyTorch's edges: +inf at 0, NaN below 0 and at NaN.
    CHECK(allclose(r.fn(points.to(kFloat32)), r.fn(points).to(kFloat32), 1e-6, 1e-37));
    const std::vector<double> edges =
        r.fn(tensor({0.0, -1.0, std::nan(""), std::numeric_limits<double>::infinity()}, {4},
                    kFloat64))
            .to_vector<double>();
    CHECK(edges[0] == std::numeric_limits<double>::infinity());
    CHECK(std::isnan(edges[1]));
    CHECK(std::isnan(edges[2]));
    CHECK(edges[3] == 0.0);
  }
  const Tensor x = tensor({0.3, -2.0, 25.0}, {3}, kFloat64);
  CHECK(allclose(modified_bessel_i0(x), i0(x), 0.0, 0.0));
  CHECK(allclose(modified_bessel_i1(x), i1(x), 0.0, 0.0));
}

TEST_CASE("spherical_bessel_j0: sin(x) / x with exact derivatives at 0", "[special][bessel]") {
  const Tensor x = tensor({0.0, 1e-3, 0.3, 0.49, 0.51, 3.0, 100.0}, {7}, kFloat64);
  const std::vector<double> want = {1.0,
                                    0.9999998333333416,
                                    0.9850673555377986,
                                    0.9604609962676695,
                                    0.957210288005701,
                                    0.04704000268662241,
                                    -0.005063656411097588};
  const std::vector<double> got = spherical_bessel_j0(x).to_vector<double>();
  for (size_t i = 0; i < want.size(); ++i) CHECK(std::abs(got[i] - want[i]) <= 2e-16);
  // j0''(0) = -1/3 and j0''''(0) = 1/5 from the polynomial.
  const Tensor zero = leaf(zeros({1}, kFloat64));
  Tensor derivative = spherical_bessel_j0(zero);
  std::vector<double> at_zero;
  GradOptions options;
  options.create_graph = true;
  for (int order = 1; order <= 4; ++order) {
    derivative = grad({sum(derivative)}, {zero}, {}, options)[0];
    at_zero.push_back(derivative.item<double>());
  }
  CHECK(at_zero[0] == 0.0);
  CHECK(at_zero[1] == Approx(-1.0 / 3.0).epsilon(1e-15));
  CHECK(at_zero[2] == 0.0);
  CHECK(at_zero[3] == Approx(0.2).epsilon(1e-15));
  const Tensor around = leaf(tensor({-0.7, -0.2, 0.0, 0.45, 0.55, 4.0}, {6}, kFloat64));
  check_grads([](const TensorList& in) { return TensorList{spherical_bessel_j0(in[0])}; },
              {around});
}
