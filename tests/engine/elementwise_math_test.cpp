// The elementwise math of engine/ops/elementwise_math.hpp: values against PyTorch 1.13 (float64
// and float32), known values and edges of the special functions, integer remainders, and
// gradcheck + gradgradcheck of every differentiable function.
#include <fmt/format.h>

#include <cmath>
#include <functional>
#include <limits>
#include <numbers>
#include <vector>

#include "tests/support/helpers.hpp"

using namespace metagrad;
using metagrad::testing::check_grads;
using metagrad::testing::noncontiguous;
using metagrad::testing::uniform64;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

Tensor f64(const std::vector<double>& values) {
  return tensor(values, {static_cast<int64_t>(values.size())}, kFloat64);
}
Tensor f32(const std::vector<double>& values) { return f64(values).to(kFloat32); }

// Each value of `got` within rtol (relative) of `want`; NaN matches NaN, infinities match exactly.
void check_values(const Tensor& got, const std::vector<double>& want, double rtol) {
  const std::vector<double> values = got.to(kFloat64).to_vector<double>();
  REQUIRE(values.size() == want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    INFO("element " << i << ": got " << fmt::format("{:.17g}", values[i]) << ", want "
                    << fmt::format("{:.17g}", want[i]));
    if (std::isnan(want[i])) {
      CHECK(std::isnan(values[i]));
    } else if (std::isinf(want[i])) {
      CHECK(values[i] == want[i]);
    } else {
      CHECK(std::abs(values[i] - want[i]) <= rtol * std::abs(want[i]) + 1e-300);
    }
  }
}

const std::vector<double> kReals = {-2.7, -0.9, -0.3, 0.0, 0.4, 1.3, 3.9};
const std::vector<double> kUnitInterval = {-0.95, -0.6, -0.1, 0.0, 0.2, 0.75, 0.999};
const std::vector<double> kPositives = {0.05, 0.5, 1.0, 1.7, 4.2, 11.5, 250.0};
const std::vector<double> kNegatives = {-0.5, -1.5, -2.25, -3.9, -7.7};

}  // namespace

TEST_CASE("tan, atan, sinh, cosh, asinh, asin, acos, atanh, acosh match PyTorch",
          "[elementwise_math]") {
  const Tensor x = f64(kReals), u = f64(kUnitInterval);
  const double rtol = 4e-16;
  check_values(tan(x),
               {0.4727276291030373, -1.2601582175503392, -0.30933624960962325, 0.0,
                0.4227932187381618, 3.6021024479679786, 0.9474246499358927},
               rtol);
  check_values(atan(x),
               {-1.2160906747839564, -0.7328151017865066, -0.2914567944778671, 0.0,
                0.3805063771123649, 0.9151007005533605, 1.319793640151862},
               rtol);
  check_values(sinh(x),
               {-7.406263106066543, -1.0265167257081753, -0.3045202934471426, 0.0,
                0.4107523258028155, 1.698382437292616, 24.691103597042183},
               rtol);
  check_values(cosh(x),
               {7.473468618806294, 1.4330863854487745, 1.0453385141288605, 1.0, 1.081072371838455,
                1.9709142303266285, 24.711345508487984},
               rtol);
  check_values(asinh(x),
               {-1.7190518512089272, -0.8088669356527824, -0.29567304756342244, 0.0,
                0.39003531977071526, 1.078451058954897, 2.0701692399277114},
               rtol);
  check_values(asin(u),
               {-1.253235897503375, -0.6435011087932844, -0.1001674211615598, 0.0,
                0.2013579207903308, 0.848062078981481, 1.526071239626163},
               rtol);
  check_values(acos(u),
               {2.824032224298272, 2.214297435588181, 1.6709637479564565, 1.5707963267948966,
                1.369438406004566, 0.7227342478134156, 0.04472508716873345},
               rtol);
  check_values(atanh(u),
               {-1.8317808230648227, -0.6931471805599453, -0.10033534773107558, 0.0,
                0.2027325540540822, 0.9729550745276566, 3.8002011672501994},
               rtol);
  check_values(acosh(f64({1.0, 1.3, 2.0, 4.5, 10.0})),
               {0.0, 0.7564329108569596, 1.3169578969248166, 2.1846437916051085, 2.993222846126381},
               rtol);
  // Outside their domains: NaN, and infinities at the ends, as PyTorch.
  check_values(asin(f64({1.5, -1.01})), {kNaN, kNaN}, 0);
  check_values(acosh(f64({0.5})), {kNaN}, 0);
  check_values(atanh(f64({1.0, -1.0, 2.0})), {kInf, -kInf, kNaN}, 0);
  // Methods.
  CHECK(x.tan().to_vector<double>() == tan(x).to_vector<double>());
  CHECK(u.erfinv().to_vector<double>() == erfinv(u).to_vector<double>());
}

TEST_CASE("log2, log10, lgamma, digamma, polygamma, erfc and erfinv match PyTorch",
          "[elementwise_math]") {
  const Tensor p = f64(kPositives);
  check_values(log2(p),
               {-4.321928094887363, -1.0, 0.0, 0.765534746362977, 2.070389327891398,
                3.523561956057013, 7.965784284662087},
               4e-16);
  check_values(log10(p),
               {-1.3010299956639813, -0.3010299956639812, 0.0, 0.2304489213782739,
                0.6232492903979004, 1.0606978403536116, 2.3979400086720375},
               4e-16);
  check_values(lgamma(p),
               {2.9688792010517306, 0.5723649429247001, 0.0, -0.09580769740706588, 2.04855563696059,
                16.292000476567242, 1128.5237708729908},
               1e-15);
  check_values(digamma(p),
               {-20.49784499129987, -1.9635100260214229, -0.5772156649015328, 0.20854787487349372,
                1.311338891286599, 2.3982391295357814, 5.519459584531046},
               1e-15);
  check_values(polygamma(2, p),
               {-16002.108158021943, -16.828796644234316, -2.404113806319188, -0.6040890841034592,
                -0.0717648505531312, -0.008247469050652217, -1.6064127999317343e-05},
               1e-14);
  check_values(polygamma(3, p),
               {960005.3883223129, 97.40909103400242, 6.493939402266829, 0.8895620066243167,
                0.03812584146098512, 0.0014964647522692249, 1.2877004798361637e-07},
               1e-14);
  const Tensor n = f64(kNegatives);
  check_values(lgamma(n),
               {1.2655121234846454, 0.860047015376481, 0.5555015450206475, -0.7094680089083923,
                -8.6110964437789},
               1e-14);
  check_values(digamma(n),
               {0.03648997397857639, 0.7031566406452433, 4.158583564657972, -8.18509019720911,
                -0.17774844371896892},
               1e-14);
  check_values(polygamma(2, n),
               {-0.82879664423432, -0.23620405164172825, 123.89694977406015, -1998.7106652661132,
                -68.85236099165041},
               1e-13);
  check_values(erfc(f64(kReals) * 3.0),
               {2.0, 1.9998656672600594, 1.7969082124228322, 1.0, 0.08968602177036457,
                3.4792248597231646e-08, 1.7025329069808723e-61},
               1e-15);
  // PyTorch's erfinv(0.999) is 4e-15 off (erfc of it is 1 - y + 5e-14 relative); ours is within
  // an ulp of erfc(x) = 1 - y (checked in the next test case).
  check_values(erfinv(f64(kUnitInterval)),
               {-1.385903824349678, -0.5951160814499948, -0.08885599049425769, 0.0,
                0.1791434546212917, 0.8134198475976187, 2.3267537655135153},
               5e-15);
}

TEST_CASE("special functions: known values, tails and edges", "[elementwise_math]") {
  const double euler_gamma = 0.57721566490153286;
  const double pi = std::numbers::pi;
  // psi(1) = -gamma, psi(1/2) = -gamma - 2 ln 2, psi_1(1) = pi^2/6 (PyTorch's trigamma is off by
  // 5e-10 here), psi_1(1/2) = pi^2/2, psi_2(1) = -2 zeta(3), lgamma(1/2) = log sqrt(pi).
  check_values(digamma(f64({1.0, 0.5})), {-euler_gamma, -euler_gamma - 2 * std::numbers::ln2},
               1e-15);
  check_values(polygamma(1, f64({1.0, 0.5})), {pi * pi / 6, pi * pi / 2}, 2e-15);
  check_values(polygamma(2, f64({1.0})), {-2 * 1.2020569031595942}, 2e-15);
  check_values(lgamma(f64({0.5})), {std::log(std::sqrt(pi))}, 1e-15);
  // psi_n(x + 1) = psi_n(x) + (-1)^n n! / x^(n+1), across the switch to the asymptotic series.
  for (int64_t order = 0; order <= 4; ++order) {
    const Tensor x = f64({1.3, 8.6, 9.5, 40.0, -3.3});
    double factorial = 1;
    for (int64_t k = 2; k <= order; ++k) factorial *= static_cast<double>(k);
    const Tensor step =
        pow(x, -static_cast<double>(order + 1)) * ((order % 2 == 0 ? 1.0 : -1.0) * factorial);
    INFO("order " << order);
    CHECK(metagrad::testing::allclose(polygamma(order, x + 1.0), polygamma(order, x) + step, 1e-13,
                                      0));
  }
  // Far negative arguments take the reflection formula: it agrees with the recurrence there too.
  const Tensor far = f64({-70000.3});
  CHECK(metagrad::testing::allclose(polygamma(3, far + 1.0), polygamma(3, far) - 6.0 / pow(far, 4),
                                    1e-12, 0));
  // Poles and signed zeros, as PyTorch.
  check_values(digamma(f64({0.0, -0.0, -2.0, kInf, -kInf})), {-kInf, kInf, kNaN, kInf, kNaN}, 0);
  check_values(lgamma(f64({0.0, -1.0, -2.0, kInf})), {kInf, kInf, kInf, kInf}, 0);
  check_values(polygamma(1, f64({0.0, -3.0})), {kInf, kInf}, 0);
  check_values(polygamma(2, f64({0.0})), {-kInf}, 0);
  // erfinv: +-inf at +-1, NaN beyond, and full relative precision in the tails, where erf(x)
  // rounds to 1: erfc(erfinv(1 - t)) = t.
  check_values(erfinv(f64({1.0, -1.0, 1.5, kNaN})), {kInf, -kInf, kNaN, kNaN}, 0);
  for (double t : {1e-6, 1e-12, 1e-15}) {
    const Tensor y = f64({1.0 - t, -(1.0 - t)});
    const double exact_t = 1.0 - (1.0 - t);  // the t that 1 - t holds
    check_values(erfc(erfinv(y)), {exact_t, 2.0 - exact_t}, 4e-15);
  }
  check_values(erf(erfinv(f64({0.3, -0.7, 1e-300}))), {0.3, -0.7, 1e-300}, 2e-16);
  CHECK_THROWS_WITH(polygamma(171, f64({1.0})), MG_CONTAINS("polygamma: the order n"));
  CHECK_THROWS_WITH(polygamma(-1, f64({1.0})), MG_CONTAINS("must lie in [0, 170]"));
}

TEST_CASE("elementwise math in float32 matches PyTorch", "[elementwise_math]") {
  const Tensor p = f32({0.05, 0.5, 1.7, 4.2, 11.5});
  check_values(lgamma(p),
               {2.968879222869873, 0.5723649263381958, -0.09580768644809723, 2.048555374145508,
                16.29199981689453},
               4e-7);
  // PyTorch computes float32 digamma in float and loses digits near its root (1.46): at 1.7 it
  // is 1e-6 off. Ours is the float64 digamma of the same float32 input, rounded once.
  check_values(digamma(p),
               {-20.49784278869629, -1.9635108709335327, 0.20854812860488892, 1.3113387823104858,
                2.3982391357421875},
               1.5e-6);
  CHECK(digamma(p).to_vector<float>() == digamma(p.to(kFloat64)).to(kFloat32).to_vector<float>());
  check_values(polygamma(2, p),
               {-16002.107421875, -16.82879638671875, -0.6040890216827393, -0.07176485657691956,
                -0.008247468620538712},
               4e-7);
  check_values(erfinv(f32({-0.95, -0.1, 0.2, 0.75, 0.999})),
               {-1.3859037160873413, -0.08885598927736282, 0.17914345860481262, 0.8134198784828186,
                2.326756715774536},
               4e-7);
  check_values(tan(f32({-2.7, -0.3, 0.4, 1.3})),
               {0.47272756695747375, -0.30933627486228943, 0.4227932393550873, 3.6021018028259277},
               4e-7);
  CHECK(lgamma(p).dtype() == kFloat32);
  // lerp rounds each product and sum once, as PyTorch's fused CPU kernel: the same float32 bits.
  CHECK(lerp(f32({0.1, -2.3, 1e-3, 7.7}), f32({0.7, 5.1, -0.25, 3.3}), f32({0.3, 0.55, 0.9, -0.7}))
            .to_vector<float>() == std::vector<float>{0.2800000011920929f, 1.7700002193450928f,
                                                      -0.2248999923467636f, 10.779999732971191f});
}

TEST_CASE("unary elementwise math: gradcheck and gradgradcheck", "[elementwise_math]") {
  struct Case {
    const char* name;
    std::function<Tensor(const Tensor&)> fn;
    double low, high;
  };
  const std::vector<Case> cases = {
      {"tan", [](const Tensor& x) { return tan(x); }, -1.2, 1.2},
      {"asin", [](const Tensor& x) { return asin(x); }, -0.9, 0.9},
      {"acos", [](const Tensor& x) { return acos(x); }, -0.9, 0.9},
      {"atan", [](const Tensor& x) { return atan(x); }, -3, 3},
      {"sinh", [](const Tensor& x) { return sinh(x); }, -2, 2},
      {"cosh", [](const Tensor& x) { return cosh(x); }, -2, 2},
      {"asinh", [](const Tensor& x) { return asinh(x); }, -3, 3},
      {"acosh", [](const Tensor& x) { return acosh(x); }, 1.2, 4},
      {"atanh", [](const Tensor& x) { return atanh(x); }, -0.9, 0.9},
      {"log2", [](const Tensor& x) { return log2(x); }, 0.2, 3},
      {"log10", [](const Tensor& x) { return log10(x); }, 0.2, 3},
      {"exp2", [](const Tensor& x) { return exp2(x); }, -2, 2},
      {"reciprocal", [](const Tensor& x) { return reciprocal(x); }, 0.3, 2},
      {"logit", [](const Tensor& x) { return logit(x); }, 0.1, 0.9},
      {"logit with eps", [](const Tensor& x) { return logit(x, 0.2); }, 0.25, 0.75},
      {"frac", [](const Tensor& x) { return frac(x); }, 0.1, 0.9},
      {"erfc", [](const Tensor& x) { return erfc(x); }, -2, 2},
      {"erfinv", [](const Tensor& x) { return erfinv(x); }, -0.9, 0.9},
      {"lgamma", [](const Tensor& x) { return lgamma(x); }, 0.3, 5},
      {"lgamma of negatives", [](const Tensor& x) { return lgamma(x); }, -2.8, -2.2},
      {"digamma", [](const Tensor& x) { return digamma(x); }, 0.3, 12},
      {"polygamma(2)", [](const Tensor& x) { return polygamma(2, x); }, 0.5, 12},
  };
  uint64_t seed = 400;
  for (const Case& c : cases) {
    INFO(c.name);
    const Tensor x = uniform64({2, 3}, c.low, c.high, ++seed);
    auto fn = [&c](const TensorList& in) { return TensorList{c.fn(in[0])}; };
    check_grads(fn, {x});
    check_grads(fn, {noncontiguous(x)});
    CHECK(c.fn(zeros({0, 2}, kFloat64)).shape() == Dims{0, 2});
  }
}

TEST_CASE("lgamma differentiates to digamma and polygamma of every order", "[elementwise_math]") {
  const Tensor x = f64({0.7, 3.2}).requires_grad_();
  Tensor derivative = lgamma(x);
  for (int64_t order = 0; order <= 4; ++order) {
    derivative = grad({derivative.sum()}, {x}, {}, {.create_graph = true})[0];
    INFO("derivative " << order + 1);
    CHECK(metagrad::testing::allclose(derivative, polygamma(order, x.detach()), 1e-15, 0));
  }
}

TEST_CASE("atan2 and hypot: quadrants, no overflow, gradients", "[elementwise_math]") {
  const Tensor a = f64({1.0, -1.0, -1.0, 1.0, 0.0, 0.0, -0.0, 3.0});
  const Tensor b = f64({1.0, 1.0, -1.0, -1.0, 1.0, -1.0, -1.0, 0.0});
  check_values(atan2(a, b),
               {0.7853981633974483, -0.7853981633974483, -2.356194490192345, 2.356194490192345, 0.0,
                3.141592653589793, -3.141592653589793, 1.5707963267948966},
               0);
  check_values(hypot(f64({3.0, 1e200, 1e-200, -5.0}), f64({4.0, 1e200, 1e-200, 12.0})),
               {5.0, 1.414213562373095e+200, 1.414213562373095e-200, 13.0}, 2e-16);
  auto binary = [](Tensor (*f)(const Tensor&, const Tensor&)) {
    return [f](const TensorList& in) { return TensorList{f(in[0], in[1])}; };
  };
  check_grads(binary(atan2), {uniform64({2, 3}, -2, 2, 1), uniform64({2, 3}, -2, 2, 2)});
  check_grads(binary(atan2), {uniform64({2, 3}, -2, 2, 3), uniform64({3}, 0.5, 2, 4)});
  check_grads(binary(hypot), {uniform64({2, 3}, -2, 2, 5), uniform64({2, 1}, 0.5, 2, 6)});
  CHECK_THROWS_WITH(atan2(f64({1.0}), f32({1.0})), MG_CONTAINS("atan2"));
  CHECK_THROWS_WITH(hypot(tensor({1, 2}, kInt64), tensor({1, 2}, kInt64)),
                    MG_CONTAINS("hypot: expected a float32 or float64 tensor, got int64"));
}

TEST_CASE("remainder and fmod: the signs of Python's % and C's fmod", "[elementwise_math]") {
  const Tensor x = f64({5.5, -5.5, 5.5, -5.5, 7.0, -7.0, 0.3});
  const Tensor y = f64({2.0, 2.0, -2.0, -2.0, 3.5, 3.5, 0.1});
  check_values(remainder(x, y), {1.5, 0.5, -0.5, -1.5, 0.0, -0.0, 0.09999999999999998}, 0);
  check_values(fmod(x, y), {1.5, -1.5, 1.5, -1.5, 0.0, -0.0, 0.09999999999999998}, 0);
  check_values(remainder(f64({1.0, -1.0}), 0.0), {kNaN, kNaN}, 0);
  check_values(fmod(x, 2.0), {1.5, -1.5, 1.5, -1.5, 1.0, -1.0, 0.3}, 0);
  // int64: exact, the division by zero that traps in C is an error, and INT64_MIN % -1 (which
  // traps too, and makes PyTorch 1.13 die of SIGFPE) is 0.
  const Tensor xi = tensor({7, -7, 7, -7, 6, std::numeric_limits<int64_t>::min()}, kInt64);
  const Tensor yi = tensor({3, 3, -3, -3, 3, -1}, kInt64);
  CHECK(remainder(xi, yi).to_vector<int64_t>() == std::vector<int64_t>{1, 2, -2, -1, 0, 0});
  CHECK(fmod(xi, yi).to_vector<int64_t>() == std::vector<int64_t>{1, -1, 1, -1, 0, 0});
  CHECK(remainder(xi, 4.0).to_vector<int64_t>() == std::vector<int64_t>{3, 1, 3, 1, 2, 0});
  CHECK_THROWS_WITH(remainder(xi, tensor({3, 0, 1, 1, 1, 1}, kInt64)),
                    MG_CONTAINS("remainder: integer division by zero"));
  CHECK_THROWS_WITH(fmod(xi, 0.0), MG_CONTAINS("fmod: integer division by zero"));
  // Gradients: 1 to the dividend, -floor(a / b) (-trunc(a / b)) to the divisor.
  const Tensor a = f64({5.5, -5.5}).requires_grad_(), b = f64({2.0, 2.0}).requires_grad_();
  const TensorList g = grad({remainder(a, b).sum()}, {a, b});
  CHECK(g[0].to_vector<double>() == std::vector<double>{1.0, 1.0});
  CHECK(g[1].to_vector<double>() == std::vector<double>{-2.0, 3.0});
  const TensorList h = grad({fmod(a, b).sum()}, {a, b});
  CHECK(h[1].to_vector<double>() == std::vector<double>{-2.0, 2.0});
  auto fn = [](const TensorList& in) {
    return TensorList{remainder(in[0], in[1]), fmod(in[0], in[1])};
  };
  check_grads(
      fn, {uniform64({2, 3}, 0.2, 0.9, 7) + f64({1.0, -3.0, 5.0}), uniform64({3}, 0.8, 1.6, 8)});
}

TEST_CASE("logaddexp and logaddexp2: no overflow, ties, infinities", "[elementwise_math]") {
  const Tensor a = f64({0.0, 1000.0, -1000.0, 2.0, kInf, -kInf, 1.0});
  const Tensor b = f64({0.0, 1000.0, -999.0, -3.0, kInf, -kInf, -kInf});
  check_values(logaddexp(a, b),
               {0.6931471805599453, 1000.6931471805599, -998.6867383124818, 2.006715348489118, kInf,
                -kInf, 1.0},
               4e-16);
  check_values(logaddexp2(a, b),
               {1.0, 1001.0, -998.4150374992788, 2.0443941193584534, kInf, -kInf, 1.0}, 4e-16);
  // At a tie the gradient splits in halves and the second derivative is sigma'(0) = 1/4: the
  // formula is logaddexp itself on each side, not a maximum with a kink.
  const Tensor x = f64({0.3}).requires_grad_(), y = f64({0.3}).requires_grad_();
  const TensorList g = grad({logaddexp(x, y).sum()}, {x, y}, {}, {.create_graph = true});
  CHECK(g[0].item<double>() == 0.5);
  CHECK(g[1].item<double>() == 0.5);
  CHECK(grad({g[0].sum()}, {x})[0].item<double>() == Approx(0.25).epsilon(1e-15));
  auto fn = [](const TensorList& in) {
    return TensorList{logaddexp(in[0], in[1]), logaddexp2(in[0], in[1])};
  };
  check_grads(fn, {uniform64({2, 3}, -3, 3, 9), uniform64({3}, -3, 3, 10)});
}

TEST_CASE("lerp and xlogy match PyTorch, with gradients", "[elementwise_math]") {
  const Tensor start = f64({1.0, -2.0, 0.5, 3.0}), end = f64({3.0, 5.0, -0.25, 3.5});
  check_values(lerp(start, end, f64({0.3, 0.5, 1.0, -0.7})), {1.6, 1.5, -0.25, 2.65}, 0);
  check_values(lerp(start, end, 1.0), {3.0, 5.0, -0.25, 3.5}, 0);  // exactly end
  check_values(lerp(start, end, 0.0), {1.0, -2.0, 0.5, 3.0}, 0);
  check_grads(
      [](const TensorList& in) { return TensorList{lerp(in[0], in[1], in[2])}; },
      {uniform64({2, 3}, -2, 2, 11), uniform64({2, 3}, -2, 2, 12), uniform64({3}, -0.2, 1.2, 13)});
  check_grads([](const TensorList& in) { return TensorList{lerp(in[0], in[1], 0.75)}; },
              {uniform64({2, 3}, -2, 2, 14), uniform64({2, 3}, -2, 2, 15)});

  check_values(xlogy(f64({0.0, 0.0, 0.0, 2.0, 0.0, -1.5}), f64({0.0, -1.0, kNaN, 3.0, kInf, 0.25})),
               {0.0, 0.0, kNaN, 2.1972245773362196, 0.0, 2.0794415416798357}, 4e-16);
  // At x == 0 with y <= 0 both gradients are 0 (PyTorch's mask), elsewhere log(y) and x / y.
  const Tensor x = f64({0.0, 0.0, 2.0}).requires_grad_(), y = f64({0.0, 4.0, 4.0}).requires_grad_();
  const TensorList g = grad({xlogy(x, y).sum()}, {x, y});
  check_values(g[0], {0.0, std::log(4.0), std::log(4.0)}, 1e-16);
  check_values(g[1], {0.0, 0.0, 0.5}, 0);
  check_grads([](const TensorList& in) { return TensorList{xlogy(in[0], in[1])}; },
              {uniform64({2, 3}, -2, 2, 16), uniform64({2, 3}, 0.3, 2, 17)});
}

TEST_CASE("logit, frac, exp2 and reciprocal match PyTorch", "[elementwise_math]") {
  check_values(
      logit(f64({0.0, 0.2, 0.5, 0.9, 1.0}), 0.1),
      {-2.197224577336219, -1.3862943611198906, 0.0, 2.1972245773362196, 2.1972245773362196}, 0);
  check_values(logit(f64({0.2, 0.5, 0.9})), {-1.3862943611198906, 0.0, 2.1972245773362196}, 0);
  check_values(frac(f64({2.75, -2.75, 0.5})), {0.75, -0.75, 0.5}, 0);
  check_values(exp2(f64({-1.0, 0.5, 10.0})), {0.5, std::numbers::sqrt2, 1024.0}, 2e-16);
  check_values(reciprocal(f64({4.0, -0.5})), {0.25, -2.0}, 0);
  CHECK_THROWS_WITH(logit(f64({0.5}), 0.6), MG_CONTAINS("logit: eps must lie in [0, 0.5]"));
  // With eps, the gradient is zero where x was clamped.
  const Tensor x = f64({0.05, 0.5}).requires_grad_();
  check_values(grad({logit(x, 0.1).sum()}, {x})[0], {0.0, 4.0}, 1e-15);
}
