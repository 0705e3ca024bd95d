// Parameters keyed by name in the functional API (Note [parameters keyed by name]): init, update
// and apply_updates on NamedParams, masks and labels as functions of the name (TorchOpt's mask
// callable over a dict of parameters), narrowed by masked and multi_transform.
#include <string>
#include <vector>

#include "tests/support/helpers.hpp"

namespace {

using namespace metagrad;
using metagrad::testing::allclose;
using metagrad::testing::randn64;

// A two-layer network's parameters by name, and gradients for them.
struct Problem {
  NamedParams params = {{"fc1.weight", randn64({3, 2}, 1)},
                        {"fc1.bias", randn64({3}, 2)},
                        {"fc2.weight", randn64({1, 3}, 3)},
                        {"fc2.bias", randn64({1}, 4)}};
  NamedParams grads = {{"fc1.weight", randn64({3, 2}, 5)},
                       {"fc1.bias", randn64({3}, 6)},
                       {"fc2.weight", randn64({1, 3}, 7)},
                       {"fc2.bias", randn64({1}, 8)}};
  TensorList values(const NamedParams& named) const {
    TensorList out;
    for (const auto& [name, t] : named) out.push_back(t.detach());
    return out;
  }
};

bool is_bias(const std::string& name) { return name.ends_with("bias"); }

// Two steps of `opt` on the named problem, and of `reference` on the flat one; the results agree.
void check_same_steps(const GradientTransformation& opt, const GradientTransformation& reference) {
  Problem p;
  NamedParams named = p.params;
  TensorList flat = p.values(p.params);
  OptState named_state = opt.init(named), flat_state = reference.init(flat);
  for (int step = 0; step < 2; ++step) {
    const NamedParams updates = opt.update(p.grads, named_state, named, false);
    named = apply_updates(named, updates, false);
    const TensorList flat_updates = reference.update(p.values(p.grads), flat_state, flat, false);
    flat = apply_updates(flat, flat_updates, false);
  }
  REQUIRE(named.size() == flat.size());
  for (size_t i = 0; i < flat.size(); ++i) {
    INFO(named[i].first);
    CHECK(named[i].first == p.params[i].first);  // names kept, in order
    CHECK(allclose(named[i].second, flat[i], 0, 0));
  }
}

}  // namespace

TEST_CASE("NamedParams go through init, update and apply_updates with their names",
          "[optim][named]") {
  check_same_steps(adam({.lr = 0.1}), adam({.lr = 0.1}));
  // A mask on names equals the same mask as flags (weight decay for weights only).
  check_same_steps(adamw({.lr = 0.1,
                          .weight_decay = 0.5,
                          .mask = [](const std::string& name) { return !is_bias(name); }}),
                   adamw({.lr = 0.1, .weight_decay = 0.5, .mask = {true, false, true, false}}));
  // ... and it matters: without the mask the biases decay too.
  Problem p;
  const auto masked_opt = adamw(
      {.lr = 0.1, .weight_decay = 0.5, .mask = [](const std::string& n) { return !is_bias(n); }});
  const auto unmasked_opt = adamw({.lr = 0.1, .weight_decay = 0.5});
  OptState s1 = masked_opt.init(p.params), s2 = unmasked_opt.init(p.params);
  const NamedParams u1 = masked_opt.update(p.grads, s1, p.params, false);
  const NamedParams u2 = unmasked_opt.update(p.grads, s2, p.params, false);
  CHECK(allclose(u1[0].second, u2[0].second, 0, 0));
  CHECK_FALSE(allclose(u1[1].second, u2[1].second));
}

TEST_CASE("masked and multi_transform narrow the names their inner transformations see",
          "[optim][named]") {
  // The outer mask keeps fc1's parameters; the inner one (on the names it sees) their bias.
  const auto nested =
      masked(masked(scale(10.0), [](const std::string& name) { return is_bias(name); }),
             [](const std::string& name) { return name.starts_with("fc1."); });
  check_same_steps(nested, masked(scale(10.0), {false, true, false, false}));

  // Labels from names: SGD for biases, Adam for weights.
  const auto by_name =
      multi_transform({{"bias", sgd({.lr = 0.1})}, {"weight", adam({.lr = 0.1})}},
                      [](const std::string& name) { return is_bias(name) ? "bias" : "weight"; });
  check_same_steps(by_name,
                   multi_transform({{"bias", sgd({.lr = 0.1})}, {"weight", adam({.lr = 0.1})}},
                                   {"weight", "bias", "weight", "bias"}));
  // A name mask inside a group sees that group's names.
  const auto inner_mask = multi_transform(
      {{"fc1", masked(scale(3.0), [](const std::string& name) { return is_bias(name); })},
       {"fc2", identity()}},
      [](const std::string& name) { return name.substr(0, 3); });
  check_same_steps(inner_mask, masked(scale(3.0), {false, true, false, false}));
}

TEST_CASE("name functions without names, and mismatched names, are errors", "[optim][named]") {
  Problem p;
  const auto opt = adamw({.mask = [](const std::string& name) { return !is_bias(name); }});
  CHECK_THROWS_WITH(opt.init(p.values(p.params)),
                    MG_CONTAINS("the mask is a predicate on parameter names, but the 4 parameters "
                                "came without names; call init/update with NamedParams"));
  const auto labelled =
      multi_transform({{"a", sgd({.lr = 0.1})}}, [](const std::string&) { return "a"; });
  CHECK_THROWS_WITH(labelled.init(p.values(p.params)),
                    MG_CONTAINS("the labels are a function of parameter names"));

  OptState state = adam({}).init(p.params);
  NamedParams renamed = p.params;
  renamed[2].first = "other";
  CHECK_THROWS_WITH(adam({}).update(p.grads, state, renamed),
                    MG_CONTAINS("update: entry 2 is 'fc2.weight' among the updates but 'other' "
                                "among the parameters"));
  CHECK_THROWS_WITH(apply_updates(renamed, p.grads), MG_CONTAINS("apply_updates: entry 2"));
  // A failed update leaves the named parameters as they were.
  CHECK(allclose(renamed[0].second, p.params[0].second, 0, 0));
}
