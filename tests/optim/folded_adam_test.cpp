// The folded Adam step (Note [folded adam step]): Adam/AdamW(use_accelerated_op).step() and
// GradientTransformation::step_in_place run scale_by_accelerated_adam, scale_by_neg_lr and
// apply_updates as one fused pass. Parameters and state bit-identical to the unfolded step
// (update + apply_updates) in both dtypes and to the unfused adam() in float64, with and without
// weight decay, a schedule, several tensors incl. 0-d and empty ones; the fold observed (the
// gradients are only read); the fallbacks (AdamW's decoupled decay, non-contiguous parameters).
#include <cmath>
#include <string>
#include <vector>

#include "tests/support/helpers.hpp"

namespace {

using namespace metagrad;

// 0-d, empty, small, one spanning several parallel chunks, a ragged block.
const std::vector<Dims> kShapes = {{}, {0}, {3, 4}, {70001}, {5}};

TensorList random_list(DType dtype, uint64_t seed, double scale = 1.0) {
  TensorList out;
  for (const Dims& shape : kShapes) {
    Generator gen(++seed);
    out.push_back(randn(shape, dtype, &gen) * scale);
  }
  return out;
}

TensorList clones(const TensorList& list) {
  TensorList out;
  for (const Tensor& t : list) out.push_back(t.clone());
  return out;
}

bool same_lists(const TensorList& a, const TensorList& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i].shape() != b[i].shape() || a[i].to_vector<double>() != b[i].to_vector<double>())
      return false;
  return true;
}

// The moments of the Adam scaler (part `part` of the chain).
TensorList moments(const std::vector<OptState>& states, size_t part, const char* name) {
  return states.at(0).children.at(part).tensor_list(name);
}

// `steps` steps of `opt` (an Optimizer over `params`) and of the unfolded update + apply_updates
// of `reference` on copies; checks the parameters and the moments (chain part `part`) agree bit
// for bit after every step. Returns whether every step of `opt` left the gradients unwritten.
bool run_against_unfolded(Optimizer& opt, const TensorList& params,
                          const GradientTransformation& reference, size_t part, int steps) {
  TensorList ref_params = clones(params);
  OptState ref_state = reference.init(ref_params);
  bool grads_only_read = true;
  for (int k = 1; k <= steps; ++k) {
    INFO("step " << k);
    const TensorList g = random_list(params[0].dtype(), 100 * k, 0.5);
    for (size_t i = 0; i < params.size(); ++i) params[i].set_grad(g[i].clone());
    std::vector<uint64_t> versions;
    for (const Tensor& p : params) versions.push_back(p.grad().version());
    opt.step();
    for (size_t i = 0; i < params.size(); ++i) {
      grads_only_read = grads_only_read && params[i].grad().version() == versions[i] &&
                        same_lists({params[i].grad()}, {g[i]});
    }
    {
      const NoGradGuard no_grad;
      apply_updates(ref_params, reference.update(clones(g), ref_state, ref_params, true), true);
    }
    CHECK(same_lists(params, ref_params));
    CHECK(same_lists(moments(opt.state_dict(), part, "mu"),
                     ref_state.children.at(part).tensor_list("mu")));
    CHECK(same_lists(moments(opt.state_dict(), part, "nu"),
                     ref_state.children.at(part).tensor_list("nu")));
  }
  return grads_only_read;
}

}  // namespace

TEST_CASE("folded Adam step: bit-identical to the unfolded step, the gradients only read",
          "[optim][accelerated][folded]") {
  for (const DType dtype : {kFloat32, kFloat64}) {
    for (const double wd : {0.0, 0.1}) {
      INFO(dtype_name(dtype) << ", weight_decay " << wd);
      const AdamOptions o{
          .lr = 0.05, .weight_decay = wd, .eps_root = 1e-10, .use_accelerated_op = true};
      const TensorList params = random_list(dtype, 7);
      Adam opt(params, o);
      // The Adam scaler is part 1 of chain(flip_sign_and_add_weight_decay, scaler, scale), part 0
      // of chain(scaler, scale) when the decay is off.
      const size_t part = wd == 0.0 ? 0 : 1;
      const bool only_read = run_against_unfolded(opt, params, adam(o), part, 4);
      // Without decay the fold only reads the gradients (the unfolded step writes -lr u into
      // them); with Adam's decay, flip_sign_and_add_weight_decay adds wd p to them first.
      CHECK(only_read == (wd == 0.0));
    }
  }
}

TEST_CASE("folded Adam step: bit-identical to the unfused adam() in float64",
          "[optim][accelerated][folded]") {
  for (const double wd : {0.0, 0.1}) {
    INFO("weight_decay " << wd);
    const TensorList params = random_list(kFloat64, 3);
    Adam opt(params, {.lr = 0.02, .weight_decay = wd, .use_accelerated_op = true});
    run_against_unfolded(opt, params, adam({.lr = 0.02, .weight_decay = wd}), wd == 0.0 ? 0 : 1, 3);
  }
}

TEST_CASE("folded Adam step: the step is -lr times the Adam direction, applied once",
          "[optim][accelerated][folded]") {
  // First step from zero moments with eps 0: u = g / |g| = sign(g) up to rounding, so
  // p' = p - lr sign(g) (lr applied twice, or the wrong sign, is far off).
  const Tensor p = tensor(std::vector<double>{1.0, -2.0, 0.5, 4.0}, kFloat64).requires_grad_();
  Adam opt({p}, {.lr = 0.25, .eps = 0.0, .use_accelerated_op = true});
  p.set_grad(tensor(std::vector<double>{3.0, -0.5, -7.0, 1e-3}, kFloat64));
  opt.step();
  const std::vector<double> want = {0.75, -1.75, 0.75, 3.75}, got = p.to_vector<double>();
  for (size_t i = 0; i < want.size(); ++i) CHECK(std::abs(got[i] - want[i]) < 1e-12);
  CHECK(p.grad().to_vector<double>() == std::vector<double>{3.0, -0.5, -7.0, 1e-3});
}

TEST_CASE("folded Adam step: a schedule's count advances once per step",
          "[optim][accelerated][folded]") {
  const Schedule lr = [](int64_t count) { return 0.1 / (1.0 + static_cast<double>(count)); };
  const TensorList params = random_list(kFloat32, 11);
  Adam opt(params, {.lr = lr, .use_accelerated_op = true});
  CHECK(run_against_unfolded(opt, params, adam({.lr = lr, .use_accelerated_op = true}), 0, 4));
  CHECK(opt.state_dict()[0].children.at(1).counter("count") == 4);
}

TEST_CASE("AdamW: the decoupled decay takes the unfolded path, no decay folds",
          "[optim][accelerated][folded]") {
  for (const double wd : {0.0, 0.05}) {
    INFO("weight_decay " << wd);
    const AdamWOptions o{.lr = 0.03, .weight_decay = wd, .use_accelerated_op = true};
    const TensorList params = random_list(kFloat64, 21);
    AdamW opt(params, o);
    // add_decayed_weights sits between the scaler and scale_by_neg_lr: only without decay (then
    // dropped from the chain) does the fold happen.
    CHECK(run_against_unfolded(opt, params, adamw(o), 0, 3) == (wd == 0.0));
  }
}

TEST_CASE("folded Adam step: non-contiguous or shared operands take the unfolded path",
          "[optim][accelerated][folded]") {
  const TensorList base = {randn({4, 3}, kFloat64), randn({6}, kFloat64)};
  const TensorList params = {base[0].t(), base[1]};  // the first is a transposed view
  Adam opt(params, {.lr = 0.1, .use_accelerated_op = true});
  TensorList ref = clones(params);
  const auto reference = adam({.lr = 0.1, .use_accelerated_op = true});
  OptState state = reference.init(ref);
  const TensorList g = {randn({3, 4}, kFloat64), randn({6}, kFloat64)};
  for (size_t i = 0; i < 2; ++i) params[i].set_grad(g[i].clone());
  opt.step();
  {
    const NoGradGuard no_grad;
    apply_updates(ref, reference.update(clones(g), state, ref, true), true);
  }
  CHECK(same_lists(params, ref));
  CHECK_FALSE(same_lists({params[1].grad()}, {g[1]}));  // not folded: u was written into .grad
}

TEST_CASE("FuncOptimizer in place folds the accelerated Adam step",
          "[optim][accelerated][folded]") {
  const auto o = AdamOptions{.lr = 0.05, .use_accelerated_op = true};
  Tensor w = tensor(std::vector<double>{0.3, -1.2, 2.0}, kFloat64).requires_grad_();
  Tensor ref = w.detach().clone().requires_grad_();
  FuncOptimizer fopt(adam(o), /*inplace=*/true);
  const auto reference = adam(o);
  OptState state = reference.init({ref});
  for (int k = 0; k < 3; ++k) {
    const TensorList out = fopt.step(sum(exp(w * 0.5) + w * w), {w});
    CHECK(out[0].is_same(w));
    const TensorList g = grad({sum(exp(ref * 0.5) + ref * ref)}, {ref});
    const NoGradGuard no_grad;
    apply_updates({ref}, reference.update(g, state, {ref}, true), true);
  }
  CHECK(same_lists({w}, {ref}));
}
