// FuncOptimizer: the functional loop it wraps (bit-exact), lazy state initialisation, in-place
// steps, state_dict / load_state_dict, and meta-gradients through its out-of-place steps.
#include <algorithm>
#include <cmath>
#include <vector>

#include "tests/support/helpers.hpp"

namespace {

using namespace metagrad;
using metagrad::testing::allclose;
using metagrad::testing::randn64;

// A two-layer network in functional form: params = {w1 [5, 3], b1 [5], w2 [2, 5], b2 [2]}.
Tensor mlp_loss(const TensorList& p, const Tensor& x, const Tensor& y) {
  return mse_loss(linear(tanh(linear(x, p[0], p[1])), p[2], p[3]), y);
}

TensorList mlp_params(uint64_t seed) {
  return {mul(randn64({5, 3}, seed), 0.5), mul(randn64({5}, seed + 1), 0.1),
          mul(randn64({2, 5}, seed + 2), 0.5), mul(randn64({2}, seed + 3), 0.1)};
}

TensorList leaves_of(const TensorList& ts) {
  TensorList out;
  for (const auto& t : ts) out.push_back(t.detach().clone().requires_grad_(true));
  return out;
}

bool bit_equal(const TensorList& a, const TensorList& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].to_vector<double>() != b[i].to_vector<double>()) return false;
  }
  return true;
}

TEST_CASE("FuncOptimizer steps equal the explicit init/update/apply_updates loop",
          "[optim][func]") {
  const Tensor x = randn64({6, 3}, 1).detach(), y = randn64({6, 2}, 2).detach();
  const auto impl = chain(clip_grad_norm({.max_norm = 1.0}),
                          adam({.lr = linear_schedule(0.05, 0.01, 4), .eps_root = 1e-8}));
  FuncOptimizer opt(impl);
  CHECK_FALSE(opt.initialized());
  CHECK(opt.state_dict().kind == "UninitializedState");
  CHECK_FALSE(opt.inplace());

  TensorList p = leaves_of(mlp_params(10));
  TensorList q = leaves_of(p);
  OptState state = impl.init(q);
  for (int k = 0; k < 6; ++k) {
    p = opt.step(mlp_loss(p, x, y), p);
    TensorList g = grad({mlp_loss(q, x, y)}, q, {}, {.create_graph = true});
    q = apply_updates(q, impl.update(g, state, q, false), false);
    REQUIRE(bit_equal(p, q));
    CHECK_FALSE(p[0].is_leaf());  // out of place: the new parameters carry history
  }
  CHECK(opt.initialized());
  const OptState s = opt.state_dict();
  CHECK(s.same_structure(state));
  REQUIRE(s.children.size() == 3);  // chain(clip, chain(scale_by_adam, schedule)) flattens
  CHECK(s.children[1].counter("count") == 6);
  const auto ours = s.named_tensors();
  const auto theirs = state.named_tensors();
  REQUIRE(ours.size() == theirs.size());
  for (size_t i = 0; i < ours.size(); ++i) {
    CHECK(ours[i].second.to_vector<double>() == theirs[i].second.to_vector<double>());
  }
}

TEST_CASE("FuncOptimizer creates its state from the first step's parameters", "[optim][func]") {
  const TensorList p = {randn64({4, 2}, 3), randn64({3}, 4)};
  FuncOptimizer opt(adam({.lr = 0.1, .moment_requires_grad = true}));
  const TensorList next = opt.step((square(p[0]).sum() + p[1].sum()), p);
  const OptState s = opt.state_dict();
  const TensorList& mu = s.children[0].tensor_list("mu");
  REQUIRE(mu.size() == 2);
  CHECK(mu[0].shape() == Dims{4, 2});
  CHECK(mu[1].shape() == Dims{3});
  CHECK_FALSE(mu[0].is_leaf());  // moment_requires_grad: updated moments are in the graph
  // First Adam step: the update is -lr * sign(g) (up to eps).
  CHECK(allclose(next[1], sub(p[1], 0.1).detach(), 0, 1e-8));
}

TEST_CASE("FuncOptimizer: a parameter the loss does not use keeps its tensor", "[optim][func]") {
  const TensorList p = {randn64({3}, 5), randn64({2}, 6)};
  FuncOptimizer opt(sgd({.lr = 0.5}));
  const TensorList next = opt.step(square(p[0]).sum(), p);
  CHECK(next[1].is_same(p[1]));
  CHECK(allclose(next[0], mul(p[0], 0.0).detach(), 0, 0));  // p - 0.5 * 2p
}

TEST_CASE("FuncOptimizer in place matches the classic optimizer", "[optim][func]") {
  const Tensor x = randn64({6, 3}, 7).detach(), y = randn64({6, 2}, 8).detach();
  TensorList p = leaves_of(mlp_params(20));
  TensorList classic = leaves_of(p);
  Adam reference(classic, {.lr = 0.02, .weight_decay = 0.01});
  FuncOptimizer opt(adam({.lr = 0.02, .weight_decay = 0.01}), /*inplace=*/true);
  CHECK(opt.inplace());
  for (int k = 0; k < 5; ++k) {
    const std::vector<uint64_t> versions = {p[0].version(), p[3].version()};
    const TensorList out = opt.step(mlp_loss(p, x, y), p);
    for (size_t i = 0; i < p.size(); ++i) CHECK(out[i].is_same(p[i]));
    CHECK(p[0].version() > versions[0]);
    CHECK(p[0].is_leaf());
    reference.zero_grad();
    mlp_loss(classic, x, y).backward();
    reference.step();
    REQUIRE(bit_equal(p, classic));
  }
  // Per-call override: out of place on an in-place optimizer leaves `p` untouched.
  const TensorList before = leaves_of(p);
  const TensorList out = opt.step(mlp_loss(p, x, y), p, /*inplace=*/false);
  CHECK(bit_equal(p, before));
  CHECK_FALSE(bit_equal(out, before));
  CHECK_FALSE(out[0].is_same(p[0]));
}

TEST_CASE("FuncOptimizer state_dict shares, load_state_dict restores", "[optim][func]") {
  const Tensor x = randn64({6, 3}, 9).detach(), y = randn64({6, 2}, 10).detach();
  FuncOptimizer opt(rmsprop({.lr = 0.01, .momentum = 0.9, .centered = true}));
  TensorList p = leaves_of(mlp_params(30));
  for (int k = 0; k < 2; ++k) p = leaves_of(opt.step(mlp_loss(p, x, y), p));
  const OptState saved = opt.state_dict();
  CHECK(saved.named_tensors()[0].second.is_same(opt.state_dict().named_tensors()[0].second));
  const TensorList at_two = leaves_of(p);
  const TensorList third = opt.step(mlp_loss(p, x, y), p);
  CHECK_FALSE(saved.named_tensors()[0].second.is_same(opt.state_dict().named_tensors()[0].second));
  opt.load_state_dict(saved);
  const TensorList again = opt.step(mlp_loss(at_two, x, y), at_two);
  CHECK(bit_equal(again, third));

  // Loaded before the first step: taken as is and used by that step.
  FuncOptimizer fresh(rmsprop({.lr = 0.01, .momentum = 0.9, .centered = true}));
  fresh.load_state_dict(saved);
  CHECK_FALSE(fresh.initialized());
  CHECK(fresh.state_dict().kind == saved.kind);
  const TensorList resumed = fresh.step(mlp_loss(at_two, x, y), at_two);
  CHECK(fresh.initialized());
  CHECK(bit_equal(resumed, third));

  // An UninitializedState resets to before the first step.
  OptState reset;
  reset.kind = "UninitializedState";
  fresh.load_state_dict(reset);
  CHECK_FALSE(fresh.initialized());
  CHECK(fresh.state_dict().kind == "UninitializedState");
  const TensorList first = fresh.step(mlp_loss(at_two, x, y), at_two);
  CHECK_FALSE(bit_equal(first, third));
}

// The outer loss after 3 FuncOptimizer steps from `init` with inner-loss weight `lambda`.
Tensor unrolled(const TensorList& init, const Tensor& lambda, const Tensor& x, const Tensor& y,
                const Tensor& xq, const Tensor& yq) {
  FuncOptimizer opt(adam({.lr = 0.05, .moment_requires_grad = true}));
  TensorList p = init;
  for (int k = 0; k < 3; ++k) {
    Tensor reg = mul(lambda, square(p[0]).sum());
    p = opt.step(add(mlp_loss(p, x, y), reg), p);
  }
  return mlp_loss(p, xq, yq);
}

TEST_CASE("meta-gradients through FuncOptimizer steps match finite differences", "[optim][func]") {
  const Tensor x = randn64({6, 3}, 11).detach(), y = randn64({6, 2}, 12).detach();
  const Tensor xq = randn64({5, 3}, 13).detach(), yq = randn64({5, 2}, 14).detach();
  const TensorList init = leaves_of(mlp_params(40));
  const Tensor lambda = scalar_tensor(0.3, kFloat64).requires_grad_(true);
  TensorList wrt = init;
  wrt.push_back(lambda);
  const TensorList g = grad({unrolled(init, lambda, x, y, xq, yq)}, wrt);
  const double h = 1e-6;
  for (size_t i = 0; i < wrt.size(); ++i) {
    const int64_t n = std::min<int64_t>(wrt[i].numel(), 4);
    for (int64_t j = 0; j < n; ++j) {
      auto perturbed = [&](double delta) {
        TensorList p = leaves_of(init);
        Tensor l = lambda.detach().clone().requires_grad_(true);
        Tensor target = i < init.size() ? p[i] : l;
        target.data_ptr<double>()[j] += delta;
        return unrolled(p, l, x, y, xq, yq).item<double>();
      };
      const double fd = (perturbed(h) - perturbed(-h)) / (2 * h);
      const double analytic = g[i].contiguous().data_ptr<double>()[j];
      INFO("input " << i << " element " << j << ": fd " << fd << " analytic " << analytic);
      CHECK(std::abs(fd - analytic) <= 1e-6 * (1 + std::abs(fd)));
    }
  }
  CHECK(std::abs(g.back().item<double>()) > 1e-6);  // lambda really reaches the outer loss
}

}  // namespace
