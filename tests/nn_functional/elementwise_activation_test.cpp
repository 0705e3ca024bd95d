// gelu, silu, mish, softplus, log_sigmoid, elu, selu and leaky_relu: values and first and second
// derivatives against PyTorch's (torch 1.13, float64) at points that cover both sides of each
// kink and both saturated tails, gradcheck and gradgradcheck, float32 and the errors.
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "tests/support/helpers.hpp"

using namespace metagrad;
using metagrad::testing::check_grads;
using metagrad::testing::noncontiguous;
using metagrad::testing::uniform64;

namespace {

// The points every activation is evaluated at.
const std::vector<double> kPoints = {-30, -3, -0.5, 0, 0.7, 2, 25};

struct Reference {
  std::string name;
  std::function<Tensor(const Tensor&)> fn;
  // PyTorch's y, dy/dx and d2y/dx2 at kPoints (printed by torch.autograd.grad, create_graph).
  std::vector<double> value, first, second;
};

std::vector<Reference> references() {
  return {
      {"gelu",
       [](const Tensor& x) { return gelu(x); },
       {-0.0, -0.00404969409489031, -0.15426876936299344, 0.0, 0.5306254434438489,
        1.9544997361036416, 25.0},
       {-4.420938404635643e-195, -0.01194564720418392, 0.13250487534383712, 0.5, 0.9766141011336599,
        1.085231801078197, 1.0},
       {-1.3233342291209357e-193, -0.031022938883566054, 0.6161143218375241, 0.7978845608028654,
        0.47150343938380956, -0.10798193302637613, -4.768398225789282e-134}},
      {"gelu tanh",
       [](const Tensor& x) { return gelu(x, GeluApproximate::Tanh); },
       {-0.0, -0.0036373920817729943, -0.15428599017485606, 0.0, 0.5305701347051167,
        1.954597694087775, 25.0},
       {0.0, -0.011584166630969648, 0.13263009646535764, 0.5, 0.976357218656104, 1.0860992566236183,
        1.0},
       {0.0, -0.03176765888607492, 0.615506895115985, 0.7978845608028654, 0.4708629268446337,
        -0.10787507995107845, 0.0}},
      {"silu",
       [](const Tensor& x) { return silu(x); },
       {-2.8072868906517896e-12, -0.14227761953270035, -0.1887703343990727, 0.0,
        0.46773144051771626, 1.7615941559557646, 24.9999999996528},
       {-2.713710660963134e-12, -0.08810410601516962, 0.2600388126973482, 0.5, 0.8233867834733425,
        1.0907842487848955, 1.000000000333312},
       {-2.6201344312742334e-12, -0.032321404521006174, 0.44122902697702865, 0.5,
        0.3912205946779789, 0.05006216869470701, -3.194240427576632e-10}},
      {"mish",
       [](const Tensor& x) { return mish(x); },
       {-2.807286890651921e-12, -0.1456474612756246, -0.22074377465173, 0.0, 0.5611483776438518,
        1.9439589595339946, 25.0},
       {-2.713710660963392e-12, -0.09339311453232084, 0.28951067791351226, 0.6, 0.9687948682001859,
        1.0693179342794896, 1.0},
       {-2.620134431274741e-12, -0.03992871324212924, 0.5639709231132665, 0.64, 0.3539764156171277,
        -0.05772466740829399, 0.0}},
      {"softplus beta 2 threshold 5",
       [](const Tensor& x) { return softplus(x, 2.0, 5.0); },
       {4.37825538134826e-27, 0.0012378425688652247, 0.15663084375911143, 0.34657359027997264,
        0.8102087049592255, 2.0090749639589047, 25.0},
       {8.75651076269652e-27, 0.0024726231566347748, 0.2689414213699951, 0.5, 0.8021838885585817,
        0.9820137900379085, 1.0},
       {1.751302152539304e-26, 0.004933018582720096, 0.3932238664829637, 0.5, 0.31736979499122936,
        0.035325412426582214, 0.0}},
      {"log_sigmoid",
       [](const Tensor& x) { return log_sigmoid(x); },
       {-30.000000000000092, -3.048587351573742, -0.9740769841801067, -0.6931471805599453,
        -0.4031860488854579, -0.1269280110429725, -1.3887943864867583e-11},
       {0.9999999999999064, 0.9525741268224333, 0.6224593312018545, 0.5, 0.33181222783183395,
        0.11920292202211755, 1.3887943864771146e-11},
       {-9.357622968838423e-14, -0.04517665973091214, -0.2350037122015945, -0.25,
        -0.22171287329310904, -0.10499358540350662, -1.3888001859448131e-11}},
      // The second derivatives of elu and selu at the kink x = 0 are their left limits here
      // (alpha and scale alpha); PyTorch's double backward masks with x < 0 and gives 0. Both
      // are one-sided derivatives; the table holds metagrad's.
      {"elu alpha 0.7",
       [](const Tensor& x) { return elu(x, 0.7); },
       {-0.6999999999999345, -0.6651490521424952, -0.2754285382011566, 0.0, 0.7, 2.0, 25.0},
       {6.550336078188121e-14, 0.03485094785750476, 0.42457146179884336, 0.7, 1.0, 1.0, 1.0},
       {6.550336078188121e-14, 0.03485094785750476, 0.42457146179884336, 0.7, 0.0, 0.0, 0.0}},
      {"selu",
       [](const Tensor& x) { return selu(x); },
       {-1.758099340847212, -1.6705687287671118, -0.6917581878028713, 0.0, 0.7354906911488363,
        2.101401974710961, 26.26752468388701},
       {1.6451630773416182e-13, 0.08753061208026487, 1.0663411530445053, 1.7580993408473766,
        1.0507009873554805, 1.0507009873554805, 1.0507009873554805},
       {1.6451630773416182e-13, 0.08753061208026487, 1.0663411530445053, 1.7580993408473766, 0.0,
        0.0, 0.0}},
      {"leaky_relu 0.2",
       [](const Tensor& x) { return leaky_relu(x, 0.2); },
       {-6.0, -0.6000000000000001, -0.1, 0.0, 0.7, 2.0, 25.0},
       {0.2, 0.2, 0.2, 0.2, 1.0, 1.0, 1.0},
       {0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0}},
  };
}

// d(sum g)/dx for the first derivative g of an elementwise function; a piecewise-linear
// function's g is a constant without history (metagrad records no graph for it), so 0.
Tensor second_derivative(const Tensor& g, const Tensor& x) {
  return g.requires_grad() ? grad({g.sum()}, {x})[0] : zeros_like(x);
}

void check_close(const std::vector<double>& got, const std::vector<double>& want) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("at x = " << kPoints[i]);
    CHECK(std::isfinite(got[i]));
    CHECK(std::abs(got[i] - want[i]) <= 1e-13 + 1e-12 * std::abs(want[i]));
  }
}

}  // namespace

TEST_CASE("activations match PyTorch's values and first and second derivatives",
          "[functional][activation]") {
  for (const Reference& r : references()) {
    INFO(r.name);
    const Tensor x = tensor(kPoints, kFloat64).requires_grad_();
    const Tensor y = r.fn(x);
    const Tensor g = grad({y.sum()}, {x}, {}, {.create_graph = true})[0];
    const Tensor h = second_derivative(g, x);
    check_close(y.to_vector<double>(), r.value);
    check_close(g.to_vector<double>(), r.first);
    check_close(h.to_vector<double>(), r.second);
  }
}

TEST_CASE("activations gradcheck and gradgradcheck, contiguous, strided and 0-d",
          "[functional][activation]") {
  uint64_t seed = 40;
  for (const Reference& r : references()) {
    INFO(r.name);
    // Away from the kinks, where finite differences are meaningful.
    for (const auto& [low, high] : {std::pair{-3.0, -0.1}, std::pair{0.1, 3.0}}) {
      const auto fn = [&r](const TensorList& in) { return TensorList{r.fn(in[0])}; };
      check_grads(fn, {uniform64({2, 3}, low, high, ++seed)});
      check_grads(fn, {noncontiguous(uniform64({2, 3}, low, high, ++seed))});
      check_grads(fn, {uniform64({}, low, high, ++seed)});
    }
    CHECK(r.fn(zeros({0, 2}, kFloat64)).shape() == Dims{0, 2});
  }
}

TEST_CASE("activations stay finite, with finite derivatives, far in the tails",
          "[functional][activation]") {
  // Note [saturated branches]: a where() over an overflowing branch would give NaN gradients.
  for (const Reference& r : references()) {
    INFO(r.name);
    const Tensor x = tensor({-1000.0, -80.0, 80.0, 1000.0}, kFloat64).requires_grad_();
    const Tensor g = grad({r.fn(x).sum()}, {x}, {}, {.create_graph = true})[0];
    const Tensor h = second_derivative(g, x);
    for (const Tensor& t : {r.fn(x.detach()), g, h}) CHECK(all(isfinite(t)).item<bool>());
  }
  // softplus's threshold: x itself above it, exactly.
  CHECK(softplus(tensor({1000.0}, kFloat64)).item<double>() == 1000.0);
  CHECK(log_sigmoid(tensor({-1000.0}, kFloat64)).item<double>() == -1000.0);
}

TEST_CASE("activations keep float32 and agree with float64", "[functional][activation]") {
  const Tensor x64 = tensor({-3.0, -0.5, 0.0, 0.7, 2.0}, kFloat64);
  const Tensor x32 = x64.to(kFloat32);
  for (const Reference& r : references()) {
    INFO(r.name);
    const Tensor y32 = r.fn(x32);
    CHECK(y32.dtype() == kFloat32);
    // A few float32 ulps of the O(1) intermediates: gelu's tanh form at x = -3 computes
    // 1 + tanh(...) = 0.0024 from tanh = -0.9976, so its absolute error is about 1e-7.
    CHECK(metagrad::testing::allclose(y32, r.fn(x64), 1e-5, 1e-6));
  }
}

TEST_CASE("activations name the op for integer input and bad options", "[functional][activation]") {
  const Tensor i = tensor({1, 2}, kInt64);
  CHECK_THROWS_WITH(gelu(i), MG_CONTAINS("gelu"));
  CHECK_THROWS_WITH(leaky_relu(i), MG_CONTAINS("leaky_relu"));
  CHECK_THROWS_WITH(softplus(ones({2}), 0.0),
                    MG_CONTAINS("softplus: beta must be finite and non-zero, got 0"));
}
