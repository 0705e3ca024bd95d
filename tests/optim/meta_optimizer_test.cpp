// Object APIs: classic optimizers, differentiable meta-optimizers and the state utilities
// (extract/recover_state_dict, stop_gradient, module_clone).
#include <cmath>
#include <vector>

#include "tests/optim/meta_problem.hpp"
#include "tests/support/helpers.hpp"

namespace {

using namespace metagrad;
using namespace metagrad::nn;
using metagrad::testing::allclose;
using metagrad::testing::randn64;
using namespace metagrad::testing;

Tensor parabola(const Tensor& p, const Tensor& target) { return square(p - target).sum(); }

// Runs `opt` (classic) and the functional `impl` side by side on the same parabola.
template <typename Opt>
void check_classic_matches_functional(Opt& opt, Tensor p, const GradientTransformation& impl,
                                      int steps, double tol) {
  const Tensor target = tensor({1.5, -2.0, 0.25}, kFloat64);
  Tensor q = p.detach().clone().requires_grad_(true);
  OptState state = impl.init({q});
  for (int k = 0; k < steps; ++k) {
    opt.zero_grad();
    parabola(p, target).backward();
    opt.step();
    TensorList g = grad({parabola(q, target)}, {q});
    {
      NoGradGuard no_grad;
      apply_updates({q}, impl.update(g, state, {q}, true), true);
    }
    REQUIRE(allclose(p.detach(), q.detach(), 1e-12, 1e-14));
  }
  CHECK(allclose(p.detach(), target, 0, tol));
}

TEST_CASE("classic SGD and Adam reach the optimum and match the functional alias", "[metaopt]") {
  SECTION("SGD with momentum") {
    Tensor p = zeros({3}, kFloat64).requires_grad_(true);
    SGD opt({p}, {.lr = 0.05, .momentum = 0.9});
    check_classic_matches_functional(opt, p, sgd({.lr = 0.05, .momentum = 0.9}), 300, 1e-6);
  }
  SECTION("Adam") {
    Tensor p = zeros({3}, kFloat64).requires_grad_(true);
    Adam opt({p}, {.lr = 0.05});
    check_classic_matches_functional(opt, p, adam({.lr = 0.05}), 1000, 1e-3);
  }
}

TEST_CASE("classic optimizer: zero_grad, closure, groups and state_dict", "[metaopt]") {
  Tensor a = tensor({1.0, 2.0}, kFloat64).requires_grad_(true);
  Tensor b = tensor({-1.0}, kFloat64).requires_grad_(true);
  SGD opt({a}, {.lr = 0.5});
  opt.add_param_group({b});
  REQUIRE(opt.param_groups().size() == 2);
  Tensor loss = opt.step([&] {
    Tensor l = (a * a).sum() + (b * b).sum();
    l.backward();
    return l;
  });
  CHECK(loss.item<double>() == 6.0);
  CHECK(allclose(a.detach(), zeros({2}, kFloat64)));  // a - 0.5 * 2a
  CHECK(allclose(b.detach(), zeros({1}, kFloat64)));
  opt.zero_grad();  // TorchOpt's default: zero in place
  CHECK(allclose(a.grad(), zeros({2}, kFloat64)));
  opt.zero_grad(true);
  CHECK_FALSE(a.grad().defined());

  Tensor p = ones({2}, kFloat64).requires_grad_(true);
  Adam adam_opt({p}, {.lr = 0.1});
  (p * p).sum().backward();
  adam_opt.step();
  auto saved = adam_opt.state_dict();
  const Tensor after_one = p.detach().clone();
  adam_opt.zero_grad();
  (p * p).sum().backward();
  adam_opt.step();
  adam_opt.load_state_dict(saved);  // back to the moments of step 1
  {
    NoGradGuard no_grad;
    p.copy_(after_one);
  }
  adam_opt.zero_grad();
  (p * p).sum().backward();
  adam_opt.step();
  Tensor q = ones({2}, kFloat64).requires_grad_(true);
  auto impl = adam({.lr = 0.1});
  OptState st = impl.init({q});
  for (int k = 0; k < 2; ++k) {
    TensorList g = grad({(q * q).sum()}, {q});
    NoGradGuard no_grad;
    apply_updates({q}, impl.update(g, st, {q}, true), true);
  }
  CHECK(allclose(p.detach(), q.detach(), 1e-12, 1e-14));
  CHECK_THROWS_AS(adam_opt.load_state_dict({}), Error);
}

TEST_CASE("meta-gradients through 3 inner steps match finite differences", "[metaopt]") {
  MetaProblem pb;
  SECTION("MetaSGD") {
    check_meta_gradient_fd(pb, [](Module& m) { return MetaSGD(m, {.lr = 0.1, .momentum = 0.5}); });
  }
  SECTION("MetaAdam") {
    check_meta_gradient_fd(pb, [](Module& m) { return MetaAdam(m, {.lr = 0.05}); });
  }
  SECTION("MetaAdam with use_accelerated_op") {
    check_meta_gradient_fd(
        pb, [](Module& m) { return MetaAdam(m, {.lr = 0.05, .use_accelerated_op = true}); });
  }
  SECTION("MetaAdamW") {
    check_meta_gradient_fd(
        pb, [](Module& m) { return MetaAdamW(m, {.lr = 0.05, .weight_decay = 0.1}); });
  }
  SECTION("MetaRMSProp") {
    check_meta_gradient_fd(pb, [](Module& m) {
      return MetaRMSProp(m, {.lr = 0.02, .momentum = 0.5, .centered = true});
    });
  }
  SECTION("MetaAdaGrad") {
    check_meta_gradient_fd(pb, [](Module& m) { return MetaAdaGrad(m, {.lr = 0.1}); });
  }
  SECTION("MetaAdaMax") {
    check_meta_gradient_fd(pb, [](Module& m) { return MetaAdaMax(m, {.lr = 0.05}); });
  }
  SECTION("MetaAdaDelta") {
    check_meta_gradient_fd(pb, [](Module& m) { return MetaAdaDelta(m, {.rho = 0.8}); });
  }
  SECTION("MetaRAdam") {
    check_meta_gradient_fd(pb, [](Module& m) { return MetaRAdam(m, {.lr = 0.05}); });
  }
  SECTION("MetaRAdam past its warm-up (rectified steps 6 and 7)") {
    check_meta_gradient_fd(
        pb, [](Module& m) { return MetaRAdam(m, {.lr = 0.05}); }, 7);
  }
}

// Seven inner steps of `Meta` built with its defaults against the functional alias `expected`
// (seven so that RAdam reaches its rectified steps, where eps matters), and its initial moments
// requiring grad (moment_requires_grad true).
template <typename Meta>
void check_meta_defaults(const GradientTransformation& expected) {
  constexpr int kSteps = 7;
  MetaProblem pb;
  TensorList want;
  for (const auto& t : pb.theta) want.push_back(t.detach().clone().requires_grad_(true));
  OptState state = expected.init(want);
  for (int k = 0; k < kSteps; ++k) {
    pb.net.set_parameters(want);
    const TensorList grads = grad({mse_loss(pb.net(pb.x), pb.y)}, want);
    want = apply_updates(want, expected.update(grads, state, want, false), false);
    for (auto& t : want) t = t.detach().requires_grad_(true);
  }

  pb.net.set_parameters(pb.theta);
  Meta opt(pb.net);
  int moments = 0;
  for (const auto& [name, t] : opt.state_dict()[0].named_tensors()) {
    INFO(name);
    CHECK(t.requires_grad());  // the initial zeros: leaves only when moment_requires_grad
    ++moments;
  }
  CHECK(moments > 0);
  for (int k = 0; k < kSteps; ++k) opt.step(mse_loss(pb.net(pb.x), pb.y));
  const TensorList got = pb.net.parameters();
  for (size_t i = 0; i < want.size(); ++i) {
    INFO("parameter " << i);
    CHECK(allclose(got[i].detach(), want[i], 1e-13, 0));
    CHECK_FALSE(allclose(got[i].detach(), pb.theta[i].detach(), 0, 1e-6));  // it moved
  }
}

TEST_CASE("MetaAdaMax, MetaAdaDelta and MetaRAdam use TorchOpt's Meta* defaults", "[metaopt]") {
  // TorchOpt 0.7.3's torchopt/optim/meta/{adamax,adadelta,radam}.py, which differ from the
  // functional aliases' defaults (lr, eps) and set moment_requires_grad.
  check_meta_defaults<MetaAdaMax>(adamax({.lr = 2e-3, .eps = 1e-8, .moment_requires_grad = true}));
  check_meta_defaults<MetaAdaDelta>(adadelta({.lr = 1.0, .moment_requires_grad = true}));
  check_meta_defaults<MetaRAdam>(radam({.lr = 1e-3, .eps = 1e-8, .moment_requires_grad = true}));
  check_meta_defaults<MetaAdam>(adam({.moment_requires_grad = true}));
}

TEST_CASE("MetaAdam's eps_root keeps meta-gradients finite where a gradient is exactly zero",
          "[metaopt]") {
  // The first input feature is 0 in every support example, so the inner loss does not depend on
  // column 0 of the first weight: its gradient, and its Adam moments, stay exactly 0. The query
  // set uses the feature, so that column still has a meta-gradient.
  MetaProblem pb;
  {
    std::vector<double> x = pb.x.to_vector<double>();
    for (size_t r = 0; r < x.size(); r += 3) x[r] = 0.0;
    pb.x = tensor(x, {6, 3}, kFloat64);
  }
  SECTION("eps_root > 0: finite, and equal to finite differences") {
    const auto make = [](Module& m) { return MetaAdam(m, {.lr = 0.05, .eps_root = 1e-8}); };
    pb.net.set_parameters(pb.theta);
    const TensorList inner_grads = grad({mse_loss(pb.net(pb.x), pb.y)}, pb.theta);
    const std::vector<double> g0 = inner_grads[0].to_vector<double>();
    for (size_t r = 0; r < 4; ++r) REQUIRE(g0[3 * r] == 0.0);
    for (const auto& g : meta_gradient(pb, make, 3)) {
      for (const double v : g.to_vector<double>()) CHECK(std::isfinite(v));
    }
    check_meta_gradient_fd(pb, make);
  }
  SECTION("eps_root = 0: NaN meta-gradients, as in TorchOpt") {
    // u = mu_hat / (sqrt(nu_hat) + eps) with mu = nu = 0: the backward of sqrt at 0 divides the
    // incoming 0 by 2 sqrt(0), 0 / 0 = NaN, which then spreads through the inner Hessian.
    const auto make = [](Module& m) { return MetaAdam(m, {.lr = 0.05}); };
    bool any_nan = false;
    for (const auto& g : meta_gradient(pb, make, 3)) {
      for (const double v : g.to_vector<double>()) any_nan = any_nan || std::isnan(v);
    }
    CHECK(any_nan);
  }
}

TEST_CASE("extract_state_dict / recover_state_dict round trip", "[metaopt]") {
  Linear net(3, 2, {.dtype = kFloat64});
  MetaAdam inner(net, {.lr = 0.1});
  const Tensor x = randn64({4, 3}, 7), y = randn64({4, 2}, 8);
  const TensorList original = net.parameters();
  const TensorList values = {original[0].detach().clone(), original[1].detach().clone()};
  const auto ref_state = extract_state_dict(net);
  for (CopyMode by : {CopyMode::reference, CopyMode::copy, CopyMode::deepcopy}) {
    auto net_state = extract_state_dict(net, {.by = by});
    auto opt_state = extract_state_dict(inner, {.by = by});
    REQUIRE(net_state.params.size() == 2);
    CHECK(net_state.params[0].first == "weight");
    CHECK(net_state.params[0].second.is_same(original[0]) == (by == CopyMode::reference));
    for (int k = 0; k < 2; ++k) inner.step(mse_loss(net(x), y));
    CHECK_FALSE(allclose(net.parameters()[0].detach(), values[0]));
    CHECK(inner.state_dict()[0].named_counters()[0].second == 2);
    recover_state_dict(net, net_state);
    recover_state_dict(inner, opt_state);
    for (size_t i = 0; i < 2; ++i) {
      CHECK(net.parameters()[i].is_same(net_state.params[i].second));
      CHECK(allclose(net.parameters()[i].detach(), values[i], 0, 0));
    }
    const OptState s = inner.state_dict()[0];
    for (const auto& [name, count] : s.named_counters()) CHECK(count == 0);
    for (const auto& [name, t] : s.named_tensors()) {
      INFO(name);
      CHECK(allclose(t.detach(), zeros_like(t.detach()), 0, 0));
      CHECK(t.requires_grad());  // MetaAdam's moments require grad
    }
  }
  CHECK_FALSE(net.parameters()[0].is_same(original[0]));  // the deepcopy's leaves
  recover_state_dict(net, ref_state);
  CHECK(net.parameters()[0].is_same(original[0]));
  CHECK_THROWS_AS(recover_state_dict(inner, std::vector<OptState>{}), Error);
}

TEST_CASE("stop_gradient and module_clone", "[metaopt]") {
  Linear net(3, 2, {.dtype = kFloat64});
  MetaSGD inner(net, {.lr = 0.1});
  const Tensor x = randn64({4, 3}, 9), y = randn64({4, 2}, 10);
  inner.step(mse_loss(net(x), y));
  const Tensor stepped = net.parameters()[0];
  REQUIRE_FALSE(stepped.is_leaf());
  stop_gradient(net);
  const Tensor cut = net.parameters()[0];
  CHECK(cut.is_leaf());
  CHECK(cut.requires_grad());
  CHECK(allclose(cut.detach(), stepped.detach(), 0, 0));

  auto by_ref = module_clone(net, CopyMode::reference);
  CHECK(by_ref->parameters()[0].is_same(cut));
  auto by_copy = module_clone(net, CopyMode::copy);
  CHECK_FALSE(by_copy->parameters()[0].is_leaf());
  auto deep = module_clone(net, CopyMode::deepcopy);
  CHECK(deep->parameters()[0].is_leaf());
  CHECK(deep->parameters()[0].requires_grad());
  CHECK(allclose(deep->parameters()[0].detach(), cut.detach(), 0, 0));
  CHECK_FALSE(deep->parameters()[0].is_same(cut));
}

TEST_CASE("the API_SKETCH meta-training loop changes the parameters", "[metaopt]") {
  Linear net(4, 3, {.dtype = kFloat64});
  Adam meta_opt(net.parameters(), {.lr = 1e-2});
  const TensorList before = {net.parameters()[0].detach().clone(),
                             net.parameters()[1].detach().clone()};
  const TensorList leaves = net.parameters();
  const int task_num = 2;
  std::vector<Tensor> x_spt, y_spt, x_qry, y_qry;
  for (int i = 0; i < task_num; ++i) {
    x_spt.push_back(randn64({5, 4}, 20 + i));
    y_spt.push_back(tensor({0, 1, 2, 0, 1}, kInt64));
    x_qry.push_back(randn64({6, 4}, 30 + i));
    y_qry.push_back(tensor({2, 1, 0, 0, 1, 2}, kInt64));
  }
  auto inner_opt = MetaSGD(net, {.lr = 0.1});
  auto net_state = extract_state_dict(net);
  auto opt_state = extract_state_dict(inner_opt);
  meta_opt.zero_grad();
  std::vector<Tensor> qry_losses;
  for (int i = 0; i < task_num; ++i) {
    for (int k = 0; k < 5; ++k) inner_opt.step(cross_entropy(net(x_spt[i]), y_spt[i]));
    auto qry_logits = net(x_qry[i]);
    qry_losses.push_back(cross_entropy(qry_logits, y_qry[i]));
    recover_state_dict(net, net_state);
    recover_state_dict(inner_opt, opt_state);
  }
  stack(qry_losses).mean().backward();
  meta_opt.step();
  for (size_t i = 0; i < 2; ++i) {
    CHECK(net.parameters()[i].is_same(leaves[i]));
    REQUIRE(leaves[i].grad().defined());
    CHECK_FALSE(allclose(leaves[i].detach(), before[i], 0, 1e-9));
  }
}

}  // namespace
