// adam, Adam and MetaAdam: their options' defaults against TorchOpt 0.7.3's signatures (the
// numbers are tested by the golden cases and tests/optim/*_test.cpp), and AMSGrad against
// torch.optim.Adam's update rule.
#include <cmath>
#include <vector>

#include "tests/optim/optimizers/amsgrad_reference.hpp"
#include "tests/optim/optimizers/signature.hpp"
#include "tests/support/catch.hpp"

namespace {

using namespace metagrad;
using namespace metagrad::testing;

TEST_CASE("adam, Adam and MetaAdam have TorchOpt's defaults", "[optim][defaults]") {
  // torchopt.adam(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, *, eps_root=0.0,
  //               moment_requires_grad=False, maximize=False, use_accelerated_op=False), Adam,
  // with torch.optim.Adam's amsgrad=False after weight_decay
  CHECK(signature_mismatch<AdamOptions>(1e-3, std::pair{0.9, 0.999}, 1e-8, 0.0, false, 0.0, false,
                                        false, false)
            .empty());
  // torchopt.MetaAdam(module, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, *,
  //                   eps_root=0.0, moment_requires_grad=True, maximize=False,
  //                   use_accelerated_op=False), with amsgrad=False after weight_decay
  CHECK(signature_mismatch<MetaAdamOptions>(1e-3, std::pair{0.9, 0.999}, 1e-8, 0.0, false, 0.0,
                                            true, false, false)
            .empty());
}

// One adam step with lr 1 from weights 1 with gradients (4, -2) (powers of two, so that the moments
// carry only the rounding of their coefficients), as `dtype`, fused or not (`accelerated`).
std::vector<double> first_step_from_one(DType dtype, bool accelerated) {
  const TensorList params = {ones({2}, dtype)};
  const GradientTransformation opt = adam({.lr = 1.0, .use_accelerated_op = accelerated});
  OptState state = opt.init(params);
  const TensorList updates = opt.update({tensor({4.0, -2.0}, dtype)}, state, params);
  return apply_updates(params, updates, false)[0].to_vector<double>();
}

TEST_CASE("adam's bias corrections carry TorchOpt's float32 rounding", "[optim][adam]") {
  // TorchOpt divides the moments by 1 - pow(b, count), count an int64 tensor: pow and 1 - it run
  // in float32. With f(x) the float32 rounding, for g = 4:
  //   mu = f(0.1) 4 = 13421773 2^-25, bc1 = 1 - f(0.9) = 1 - 15099494 2^-24 = 13421776 2^-27,
  //   mu / bc1 = 4 (1 - 3 / 13421776) = 4 - 3.75 2^-22, rounded to 4 - 2^-20;
  //   nu = f(0.001) 16 = 8589935 2^-29, bc2 = 1 - f(0.999) = 1 - 16760439 2^-24 = 16777 2^-24,
  //   nu / bc2 = 8589935 / 536864 = 16.000206 (f: 16.000205993652344), sqrt = 4.000025749206543
  //   (+ eps 1e-8 is below its half ulp), u = f((4 - 2^-20) / 4.000025749206543) = 1 - 7 2^-20,
  //   and the weight 1 - u = 7 2^-20 = 6.67572e-06, what TorchOpt's tutorial 1 prints
  //   (6.6757e-06). g = -2 halves mu and quarters nu exactly: u = -(1 - 7 2^-20), the weight
  //   2 - 7 2^-20. Corrections in double would give u = 1 and the weights 0 and 2.
  const double u = 1.0 - std::ldexp(7.0, -20);
  CHECK(first_step_from_one(kFloat32, false) == std::vector<double>{1.0 - u, 1.0 + u});
  // float64 keeps them in double: each moment carries the same rounding as its 1 - b, so
  // mu / bc1 = g and nu / bc2 = g^2 exactly, and u = g / (|g| + 1e-8).
  CHECK(first_step_from_one(kFloat64, false) ==
        std::vector<double>{1.0 - 4.0 / (4.0 + 1e-8), 1.0 + 2.0 / (2.0 + 1e-8)});
  // The fused kernels, as TorchOpt's adam_op, take the corrections in double: cast to float32
  // they equal the moments' coefficients f(0.1) and f(0.001), so u = g / |g| (eps vanishes).
  CHECK(first_step_from_one(kFloat32, true) == std::vector<double>{0.0, 2.0});
}

TEST_CASE("adam's amsgrad follows torch.optim.Adam in every form", "[optim][adam][amsgrad]") {
  int overtaken = 0;
  check_against_reference(
      adam({.lr = 0.1, .betas = {0.8, 0.5}, .eps = 1e-8, .weight_decay = 0.2, .amsgrad = true}),
      [](const TensorList& p) {
        return Adam(p, {.lr = 0.1, .betas = {0.8, 0.5}, .weight_decay = 0.2, .amsgrad = true});
      },
      [](nn::Module& m) {
        return MetaAdam(m, {.lr = 0.1, .betas = {0.8, 0.5}, .weight_decay = 0.2, .amsgrad = true});
      },
      amsgrad_reference(0.1, 0.8, 0.5, 1e-8, 0.2, false, &overtaken), 8);
  CHECK(overtaken > 0);  // the maximum mattered
  CHECK_THROWS_WITH(adam({.amsgrad = true, .use_accelerated_op = true}),
                    MG_CONTAINS("adam: amsgrad is not supported with use_accelerated_op"));
  const OptState state = adam({.amsgrad = true}).init({zeros({2}, kFloat64)});
  CHECK(state.children[0].tensor_list("nu_max").size() == 1);
}

}  // namespace
