// extract_state_dict's `device` (TorchOpt's): a module's and a meta-optimizer's state copied to
// the CUDA device, history kept as `by` says. On the host emulation when no GPU is visible.
#include "tests/cuda/cuda_test_device.hpp"
#include "tests/support/helpers.hpp"

using namespace metagrad;
using namespace metagrad::testing;

TEST_CASE("extract_state_dict(device = cuda) moves the state, history kept as by says",
          "[cuda][optim]") {
  CudaTestDevice device;
  const Device gpu = device.device();
  nn::Linear net(3, 2, {.dtype = kFloat64});
  MetaSGD inner(net, {.lr = 0.1, .momentum = 0.9, .moment_requires_grad = true});
  inner.step(mse_loss(net(randn64({4, 3}, 1)), randn64({4, 2}, 2)));
  for (CopyMode by : {CopyMode::reference, CopyMode::copy, CopyMode::deepcopy}) {
    INFO(static_cast<int>(by));
    const ModuleState moved = extract_state_dict(net, {.by = by, .device = gpu});
    const nn::NamedTensors original = net.named_parameters();
    REQUIRE(moved.params.size() == original.size());
    for (size_t i = 0; i < original.size(); ++i) {
      const Tensor& t = moved.params[i].second;
      CHECK(t.device() == gpu);
      CHECK(t.is_leaf() == (by == CopyMode::deepcopy));  // the inner step's history is kept
      CHECK(t.requires_grad());
      CHECK(allclose(t.to(kCPU).detach(), original[i].second.detach(), 0, 0));
    }
    for (const OptState& s : extract_state_dict(inner, {.by = by, .device = gpu}))
      for (const auto& [name, t] : s.named_tensors()) CHECK(t.device() == gpu);
  }
}
