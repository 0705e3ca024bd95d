// LAMB against its published update rule (You et al. 2019, Algorithm 2, optax.lamb's form),
// computed by hand in float64, in every form; a finite-difference check of MetaLAMB's
// meta-gradient; its defaults and argument errors.
#include <cmath>

#include "tests/optim/meta_problem.hpp"
#include "tests/optim/optimizers/reference.hpp"
#include "tests/optim/optimizers/signature.hpp"

namespace {

using namespace metagrad;
using namespace metagrad::testing;

// Per tensor: m = b1 m + (1 - b1) g, v = b2 v + (1 - b2) g^2,
// r = (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps) + wd p,
// p -= lr (|p| / |r|) r, the ratio 1 where |p| or |r| is 0.
ReferenceFactory lamb_reference(double lr, double b1, double b2, double eps, double wd) {
  return [=](size_t n) -> ReferenceStep {
    return [=, m = std::vector<double>(n, 0.0), v = std::vector<double>(n, 0.0), t = 0](
               std::vector<double>& p, const std::vector<double>& g) mutable {
      ++t;
      const double bc1 = 1.0 - std::pow(b1, t);
      const double bc2 = 1.0 - std::pow(b2, t);
      std::vector<double> r(p.size());
      double p_norm = 0.0, r_norm = 0.0;
      for (size_t i = 0; i < p.size(); ++i) {
        m[i] = b1 * m[i] + (1.0 - b1) * g[i];
        v[i] = b2 * v[i] + (1.0 - b2) * g[i] * g[i];
        r[i] = (m[i] / bc1) / (std::sqrt(v[i] / bc2) + eps) + wd * p[i];
        p_norm += p[i] * p[i];
        r_norm += r[i] * r[i];
      }
      p_norm = std::sqrt(p_norm);
      r_norm = std::sqrt(r_norm);
      const double ratio = p_norm == 0.0 || r_norm == 0.0 ? 1.0 : p_norm / r_norm;
      for (size_t i = 0; i < p.size(); ++i) p[i] -= lr * ratio * r[i];
    };
  };
}

TEST_CASE("lamb follows the paper's update rule in every form", "[optim][lamb]") {
  SECTION("with weight decay") {
    check_against_reference(
        lamb({.lr = 0.05, .betas = {0.8, 0.9}, .weight_decay = 0.1}),
        [](const TensorList& p) {
          return LAMB(p, {.lr = 0.05, .betas = {0.8, 0.9}, .weight_decay = 0.1});
        },
        [](nn::Module& m) {
          return MetaLAMB(m, {.lr = 0.05, .betas = {0.8, 0.9}, .weight_decay = 0.1});
        },
        lamb_reference(0.05, 0.8, 0.9, 1e-6, 0.1));
  }
  SECTION("defaults") {
    check_against_reference(
        lamb(), [](const TensorList& p) { return LAMB(p); },
        [](nn::Module& m) { return MetaLAMB(m); }, lamb_reference(1e-3, 0.9, 0.999, 1e-6, 0.0));
  }
}

TEST_CASE("scale_by_trust_ratio keeps the update where a norm is 0", "[optim][lamb]") {
  const auto t = scale_by_trust_ratio();
  const Tensor p0 = zeros({3}, kFloat64);
  const Tensor p1 = tensor({3.0, 4.0}, kFloat64);
  const Tensor u0 = tensor({1.0, -2.0, 2.0}, kFloat64);
  const Tensor u1 = tensor({0.6, 0.8}, kFloat64);
  OptState state = t.init({p0, p1});
  const TensorList out = t.update({u0, u1}, state, {p0, p1}, false);
  CHECK(allclose(out[0], u0, 0, 0));                                // |p| = 0: ratio 1
  CHECK(allclose(out[1], tensor({3.0, 4.0}, kFloat64), 1e-15, 0));  // |p| / |u| = 5
  const TensorList zero = t.update({zeros({2}, kFloat64)}, state, {p1}, false);
  CHECK(allclose(zero[0], zeros({2}, kFloat64), 0, 0));  // |u| = 0: ratio 1
  CHECK_THROWS_WITH(t.update({u1}, state, {}, false),
                    MG_CONTAINS("scale_by_trust_ratio: parameters are required"));
}

TEST_CASE("MetaLAMB meta-gradients through 3 inner steps match finite differences",
          "[optim][lamb][metaopt]") {
  MetaProblem pb;
  check_meta_gradient_fd(
      pb, [](nn::Module& m) { return MetaLAMB(m, {.lr = 0.05, .weight_decay = 0.1}); });
}

TEST_CASE("lamb, LAMB and MetaLAMB have the published defaults", "[optim][lamb][defaults]") {
  // lamb(lr=1e-3, betas=(0.9, 0.999), eps=1e-6, weight_decay=0.0, *, eps_root=0.0, mask=None,
  //      moment_requires_grad=False, maximize=False) (optax.lamb's, TorchOpt's Adam keywords)
  CHECK(signature_mismatch<LAMBOptions>(1e-3, std::pair{0.9, 0.999}, 1e-6, 0.0, 0.0, NoMask{},
                                        false, false)
            .empty());
  CHECK(signature_mismatch<MetaLAMBOptions>(1e-3, std::pair{0.9, 0.999}, 1e-6, 0.0, 0.0, NoMask{},
                                            true, false)
            .empty());
}

TEST_CASE("lamb rejects bad options, naming them", "[optim][lamb][errors]") {
  CHECK_THROWS_WITH(lamb({.lr = -1.0}), MG_CONTAINS("lamb: invalid lr value: -1"));
  CHECK_THROWS_WITH(lamb({.betas = {0.9, -0.1}}), MG_CONTAINS("lamb: invalid betas[1] value"));
  CHECK_THROWS_WITH(lamb({.eps_root = -1.0}), MG_CONTAINS("lamb: invalid eps_root value: -1"));
}

}  // namespace
