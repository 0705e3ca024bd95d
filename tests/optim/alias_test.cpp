// Aliases: argument checks (by message), defaults and structure, and in-place vs out-of-place
// updates giving identical numbers.
#include <functional>
#include <string>
#include <vector>

#include "tests/support/helpers.hpp"

namespace {

using namespace metagrad;
using metagrad::testing::allclose;
using metagrad::testing::randn64;

void check_rejected(const std::function<void()>& build, const std::vector<std::string>& parts) {
  try {
    build();
    FAIL("no error thrown; expected one mentioning " << parts.front());
  } catch (const Error& e) {
    const std::string what = e.what();
    for (const auto& part : parts) {
      INFO(what);
      CHECK(what.find(part) != std::string::npos);
    }
  }
}

TEST_CASE("alias argument checks name the argument and its value", "[optim][alias]") {
  check_rejected([] { sgd({}); }, {"sgd", "lr is required"});
  check_rejected([] { sgd({.lr = -0.1}); }, {"sgd", "lr", "-0.1"});
  check_rejected([] { sgd({.lr = std::nan("")}); }, {"sgd", "lr", "nan"});
  check_rejected([] { sgd({.lr = 0.1, .momentum = -0.5}); }, {"sgd", "momentum", "-0.5"});
  check_rejected([] { sgd({.lr = 0.1, .weight_decay = -1e-4}); },
                 {"sgd", "weight_decay", "-0.0001"});
  check_rejected([] { sgd({.lr = 0.1, .nesterov = true}); },
                 {"sgd", "Nesterov", "momentum = 0", "dampening = 0"});
  check_rejected([] { sgd({.lr = 0.1, .momentum = 0.9, .dampening = 0.1, .nesterov = true}); },
                 {"sgd", "Nesterov", "dampening = 0.1"});

  check_rejected([] { adam({.lr = -1e-3}); }, {"adam", "lr", "-0.001"});
  check_rejected([] { adam({.eps = -1e-8}); }, {"adam", "eps", "-1e-08"});
  check_rejected([] { adam({.betas = {1.0, 0.999}}); }, {"adam", "betas[0]", "1", "[0, 1)"});
  check_rejected([] { adam({.betas = {0.9, -0.1}}); }, {"adam", "betas[1]", "-0.1"});
  check_rejected([] { adam({.weight_decay = -0.1}); }, {"adam", "weight_decay", "-0.1"});
  check_rejected([] { adam({.eps_root = -1e-8}); }, {"adam", "eps_root", "-1e-08"});
  check_rejected([] { adamw({.lr = -2.0}); }, {"adamw", "lr", "-2"});
  check_rejected([] { adamw({.betas = {0.9, 1.5}}); }, {"adamw", "betas[1]", "1.5"});
  check_rejected([] { adamw({.weight_decay = -0.01}); }, {"adamw", "weight_decay", "-0.01"});
  check_rejected([] { adamw({.eps = -1.0}); }, {"adamw", "eps", "-1"});

  check_rejected([] { rmsprop({.lr = -0.01}); }, {"rmsprop", "lr", "-0.01"});
  check_rejected([] { rmsprop({.alpha = -0.9}); }, {"rmsprop", "alpha", "-0.9"});
  check_rejected([] { rmsprop({.eps = -1.0}); }, {"rmsprop", "eps", "-1"});
  check_rejected([] { rmsprop({.weight_decay = -1.0}); }, {"rmsprop", "weight_decay", "-1"});
  check_rejected([] { rmsprop({.momentum = -0.3}); }, {"rmsprop", "momentum", "-0.3"});
  check_rejected([] { rmsprop({.nesterov = true}); }, {"rmsprop", "Nesterov", "momentum = 0"});

  check_rejected([] { adagrad({.lr = -1.0}); }, {"adagrad", "lr", "-1"});
  check_rejected([] { adagrad({.lr_decay = -0.5}); }, {"adagrad", "lr_decay", "-0.5"});
  check_rejected([] { adagrad({.weight_decay = -0.5}); }, {"adagrad", "weight_decay", "-0.5"});
  check_rejected([] { adagrad({.initial_accumulator_value = -0.1}); },
                 {"adagrad", "initial_accumulator_value", "-0.1"});
  check_rejected([] { adagrad({.eps = -1e-10}); }, {"adagrad", "eps", "-1e-10"});

  check_rejected([] { adamax({.lr = -1.0}); }, {"adamax", "lr", "-1"});
  check_rejected([] { adamax({.betas = {-0.1, 0.9}}); }, {"adamax", "betas[0]", "-0.1"});
  check_rejected([] { adamax({.eps = -1.0}); }, {"adamax", "eps", "-1"});
  check_rejected([] { adamax({.weight_decay = -1.0}); }, {"adamax", "weight_decay", "-1"});
  check_rejected([] { radam({.lr = -3.0}); }, {"radam", "lr", "-3"});
  check_rejected([] { radam({.betas = {0.9, 1.0}}); }, {"radam", "betas[1]", "1"});
  check_rejected([] { radam({.eps = -1.0}); }, {"radam", "eps", "-1"});
  check_rejected([] { radam({.weight_decay = -2.0}); }, {"radam", "weight_decay", "-2"});
  check_rejected([] { adadelta({.lr = -1.0}); }, {"adadelta", "lr", "-1"});
  check_rejected([] { adadelta({.rho = 1.0}); }, {"adadelta", "rho", "1"});
  check_rejected([] { adadelta({.eps = -1e-6}); }, {"adadelta", "eps", "-1e-06"});
  check_rejected([] { adadelta({.weight_decay = -1.0}); }, {"adadelta", "weight_decay", "-1"});
}

TEST_CASE("transformation argument checks", "[optim][alias]") {
  check_rejected([] { trace({.momentum = -0.1}); }, {"trace", "momentum", "-0.1"});
  check_rejected([] { trace({.momentum = 0.9, .dampening = 0.2, .nesterov = true}); },
                 {"trace", "Nesterov", "dampening = 0.2"});
  check_rejected([] { scale_by_adam({.b1 = 1.5}); }, {"scale_by_adam", "b1", "1.5"});
  check_rejected([] { scale_by_adam({.eps = -1.0}); }, {"scale_by_adam", "eps", "-1"});
  check_rejected([] { scale_by_rms({.alpha = -1.0}); }, {"scale_by_rms", "alpha", "-1"});
  check_rejected([] { scale_by_stddev({.eps = -1.0}); }, {"scale_by_stddev", "eps", "-1"});
  check_rejected([] { scale_by_adadelta({.rho = -0.1}); }, {"scale_by_adadelta", "rho", "-0.1"});
  check_rejected([] { scale_by_adamax({.b2 = 1.0}); }, {"scale_by_adamax", "b2", "1"});
  check_rejected([] { scale_by_radam({.b1 = -1.0}); }, {"scale_by_radam", "b1", "-1"});
  check_rejected([] { add_decayed_weights({.weight_decay = -0.1}); },
                 {"add_decayed_weights", "weight_decay", "-0.1"});
  check_rejected([] { clip_grad_norm({}); }, {"clip_grad_norm", "max_norm is required"});
  check_rejected([] { clip_grad_norm({.max_norm = 1.0, .norm_type = -2.0}); },
                 {"clip_grad_norm", "norm_type", "-2"});
  check_rejected([] { flip_sign_and_add_weight_decay(-1.0); }, {"weight_decay", "-1"});
  check_rejected([] { scale_by_neg_lr(-0.5); }, {"lr", "-0.5"});
  check_rejected([] { scale_by_neg_lr(ScalarOrSchedule{}); }, {"lr is required"});
  // A schedule is never checked for sign (TorchOpt accepts any callable).
  CHECK_NOTHROW(adam({.lr = [](int64_t) { return -1.0; }}));
}

TEST_CASE("misuse of a transformation is an error, not a crash", "[optim][alias]") {
  const TensorList params = {randn64({3}, 1)};
  const TensorList grads = {randn64({3}, 2).detach()};
  auto opt = adam({.lr = 0.1});
  OptState wrong = sgd({.lr = 0.1, .momentum = 0.9}).init(params);
  // adam's chain has the same number of parts as sgd-with-momentum's: the kind check catches it.
  CHECK_THROWS_WITH(opt.update(grads, wrong, params, false), MG_CONTAINS("ScaleByAdamState"));
  OptState lone = scale_by_adam().init(params);
  CHECK_THROWS_WITH(opt.update(grads, lone, params, false), MG_CONTAINS("ChainState"));
  OptState state = opt.init(params);
  CHECK_THROWS_WITH(opt.update({grads[0], grads[0]}, state, params, false),
                    MG_CONTAINS("got 2 updates"));
  auto decayed = adam({.lr = 0.1, .weight_decay = 0.1});
  OptState s2 = decayed.init(params);
  CHECK_THROWS_WITH(decayed.update(grads, s2, {}, false), MG_CONTAINS("parameters are required"));
  CHECK_THROWS_WITH(GradientTransformation().init(params), MG_CONTAINS("undefined"));
  CHECK_THROWS_WITH(apply_updates(params, {}, false), MG_CONTAINS("1 parameters but 0 updates"));
}

TEST_CASE("aliases are TorchOpt's chains with identities dropped", "[optim][alias]") {
  const TensorList params = {randn64({2, 3}, 3), randn64({4}, 4)};
  auto kinds = [&](const GradientTransformation& t) {
    std::vector<std::string> out;
    for (const auto& child : t.init(params).children) out.push_back(child.kind);
    return out;
  };
  using V = std::vector<std::string>;
  CHECK(kinds(sgd({.lr = 0.1})) == V{"EmptyState"});
  CHECK(kinds(sgd({.lr = 0.1, .momentum = 0.9, .weight_decay = 0.1})) ==
        V{"EmptyState", "TraceState", "EmptyState"});
  CHECK(kinds(adam()) == V{"ScaleByAdamState", "EmptyState"});
  CHECK(kinds(adam({.lr = linear_schedule(0.1, 0.0, 10)})) ==
        V{"ScaleByAdamState", "ScaleByScheduleState"});
  CHECK(kinds(adamw()) == V{"ScaleByAdamState", "EmptyState", "EmptyState"});
  CHECK(kinds(adamw({.mask = {true, false}})) ==
        V{"ScaleByAdamState", "MaskedState", "EmptyState"});
  CHECK(kinds(adamw({.weight_decay = 0.0})) == V{"ScaleByAdamState", "EmptyState"});
  CHECK(kinds(rmsprop({.momentum = 0.9, .centered = true})) ==
        V{"ScaleByRStdDevState", "TraceState", "EmptyState"});
  CHECK(kinds(adagrad()) == V{"ScaleByRssState", "ScaleByScheduleState", "EmptyState"});
  CHECK(kinds(adamax()) == V{"ScaleByAdamaxState", "EmptyState"});
  CHECK(kinds(radam()) == V{"ScaleByRAdamState", "EmptyState"});
  CHECK(kinds(adadelta()) == V{"ScaleByAdadeltaState", "EmptyState"});
  CHECK(kinds(adam({.use_accelerated_op = true})) == V{"ScaleByAdamState", "EmptyState"});

  // moment_requires_grad creates leaf moments requiring grad.
  const OptState s = adam({.moment_requires_grad = true}).init(params);
  for (const auto& [name, t] : s.named_tensors()) {
    CHECK(t.requires_grad());
    CHECK(t.is_leaf());
  }
  for (const auto& [name, t] : adam().init(params).named_tensors()) CHECK_FALSE(t.requires_grad());
}

struct Case {
  std::string name;
  GradientTransformation opt;
};

std::vector<Case> alias_cases() {
  return {
      {"sgd", sgd({.lr = 0.1})},
      {"sgd momentum", sgd({.lr = 0.05, .momentum = 0.9, .dampening = 0.1, .weight_decay = 0.01})},
      {"sgd nesterov maximize",
       sgd({.lr = 0.05, .momentum = 0.8, .weight_decay = 0.1, .nesterov = true, .maximize = true})},
      {"adam", adam({.lr = 0.01})},
      {"adam all", adam({.lr = 0.02,
                         .betas = {0.8, 0.99},
                         .eps = 1e-6,
                         .weight_decay = 0.1,
                         .eps_root = 1e-8,
                         .maximize = true})},
      {"adam schedule", adam({.lr = linear_schedule(0.05, 0.001, 5, 1)})},
      {"adamw", adamw({.lr = 0.01, .mask = {true, false}, .maximize = true})},
      {"rmsprop", rmsprop({.lr = 0.01})},
      {"rmsprop all", rmsprop({.lr = 0.02,
                               .alpha = 0.8,
                               .eps = 1e-5,
                               .weight_decay = 0.1,
                               .momentum = 0.3,
                               .centered = true,
                               .initial_scale = 1.0,
                               .nesterov = true,
                               .maximize = true})},
      {"adagrad", adagrad({.lr = 0.1,
                           .lr_decay = 0.01,
                           .weight_decay = 0.1,
                           .initial_accumulator_value = 0.1,
                           .maximize = true})},
      {"adamax", adamax({.lr = 0.02, .weight_decay = 0.01})},
      {"radam", radam({.lr = 0.01, .weight_decay = 0.05})},
      {"adadelta", adadelta({.lr = 1.0, .rho = 0.8, .weight_decay = 0.1})},
      {"clip + sgd", chain(clip_grad_norm({.max_norm = 1.0}), sgd({.lr = 0.1, .momentum = 0.9}))},
      {"nan_to_num + adam", chain(nan_to_num({.posinf = 1.0, .neginf = -1.0}), adam({.lr = 0.1}))},
  };
}

TEST_CASE("in-place and out-of-place updates give identical numbers", "[optim][alias]") {
  for (const auto& c : alias_cases()) {
    INFO(c.name);
    const TensorList init = {randn64({3, 4}, 11).detach(), randn64({5}, 12).detach()};
    TensorList p_out = {init[0].clone(), init[1].clone()};
    TensorList p_in = {init[0].clone(), init[1].clone()};
    OptState s_out = c.opt.init(p_out);
    OptState s_in = c.opt.init(p_in);
    for (int k = 0; k < 12; ++k) {
      const TensorList g = {randn64({3, 4}, 100 + k).detach(), randn64({5}, 200 + k).detach()};
      p_out = apply_updates(p_out, c.opt.update({g[0].clone(), g[1].clone()}, s_out, p_out, false),
                            false);
      NoGradGuard no_grad;
      const auto before = s_in.named_tensors();
      p_in =
          apply_updates(p_in, c.opt.update({g[0].clone(), g[1].clone()}, s_in, p_in, true), true);
      // In place, moments that TorchOpt updates in place keep their identity.
      const auto after = s_in.named_tensors();
      REQUIRE(after.size() == before.size());
      for (size_t i = 0; i < after.size(); ++i) {
        const bool replaced =
            c.name == "adamax" && after[i].first.find(".nu.") != std::string::npos;
        if (!replaced) CHECK(after[i].second.is_same(before[i].second));
      }
    }
    for (size_t j = 0; j < p_out.size(); ++j) {
      CHECK(p_out[j].to_vector<double>() == p_in[j].to_vector<double>());
      CHECK_FALSE(p_out[j].to_vector<double>() == init[j].to_vector<double>());
    }
    const auto t_out = s_out.named_tensors();
    const auto t_in = s_in.named_tensors();
    REQUIRE(t_out.size() == t_in.size());
    for (size_t i = 0; i < t_out.size(); ++i) {
      CHECK(t_out[i].first == t_in[i].first);
      CHECK(t_out[i].second.to_vector<double>() == t_in[i].second.to_vector<double>());
    }
    CHECK(s_out.named_counters() == s_in.named_counters());
  }
}

TEST_CASE("in place writes into the parameters and updates, out of place does not",
          "[optim][alias]") {
  const Tensor p0 = randn64({4}, 21).detach();
  const Tensor g0 = randn64({4}, 22).detach();
  auto opt = sgd({.lr = 0.5});
  {
    Tensor p = p0.clone(), g = g0.clone();
    TensorList ps = {p};
    OptState s = opt.init(ps);
    const uint64_t version = p.version();
    NoGradGuard no_grad;
    TensorList out = apply_updates(ps, opt.update({g}, s, ps, true), true);
    CHECK(out[0].is_same(p));
    CHECK(p.version() > version);
    CHECK(allclose(g, mul(g0, -0.5), 0, 0));  // the gradient was scaled in place, as TorchOpt
    CHECK(allclose(p, add(p0, g0, -0.5), 0, 0));
  }
  {
    Tensor p = p0.clone(), g = g0.clone();
    TensorList ps = {p};
    OptState s = opt.init(ps);
    TensorList out = apply_updates(ps, opt.update({g}, s, ps, false), false);
    CHECK_FALSE(out[0].is_same(p));
    CHECK(allclose(p, p0, 0, 0));
    CHECK(allclose(g, g0, 0, 0));
    CHECK(allclose(out[0], add(p0, g0, -0.5), 0, 0));
  }
}

TEST_CASE("undefined updates pass through and leave their moments alone", "[optim][alias]") {
  const TensorList params = {randn64({3}, 31).detach(), randn64({2}, 32).detach()};
  auto opt = adam({.lr = 0.1, .weight_decay = 0.1});
  OptState state = opt.init(params);
  const TensorList out = opt.update({randn64({3}, 33).detach(), Tensor()}, state, params, false);
  CHECK(out[0].defined());
  CHECK_FALSE(out[1].defined());
  CHECK(allclose(state.children[1].tensor_list("mu")[1], zeros({2}, kFloat64), 0, 0));
  CHECK(state.children[1].counter("count") == 1);
  const TensorList applied = apply_updates(params, out, false);
  CHECK(applied[1].is_same(params[1]));
}

}  // namespace
