// OptState as a value: flat names, clone, detach, move, structure comparison and loading.
#include <string>
#include <vector>

#include "tests/support/helpers.hpp"

namespace {

using namespace metagrad;
using metagrad::testing::allclose;
using metagrad::testing::randn64;

TensorList two_params() { return {randn64({2, 3}, 1).detach(), randn64({4}, 2).detach()}; }

TEST_CASE("state tensors and counters are listed by flat name", "[optim][state]") {
  const TensorList params = two_params();
  OptState state = chain(clip_grad_norm({.max_norm = 1.0}), adam({.lr = 0.1})).init(params);
  std::vector<std::string> names;
  for (const auto& [name, t] : state.named_tensors()) names.push_back(name);
  CHECK(names == std::vector<std::string>{"1.mu.0", "1.mu.1", "1.nu.0", "1.nu.1"});
  CHECK(state.named_counters() == std::vector<std::pair<std::string, int64_t>>{{"1.count", 0}});
  CHECK(state.children[1].tensor_list("mu")[1].shape() == Dims{4});
  CHECK_THROWS_WITH(state.children[1].tensor_list("trace"),
                    MG_CONTAINS("ScaleByAdamState has no tensor list 'trace'"));
  CHECK_THROWS_WITH(state.counter("count"), MG_CONTAINS("ChainState has no counter 'count'"));
  const OptState single = sgd({.lr = 0.1, .momentum = 0.9}).init(params);
  CHECK(single.named_tensors()[1].first == "0.trace.1");
  CHECK(single.named_counters()[0].first == "0.count");
}

TEST_CASE("clone is deep, copies share, detach cuts history", "[optim][state]") {
  const TensorList params = two_params();
  const auto opt = adam({.lr = 0.1, .moment_requires_grad = true});
  OptState state = opt.init(params);
  const OptState snapshot = state.clone();
  const OptState shallow = state;
  for (const auto& [name, t] : snapshot.named_tensors()) {
    CHECK(t.is_leaf());
    CHECK(t.requires_grad());  // leaves keep requires_grad when cloned
  }
  // Out of place: the state's tensors are replaced, the old copy keeps the old values.
  const TensorList g = {randn64({2, 3}, 3).detach(), randn64({4}, 4).detach()};
  opt.update(g, state, params, false);
  CHECK(allclose(shallow.children[0].tensor_list("mu")[0], zeros({2, 3}, kFloat64), 0, 0));
  const Tensor mu = state.children[0].tensor_list("mu")[0];
  CHECK_FALSE(mu.is_leaf());
  CHECK(state.children[0].counter("count") == 1);
  CHECK(shallow.children[0].counter("count") == 0);

  // clone of a state with history stays in the graph; detached() and detach_() cut it but keep
  // requires_grad (TorchOpt's stop_gradient).
  const OptState cloned = state.clone();
  CHECK_FALSE(cloned.children[0].tensor_list("mu")[0].is_leaf());
  const OptState cut = state.detached();
  const Tensor mu_cut = cut.children[0].tensor_list("mu")[0];
  CHECK(mu_cut.is_leaf());
  CHECK(mu_cut.requires_grad());
  CHECK(mu_cut.storage() == mu.storage());
  CHECK_FALSE(mu.is_leaf());  // detached() leaves the original alone
  state.detach_();
  CHECK(state.children[0].tensor_list("mu")[0].is_leaf());

  // An in-place update does not touch a clone.
  OptState plain = adam({.lr = 0.1}).init(params);
  const OptState before = plain.clone();
  {
    NoGradGuard no_grad;
    adam({.lr = 0.1}).update({g[0].clone(), g[1].clone()}, plain, params, true);
  }
  CHECK(allclose(before.children[0].tensor_list("nu")[1], zeros({4}, kFloat64), 0, 0));
  CHECK_FALSE(allclose(plain.children[0].tensor_list("nu")[1], zeros({4}, kFloat64), 0, 0));

  const OptState moved = plain.to(kCPU);
  CHECK(moved.same_structure(plain));
}

TEST_CASE("same_structure and load", "[optim][state]") {
  const TensorList params = two_params();
  const auto opt = adam({.lr = 0.1, .moment_requires_grad = true});
  OptState trained = opt.init(params);
  const TensorList g = {randn64({2, 3}, 5).detach(), randn64({4}, 6).detach()};
  for (int k = 0; k < 2; ++k) opt.update(g, trained, params, false);

  OptState fresh = opt.init(params);
  CHECK(fresh.same_structure(trained));
  CHECK_FALSE(fresh.same_structure(sgd({.lr = 0.1, .momentum = 0.9}).init(params)));
  CHECK_FALSE(fresh.same_structure(opt.init({params[0]})));
  // States that differ only in their first entry's shape.
  OptState first, other;
  first.kind = other.kind = "HandMadeState";
  first.tensors.emplace_back("a", TensorList{zeros({2}, kFloat64)});
  first.tensors.emplace_back("b", TensorList{zeros({3}, kFloat64)});
  other.tensors = first.tensors;
  other.tensors[0].second[0] = zeros({4}, kFloat64);
  CHECK_FALSE(first.same_structure(other));
  other.tensors[0].second[0] = zeros({2}, kFloat32);
  CHECK_FALSE(first.same_structure(other));
  other.tensors[0].second[0] = zeros({2}, kFloat64);
  CHECK(first.same_structure(other));
  // ... or only in their first counter's name (the values may differ).
  first.counters.emplace_back("count", 1);
  other.counters.emplace_back("steps", 1);
  CHECK_FALSE(first.same_structure(other));
  other.counters[0] = {"count", 5};
  CHECK(first.same_structure(other));

  fresh.load(trained.named_tensors(), trained.named_counters());
  CHECK(fresh.children[0].counter("count") == 2);
  const Tensor loaded = fresh.children[0].tensor_list("nu")[1];
  CHECK(allclose(loaded, trained.children[0].tensor_list("nu")[1], 0, 0));
  CHECK(loaded.is_leaf());
  CHECK(loaded.requires_grad());  // like the moment it replaces

  // Wrong structure: an error naming the entry, and nothing changes.
  OptState target = opt.init(params);
  auto tensors = trained.named_tensors();
  auto counters = trained.named_counters();
  auto bad_shape = tensors;
  bad_shape[0].second = zeros({3, 2}, kFloat64);
  CHECK_THROWS_WITH(target.load(bad_shape, counters), MG_CONTAINS("'0.mu.0' has shape [3, 2]"));
  auto missing = tensors;
  missing.pop_back();
  CHECK_THROWS_WITH(target.load(missing, counters),
                    MG_CONTAINS("'0.nu.1'") && MG_CONTAINS("missing"));
  auto extra = tensors;
  extra.emplace_back("0.trace.0", zeros({1}, kFloat64));
  CHECK_THROWS_WITH(target.load(extra, counters), MG_CONTAINS("unexpected tensor '0.trace.0'"));
  CHECK_THROWS_WITH(target.load(tensors, {}), MG_CONTAINS("counter '0.count'"));
  auto bad_dtype = tensors;
  bad_dtype[1].second = zeros({4}, kFloat32);
  CHECK_THROWS_WITH(target.load(bad_dtype, counters), MG_CONTAINS("float32"));
  CHECK(target.children[0].counter("count") == 0);
  for (const auto& [name, t] : target.named_tensors()) {
    CHECK(allclose(t, zeros_like(t), 0, 0));
  }
}

}  // namespace
