// TorchOpt parity of the state utilities: extract_state_dict's device, enable_visual,
// visual_prefix and detach_buffers, and stop_gradient in place on modules, extracted states and
// optimizer states (TorchOpt's torchopt.utils).
#include <vector>

#include "tests/support/helpers.hpp"

namespace {

using namespace metagrad;
using metagrad::testing::allclose;
using metagrad::testing::randn64;

// A module with a parameter and a buffer: batch norm in training mode updates its running mean
// in place.
nn::Sequential small_net() {
  return nn::Sequential(nn::Linear(3, 2, {.dtype = kFloat64}),
                        nn::BatchNorm1d(2, {.dtype = kFloat64}));
}

}  // namespace

TEST_CASE("extract_state_dict: enable_visual names the module's parameters with the prefix",
          "[optim][utils]") {
  nn::Sequential net = small_net();
  const ModuleState state =
      extract_state_dict(net, {.enable_visual = true, .visual_prefix = "step0."});
  REQUIRE(state.visual_contents.has_value());
  const nn::NamedTensors& visual = *state.visual_contents;
  const nn::NamedTensors params = net.named_parameters();
  REQUIRE(visual.size() == params.size());
  for (size_t i = 0; i < params.size(); ++i) {
    CHECK(visual[i].first == "step0." + params[i].first);
    CHECK(visual[i].second.is_same(params[i].second));  // the module's own tensors
  }
  // Without enable_visual there are none; with a deep copy they still name the originals.
  CHECK_FALSE(extract_state_dict(net).visual_contents.has_value());
  const ModuleState deep =
      extract_state_dict(net, {.by = CopyMode::deepcopy, .enable_visual = true});
  CHECK(deep.visual_contents->at(0).first == params[0].first);
  CHECK(deep.visual_contents->at(0).second.is_same(params[0].second));
  CHECK_FALSE(deep.params[0].second.is_same(params[0].second));
}

TEST_CASE("extract_state_dict: detach_buffers snapshots the buffers, as TorchOpt's code does",
          "[optim][utils]") {
  nn::Sequential net = small_net();
  for (CopyMode by : {CopyMode::reference, CopyMode::copy, CopyMode::deepcopy}) {
    const ModuleState state = extract_state_dict(net, {.by = by, .detach_buffers = true});
    CHECK(state.detach_buffers);
    const nn::NamedTensors buffers = net.named_buffers();
    REQUIRE(state.buffers.size() == buffers.size());
    std::vector<Tensor> before;
    for (const auto& [name, t] : state.buffers) before.push_back(t.clone());
    // A training-mode forward updates the running statistics in place.
    net(randn64({4, 3}, 3));
    bool running_mean_moved = false;
    for (size_t i = 0; i < buffers.size(); ++i) {
      INFO(buffers[i].first);
      const Tensor& snapshot = state.buffers[i].second;
      CHECK(snapshot.is_leaf());
      CHECK_FALSE(snapshot.is_same(buffers[i].second));
      CHECK(allclose(snapshot, before[i], 0, 0));  // the snapshot did not move with the module
      if (buffers[i].first.find("running_mean") != std::string::npos)
        running_mean_moved = !allclose(buffers[i].second, before[i], 0, 0);
    }
    CHECK(running_mean_moved);
  }
  // Without detach_buffers, by reference the state holds the module's buffers themselves.
  const ModuleState shared = extract_state_dict(net);
  CHECK(shared.buffers[0].second.is_same(net.named_buffers()[0].second));
}

TEST_CASE("extract_state_dict: device copies the state there", "[optim][utils]") {
  nn::Linear net(3, 2, {.dtype = kFloat64});
  MetaSGD inner(net, {.lr = 0.1, .momentum = 0.9});
  inner.step(mse_loss(net(randn64({4, 3}, 1)), randn64({4, 2}, 2)));
  // The tensors are on the CPU already: reference keeps the same tensors, copies stay copies.
  const ModuleState same = extract_state_dict(net, {.device = kCPU});
  CHECK(same.params[0].second.is_same(net.parameters()[0]));
  const ModuleState copied = extract_state_dict(net, {.by = CopyMode::copy, .device = kCPU});
  CHECK_FALSE(copied.params[0].second.is_same(net.parameters()[0]));
  CHECK_FALSE(copied.params[0].second.is_leaf());
  // Moving to a CUDA device: tests/cuda/state_utils_test.cpp.
}

TEST_CASE("stop_gradient detaches in place: every handle sees the cut", "[optim][utils]") {
  nn::Linear net(3, 2, {.dtype = kFloat64});
  MetaSGD inner(net, {.lr = 0.1, .momentum = 0.9, .moment_requires_grad = true});
  const Tensor x = randn64({4, 3}, 5), y = randn64({4, 2}, 6);
  inner.step(mse_loss(net(x), y));

  // A state extracted by reference shares its tensors with the module.
  const ModuleState state = extract_state_dict(net);
  const Tensor weight = state.params[0].second;
  REQUIRE_FALSE(weight.is_leaf());
  stop_gradient(state);
  CHECK(weight.is_leaf());
  CHECK(weight.requires_grad());
  CHECK(net.parameters()[0].is_leaf());  // the module's slot is the same tensor
  CHECK(net.parameters()[0].is_same(weight));

  // The optimizer's state, cut through an extracted copy of its handles.
  inner.step(mse_loss(net(x), y));
  std::vector<OptState> opt_state = extract_state_dict(inner);
  bool any_history = false;
  for (const auto& [name, t] : inner.state_dict()[0].named_tensors())
    any_history = any_history || !t.is_leaf();
  REQUIRE(any_history);
  stop_gradient(opt_state);
  for (const auto& [name, t] : inner.state_dict()[0].named_tensors()) {
    INFO(name);
    CHECK(t.is_leaf());
  }

  // Tensor::detach_ on its own: a leaf that no longer requires grad, data and .grad kept.
  Tensor w = randn64({2}, 7);
  Tensor v = w * 2.0;
  Tensor alias = v;
  v.detach_();
  CHECK(alias.is_leaf());
  CHECK_FALSE(alias.requires_grad());
  CHECK(allclose(alias, w.detach() * 2.0, 0, 0));
  // Gradients no longer flow through it.
  Tensor z = (alias.requires_grad_() * w).sum();
  const TensorList g = grad({z}, {alias, w});
  CHECK(allclose(g[0], w.detach(), 0, 0));
}
