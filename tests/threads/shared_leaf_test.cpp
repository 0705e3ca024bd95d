// Concurrent backward into shared leaves (issue 10, defect 5). As in PyTorch, several threads may
// run backward into one leaf: every contribution is added to .grad exactly once, only the order
// of the additions is unspecified. Catch2 is not thread-safe, so worker threads record what they
// saw and the assertions run on the main thread after join.
#include <atomic>
#include <cmath>
#include <cstdint>
#include <functional>
#include <latch>
#include <string>
#include <thread>
#include <vector>

#include "engine/autograd/node.hpp"
#include "tests/support/helpers.hpp"

namespace {

using namespace metagrad;

constexpr int kThreads = 4;

// Runs body(t) on kThreads threads released together (so that they contend), collecting the
// message of any exception; returns the messages (empty when every thread finished cleanly).
std::vector<std::string> run_together(const std::function<void(int)>& body) {
  std::latch start(kThreads);
  std::vector<std::string> errors(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      start.arrive_and_wait();
      try {
        body(t);
      } catch (const std::exception& e) {
        errors[t] = e.what();
      }
    });
  }
  for (auto& th : threads) th.join();
  std::vector<std::string> failed;
  for (const std::string& e : errors)
    if (!e.empty()) failed.push_back(e);
  return failed;
}

// Exact equality of values and shape (float64 integers: no rounding is involved).
bool equal(const Tensor& a, const Tensor& b) {
  return a.defined() && b.defined() && a.shape() == b.shape() && all(eq(a, b)).item<bool>();
}

// A float64 matrix of small integers (exact in every sum below), different per seed.
Tensor small_ints(const Dims& shape, uint64_t seed) {
  Generator gen(seed);
  return randint(-3, 4, shape, kFloat64, &gen);
}

TEST_CASE("threads backward into one shared leaf: the reproducer of defect 5", "[threads]") {
  // x.matmul(w).sin().sum().backward() on 4 threads, one shared w. The per-thread gradients are
  // arbitrary doubles, so the order of the additions may change the last bits: the bound is the
  // rounding of a sum of kThreads terms, eps * (kThreads - 1) * sum_t |g_t|.
  Generator gen(11);
  const Tensor w = randn({16, 8}, kFloat64, &gen).requires_grad_();
  std::vector<Tensor> xs;
  for (int t = 0; t < kThreads; ++t) xs.push_back(randn({5, 16}, kFloat64, &gen));
  Tensor serial = zeros({16, 8}, kFloat64);
  Tensor magnitude = zeros({16, 8}, kFloat64);
  for (const Tensor& x : xs) {
    const Tensor g = grad({x.matmul(w).sin().sum()}, {w})[0];
    serial = serial + g;
    magnitude = magnitude + g.abs();
  }
  const Tensor bound = magnitude * (kThreads * 2.3e-16);
  for (int round = 0; round < 50; ++round) {
    w.set_grad(Tensor());
    const auto errors = run_together([&](int t) { xs[t].matmul(w).sin().sum().backward(); });
    REQUIRE(errors == std::vector<std::string>{});
    REQUIRE(w.grad().defined());
    INFO("round " << round);
    REQUIRE(all(le((w.grad() - serial).abs(), bound)).item<bool>());
  }
}

TEST_CASE("concurrent backward into a shared leaf sums exactly", "[threads]") {
  // Integer-valued data: every partial sum is exact, so any order gives the serial sum bit for bit
  // and a lost or doubled update shows. Three shared leaves, each thread accumulating into all.
  const Tensor w = small_ints({12, 6}, 1).requires_grad_();
  const Tensor b = small_ints({6}, 2).requires_grad_();
  const Tensor v = small_ints({6, 1}, 3).requires_grad_();
  std::vector<Tensor> xs;
  for (int t = 0; t < kThreads; ++t) xs.push_back(small_ints({7, 12}, 10 + t));
  const auto loss_of = [&](const Tensor& x) {
    return ((x.matmul(w) + b).square().matmul(v)).sum();
  };
  Tensor gw = zeros({12, 6}, kFloat64), gb = zeros({6}, kFloat64), gv = zeros({6, 1}, kFloat64);
  for (const Tensor& x : xs) {
    const TensorList g = grad({loss_of(x)}, {w, b, v});
    gw = gw + g[0];
    gb = gb + g[1];
    gv = gv + g[2];
  }
  constexpr int kRounds = 40;
  for (int round = 0; round < kRounds; ++round) {
    for (const Tensor& p : {w, b, v}) p.set_grad(Tensor());
    // Each thread runs three backward passes per round: 12 additions race per leaf.
    const auto errors = run_together([&](int t) {
      for (int k = 0; k < 3; ++k) loss_of(xs[t]).backward();
    });
    REQUIRE(errors == std::vector<std::string>{});
    INFO("round " << round);
    REQUIRE(equal(w.grad(), gw * 3.0));
    REQUIRE(equal(b.grad(), gb * 3.0));
    REQUIRE(equal(v.grad(), gv * 3.0));
  }
}

TEST_CASE("grad() of a shared leaf never sees another thread's graph", "[threads]") {
  // The false "appears to not have been used in the graph": two threads creating two
  // AccumulateGrad nodes for one leaf, one graph then asking for the other's node.
  const Tensor w = small_ints({8, 8}, 4).requires_grad_();
  std::vector<Tensor> xs, expected;
  for (int t = 0; t < kThreads; ++t) {
    xs.push_back(small_ints({3, 8}, 20 + t));
    expected.push_back(grad({xs[t].matmul(w).square().sum()}, {w})[0]);
  }
  std::vector<std::atomic<int>> correct(kThreads);
  constexpr int kRounds = 100;
  // A fresh leaf per batch of rounds, so that its AccumulateGrad is created under contention.
  for (int batch = 0; batch < 10; ++batch) {
    const Tensor fresh = w.detach().clone().requires_grad_();
    const auto errors = run_together([&](int t) {
      for (int r = 0; r < kRounds / 10; ++r) {
        const Tensor g = grad({xs[t].matmul(fresh).square().sum()}, {fresh})[0];
        if (equal(g, expected[t])) ++correct[t];
      }
    });
    REQUIRE(errors == std::vector<std::string>{});
  }
  for (int t = 0; t < kThreads; ++t) CHECK(correct[t] == kRounds);
}

TEST_CASE("every thread records the same AccumulateGrad for a shared leaf", "[threads]") {
  const Tensor w = zeros({3}, kFloat64).requires_grad_();
  std::vector<const Node*> seen(kThreads);
  const auto errors = run_together(
      [&](int t) { seen[t] = gradient_edge((w * 2.0)).node->next_edges()[0].node.get(); });
  REQUIRE(errors == std::vector<std::string>{});
  REQUIRE(seen[0] != nullptr);
  CHECK(seen[0]->is_accumulate_grad());
  for (int t = 1; t < kThreads; ++t) CHECK(seen[t] == seen[0]);
  // The node lives as long as the leaf: a later graph uses the same one.
  CHECK(gradient_edge(w).node.get() == seen[0]);
}

TEST_CASE("concurrent create_graph backward into a shared leaf keeps every history", "[threads]") {
  // .grad is replaced out of place with a recorded sum; the meta-gradient d(sum of w.grad)/dw must
  // then see every thread's contribution: sum_t d/dw sum(d loss_t/dw).
  const Tensor w = small_ints({6, 4}, 5).requires_grad_();
  std::vector<Tensor> xs;
  for (int t = 0; t < kThreads; ++t) xs.push_back(small_ints({3, 6}, 30 + t));
  const auto loss_of = [&](const Tensor& x) { return x.matmul(w).pow(3.0).sum(); };
  Tensor g1 = zeros({6, 4}, kFloat64), g2 = zeros({6, 4}, kFloat64);
  for (const Tensor& x : xs) {
    const Tensor g = grad({loss_of(x)}, {w}, {}, {.create_graph = true})[0];
    g1 = g1 + g.detach();
    g2 = g2 + grad({g.sum()}, {w})[0];
  }
  for (int round = 0; round < 20; ++round) {
    w.set_grad(Tensor());
    const auto errors = run_together(
        [&](int t) { loss_of(xs[t]).backward({}, std::nullopt, /*create_graph=*/true); });
    REQUIRE(errors == std::vector<std::string>{});
    const Tensor accumulated = w.grad();
    REQUIRE(accumulated.requires_grad());
    INFO("round " << round);
    REQUIRE(equal(accumulated.detach(), g1));
    REQUIRE(equal(grad({accumulated.sum()}, {w})[0], g2));
  }
  w.set_grad(Tensor());
}

TEST_CASE("leaf hooks and retain_grad run once per contribution under concurrent backward",
          "[threads]") {
  // A hook on the shared leaf counts its calls; a shared non-leaf h = 2w, saved once with
  // retain_grad, is differentiated through by every thread (retain_graph keeps its node).
  const Tensor w = small_ints({5}, 6).requires_grad_();
  std::atomic<int> calls{0};
  w.register_hook([&calls](const Tensor&) {
    ++calls;
    return Tensor();
  });
  const Tensor h = w * 2.0;
  h.retain_grad();
  std::vector<Tensor> xs;
  Tensor sum_x = zeros({5}, kFloat64);
  for (int t = 0; t < kThreads; ++t) {
    xs.push_back(small_ints({5}, 40 + t));
    sum_x = sum_x + xs.back();
  }
  constexpr int kRounds = 25;
  const auto errors = run_together([&](int t) {
    for (int r = 0; r < kRounds; ++r) (h * xs[t]).sum().backward({}, /*retain_graph=*/true);
  });
  REQUIRE(errors == std::vector<std::string>{});
  CHECK(calls == kThreads * kRounds);
  CHECK(equal(h.grad(), sum_x * kRounds));
  CHECK(equal(w.grad(), sum_x * (2.0 * kRounds)));
}

TEST_CASE("hooks registered on a shared leaf while other threads run backward", "[threads]") {
  const Tensor w = ones({4}, kFloat64).requires_grad_();
  std::atomic<int> calls{0};
  const auto errors = run_together([&](int t) {
    for (int r = 0; r < 30; ++r) {
      if (t == 0) {
        w.register_hook([&calls](const Tensor&) {
          ++calls;
          return Tensor();
        });
      } else {
        (w * 3.0).sum().backward();
      }
    }
  });
  REQUIRE(errors == std::vector<std::string>{});
  // Each of the 90 backward passes ran the hooks registered before it: at most 30 each.
  CHECK(calls <= 90 * 30);
  CHECK(equal(w.grad(), full({4}, 3.0 * 90, kFloat64)));
}

TEST_CASE("clearing .grad after a create_graph backward frees the graph", "[threads]") {
  // As in PyTorch, a create_graph backward into a leaf makes a cycle: .grad's history saves the
  // leaf. Clearing .grad (set_grad({}), zero_grad(set_to_none)) breaks it; nothing else does.
  const StorageStats before = cpu_storage_stats();
  {
    const Tensor w = small_ints({64}, 7).requires_grad_();
    w.pow(3.0).sum().backward({}, std::nullopt, /*create_graph=*/true);
    CHECK(w.grad().requires_grad());
    w.set_grad(Tensor());
  }
  const StorageStats after = cpu_storage_stats();
  CHECK(after.live_storages == before.live_storages);
  CHECK(after.live_bytes == before.live_bytes);
}

TEST_CASE("backward into a leaf that was dropped before the backward", "[threads]") {
  // The graph keeps the AccumulateGrad of a temporary leaf alive, not the leaf: its gradient has
  // nowhere to go and is dropped, while the other leaves still receive theirs.
  const Tensor kept = ones({3}, kFloat64).requires_grad_();
  Tensor loss;
  {
    const Tensor temporary = full({3}, 2.0, kFloat64).requires_grad_();
    loss = (kept + temporary).sum();
  }
  loss.backward();
  CHECK(equal(kept.grad(), ones({3}, kFloat64)));
}

}  // namespace
