// Argument checks and state-loading errors of the object APIs (Optimizer, MetaOptimizer,
// FuncOptimizer, the state utilities), each pinned by message, and every failed load leaving its
// target unchanged. (The aliases' own option checks are in alias_test.cpp.)
#include <string>
#include <utility>
#include <vector>

#include "tests/support/helpers.hpp"

namespace {

using namespace metagrad;
using metagrad::testing::randn64;

// Bitwise snapshot of a list of states: every tensor's values and every counter, by flat name.
using Snapshot = std::vector<std::pair<std::string, std::vector<double>>>;

Snapshot snapshot(const std::vector<OptState>& states) {
  Snapshot out;
  for (size_t g = 0; g < states.size(); ++g) {
    out.emplace_back(std::to_string(g) + ".kind:" + states[g].kind, std::vector<double>{});
    for (const auto& [name, t] : states[g].named_tensors()) {
      out.emplace_back(std::to_string(g) + "." + name, t.to_vector<double>());
    }
    for (const auto& [name, v] : states[g].named_counters()) {
      out.emplace_back(std::to_string(g) + "." + name, std::vector<double>{double(v)});
    }
  }
  return out;
}

// Runs one plain step of `opt` on sum(p^2) for each parameter.
void classic_step(Optimizer& opt) {
  opt.zero_grad();
  Tensor loss;
  for (const auto& group : opt.param_groups()) {
    for (const auto& p : group)
      loss = loss.defined() ? add(loss, square(p).sum()) : square(p).sum();
  }
  loss.backward();
  opt.step();
}

TEST_CASE("Optimizer argument checks", "[optim][object]") {
  const Tensor a = randn64({3}, 1), b = randn64({2}, 2);
  CHECK_THROWS_WITH(Optimizer({a}, GradientTransformation()),
                    MG_CONTAINS("Optimizer: the transformation is undefined"));
  CHECK_THROWS_WITH(SGD({a, Tensor()}, {.lr = 0.1}),
                    MG_CONTAINS("parameter 1 of group 0 is undefined"));
  CHECK_THROWS_WITH(Adam({a, b, a}), MG_CONTAINS("parameter 2 of group 0 is the same tensor as "
                                                 "parameter 0"));
  Adam opt({a, b}, {.lr = 0.1});
  const Tensor c = randn64({4}, 3);
  CHECK_THROWS_WITH(opt.add_param_group({c, b}),
                    MG_CONTAINS("parameter 1 of group 1 is already parameter 1 of group 0"));
  CHECK(opt.param_groups().size() == 1);  // the failed add changed nothing
  CHECK(opt.state_dict().size() == 1);
  opt.add_param_group({c});
  CHECK(opt.param_groups().size() == 2);
  // An empty group is accepted, as in TorchOpt.
  CHECK_NOTHROW(opt.add_param_group({}));
}

TEST_CASE("Optimizer.load_state_dict errors leave the state unchanged", "[optim][object]") {
  const Tensor a = randn64({3}, 4), b = randn64({2}, 5);
  Adam opt({a}, {.lr = 0.1});
  opt.add_param_group({b});
  for (int k = 0; k < 2; ++k) classic_step(opt);
  const Snapshot before = snapshot(opt.state_dict());

  CHECK_THROWS_WITH(opt.load_state_dict({}),
                    MG_CONTAINS("Optimizer.load_state_dict: got 0 group states for 2 parameter "
                                "groups"));
  auto states = opt.state_dict();
  states[1] = sgd({.lr = 0.1, .momentum = 0.9}).init({b});
  CHECK_THROWS_WITH(opt.load_state_dict(states),
                    MG_CONTAINS("Optimizer.load_state_dict: the state of group 1 does not match "
                                "the optimizer's: child '0' is a TraceState in the given state but "
                                "a ScaleByAdamState in the optimizer"));
  states = opt.state_dict();
  states[0] = adam({.lr = 0.1}).init({zeros({4}, kFloat64)});
  CHECK_THROWS_WITH(opt.load_state_dict(states),
                    MG_CONTAINS("group 0 does not match the optimizer's: tensor '0.mu.0' has "
                                "shape [4] and dtype float64 in the given state but shape [3] and "
                                "dtype float64 in the optimizer"));
  states = opt.state_dict();
  states[0] = adam({.lr = 0.1}).init({zeros({3}, kFloat32)});
  CHECK_THROWS_WITH(
      opt.load_state_dict(states),
      MG_CONTAINS("dtype float32 in the given state but shape [3] and dtype float64"));
  states = opt.state_dict();
  states[0] = adam({.lr = 0.1}).init({a, b});
  CHECK_THROWS_WITH(opt.load_state_dict(states),
                    MG_CONTAINS("tensor list '0.mu' has 2 entries in the given state but 1 in the "
                                "optimizer"));
  states = opt.state_dict();
  states[1].children[0].counters.clear();
  CHECK_THROWS_WITH(opt.load_state_dict(states),
                    MG_CONTAINS("child '0' (ScaleByAdamState) has counters [] in the given state "
                                "but [count] in the optimizer"));
  CHECK(snapshot(opt.state_dict()) == before);

  // A good load really replaces the state (and is a copy: later steps do not alter the source).
  std::vector<OptState> fresh;
  for (const auto& group : opt.param_groups()) fresh.push_back(adam({.lr = 0.1}).init(group));
  opt.load_state_dict(fresh);
  CHECK(opt.state_dict()[0].children[0].counter("count") == 0);
  classic_step(opt);
  CHECK(fresh[0].children[0].counter("count") == 0);
  CHECK(opt.state_dict()[0].children[0].counter("count") == 1);
}

TEST_CASE("MetaOptimizer argument checks and load errors", "[optim][object]") {
  nn::Linear net(3, 2, {.dtype = kFloat64});
  CHECK_THROWS_WITH(MetaOptimizer(net, GradientTransformation()),
                    MG_CONTAINS("MetaOptimizer: the transformation is undefined"));
  MetaAdam opt(net, {.lr = 0.1});
  CHECK_THROWS_WITH(opt.step(Tensor()), MG_CONTAINS("MetaOptimizer.step: the loss is undefined"));
  const Tensor x = randn64({4, 3}, 6).detach(), y = randn64({4, 2}, 7).detach();
  opt.step(mse_loss(net(x), y));
  const Snapshot before = snapshot(opt.state_dict());
  const TensorList params = net.parameters();

  CHECK_THROWS_WITH(opt.load_state_dict({opt.state_dict()[0], opt.state_dict()[0]}),
                    MG_CONTAINS("MetaOptimizer.load_state_dict: got 2 group states for 1 "
                                "parameter groups"));
  CHECK_THROWS_WITH(opt.load_state_dict({sgd({.lr = 0.1, .momentum = 0.9}).init(params)}),
                    MG_CONTAINS("MetaOptimizer.load_state_dict: the state of group 0") &&
                        MG_CONTAINS("does not match"));
  CHECK_THROWS_WITH(opt.load_state_dict({adam({.lr = 0.1}).init({params[0]})}),
                    MG_CONTAINS("kind, names, lengths, shapes or dtypes"));
  CHECK(snapshot(opt.state_dict()) == before);
  CHECK_THROWS_WITH(recover_state_dict(opt, std::vector<OptState>{}),
                    MG_CONTAINS("got 0 group states for 1"));
  CHECK(snapshot(opt.state_dict()) == before);
}

TEST_CASE("recover_state_dict(module) errors leave the module unchanged", "[optim][object]") {
  nn::Sequential net(nn::Linear(3, 4, {.dtype = kFloat64}), nn::Tanh(),
                     nn::Linear(4, 2, {.dtype = kFloat64}));
  const TensorList params = net.parameters();
  ModuleState state = extract_state_dict(net, {.by = CopyMode::deepcopy});

  ModuleState fewer = state;
  fewer.params.pop_back();
  CHECK_THROWS_WITH(recover_state_dict(net, fewer),
                    MG_CONTAINS("recover_state_dict: the state has 3 parameters but the module "
                                "has 4"));
  ModuleState renamed = state;
  renamed.params[2].first = "2.bias";
  CHECK_THROWS_WITH(recover_state_dict(net, renamed),
                    MG_CONTAINS("recover_state_dict: entry 2 of the parameters is named "
                                "'2.bias' in the state but '2.weight' in the module"));
  for (size_t i = 0; i < params.size(); ++i) CHECK(net.parameters()[i].is_same(params[i]));
  recover_state_dict(net, state);
  CHECK_FALSE(net.parameters()[0].is_same(params[0]));
}

TEST_CASE("FuncOptimizer argument checks", "[optim][object][func]") {
  CHECK_THROWS_WITH(FuncOptimizer(GradientTransformation()),
                    MG_CONTAINS("FuncOptimizer: the transformation is undefined"));
  const TensorList p = {randn64({3}, 8), randn64({2, 2}, 9)};
  auto loss_of = [](const TensorList& ps) { return add(square(ps[0]).sum(), square(ps[1]).sum()); };
  FuncOptimizer opt(adam({.lr = 0.1}));

  CHECK_THROWS_WITH(opt.step(Tensor(), p),
                    MG_CONTAINS("FuncOptimizer.step: the loss is undefined"));
  CHECK_THROWS_WITH(opt.step(square(p[0]), p),
                    MG_CONTAINS("the loss must have one element, got shape [3]"));
  CHECK_THROWS_WITH(opt.step(p[0].detach().sum(), p),
                    MG_CONTAINS("the loss does not require grad"));
  CHECK_THROWS_WITH(opt.step(loss_of(p), {}), MG_CONTAINS("FuncOptimizer.step: no parameters"));
  CHECK_THROWS_WITH(opt.step(loss_of(p), {p[0], Tensor()}),
                    MG_CONTAINS("parameter 1 is undefined"));
  CHECK_THROWS_WITH(opt.step(loss_of(p), {p[0], p[1].detach()}),
                    MG_CONTAINS("parameter 1 (shape [2, 2], float64) does not require grad"));
  CHECK_THROWS_WITH(
      opt.step(loss_of(p), {p[0].detach(), p[1]}),
      MG_CONTAINS("FuncOptimizer.step: parameter 0 (shape [3], float64) does not require grad"));
  CHECK_FALSE(opt.initialized());  // failed first steps create no state

  opt.step(loss_of(p), p);
  const Snapshot before = snapshot({opt.state_dict()});
  CHECK_THROWS_WITH(opt.step(square(p[0]).sum(), {p[0]}),
                    MG_CONTAINS("got 1 parameters, but the state was created for 2"));
  const TensorList wrong_shape = {p[0], randn64({4}, 10)};
  CHECK_THROWS_WITH(opt.step(square(p[0]).sum(), wrong_shape),
                    MG_CONTAINS("parameter 1 has shape [4] and dtype float64, but the state was "
                                "created for shape [2, 2] and dtype float64"));
  const TensorList wrong_dtype = {p[0], randn64({2, 2}, 11).detach().to(kFloat32).requires_grad_()};
  CHECK_THROWS_WITH(opt.step(square(p[0]).sum(), wrong_dtype),
                    MG_CONTAINS("dtype float32, but the state was created for shape [2, 2] and "
                                "dtype float64"));
  CHECK(snapshot({opt.state_dict()}) == before);
}

TEST_CASE("FuncOptimizer.load_state_dict errors leave the state unchanged",
          "[optim][object][func]") {
  const TensorList p = {randn64({3}, 12), randn64({2}, 13)};
  auto loss_of = [](const TensorList& ps) { return add(square(ps[0]).sum(), square(ps[1]).sum()); };
  const auto impl = adam({.lr = 0.1});

  FuncOptimizer opt(impl);
  opt.step(loss_of(p), p);
  const Snapshot before = snapshot({opt.state_dict()});
  CHECK_THROWS_WITH(opt.load_state_dict(sgd({.lr = 0.1, .momentum = 0.9}).init(p)),
                    MG_CONTAINS("FuncOptimizer.load_state_dict: the state does not match the "
                                "optimizer's: child '0' is a TraceState in the given state but a "
                                "ScaleByAdamState in the optimizer"));
  CHECK_THROWS_WITH(opt.load_state_dict(impl.init({p[0]})),
                    MG_CONTAINS("tensor list '0.mu' has 1 entries in the given state but 2 in the "
                                "optimizer"));
  OptState bad_reset;
  bad_reset.kind = "UninitializedState";
  bad_reset.counters.emplace_back("count", 1);
  CHECK_THROWS_WITH(
      opt.load_state_dict(bad_reset),
      MG_CONTAINS("an UninitializedState must hold no tensors, counters or children"));
  CHECK(opt.initialized());
  CHECK(snapshot({opt.state_dict()}) == before);

  // Before the first step a state is accepted and checked against the first step's parameters.
  FuncOptimizer lazy(impl);
  lazy.load_state_dict(impl.init({p[0]}));
  CHECK_THROWS_WITH(lazy.step(loss_of(p), p),
                    MG_CONTAINS("FuncOptimizer.step: the state given to load_state_dict does "
                                "not fit these 2 parameters and this transformation: tensor list "
                                "'0.mu' has 1 entries in the loaded state but 2 in the state these "
                                "parameters need"));
  CHECK_FALSE(lazy.initialized());
  CHECK(lazy.state_dict().children[0].tensor_list("mu").size() == 1);  // still the loaded state
  lazy.load_state_dict(impl.init(p));
  CHECK_NOTHROW(lazy.step(loss_of(p), p));
  CHECK(lazy.initialized());
}

TEST_CASE("OptState lookups and loads name what is missing", "[optim][object]") {
  OptState s = adam({.lr = 0.1}).init({randn64({2}, 14)});
  CHECK_THROWS_WITH(s.children[0].tensor_list("trace"),
                    MG_CONTAINS("OptState: a ScaleByAdamState has no tensor list 'trace'"));
  CHECK_THROWS_WITH(s.children[0].counter("steps"),
                    MG_CONTAINS("OptState: a ScaleByAdamState has no counter 'steps'"));
  auto tensors = s.named_tensors();
  tensors.push_back(tensors[0]);
  CHECK_THROWS_WITH(s.load(tensors, s.named_counters()),
                    MG_CONTAINS("OptState::load: tensor '0.mu.0' given twice"));
  auto counters = s.named_counters();
  counters.emplace_back("0.steps", 3);
  CHECK_THROWS_WITH(s.load(s.named_tensors(), counters),
                    MG_CONTAINS("unexpected counter '0.steps' for a ChainState"));
  tensors = s.named_tensors();
  tensors[0].second = Tensor();
  CHECK_THROWS_WITH(s.load(tensors, s.named_counters()),
                    MG_CONTAINS("OptState::load: tensor '0.mu.0' is undefined"));
}

}  // namespace
