// Adan against the authors' update rule (Xie et al. 2022; sail-sg/Adan's PyTorch optimizer),
// computed by hand in float64, in every form; its defaults and argument errors.
#include <cmath>

#include "tests/optim/optimizers/reference.hpp"
#include "tests/optim/optimizers/signature.hpp"

namespace {

using namespace metagrad;
using namespace metagrad::testing;

// sail-sg/Adan (single tensor): d = g - g_prev (0 at step 1), m = b1 m + (1 - b1) g,
// v = b2 v + (1 - b2) d, n = b3 n + (1 - b3) (g + b2 d)^2,
// u = (m / (1 - b1^t) + b2 v / (1 - b2^t)) / (sqrt(n) / sqrt(1 - b3^t) + eps);
// p = (p - lr u) / (1 + lr wd), or with no_prox p = p (1 - lr wd) - lr u.
ReferenceFactory adan_reference(double lr, double b1, double b2, double b3, double eps, double wd,
                                bool no_prox) {
  return [=](size_t n) -> ReferenceStep {
    return [=, m = std::vector<double>(n, 0.0), v = std::vector<double>(n, 0.0),
            nu = std::vector<double>(n, 0.0), prev = std::vector<double>(n, 0.0),
            t = 0](std::vector<double>& p, const std::vector<double>& g) mutable {
      ++t;
      const double bc1 = 1.0 - std::pow(b1, t);
      const double bc2 = 1.0 - std::pow(b2, t);
      const double bc3 = 1.0 - std::pow(b3, t);
      for (size_t i = 0; i < p.size(); ++i) {
        const double d = t == 1 ? 0.0 : g[i] - prev[i];
        const double g_prime = g[i] + b2 * d;
        m[i] = b1 * m[i] + (1.0 - b1) * g[i];
        v[i] = b2 * v[i] + (1.0 - b2) * d;
        nu[i] = b3 * nu[i] + (1.0 - b3) * g_prime * g_prime;
        const double u = (m[i] / bc1 + b2 * v[i] / bc2) / (std::sqrt(nu[i]) / std::sqrt(bc3) + eps);
        if (no_prox) {
          p[i] = p[i] * (1.0 - lr * wd) - lr * u;
        } else {
          p[i] = (p[i] - lr * u) / (1.0 + lr * wd);
        }
        prev[i] = g[i];
      }
    };
  };
}

TEST_CASE("adan follows the authors' update rule in every form", "[optim][adan]") {
  SECTION("proximal weight decay") {
    check_against_reference(
        adan({.lr = 0.05, .betas = {0.7, 0.8, 0.9}, .weight_decay = 0.3}),
        [](const TensorList& p) {
          return Adan(p, {.lr = 0.05, .betas = {0.7, 0.8, 0.9}, .weight_decay = 0.3});
        },
        [](nn::Module& m) {
          return MetaAdan(m, {.lr = 0.05, .betas = {0.7, 0.8, 0.9}, .weight_decay = 0.3});
        },
        adan_reference(0.05, 0.7, 0.8, 0.9, 1e-8, 0.3, false));
  }
  SECTION("no_prox weight decay, default betas") {
    check_against_reference(
        adan({.lr = 0.05, .weight_decay = 0.3, .no_prox = true}),
        [](const TensorList& p) {
          return Adan(p, {.lr = 0.05, .weight_decay = 0.3, .no_prox = true});
        },
        [](nn::Module& m) {
          return MetaAdan(m, {.lr = 0.05, .weight_decay = 0.3, .no_prox = true});
        },
        adan_reference(0.05, 0.98, 0.92, 0.99, 1e-8, 0.3, true));
  }
}

TEST_CASE("adan, Adan and MetaAdan have the authors' defaults", "[optim][adan][defaults]") {
  // Adan(params, lr=1e-3, betas=(0.98, 0.92, 0.99), eps=1e-8, weight_decay=0.0, no_prox=False)
  // plus TorchOpt's eps_root=0.0 and moment_requires_grad (True for the Meta* class).
  CHECK(signature_mismatch<AdanOptions>(1e-3, std::array{0.98, 0.92, 0.99}, 1e-8, 0.0, false, 0.0,
                                        false, false)
            .empty());
  CHECK(signature_mismatch<MetaAdanOptions>(1e-3, std::array{0.98, 0.92, 0.99}, 1e-8, 0.0, false,
                                            0.0, true, false)
            .empty());
  nn::Linear net(3, 2, {.dtype = kFloat64});
  const OptState state = MetaAdan(net).state_dict()[0];
  CHECK(state.children[0].tensor_list("mu")[0].requires_grad());
  CHECK_FALSE(state.children[0].tensor_list("grad_tm1")[0].requires_grad());
}

TEST_CASE("adan rejects bad options, naming them", "[optim][adan][errors]") {
  CHECK_THROWS_WITH(adan({.lr = -1.0}), MG_CONTAINS("adan: invalid lr value: -1"));
  CHECK_THROWS_WITH(adan({.betas = {0.98, 0.92, 1.0}}),
                    MG_CONTAINS("adan: invalid betas[2] value: 1"));
  CHECK_THROWS_WITH(adan({.weight_decay = -1.0}),
                    MG_CONTAINS("adan: invalid weight_decay value: -1"));
  CHECK_THROWS_WITH(scale_by_adan({.b3 = 1.0}), MG_CONTAINS("scale_by_adan: invalid b3 value"));
}

}  // namespace
