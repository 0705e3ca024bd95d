// Transformations and combinators: chain flattening, trace's first step, clip_grad_norm,
// nan_to_num, masks (masked, add_decayed_weights, adamw), multi_transform and multi_steps.
#include <cmath>
#include <limits>
#include <vector>

#include "tests/support/helpers.hpp"

namespace {

using namespace metagrad;
using metagrad::testing::allclose;
using metagrad::testing::randn64;

using V = std::vector<double>;

Tensor vec(const V& values) { return tensor(values, kFloat64); }

TEST_CASE("chain flattens nested chains and drops identities", "[optim][transform]") {
  const auto a = scale(2.0), b = scale(3.0), c = scale_by_adam();
  const auto nested = chain(chain(a, b), identity(), chain(c));
  CHECK(nested.parts().size() == 3);
  CHECK(chain().is_identity());
  CHECK(chain(identity(), identity()).parts().size() == 1);
  const TensorList params = {zeros({2}, kFloat64)};
  // One transformation: the transformation itself, not a ChainState.
  CHECK(chain(c).init(params).kind == "ScaleByAdamState");
  const OptState state = nested.init(params);
  CHECK(state.kind == "ChainState");
  REQUIRE(state.children.size() == 3);
  CHECK(state.children[2].kind == "ScaleByAdamState");
  // Order is kept: (g * 2 * 3) then Adam's first step gives sign(g) (up to eps).
  OptState s = chain(a, b).init(params);
  CHECK(chain(a, b).update({vec({1.0, -2.0})}, s, params, false)[0].to_vector<double>() ==
        V{6.0, -12.0});
  // identity passes the very same tensors.
  const Tensor g = vec({1.0});
  OptState e = identity().init({g});
  CHECK(identity().update({g}, e, {}, true)[0].is_same(g));
}

TEST_CASE("chain_flat gives chain's updates and states", "[optim][transform]") {
  // torchopt.combine.chain_flat chains over flattened parameter trees; metagrad's parameters are
  // a flat list already.
  const auto a = scale_by_adam(), b = scale(-0.1);
  const TensorList params = {vec({0.5, -1.0}), vec({2.0})};
  OptState flat_state = chain_flat(a, b).init(params), state = chain(a, b).init(params);
  for (int step = 0; step < 3; ++step) {
    const TensorList g = {vec({1.0 + step, -2.0}), vec({0.25 * step})};
    const TensorList flat_u = chain_flat(a, b).update(g, flat_state, params, false);
    const TensorList u = chain(a, b).update(g, state, params, false);
    REQUIRE(flat_u.size() == u.size());
    for (size_t i = 0; i < u.size(); ++i)
      CHECK(flat_u[i].to_vector<double>() == u[i].to_vector<double>());
  }
  CHECK(flat_state.kind == state.kind);
  CHECK(flat_state.named_counters() == state.named_counters());
  const auto flat_tensors = flat_state.named_tensors(), tensors = state.named_tensors();
  REQUIRE(flat_tensors.size() == tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) {
    CHECK(flat_tensors[i].first == tensors[i].first);
    CHECK(flat_tensors[i].second.to_vector<double>() == tensors[i].second.to_vector<double>());
  }
  CHECK(chain_flat().is_identity());
  CHECK(chain_flat(b).init(params).kind == "EmptyState");
}

TEST_CASE("trace: first step t = g, later momentum, nesterov; re-init resets",
          "[optim][transform]") {
  const TensorList params = {zeros({1}, kFloat64)};
  auto t = trace({.momentum = 0.9, .dampening = 0.5});
  OptState state = t.init(params);
  auto step = [&](double g) {
    return t.update({vec({g})}, state, params, false)[0].item<double>();
  };
  CHECK(step(1.0) == 1.0);                            // t1 = g (no dampening on the first step)
  CHECK(step(2.0) == Approx(0.9 * 1.0 + 0.5 * 2.0));  // t2 = m t1 + (1 - d) g
  state = t.init(params);                             // TorchOpt would keep its closure flag here
  CHECK(step(3.0) == 3.0);

  auto n = trace({.momentum = 0.5, .nesterov = true});
  OptState ns = n.init(params);
  CHECK(n.update({vec({2.0})}, ns, params, false)[0].item<double>() == 2.0 + 0.5 * 2.0);
  // t2 = 0.5 * 2 + 4 = 5, u = 4 + 0.5 * 5
  CHECK(n.update({vec({4.0})}, ns, params, false)[0].item<double>() == 6.5);
  CHECK(trace({.momentum = 0.0}).is_identity());
}

TEST_CASE("clip_grad_norm with norm 2 and inf", "[optim][transform]") {
  const TensorList params = {zeros({2}, kFloat64), zeros({1}, kFloat64)};
  const TensorList g = {vec({3.0, 4.0}), vec({12.0})};  // 2-norm 13, inf-norm 12
  auto clip2 = clip_grad_norm({.max_norm = 1.0});
  OptState s = clip2.init(params);
  TensorList out = clip2.update(g, s, params, false);
  const double c2 = 1.0 / (13.0 + 1e-6);
  CHECK(allclose(out[0], vec({3.0 * c2, 4.0 * c2}), 1e-15, 0));
  CHECK(allclose(out[1], vec({12.0 * c2}), 1e-15, 0));

  auto clip_inf = clip_grad_norm({.max_norm = 6.0, .norm_type = INFINITY});
  out = clip_inf.update(g, s, params, false);
  const double ci = 6.0 / (12.0 + 1e-6);
  CHECK(allclose(out[0], vec({3.0 * ci, 4.0 * ci}), 1e-15, 0));

  // Below the threshold the updates are unchanged (coefficient clamped to 1).
  out = clip_grad_norm({.max_norm = 100.0}).update(g, s, params, false);
  CHECK(out[0].to_vector<double>() == V{3.0, 4.0});

  // p = 1: 3 + 4 + 12 = 19.
  out = clip_grad_norm({.max_norm = 1.0, .norm_type = 1.0}).update(g, s, params, false);
  CHECK(allclose(out[1], vec({12.0 / (19.0 + 1e-6)}), 1e-15, 0));

  // In place writes into the updates.
  TensorList gi = {g[0].clone(), g[1].clone()};
  clip2.update(gi, s, params, true);
  CHECK(allclose(gi[0], vec({3.0 * c2, 4.0 * c2}), 1e-15, 0));

  // The norm is a constant: the meta-gradient of sum(clipped) w.r.t. g is the coefficient.
  const Tensor leaf = vec({3.0, 4.0}).requires_grad_();
  const TensorList clipped = clip2.update({mul(leaf, 1.0), g[1]}, s, params, false);
  CHECK(allclose(grad({sum(clipped[0])}, {leaf})[0], vec({c2, c2}), 1e-15, 0));
}

TEST_CASE("clip_grad_norm with a non-finite norm", "[optim][transform]") {
  const TensorList params = {zeros({2}, kFloat64)};
  const TensorList g = {vec({INFINITY, 1.0})};
  auto strict = clip_grad_norm({.max_norm = 1.0, .error_if_nonfinite = true});
  OptState s = strict.init(params);
  CHECK_THROWS_WITH(strict.update(g, s, params, false),
                    MG_CONTAINS("non-finite") && MG_CONTAINS("error_if_nonfinite"));
  CHECK_THROWS_WITH(
      clip_grad_norm({.max_norm = 1.0, .norm_type = INFINITY, .error_if_nonfinite = true})
          .update({vec({NAN, 1.0})}, s, params, false),
      MG_CONTAINS("non-finite"));
  // Without the check the updates are scaled by max_norm / inf = 0 (as TorchOpt).
  const auto out =
      clip_grad_norm({.max_norm = 1.0}).update(g, s, params, false)[0].to_vector<double>();
  CHECK(std::isnan(out[0]));  // inf * 0
  CHECK(out[1] == 0.0);
}

TEST_CASE("nan_to_num replaces NaN and infinities", "[optim][transform]") {
  const TensorList params = {zeros({4}, kFloat64)};
  auto t = nan_to_num({.nan = 0.5, .posinf = 9.0});
  OptState s = t.init(params);
  const Tensor g = vec({NAN, INFINITY, -INFINITY, 1.0});
  CHECK(t.update({g}, s, params, false)[0].to_vector<double>() ==
        V{0.5, 9.0, std::numeric_limits<double>::lowest(), 1.0});
  CHECK(std::isnan(g.to_vector<double>()[0]));  // out of place leaves the input alone
  NoGradGuard no_grad;
  t.update({g}, s, params, true);
  CHECK(g.to_vector<double>() == V{0.5, 9.0, std::numeric_limits<double>::lowest(), 1.0});
}

TEST_CASE("masks: masked, add_decayed_weights and adamw", "[optim][transform]") {
  const TensorList params = {vec({1.0, 2.0}), vec({3.0})};
  const TensorList g = {vec({0.5, 0.5}), vec({0.5})};
  auto decay = add_decayed_weights({.weight_decay = 0.1, .mask = {true, false}});
  OptState s = decay.init(params);
  CHECK(s.kind == "MaskedState");
  TensorList out = decay.update(g, s, params, false);
  CHECK(allclose(out[0], vec({0.6, 0.7}), 1e-15, 0));
  CHECK(out[1].is_same(g[1]));

  // A mask function (here: parameters with more than one element), called with the updates.
  auto by_size = add_decayed_weights({.weight_decay = 1.0, .mask = [](const TensorList& ts) {
                                        std::vector<bool> m;
                                        for (const auto& t : ts) m.push_back(t.numel() > 1);
                                        return m;
                                      }});
  OptState s2 = by_size.init(params);
  out = by_size.update(g, s2, params, false);
  CHECK(out[0].to_vector<double>() == V{1.5, 2.5});
  CHECK(out[1].to_vector<double>() == V{0.5});

  // The inner transformation sees only the selected parameters.
  auto m = masked(scale_by_adam(), ParamMask({false, true}));
  OptState ms = m.init(params);
  REQUIRE(ms.children.size() == 1);
  CHECK(ms.children[0].tensor_list("mu").size() == 1);
  out = m.update(g, ms, params, false);
  CHECK(out[0].is_same(g[0]));
  CHECK(out[1].item<double>() == Approx(1.0).epsilon(1e-6));  // Adam's first step: sign(g)

  CHECK_THROWS_WITH(decay.update({g[0]}, s, {params[0]}, false),
                    MG_CONTAINS("the mask has 2 entries"));

  // adamw with a mask decays only the selected parameters.
  auto run = [&](const GradientTransformation& opt) {
    TensorList p = {params[0].clone(), params[1].clone()};
    OptState st = opt.init(p);
    for (int k = 0; k < 3; ++k) p = apply_updates(p, opt.update(g, st, p, false), false);
    return p;
  };
  const TensorList masked_run = run(adamw({.lr = 0.1, .weight_decay = 0.5, .mask = {false, true}}));
  const TensorList no_decay = run(adamw({.lr = 0.1, .weight_decay = 0.0}));
  const TensorList full_decay = run(adamw({.lr = 0.1, .weight_decay = 0.5}));
  CHECK(masked_run[0].to_vector<double>() == no_decay[0].to_vector<double>());
  CHECK(masked_run[1].to_vector<double>() == full_decay[1].to_vector<double>());
  CHECK_FALSE(no_decay[1].to_vector<double>() == full_decay[1].to_vector<double>());
}

TEST_CASE("multi_transform applies one transformation per label", "[optim][transform]") {
  const TensorList params = {randn64({3}, 1).detach(), randn64({2}, 2).detach(),
                             randn64({4}, 3).detach()};
  const TensorList g = {randn64({3}, 4).detach(), randn64({2}, 5).detach(),
                        randn64({4}, 6).detach()};
  auto sgd_part = sgd({.lr = 0.1, .momentum = 0.9});
  auto adam_part = adam({.lr = 0.01});
  auto multi = multi_transform({{"fast", adam_part}, {"slow", sgd_part}}, {"slow", "fast", "slow"});
  OptState state = multi.init(params);
  CHECK(state.kind == "MultiTransformState");
  REQUIRE(state.children.size() == 2);  // map order: "fast", "slow"
  CHECK(state.children[1].children[0].tensor_list("trace").size() == 2);

  OptState s_sgd = sgd_part.init({params[0], params[2]});
  OptState s_adam = adam_part.init({params[1]});
  for (int k = 0; k < 3; ++k) {
    const TensorList out = multi.update(g, state, params, false);
    const TensorList want_sgd = sgd_part.update({g[0], g[2]}, s_sgd, {params[0], params[2]}, false);
    const TensorList want_adam = adam_part.update({g[1]}, s_adam, {params[1]}, false);
    CHECK(out[0].to_vector<double>() == want_sgd[0].to_vector<double>());
    CHECK(out[2].to_vector<double>() == want_sgd[1].to_vector<double>());
    CHECK(out[1].to_vector<double>() == want_adam[0].to_vector<double>());
  }
  // Each inner transformation sees its group's parameters: weight decay on one label.
  auto decayed = multi_transform(
      {{"decay", add_decayed_weights({.weight_decay = 0.5})}, {"plain", scale(1.0)}},
      {"decay", "plain", "decay"});
  OptState s_decay = decayed.init(params);
  const TensorList with_decay = decayed.update(g, s_decay, params, false);
  CHECK(allclose(with_decay[0], g[0] + params[0] * 0.5, 1e-15, 0));
  CHECK(allclose(with_decay[1], g[1], 0, 0));
  CHECK(allclose(with_decay[2], g[2] + params[2] * 0.5, 1e-15, 0));
  // Labels from a function of the parameters.
  auto by_dim = multi_transform({{"a", scale(2.0)}, {"b", scale(-1.0)}}, [](const TensorList& ts) {
    std::vector<std::string> labels;
    for (const auto& t : ts) labels.push_back(t.numel() > 2 ? "a" : "b");
    return labels;
  });
  OptState sd = by_dim.init(params);
  const TensorList out = by_dim.update(g, sd, params, false);
  CHECK(allclose(out[0], mul(g[0], 2.0), 0, 0));
  CHECK(allclose(out[1], neg(g[1]), 0, 0));

  CHECK_THROWS_WITH(multi_transform({{"a", scale(1.0)}}, {"a", "zz", "b"}).init(params),
                    MG_CONTAINS("no corresponding transformation") && MG_CONTAINS("zz"));
  CHECK_THROWS_WITH(multi_transform({{"a", scale(1.0)}}, {"a"}).init(params),
                    MG_CONTAINS("1 labels for 3 parameters"));
}

TEST_CASE("multi_steps accumulates k updates before applying the inner one", "[optim][transform]") {
  const TensorList params = {zeros({2}, kFloat64)};
  const std::vector<Tensor> grads = {vec({1.0, 2.0}), vec({3.0, 6.0}), vec({5.0, 1.0}),
                                     vec({2.0, 2.0})};
  for (bool mean : {true, false}) {
    for (bool inplace : {false, true}) {
      INFO("mean " << mean << " inplace " << inplace);
      auto opt = multi_steps(sgd({.lr = 1.0}), 3, mean);
      OptState state = opt.init(params);
      CHECK_FALSE(multi_steps_has_updated(state));
      std::vector<std::vector<double>> outs;
      for (const auto& g : grads) {
        outs.push_back(opt.update({g.clone()}, state, params, inplace)[0].to_vector<double>());
      }
      CHECK(outs[0] == V{0.0, 0.0});
      CHECK(outs[1] == V{0.0, 0.0});
      const double scale = mean ? 1.0 / 3.0 : 1.0;
      CHECK(outs[2][0] == Approx(-9.0 * scale).epsilon(1e-15));
      CHECK(outs[2][1] == Approx(-9.0 * scale).epsilon(1e-15));
      CHECK(outs[3] == V{0.0, 0.0});  // a new accumulation started
      CHECK(state.counter("gradient_step") == 1);
      CHECK(state.counter("mini_step") == 1);
      CHECK(state.tensor_list("acc_grads")[0].to_vector<double>() == V{2.0, 2.0});
    }
  }
  // The inner state advances once per k calls; has_updated flags the applying call.
  auto opt = multi_steps(adam({.lr = 0.1}), [](int64_t step) { return step == 0 ? 1 : 2; });
  OptState state = opt.init(params);
  opt.update({grads[0]}, state, params, false);
  CHECK(multi_steps_has_updated(state));
  opt.update({grads[1]}, state, params, false);
  CHECK_FALSE(multi_steps_has_updated(state));
  opt.update({grads[2]}, state, params, false);
  CHECK(multi_steps_has_updated(state));
  CHECK(state.children[0].children[0].counter("count") == 2);
  CHECK_THROWS_WITH(multi_steps(scale(1.0), 0), MG_CONTAINS("every_k"));
}

}  // namespace
