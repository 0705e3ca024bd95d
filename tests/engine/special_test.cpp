// torch.special's Bessel, normal-distribution and entropy functions (engine/ops/special.hpp):
// against PyTorch 1.13 in float64 on wave() inputs (checksums sum(t * wave(t.shape, phase)) of
// the values, phase 0.3, and of the gradients of sum(y * wave(y.shape, 0.9)), phase 1.3), against
// mpmath at wide arguments (both sides of the series/asymptotic switch at |x| = 20, erfcx's
// continued fraction, ndtri's far tail), edge values, float32 rounding, gradcheck and
// gradgradcheck.
#include <cmath>
#include <functional>
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

// |got - want| <= rtol |want| for each value of a float64 op at float64 arguments.
void check_values(const std::function<Tensor(const Tensor&)>& f, const std::vector<double>& at,
                  const std::vector<double>& want, double rtol) {
  const std::vector<double> got = f(tensor(at, kFloat64)).to_vector<double>();
  for (size_t i = 0; i < at.size(); ++i) {
    INFO("at " << at[i] << ": " << got[i] << " vs " << want[i]);
    if (std::isinf(want[i])) {
      CHECK(got[i] == want[i]);
    } else {
      CHECK(std::abs(got[i] - want[i]) <= rtol * std::abs(want[i]) + 1e-300);
    }
  }
}

}  // namespace

TEST_CASE("special functions match PyTorch", "[special]") {
  const Tensor x = leaf(wave({3, 5}, 0.2) * 8.0);
  check_wave_checksums(i0(x), {x}, {3, 5}, {44.60783130985328, 5.5156534656453005});
  check_wave_checksums(i0e(x), {x}, {3, 5}, {0.04924180127573702, 0.8597247732304404});
  check_wave_checksums(i1(x), {x}, {3, 5}, {104488.20729873318, 57869.99172168036});
  check_wave_checksums(i1e(x), {x}, {3, 5}, {1.9620953716388905, 0.2866976291553184});
  const Tensor y = leaf(wave({3, 5}, 0.4) * 4.0);
  check_wave_checksums(erfcx(y), {y}, {3, 5}, {-8751143036693548.0, -7.56698010720074e+16});
  check_wave_checksums(ndtr(y), {y}, {3, 5}, {8.027381804757036, 0.4139036457204859});
  check_wave_checksums(log_ndtr(y * 3.0), {y}, {3, 5}, {886.987759026764, 319.8464475964952});
  const Tensor p = leaf(wave({3, 5}, 0.6) / 3.2 + 0.5);
  check_wave_checksums(ndtri(p), {p}, {3, 5}, {19.22815307885468, 120.94669543949024});
  check_wave_checksums(sinc(y), {y}, {3, 5}, {0.28476431725966883, 1.0476989628906912});
  const Tensor q = leaf(abs(wave({3, 5}, 0.6)) + 0.1);
  check_wave_checksums(entr(q), {q}, {3, 5}, {0.24666844617963768, -19.762363682451024});
  check_wave_checksums(xlog1py(y, q), {y, q}, {3, 5},
                       {63.403550029069315, 13.49599039654197, 0.21920901870248644});
  const Tensor m = leaf(abs(wave({3, 5}, 0.6)) + 2.0);
  check_wave_checksums(multigammaln(m, 3), {m}, {3, 5}, {1.199492433904676, 37.74462936666167});
}

TEST_CASE("special functions against mpmath at wide arguments", "[special]") {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  const std::vector<double> at{0.0, 1e-3, 7.5, 19.99, 20.01, 50.0, -3.0};
  check_values(i0, at,
               {1.0, 1.0000002500000156, 268.16131151518937, 43135797.87064526, 43984910.8348573,
                2.9325537838493362e+20, 4.8807925858650245},
               2e-15);
  check_values(i0e, at,
               {1.0, 0.9990007495835156, 0.14831583007739552, 0.08980306142890937,
                0.0897575796275753, 0.05656162664745419, 0.2430003541618254},
               2e-15);
  check_values(i1, at,
               {0.0, 0.0005000000625000026, 249.58436542268814, 42042635.9277871, 42871359.80820023,
                2.903078590103557e+20, -3.9533702174026093},
               2e-15);
  check_values(i1e, at,
               {0.0, 0.0004995003123542213, 0.1380412115485542, 0.08752724194828622,
                0.0874852175141268, 0.0559931238928954, -0.19682671329730086},
               2e-15);
  check_values(i0e, {700.0, -700.0}, {0.015081295651531358, 0.015081295651531358}, 2e-15);
  check_values(i1e, {700.0}, {0.015070519444716848}, 2e-15);
  check_values(i0, {750.0, kInf, -kInf}, {kInf, kInf, kInf}, 0.0);
  check_values(i1, {kInf, -kInf}, {kInf, -kInf}, 0.0);
  check_values(i0e, {kInf}, {0.0}, 0.0);
  check_values(erfcx, {-30.0, -5.0, 0.5, 3.0, 30.0, 1e5},
               {kInf, 144009798674.66104, 0.6156903441929259, 0.17900115118138996,
                0.01879588886141675, 5.6418958351954685e-06},
               1e-15);
  check_values(ndtri, {1e-300, 1e-30, 0.001, 0.3, 0.75, 0.999999},
               {-37.0470962993612, -11.464024688443615, -3.0902323061678136, -0.5244005127080408,
                0.6744897501960817, 4.753424308822899},
               // 1 - 0.999999 carries the rounding of 0.999999 (2e-11 relative in the tail).
               1e-10);
  check_values(ndtri, {1e-300, 1e-30, 0.001, 0.3, 0.75},
               {-37.0470962993612, -11.464024688443615, -3.0902323061678136, -0.5244005127080408,
                0.6744897501960817},
               1e-15);
  check_values(
      log_ndtr, {-40.0, -5.0, 0.0, 5.0},
      {-804.6084420137538, -15.064998393988725, -0.6931471805599453, -2.866516129637636e-07},
      1e-14);
}

TEST_CASE("special functions: edge values and float32", "[special]") {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  const std::vector<double> quantiles =
      ndtri(tensor({0.0, 1.0, 0.5, -0.1, 1.5}, kFloat64)).to_vector<double>();
  CHECK((quantiles[0] == -kInf && quantiles[1] == kInf && quantiles[2] == 0.0));
  CHECK((std::isnan(quantiles[3]) && std::isnan(quantiles[4])));
  const std::vector<double> entropies =
      entr(tensor({0.0, -1.0, 1.0, std::nan("")}, kFloat64)).to_vector<double>();
  CHECK((entropies[0] == 0.0 && entropies[1] == -kInf && entropies[2] == 0.0));
  CHECK(std::isnan(entropies[3]));
  CHECK(sinc(tensor({0.0, 1.0}, kFloat64)).to_vector<double>()[0] == 1.0);
  CHECK(std::isnan(i0(tensor({std::nan("")}, kFloat64)).item<double>()));
  // xlog1py: 0 at x = 0 even where log1p(y) is -inf, NaN for a NaN y.
  const std::vector<double> products =
      xlog1py(tensor({0.0, 0.0, 2.0}, kFloat64), tensor({-1.0, std::nan(""), 1.0}, kFloat64))
          .to_vector<double>();
  CHECK((products[0] == 0.0 && std::isnan(products[1])));
  CHECK(products[2] == Approx(2.0 * std::log(2.0)).epsilon(1e-15));
  // float32 results are the float64 results rounded.
  const Tensor args = wave({40}, 0.1) * 15.0;
  const std::vector<std::pair<std::string, std::function<Tensor(const Tensor&)>>> functions{
      {"i0", i0}, {"i0e", i0e}, {"i1", i1}, {"i1e", i1e}, {"erfcx", erfcx}};
  for (const auto& [name, f] : functions) {
    INFO(name);
    // erfcx overflows float32 below -9.4: keep its arguments above.
    const Tensor x = (name == "erfcx" ? args * 0.4 : args).to(kFloat32);
    CHECK(allclose(f(x), f(x.to(kFloat64)).to(kFloat32), 0, 0));
  }
  const Tensor probabilities = abs(wave({40}, 0.2)) / 1.6 + 0.01;
  CHECK(allclose(ndtri(probabilities.to(kFloat32)),
                 ndtri(probabilities.to(kFloat32).to(kFloat64)).to(kFloat32), 0, 0));
}

TEST_CASE("special functions: gradcheck and gradgradcheck", "[special][gradcheck]") {
  check_grads(
      [](const TensorList& in) -> TensorList {
        return {i0(in[0]),
                i0e(in[0]),
                i1(in[0]),
                i1e(in[0]),
                erfcx(in[0]),
                ndtr(in[0]),
                log_ndtr(in[0] * 4.0),
                sinc(in[0]),
                ndtri(in[1]),
                entr(in[1]),
                xlog1py(in[0], in[1]),
                multigammaln(in[1] + 2.0, 4)};
      },
      {leaf(tensor({-2.5, -0.3, 0.7, 1.9, 6.0}, kFloat64)),
       leaf(tensor({0.05, 0.3, 0.5, 0.8, 0.97}, kFloat64))});
  // The asymptotic branch (|x| > 20) on its own: beside values near 1e9, the numerical
  // derivatives of the small functions above would drown in rounding.
  check_grads(
      [](const TensorList& in) -> TensorList {
        return {i0(in[0]), i1(in[0])};
      },
      {leaf(tensor({21.5, -22.0}, kFloat64))});
  check_grads(
      [](const TensorList& in) -> TensorList {
        return {i0e(in[0]), i1e(in[0])};
      },
      {leaf(tensor({24.0, -30.0}, kFloat64))});
  // The derivatives' limits at 0 (1/2 for I1 and i1e, 0 for sinc).
  const Tensor zero = leaf(zeros({1}, kFloat64));
  CHECK(grad({sum(i1(zero))}, {zero})[0].item<double>() == 0.5);
  CHECK(grad({sum(i1e(zero))}, {zero})[0].item<double>() == 0.5);
  CHECK(grad({sum(sinc(zero))}, {zero})[0].item<double>() == 0.0);
}

TEST_CASE("special functions reject bad input", "[special][errors]") {
  CHECK_THROWS_WITH(i0(tensor({1, 2}, kInt64)),
                    MG_CONTAINS("i0: expected a float32 or float64 tensor, got int64"));
  CHECK_THROWS_WITH(multigammaln(tensor({0.9}, kFloat64), 3),
                    MG_CONTAINS("multigammaln: every element of x (shape [1]) must exceed"));
  CHECK_THROWS_WITH(multigammaln(tensor({3.0}, kFloat64), 0),
                    MG_CONTAINS("multigammaln: p must be in [1, 2^24], got 0"));
}
