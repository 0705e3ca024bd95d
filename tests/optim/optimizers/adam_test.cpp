// adam, Adam and MetaAdam: their options' defaults against TorchOpt 0.7.3's signatures (the
// numbers are tested by the golden cases and tests/optim/*_test.cpp), and AMSGrad against
// torch.optim.Adam's update rule.
#include <algorithm>
#include <cmath>

#include "tests/optim/optimizers/reference.hpp"
#include "tests/optim/optimizers/signature.hpp"
#include "tests/support/catch.hpp"

namespace {

using namespace metagrad;
using namespace metagrad::testing;

// torch.optim.Adam (amsgrad) by hand: g += wd p (L2, unless decoupled: p -= lr wd p),
// m = b1 m + (1 - b1) g, v = b2 v + (1 - b2) g^2, v_max = max(v_max, v),
// p -= lr (m / (1 - b1^t)) / (sqrt(v_max) / sqrt(1 - b2^t) + eps). `overtaken` counts the
// elements and steps where v_max > v (where AMSGrad differs from Adam).
ReferenceFactory amsgrad_reference(double lr, double b1, double b2, double eps, double wd,
                                   bool decoupled, int* overtaken) {
  return [=](size_t n) -> ReferenceStep {
    return [=, m = std::vector<double>(n, 0.0), v = std::vector<double>(n, 0.0),
            v_max = std::vector<double>(n, 0.0),
            t = 0](std::vector<double>& p, const std::vector<double>& g_in) mutable {
      ++t;
      const double bc1 = 1.0 - std::pow(b1, t);
      const double bc2 = 1.0 - std::pow(b2, t);
      for (size_t i = 0; i < p.size(); ++i) {
        const double g = decoupled ? g_in[i] : g_in[i] + wd * p[i];
        m[i] = b1 * m[i] + (1.0 - b1) * g;
        v[i] = b2 * v[i] + (1.0 - b2) * g * g;
        v_max[i] = std::max(v_max[i], v[i]);
        if (v_max[i] > v[i]) ++*overtaken;
        const double step = (m[i] / bc1) / (std::sqrt(v_max[i]) / std::sqrt(bc2) + eps);
        p[i] -= lr * (step + (decoupled ? wd * p[i] : 0.0));
      }
    };
  };
}

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
