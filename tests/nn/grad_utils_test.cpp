// torch.nn.utils: clip_grad_norm_ and clip_grad_value_ against PyTorch's results, and
// parameters_to_vector / vector_to_parameters.
#include <cmath>
#include <limits>
#include <vector>

#include "tests/support/helpers.hpp"

using namespace metagrad;
using metagrad::testing::allclose;

namespace {

// Three parameters, the last without a gradient, as in PyTorch's reference run.
TensorList parameters_with_gradients() {
  const Tensor p1 = zeros({3}, kFloat64).requires_grad_();
  const Tensor p2 = zeros({2, 2}, kFloat64).requires_grad_();
  const Tensor p3 = zeros({1}, kFloat64).requires_grad_();
  p1.set_grad(tensor({3, -4, 1}, kFloat64));
  p2.set_grad(tensor({2, 0, -1, 5}, {2, 2}, kFloat64));
  return {p1, p2, p3};
}

}  // namespace

TEST_CASE("clip_grad_norm_ scales the gradients as torch.nn.utils' does", "[grad_utils]") {
  TensorList params = parameters_with_gradients();
  // torch.nn.utils.clip_grad_norm_(params, 2.0) in float64 (torch 1.13).
  CHECK(nn::utils::clip_grad_norm_(params, 2.0).item<double>() ==
        Approx(7.483314773547883).epsilon(1e-15));
  CHECK(allclose(params[0].grad(),
                 tensor({0.8017836185944303, -1.0690448247925737, 0.2672612061981434}, kFloat64),
                 1e-14));
  CHECK(allclose(
      params[1].grad(),
      tensor({0.5345224123962868, 0.0, -0.2672612061981434, 1.336306030990717}, {2, 2}, kFloat64),
      1e-14));
  CHECK(!params[2].grad().defined());
  // The infinity norm: the largest magnitude.
  params = parameters_with_gradients();
  const double inf = std::numeric_limits<double>::infinity();
  CHECK(nn::utils::clip_grad_norm_(params, 4.5, {.norm_type = inf}).item<double>() == 5.0);
  CHECK(allclose(params[0].grad(),
                 tensor({2.699999460000108, -3.599999280000144, 0.899999820000036}, kFloat64),
                 1e-14));
  // Below max_norm nothing changes (the coefficient is clamped at 1).
  params = parameters_with_gradients();
  CHECK(nn::utils::clip_grad_norm_(params, 100.0, {.norm_type = 1.0}).item<double>() == 16.0);
  CHECK(params[0].grad().to_vector<double>() == std::vector<double>{3, -4, 1});
  // No gradients at all: 0.
  CHECK(nn::utils::clip_grad_norm_({zeros({2}).requires_grad_()}, 1.0).item<double>() == 0.0);
}

TEST_CASE("clip_grad_norm_ with error_if_nonfinite leaves the gradients unchanged",
          "[grad_utils]") {
  const Tensor p = zeros({2}, kFloat64).requires_grad_();
  p.set_grad(tensor({std::nan(""), 1.0}, kFloat64));
  CHECK_THROWS_WITH(nn::utils::clip_grad_norm_({p}, 1.0, {.error_if_nonfinite = true}),
                    MG_CONTAINS("clip_grad_norm_: the total norm of order 2 of the gradients is "
                                "non-finite"));
  CHECK(p.grad().to_vector<double>()[1] == 1.0);
  CHECK_THROWS_WITH(nn::utils::clip_grad_norm_({p}, 1.0, {.norm_type = 0.0}),
                    MG_CONTAINS("norm_type must be positive"));
}

TEST_CASE("clip_grad_value_ clamps every gradient in place", "[grad_utils]") {
  TensorList params = parameters_with_gradients();
  nn::utils::clip_grad_value_(params, 2.5);
  CHECK(params[0].grad().to_vector<double>() == std::vector<double>{2.5, -2.5, 1});
  CHECK(params[1].grad().to_vector<double>() == std::vector<double>{2, 0, -1, 2.5});
  CHECK_THROWS_WITH(nn::utils::clip_grad_value_(params, -1.0),
                    MG_CONTAINS("clip_grad_value_: clip_value must be non-negative, got -1"));
}

TEST_CASE("parameters_to_vector and vector_to_parameters round-trip", "[grad_utils]") {
  nn::Linear layer(3, 2, {.dtype = kFloat64});
  const TensorList params = layer.parameters();
  const Tensor flat = nn::utils::parameters_to_vector(params);
  CHECK(flat.shape() == Dims{8});
  CHECK(flat.requires_grad());
  CHECK(allclose(flat.slice(0, 0, 6).reshape({2, 3}), layer.weight()));
  nn::utils::vector_to_parameters(arange(8.0, kFloat64), params);
  CHECK(layer.weight().to_vector<double>() == std::vector<double>{0, 1, 2, 3, 4, 5});
  CHECK(layer.bias().to_vector<double>() == std::vector<double>{6, 7});
  CHECK(layer.weight().is_leaf());
  // A vector of the wrong size writes nothing.
  CHECK_THROWS_WITH(nn::utils::vector_to_parameters(zeros({7}, kFloat64), params),
                    MG_CONTAINS("vector_to_parameters: vec has 7 elements but the parameters "
                                "have 8 together"));
  CHECK(layer.bias().to_vector<double>() == std::vector<double>{6, 7});
}
