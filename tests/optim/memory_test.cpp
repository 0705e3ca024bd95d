// Memory stays flat in a long differentiable inner loop when its graph is cut with stop_gradient
// (TorchOpt issue #218): measured with the live CPU storage counters (engine/memory_stats.hpp).
// The same loop without stop_gradient, or cutting only the module and not the optimizer's
// moments, keeps every step's graph alive and grows. The long runs of issue 10 §3 (a 10,000-step
// unroll, 1,000 extract/recover cycles) also bound the process's resident memory.
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>

#include "engine/address_sanitizer.hpp"
#include "tests/support/helpers.hpp"

namespace {

using namespace metagrad;
using metagrad::testing::randn64;

// A field of /proc/self/status in bytes ("VmRSS", "VmHWM"); -1 where it cannot be read.
int64_t proc_status_bytes(const std::string& field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field + ":", 0) != 0) continue;
    std::istringstream fields(line.substr(field.size() + 1));
    int64_t kib = -1;
    fields >> kib;
    return kib < 0 ? -1 : kib * 1024;
  }
  return -1;
}

// Peak resident memory from now on: resets the high-water mark (VmHWM) to the current RSS where
// the kernel allows it (echo 5 > /proc/self/clear_refs, Linux >= 4.0). Returns whether it did.
bool reset_peak_rss() {
  std::ofstream clear("/proc/self/clear_refs");
  clear << "5";
  clear.flush();
  return static_cast<bool>(clear);
}

// Under AddressSanitizer freed blocks sit in a quarantine of up to 256 MiB before reuse, so the
// resident size of a loop that allocates and frees grows by the quarantine, not by a leak: there
// only the exact live-storage counters are asserted.
#if MG_ADDRESS_SANITIZER
constexpr bool kCheckRss = false;
#else
constexpr bool kCheckRss = true;
#endif

// Resident memory across a long loop: RSS after the warm-up, and the growth of the peak (or of
// RSS where the peak cannot be reset) from there to the end.
class RssWatch {
 public:
  /// Call after the warm-up.
  void start() {
    peak_reset_ = reset_peak_rss();
    start_ = proc_status_bytes("VmRSS");
  }
  /// Bytes the peak (or the current RSS) grew by since start().
  int64_t growth() const {
    const int64_t end = proc_status_bytes(peak_reset_ ? "VmHWM" : "VmRSS");
    return end - start_;
  }
  int64_t start_bytes() const { return start_; }
  bool readable() const { return start_ > 0; }

 private:
  int64_t start_ = -1;
  bool peak_reset_ = false;
};

// A leaked graph costs kilobytes per step (a 2-16-1 MLP step records about a hundred nodes and
// tensors); a flat loop stays within allocator noise. 8 MiB lies far between the two: skipping
// stop_gradient in the 10,000-step unroll below grows the peak by hundreds of MiB.
constexpr int64_t kRssSlack = int64_t{8} << 20;

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

TEST_CASE("a 10000-step MetaAdam unroll cut every 10 steps stays bounded in memory",
          "[optim][memory][long]") {
  manual_seed(3);
  nn::Sequential net(nn::Linear(2, 16, {.dtype = kFloat64}), nn::Tanh(),
                     nn::Linear(16, 1, {.dtype = kFloat64}));
  MetaAdam opt(net, {.lr = 1e-3});
  const Tensor x = randn64({8, 2}, 4).detach();
  const Tensor y = randn64({8, 1}, 5).detach();
  constexpr int kSteps = 10000, kWarmup = 500;
  StorageStats warm{};
  RssWatch rss;
  double first_loss = 0, last_loss = 0;
  for (int step = 1; step <= kSteps; ++step) {
    {
      const Tensor loss = mse_loss(net.forward(x), y);
      (step == 1 ? first_loss : last_loss) = loss.item<double>();
      opt.step(loss);
    }
    if (step % 10 == 0) {
      stop_gradient(net);
      stop_gradient(opt);
    }
    if (step == kWarmup) {
      warm = cpu_storage_stats();
      rss.start();
    }
  }
  const StorageStats end = cpu_storage_stats();
  INFO("live storages after the warm-up " << warm.live_storages << " (" << warm.live_bytes
                                          << " B), at the end " << end.live_storages << " ("
                                          << end.live_bytes << " B)");
  CHECK(end.live_storages == warm.live_storages);
  CHECK(end.live_bytes == warm.live_bytes);
  CHECK(last_loss < first_loss);
  if (kCheckRss && rss.readable()) {
    INFO("RSS after the warm-up " << rss.start_bytes() << " B, peak growth " << rss.growth()
                                  << " B");
    CHECK(rss.growth() < kRssSlack);
  }
}

TEST_CASE("1000 extract_state_dict / recover_state_dict cycles stay bounded in memory",
          "[optim][memory][long]") {
  // Each cycle: extract (by reference, copy or deepcopy in turn), two differentiable inner steps,
  // a query loss whose meta-gradient reaches the leaves, recover the module and the optimizer,
  // then put the original leaves back.
  manual_seed(4);
  nn::Sequential net(nn::Linear(2, 16, {.dtype = kFloat64}), nn::Tanh(),
                     nn::Linear(16, 1, {.dtype = kFloat64}));
  const TensorList leaves = net.parameters();
  MetaAdam inner(net, {.lr = 1e-2});
  const Tensor x = randn64({8, 2}, 6).detach();
  const Tensor y = randn64({8, 1}, 7).detach();
  constexpr int kCycles = 1000, kWarmup = 50;
  const CopyMode modes[] = {CopyMode::reference, CopyMode::copy, CopyMode::deepcopy};
  StorageStats warm{};
  RssWatch rss;
  const ModuleState original = extract_state_dict(net);
  for (int cycle = 1; cycle <= kCycles; ++cycle) {
    const CopyMode by = modes[cycle % 3];
    {
      const ModuleState net_state = extract_state_dict(net, {.by = by});
      const std::vector<OptState> opt_state = extract_state_dict(inner, {.by = by});
      for (int k = 0; k < 2; ++k) inner.step(mse_loss(net.forward(x), y));
      mse_loss(net.forward(x * 0.5), y).backward();
      recover_state_dict(net, net_state);
      recover_state_dict(inner, opt_state);
      // The module holds what was extracted: the leaves themselves, or copies of their values.
      REQUIRE(net.parameters()[0].is_same(leaves[0]) == (by == CopyMode::reference));
      REQUIRE(all(eq(net.parameters()[0].detach(), leaves[0].detach())).item<bool>());
    }
    recover_state_dict(net, original);
    for (const Tensor& p : leaves) p.set_grad(Tensor());
    if (cycle == kWarmup) {
      warm = cpu_storage_stats();
      rss.start();
    }
  }
  const StorageStats end = cpu_storage_stats();
  INFO("live storages after the warm-up " << warm.live_storages << ", at the end "
                                          << end.live_storages);
  CHECK(end.live_storages <= warm.live_storages + 16);
  CHECK(end.live_bytes <= warm.live_bytes + 4096);
  if (kCheckRss && rss.readable()) {
    INFO("RSS after the warm-up " << rss.start_bytes() << " B, peak growth " << rss.growth()
                                  << " B");
    CHECK(rss.growth() < kRssSlack);
  }
}

}  // namespace
