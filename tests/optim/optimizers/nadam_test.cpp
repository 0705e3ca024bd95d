// NAdam against torch.optim.NAdam's update rule, computed by hand in float64, in every form; its
// defaults and argument errors.
#include <cmath>

#include "tests/optim/optimizers/reference.hpp"
#include "tests/optim/optimizers/signature.hpp"

namespace {

using namespace metagrad;
using namespace metagrad::testing;

// torch.optim.NAdam (single tensor): with mu_t = b1 (1 - 0.5 * 0.96^(t md)),
// mu_prod *= mu_t; g += wd p (or p *= 1 - lr wd when decoupled); m = b1 m + (1 - b1) g;
// v = b2 v + (1 - b2) g^2; denom = sqrt(v / (1 - b2^t)) + eps;
// p -= lr (1 - mu_t) / (1 - mu_prod) g / denom; p -= lr mu_{t+1} / (1 - mu_prod mu_{t+1}) m /
// denom.
ReferenceFactory nadam_reference(double lr, double b1, double b2, double eps, double wd, double md,
                                 bool decoupled) {
  return [=](size_t n) -> ReferenceStep {
    return [=, m = std::vector<double>(n, 0.0), v = std::vector<double>(n, 0.0), mu_prod = 1.0,
            t = 0](std::vector<double>& p, const std::vector<double>& g_in) mutable {
      ++t;
      const double mu = b1 * (1.0 - 0.5 * std::pow(0.96, t * md));
      const double mu_next = b1 * (1.0 - 0.5 * std::pow(0.96, (t + 1) * md));
      mu_prod *= mu;
      const double bc2 = 1.0 - std::pow(b2, t);
      for (size_t i = 0; i < p.size(); ++i) {
        double g = g_in[i];
        if (decoupled) {
          p[i] *= 1.0 - lr * wd;
        } else {
          g += wd * p[i];
        }
        m[i] = b1 * m[i] + (1.0 - b1) * g;
        v[i] = b2 * v[i] + (1.0 - b2) * g * g;
        const double denom = std::sqrt(v[i] / bc2) + eps;
        p[i] -= lr * (1.0 - mu) / (1.0 - mu_prod) * g / denom;
        p[i] -= lr * mu_next / (1.0 - mu_prod * mu_next) * m[i] / denom;
      }
    };
  };
}

TEST_CASE("nadam follows torch.optim.NAdam in every form", "[optim][nadam]") {
  SECTION("L2 weight decay") {
    check_against_reference(
        nadam({.lr = 0.05, .betas = {0.8, 0.9}, .weight_decay = 0.2, .momentum_decay = 0.3}),
        [](const TensorList& p) {
          return NAdam(
              p, {.lr = 0.05, .betas = {0.8, 0.9}, .weight_decay = 0.2, .momentum_decay = 0.3});
        },
        [](nn::Module& m) {
          return MetaNAdam(
              m, {.lr = 0.05, .betas = {0.8, 0.9}, .weight_decay = 0.2, .momentum_decay = 0.3});
        },
        nadam_reference(0.05, 0.8, 0.9, 1e-8, 0.2, 0.3, false));
  }
  SECTION("decoupled weight decay") {
    check_against_reference(
        nadam({.lr = 0.05, .weight_decay = 0.2, .decoupled_weight_decay = true}),
        [](const TensorList& p) {
          return NAdam(p, {.lr = 0.05, .weight_decay = 0.2, .decoupled_weight_decay = true});
        },
        [](nn::Module& m) {
          return MetaNAdam(m, {.lr = 0.05, .weight_decay = 0.2, .decoupled_weight_decay = true});
        },
        nadam_reference(0.05, 0.9, 0.999, 1e-8, 0.2, 4e-3, true));
  }
}

TEST_CASE("nadam, NAdam and MetaNAdam have torch.optim.NAdam's defaults",
          "[optim][nadam][defaults]") {
  // torch.optim.NAdam(params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
  //                   momentum_decay=4e-3, decoupled_weight_decay=False, *, maximize=False)
  // plus TorchOpt's moment_requires_grad (True for the Meta* class).
  CHECK(signature_mismatch<NAdamOptions>(2e-3, std::pair{0.9, 0.999}, 1e-8, 0.0, 4e-3, false, false,
                                         false)
            .empty());
  CHECK(signature_mismatch<MetaNAdamOptions>(2e-3, std::pair{0.9, 0.999}, 1e-8, 0.0, 4e-3, false,
                                             true, false)
            .empty());
}

TEST_CASE("nadam rejects bad options, naming them", "[optim][nadam][errors]") {
  CHECK_THROWS_WITH(nadam({.lr = -1.0}), MG_CONTAINS("nadam: invalid lr value: -1"));
  CHECK_THROWS_WITH(nadam({.betas = {1.0, 0.9}}), MG_CONTAINS("nadam: invalid betas[0] value: 1"));
  CHECK_THROWS_WITH(nadam({.momentum_decay = -1.0}),
                    MG_CONTAINS("nadam: invalid momentum_decay value: -1"));
  CHECK_THROWS_WITH(nadam({.eps = -1.0}), MG_CONTAINS("nadam: invalid eps value: -1"));
}

}  // namespace
