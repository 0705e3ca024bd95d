// hardtanh, relu6, hardsigmoid, hardswish, softsign, tanhshrink, softshrink, hardshrink,
// threshold, celu, glu, softmin, prelu and their layers: values and first derivatives against
// PyTorch 1.13 (float64, breakpoints included), gradcheck and gradgradcheck away from the
// breakpoints, PReLU's learnable slopes, reprs and task batching.
#include <functional>
#include <vector>

#include "tests/support/helpers.hpp"

using namespace metagrad;
using metagrad::testing::allclose;
using metagrad::testing::check_grads;
using metagrad::testing::uniform64;

namespace {

Tensor f64(const std::vector<double>& values) {
  return tensor(values, {static_cast<int64_t>(values.size())}, kFloat64);
}

struct Case {
  const char* name;
  std::function<Tensor(const Tensor&)> fn;
  std::vector<double> value, gradient;
};

}  // namespace

TEST_CASE("piecewise activations match PyTorch in value and gradient, breakpoints included",
          "[activation]") {
  // Inputs on and around every breakpoint: -3, -1, -0.5, 0, 0.3, 0.5, 2, 3, 6.
  const std::vector<double> inputs = {-4.0, -3.0, -1.5, -0.5, 0.0, 0.3, 1.0, 2.5, 3.0, 6.0, 7.0};
  const std::vector<Case> cases = {
      {"hardtanh",
       [](const Tensor& x) { return hardtanh(x, -1.0, 2.0); },
       {-1.0, -1.0, -1.0, -0.5, 0.0, 0.3, 1.0, 2.0, 2.0, 2.0, 2.0},
       {0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0}},
      {"relu6",
       [](const Tensor& x) { return relu6(x); },
       {0.0, 0.0, 0.0, 0.0, 0.0, 0.3, 1.0, 2.5, 3.0, 6.0, 6.0},
       {0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0}},
      // PyTorch's hardsigmoid gradient is the float32 constant 1/6 (0.1666666716337204).
      {"hardsigmoid",
       [](const Tensor& x) { return hardsigmoid(x); },
       {0.0, 0.0, 0.25, 0.4166666666666667, 0.5, 0.5499999999999999, 0.6666666666666666,
        0.9166666666666666, 1.0, 1.0, 1.0},
       {0.0, 0.0, 1.0 / 6, 1.0 / 6, 1.0 / 6, 1.0 / 6, 1.0 / 6, 1.0 / 6, 0.0, 0.0, 0.0}},
      {"hardswish",
       [](const Tensor& x) { return hardswish(x); },
       {0.0, 0.0, -0.375, -0.20833333333333334, 0.0, 0.16499999999999998, 0.6666666666666666,
        2.2916666666666665, 3.0, 6.0, 7.0},
       {0.0, -0.5, 0.0, 0.33333333333333337, 0.5, 0.6, 0.8333333333333333, 1.3333333333333335, 1.5,
        1.0, 1.0}},
      {"softsign",
       [](const Tensor& x) { return softsign(x); },
       {-0.8, -0.75, -0.6, -0.3333333333333333, 0.0, 0.23076923076923075, 0.5, 0.7142857142857143,
        0.75, 0.8571428571428571, 0.875},
       {0.04000000000000001, 0.0625, 0.16000000000000003, 0.4444444444444444, 1.0,
        0.5917159763313609, 0.25, 0.08163265306122447, 0.0625, 0.020408163265306117, 0.015625}},
      {"tanhshrink",
       [](const Tensor& x) { return tanhshrink(x); },
       {-3.000670700260933, -2.0049452463132695, -0.5948517463551336, -0.03788284273999026, 0.0,
        0.008687387548409087, 0.23840584404423515, 1.5133857018485697, 2.0049452463132695,
        5.000012288349204, 6.0000016630560555},
       {0.9986590493169741, 0.9901339628345598, 0.8192933610763514, 0.2135522670340726, 0.0,
        0.08486303817337082, 0.5800256583859739, 0.9734077733168395, 0.9901339628345598,
        0.9999754234525947, 0.9999966738906552}},
      {"softshrink",
       [](const Tensor& x) { return softshrink(x, 0.5); },
       {-3.5, -2.5, -1.0, 0.0, 0.0, 0.0, 0.5, 2.0, 2.5, 5.5, 6.5},
       {1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0}},
      {"hardshrink",
       [](const Tensor& x) { return hardshrink(x, 0.5); },
       {-4.0, -3.0, -1.5, 0.0, 0.0, 0.0, 1.0, 2.5, 3.0, 6.0, 7.0},
       {1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0}},
      {"threshold",
       [](const Tensor& x) { return threshold(x, 0.3, -2.0); },
       {-2.0, -2.0, -2.0, -2.0, -2.0, -2.0, 1.0, 2.5, 3.0, 6.0, 7.0},
       {0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0}},
      {"celu",
       [](const Tensor& x) { return celu(x, 1.5); },
       {-1.3957748231657976, -1.296997075145081, -0.9481808382428365, -0.4252030341393161, 0.0, 0.3,
        1.0, 2.5, 3.0, 6.0, 7.0},
       {0.06948345122280154, 0.1353352832366127, 0.36787944117144233, 0.7165313105737893, 1.0, 1.0,
        1.0, 1.0, 1.0, 1.0, 1.0}},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    const Tensor x = f64(inputs).requires_grad_();
    const Tensor y = c.fn(x);
    CHECK(allclose(y, f64(c.value), 1e-15, 1e-16));
    CHECK(allclose(grad({y.sum()}, {x})[0], f64(c.gradient), 1e-15, 1e-16));
    // Away from the breakpoints, first and second derivatives by finite differences.
    Tensor smooth = f64({-3.7, -2.2, -1.2, -0.8, -0.2, 0.1, 0.4, 0.9, 1.7, 2.8, 4.4, 6.6});
    check_grads([&c](const TensorList& in) { return TensorList{c.fn(in[0])}; },
                {smooth.requires_grad_()});
    CHECK(c.fn(x.to(kFloat32)).dtype() == kFloat32);
  }
}

TEST_CASE("glu, softmin and prelu match PyTorch", "[activation]") {
  const Tensor z = tensor({0.5, -1.0, 2.0, 0.3, 1.5, 0.2, -0.7, -2.0}, {2, 4}, kFloat64);
  CHECK(allclose(
      glu(z).reshape({4}),
      f64({0.44039853898894116, -0.574442516811659, 0.49771834174775087, 0.02384058440442351}),
      1e-15));
  CHECK(allclose(
      glu(z, 0).reshape({4}),
      f64({0.4087872380968218, -0.549833997312478, 0.6636244556636678, 0.03576087660663526}),
      1e-15));
  CHECK(allclose(
      softmin(z, 1).reshape({8}),
      f64({0.14437885497161101, 0.6470611363141937, 0.03221527703186249, 0.17634473168233286,
           0.021363065193830445, 0.0783874239258547, 0.19280195176361095, 0.707447559116704}),
      1e-15));
  const Tensor x = tensor({-1.0, 2.0, 0.5, -3.0, -0.2, 0.0}, {1, 3, 2}, kFloat64);
  const Tensor w = f64({0.1, 0.25, -0.5}).requires_grad_();
  const Tensor y = prelu(x, w);
  CHECK(allclose(y.reshape({6}), f64({-0.1, 2.0, 0.5, -0.75, 0.1, 0.0}), 1e-15));
  CHECK(allclose(grad({y.sum()}, {w})[0], f64({-1.0, -3.0, -0.2}), 1e-15));
  // One shared slope, and a 1-D input (no channel dim).
  CHECK(allclose(prelu(f64({-2.0, 3.0}), f64({0.5})), f64({-1.0, 3.0}), 0));
  check_grads(
      [](const TensorList& in) {
        return TensorList{glu(in[0], 1), softmin(in[0], 0), prelu(in[0], in[1])};
      },
      {uniform64({3, 4}, -2, 2, 31), uniform64({4}, -0.5, 0.5, 32)});
}

TEST_CASE("activation layers: reprs, PReLU's learnable slopes, task batching", "[activation]") {
  CHECK(nn::Hardtanh().to_string() == "Hardtanh(min_val=-1.0, max_val=1.0)");
  CHECK(nn::Softshrink().to_string() == "Softshrink(0.5)");
  CHECK(nn::Threshold(0.1, 20.0).to_string() == "Threshold(threshold=0.1, value=20.0)");
  CHECK(nn::CELU().to_string() == "CELU(alpha=1.0)");
  CHECK(nn::GLU().to_string() == "GLU(dim=-1)");
  CHECK(nn::Softmin(1).to_string() == "Softmin(dim=1)");
  CHECK(nn::ReLU6().to_string() == "ReLU6()");

  nn::PReLU prelu_layer({.num_parameters = 3, .dtype = kFloat64});
  CHECK(prelu_layer.to_string() == "PReLU(num_parameters=3)");
  REQUIRE(prelu_layer.parameters().size() == 1);
  CHECK(prelu_layer.parameters()[0].to_vector<double>() == std::vector<double>{0.25, 0.25, 0.25});
  const Tensor x = tensor({-1.0, 2.0, 0.5, -3.0, -0.2, 4.0}, {1, 3, 2}, kFloat64);
  const Tensor loss = prelu_layer.forward(x).sum();
  CHECK(allclose(grad({loss}, prelu_layer.parameters())[0], f64({-1.0, -3.0, -0.2}), 1e-15));
  CHECK(prelu_layer.named_parameters()[0].first == "weight");

  // The elementwise ones run per task unchanged.
  nn::Sequential net(nn::Linear(3, 4, {.dtype = kFloat64}), nn::Hardswish(),
                     nn::Linear(4, 2, {.dtype = kFloat64}), nn::CELU(0.7));
  const auto batched = nn::task_batched(net, 2);
  const Tensor inputs = uniform64({2, 5, 3}, -4, 4, 33);
  const Tensor outputs = batched->forward(inputs);
  CHECK(allclose(outputs.select(0, 1), net.forward(inputs.select(0, 1)), 1e-14));
}
