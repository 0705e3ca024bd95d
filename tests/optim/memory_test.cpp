// Memory stays flat in a long differentiable inner loop when its graph is cut with stop_gradient
// (TorchOpt issue #218): measured with the live CPU storage counters (engine/memory_stats.hpp).
// The same loop without stop_gradient, or cutting only the module and not the optimizer's
// moments, keeps every step's graph alive and grows.
#include <cstdint>

#include "tests/support/helpers.hpp"

namespace {

using namespace metagrad;
using metagrad::testing::randn64;

enum class Cut { none, module_only, module_and_optimizer };

struct Usage {
  StorageStats at_20;
  StorageStats at_200;
  double first_loss = 0;
  double last_loss = 0;
};

// 200 MetaAdam steps on a small MLP; every 10 steps the graph is cut as `cut` says. The live
// storages are read after steps 20 and 200 (right after the cut), with the module, the optimizer
// and the data alive (the step's loss is released first).
Usage inner_loop(Cut cut) {
  manual_seed(7);
  nn::Sequential net(nn::Linear(4, 32, {.dtype = kFloat64}), nn::Tanh(),
                     nn::Linear(32, 32, {.dtype = kFloat64}), nn::Tanh(),
                     nn::Linear(32, 1, {.dtype = kFloat64}));
  MetaAdam opt(net, {.lr = 1e-3});
  const Tensor x = randn64({16, 4}, 1).detach();
  const Tensor y = randn64({16, 1}, 2).detach();
  Usage usage;
  for (int step = 1; step <= 200; ++step) {
    {
      const Tensor loss = mse_loss(net.forward(x), y);
      if (step == 1) usage.first_loss = loss.item<double>();
      usage.last_loss = loss.item<double>();
      opt.step(loss);
    }
    if (step % 10 == 0 && cut != Cut::none) {
      stop_gradient(net);
      if (cut == Cut::module_and_optimizer) stop_gradient(opt);
    }
    if (step == 20) usage.at_20 = cpu_storage_stats();
    if (step == 200) usage.at_200 = cpu_storage_stats();
  }
  return usage;
}

TEST_CASE("a 200-step MetaAdam loop cut with stop_gradient keeps memory flat", "[optim][memory]") {
  const StorageStats idle = cpu_storage_stats();
  const Usage flat = inner_loop(Cut::module_and_optimizer);
  const Usage module_only = inner_loop(Cut::module_only);
  const Usage leaking = inner_loop(Cut::none);
  INFO("cut: " << flat.at_20.live_bytes << " B / " << flat.at_20.live_storages
               << " storages after step 20, " << flat.at_200.live_bytes << " B / "
               << flat.at_200.live_storages << " after step 200");
  INFO("module only: " << module_only.at_20.live_bytes << " B -> " << module_only.at_200.live_bytes
                       << " B");
  INFO("no cut: " << leaking.at_20.live_bytes << " B / " << leaking.at_20.live_storages << " -> "
                  << leaking.at_200.live_bytes << " B / " << leaking.at_200.live_storages);

  // Cut: the same live storages after 200 steps as after 20 (a small slack for scalars).
  CHECK(flat.at_200.live_bytes <= flat.at_20.live_bytes + 1024);
  CHECK(flat.at_200.live_storages <= flat.at_20.live_storages + 16);
  // The loop really trains (the cut does not stop the updates).
  CHECK(flat.last_loss < flat.first_loss);
  // Without the cut every step's graph stays alive: far more memory after 200 steps than after 20.
  CHECK(leaking.at_200.live_bytes > 5 * leaking.at_20.live_bytes);
  CHECK(leaking.at_200.live_storages > 5 * leaking.at_20.live_storages);
  // Cutting only the module is not enough: the moments (moment_requires_grad) hold the graph.
  CHECK(module_only.at_200.live_bytes > 2 * module_only.at_20.live_bytes);
  // Cut or not, the loop computes the same numbers.
  CHECK(leaking.last_loss == flat.last_loss);
  // Everything is released afterwards.
  const StorageStats after = cpu_storage_stats();
  CHECK(after.live_storages == idle.live_storages);
  CHECK(after.live_bytes == idle.live_bytes);
}

TEST_CASE("the live storage counters follow allocations and releases", "[optim][memory]") {
  const StorageStats before = cpu_storage_stats();
  {
    const Tensor big = zeros({1000}, kFloat64);
    const Tensor scalar = scalar_tensor(1.0, kFloat32);
    const Tensor view = big.reshape({10, 100});  // a view shares its storage
    const StorageStats during = cpu_storage_stats();
    CHECK(during.live_storages == before.live_storages + 2);
    CHECK(during.live_bytes == before.live_bytes + 8000 + 4);
  }
  const StorageStats after = cpu_storage_stats();
  CHECK(after.live_storages == before.live_storages);
  CHECK(after.live_bytes == before.live_bytes);
}

}  // namespace
