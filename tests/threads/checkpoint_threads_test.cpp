// Saved tensor hooks and activation checkpointing on several threads at once (Note [saved tensor
// hooks], Note [activation checkpointing]): each thread's hooks see only that thread's saves, and
// checkpointed regions recomputed concurrently, sharing a captured leaf, give each thread the
// gradients of its single-threaded run. Under `make tsan` this also checks the hooks' per-thread
// state and live-guard count for races. Assertions run on the main thread after join.
#include <any>
#include <latch>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/helpers.hpp"

namespace {

using namespace metagrad;
using testing::allclose;

constexpr int kThreads = 4;

// d/dx and d/dw of sum(tanh(w x)^2) for a shared weight w, with the product checkpointed or not.
TensorList gradients(const Tensor& w, const Tensor& x, bool checkpointed) {
  const utils::CheckpointFunction layer = [&w](const TensorList& in) -> TensorList {
    return {matmul(w, in[0]).tanh()};
  };
  const Tensor h = checkpointed ? utils::checkpoint(layer, {x})[0] : layer({x})[0];
  return grad({(h * h).sum()}, {x, w});
}

}  // namespace

TEST_CASE("checkpointed regions on several threads, sharing a captured leaf", "[threads]") {
  const Tensor w = testing::randn64({6, 5}, 1);
  std::vector<Tensor> xs;
  std::vector<TensorList> expected;
  for (int t = 0; t < kThreads; ++t) {
    xs.push_back(testing::randn64({5, 3}, 10 + static_cast<uint64_t>(t)));
    expected.push_back(gradients(w, xs.back(), false));
  }
  std::vector<TensorList> got(kThreads);
  std::vector<int> packs(kThreads, 0);
  std::vector<std::string> errors(kThreads);
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      start.arrive_and_wait();
      try {
        // Odd threads also count their saves through hooks of their own around the whole run.
        if (t % 2 == 1) {
          const SavedTensorsHooksGuard hooks(
              [&packs, t](const Tensor& saved) -> std::any {
                ++packs[static_cast<size_t>(t)];
                return saved;
              },
              [](const std::any& kept) { return std::any_cast<Tensor>(kept); });
          got[static_cast<size_t>(t)] = gradients(w, xs[static_cast<size_t>(t)], true);
        } else {
          got[static_cast<size_t>(t)] = gradients(w, xs[static_cast<size_t>(t)], true);
        }
      } catch (const std::exception& e) {
        errors[static_cast<size_t>(t)] = e.what();
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) {
    INFO("thread " << t);
    const auto i = static_cast<size_t>(t);
    REQUIRE(errors[i].empty());
    CHECK(allclose(got[i][0], expected[i][0]));
    CHECK(allclose(got[i][1], expected[i][1]));
    // The checkpoint's own hooks are innermost inside the region; outside it, the loss's mul
    // saves h twice (both factors) through this thread's hooks. Even threads installed none.
    CHECK(packs[i] == (t % 2 == 1 ? 2 : 0));
  }
}
