// Object APIs: classic optimizers, differentiable meta-optimizers and the state utilities
// (extract/recover_state_dict, stop_gradient, module_clone).
#include <cmath>
#include <vector>

#include "tests/support/helpers.hpp"

namespace {

using namespace metagrad;
using namespace metagrad::nn;
using metagrad::testing::allclose;
using metagrad::testing::randn64;

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

TEST_CASE("classic SGD and Adam reach the optimum and match the functional alias",
          "[metaopt]") {
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
  opt.zero_grad(false);
  CHECK(allclose(a.grad(), zeros({2}, kFloat64)));
  opt.zero_grad();
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

// The unrolled loop: 3 MetaSGD/MetaAdam steps from `init`, then the outer loss.
template <typename MakeOpt>
Tensor unrolled_outer_loss(Linear& net, const TensorList& init, const MakeOpt& make_opt,
                           const Tensor& x, const Tensor& y, const Tensor& xq,
                           const Tensor& yq) {
  net.set_parameters(init);
  auto opt = make_opt(net);
  for (int k = 0; k < 3; ++k) opt.step(mse_loss(net(x), y));
  return mse_loss(net(xq), yq);
}

template <typename MakeOpt>
void check_meta_gradient_fd(const MakeOpt& make_opt) {
  Linear net(3, 2, {.dtype = kFloat64});
  const Tensor x = randn64({4, 3}, 1), y = randn64({4, 2}, 2);
  const Tensor xq = randn64({5, 3}, 3), yq = randn64({5, 2}, 4);
  const TensorList theta = {randn64({2, 3}, 5).requires_grad_(true),
                            randn64({2}, 6).requires_grad_(true)};
  Tensor outer = unrolled_outer_loss(net, theta, make_opt, x, y, xq, yq);
  CHECK_FALSE(net.parameters()[0].is_leaf());  // the slots hold the stepped, non-leaf tensors
  TensorList meta_grads = grad({outer}, theta);
  const double h = 1e-6;
  for (size_t i = 0; i < theta.size(); ++i) {
    for (int64_t j = 0; j < theta[i].numel(); ++j) {
      auto perturbed = [&](double delta) {
        TensorList init;
        for (const auto& t : theta) init.push_back(t.detach().clone().requires_grad_(true));
        init[i].data_ptr<double>()[j] += delta;
        return unrolled_outer_loss(net, init, make_opt, x, y, xq, yq).template item<double>();
      };
      const double fd = (perturbed(h) - perturbed(-h)) / (2 * h);
      const double analytic = meta_grads[i].contiguous().data_ptr<double>()[j];
      INFO("param " << i << " element " << j);
      CHECK(std::abs(fd - analytic) <= 1e-6 * (1 + std::abs(fd)));
    }
  }
}

TEST_CASE("meta-gradients through 3 inner steps match finite differences", "[metaopt]") {
  SECTION("MetaSGD") {
    check_meta_gradient_fd([](Linear& net) { return MetaSGD(net, {.lr = 0.1, .momentum = 0.5}); });
  }
  SECTION("MetaAdam") {
    check_meta_gradient_fd([](Linear& net) { return MetaAdam(net, {.lr = 0.05}); });
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
