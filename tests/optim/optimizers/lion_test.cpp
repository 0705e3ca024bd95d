// Lion against its published update rule (Chen et al. 2023, Algorithm 2), computed by hand in
// float64, in every form; its defaults and argument errors.
#include <cmath>

#include "tests/optim/optimizers/reference.hpp"
#include "tests/optim/optimizers/signature.hpp"

namespace {

using namespace metagrad;
using namespace metagrad::testing;

// c = b1 m + (1 - b1) g, p = p - lr (sign(c) + wd p), m = b2 m + (1 - b2) g.
ReferenceFactory lion_reference(double lr, double b1, double b2, double wd) {
  return [=](size_t n) -> ReferenceStep {
    return [=, m = std::vector<double>(n, 0.0)](std::vector<double>& p,
                                                const std::vector<double>& g) mutable {
      for (size_t i = 0; i < p.size(); ++i) {
        const double c = b1 * m[i] + (1.0 - b1) * g[i];
        const double direction = c > 0.0 ? 1.0 : (c < 0.0 ? -1.0 : 0.0);
        p[i] -= lr * (direction + wd * p[i]);
        m[i] = b2 * m[i] + (1.0 - b2) * g[i];
      }
    };
  };
}

TEST_CASE("lion follows the paper's update rule in every form", "[optim][lion]") {
  SECTION("with weight decay") {
    check_against_reference(
        lion({.lr = 0.05, .betas = {0.8, 0.95}, .weight_decay = 0.3}),
        [](const TensorList& p) {
          return Lion(p, {.lr = 0.05, .betas = {0.8, 0.95}, .weight_decay = 0.3});
        },
        [](nn::Module& m) {
          return MetaLion(m, {.lr = 0.05, .betas = {0.8, 0.95}, .weight_decay = 0.3});
        },
        lion_reference(0.05, 0.8, 0.95, 0.3));
  }
  SECTION("defaults") {
    check_against_reference(
        lion(), [](const TensorList& p) { return Lion(p); },
        [](nn::Module& m) { return MetaLion(m); }, lion_reference(1e-4, 0.9, 0.99, 0.0));
  }
}

TEST_CASE("lion, Lion and MetaLion have the published defaults", "[optim][lion][defaults]") {
  // lion(lr=1e-4, betas=(0.9, 0.99), weight_decay=0.0, moment_requires_grad=False, maximize=False)
  CHECK(signature_mismatch<LionOptions>(1e-4, std::pair{0.9, 0.99}, 0.0, false, false).empty());
  CHECK(signature_mismatch<MetaLionOptions>(1e-4, std::pair{0.9, 0.99}, 0.0, true, false).empty());
  nn::Linear net(3, 2, {.dtype = kFloat64});
  MetaLion meta(net);
  for (const auto& [name, t] : meta.state_dict()[0].named_tensors()) CHECK(t.requires_grad());
}

TEST_CASE("lion rejects bad options, naming them", "[optim][lion][errors]") {
  CHECK_THROWS_WITH(lion({.lr = -1.0}), MG_CONTAINS("lion: invalid lr value: -1"));
  CHECK_THROWS_WITH(lion({.betas = {0.9, 1.0}}), MG_CONTAINS("lion: invalid betas[1] value: 1"));
  CHECK_THROWS_WITH(lion({.weight_decay = -0.1}),
                    MG_CONTAINS("lion: invalid weight_decay value: -0.1"));
  CHECK_THROWS_WITH(scale_by_lion({.b1 = 1.5}), MG_CONTAINS("scale_by_lion: invalid b1 value"));
  const auto t = scale_by_lion();
  OptState wrong = scale_by_adam().init({zeros({2}, kFloat64)});
  CHECK_THROWS_WITH(t.update({zeros({2}, kFloat64)}, wrong),
                    MG_CONTAINS("scale_by_lion: expected a ScaleByLionState"));
}

}  // namespace
