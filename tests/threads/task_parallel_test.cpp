// Task parallelism (issue 13): parallel_tasks runs every task once, carries grad mode and the
// intra-op thread count into its workers and rethrows the first failure; meta_batch computes the
// meta-gradient, the losses and the buffers of the sequential MAML loop. Catch2 is not
// thread-safe, so the task bodies record what they saw and the assertions run afterwards.
#include <atomic>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "engine/nn/functional.hpp"
#include "engine/nn/layers.hpp"
#include "engine/parallel.hpp"
#include "optim/meta/meta_batch.hpp"
#include "optim/meta/meta_optimizer.hpp"
#include "optim/optimizers.hpp"
#include "optim/utils.hpp"
#include "tests/support/helpers.hpp"

namespace {

using namespace metagrad;
using namespace metagrad::testing;

constexpr int64_t kTasks = 5;
constexpr int kInnerSteps = 2;

TEST_CASE("parallel_tasks runs every task exactly once", "[threads][task_parallel]") {
  for (int workers : {1, 2, 3, 8}) {
    std::vector<std::atomic<int>> runs(37);
    parallel_tasks(37, [&](int64_t i) { ++runs[static_cast<size_t>(i)]; }, {.workers = workers});
    for (const auto& r : runs) CHECK(r.load() == 1);
  }
  bool ran = false;
  parallel_tasks(0, [&](int64_t) { ran = true; });
  CHECK_FALSE(ran);
}

TEST_CASE("parallel_tasks gives each worker its grad mode and thread count",
          "[threads][task_parallel]") {
  const int before = get_num_threads();
  std::vector<int> threads(6);
  std::vector<char> grad_mode(6);
  {
    NoGradGuard no_grad;
    parallel_tasks(6,
                   [&](int64_t i) {
                     threads[static_cast<size_t>(i)] = get_num_threads();
                     grad_mode[static_cast<size_t>(i)] = is_grad_enabled() ? 1 : 0;
                   },
                   {.workers = 3, .intra_op_threads = 1});
    CHECK_FALSE(is_grad_enabled());
  }
  CHECK(is_grad_enabled());
  for (int t : threads) CHECK(t == 1);
  for (char g : grad_mode) CHECK(g == 0);
  CHECK(get_num_threads() == before);
  // By default the workers split the caller's threads; an explicit count, even 1, overrides that.
  {
    NumThreadsGuard six(6);
    for (const auto& [intra, expected] : {std::pair{0, 2}, std::pair{1, 1}, std::pair{4, 4}}) {
      std::vector<int> seen(3);
      parallel_tasks(3, [&](int64_t i) { seen[static_cast<size_t>(i)] = get_num_threads(); },
                     {.workers = 3, .intra_op_threads = intra});
      for (int t : seen) CHECK(t == expected);
    }
  }
  {
    NumThreadsGuard guard(3);
    CHECK(get_num_threads() == 3);
  }
  CHECK(get_num_threads() == before);
  CHECK_THROWS_WITH(set_num_threads(0), Catch::Contains("at least 1"));
}

TEST_CASE("parallel_tasks rethrows the failure of the lowest task", "[threads][task_parallel]") {
  std::atomic<int> started{0};
  auto body = [&](int64_t i) {
    ++started;
    if (i == 3 || i == 5) throw std::runtime_error("task " + std::to_string(i) + " failed");
  };
  CHECK_THROWS_WITH(parallel_tasks(40, body, {.workers = 1}), "task 3 failed");
  CHECK(started.load() == 4);  // one worker stops taking tasks after the failure
  CHECK_THROWS_WITH(parallel_tasks(6, body, {.workers = 3}), "task 3 failed");
  CHECK_THROWS_WITH(parallel_tasks(-1, body), Catch::Contains("must be >= 0"));
  CHECK_THROWS_WITH(parallel_tasks(2, body, {.workers = -2}), Catch::Contains("workers (-2)"));
}

// A float64 network with BatchNorm (momentum 1, as the MAML tutorial) and its task data.
struct MetaProblem {
  nn::Sequential net{nn::Linear(3, 8), nn::BatchNorm1d(8, {.momentum = 1.0}), nn::ReLU(),
                     nn::Linear(8, 2)};
  std::vector<Tensor> x_spt, y_spt, x_qry, y_qry;

  MetaProblem() {
    net.to(kFloat64);
    for (int64_t i = 0; i < kTasks; ++i) {
      x_spt.push_back(randn64({6, 3}, 10 + i));
      y_spt.push_back(randn64({6, 2}, 20 + i));
      x_qry.push_back(randn64({9, 3}, 30 + i));
      y_qry.push_back(randn64({9, 2}, 40 + i));
    }
  }

  // Adapts `module` to task i by kInnerSteps MetaSGD steps; the adapted query loss (times
  // `scale`, a leaf, when given).
  Tensor task_loss(nn::Module& module, int64_t i, const Tensor& scale = {}) {
    const auto k = static_cast<size_t>(i);
    MetaSGD inner(module, {.lr = 0.1});
    for (int s = 0; s < kInnerSteps; ++s) inner.step(mse_loss(module(x_spt[k]), y_spt[k]));
    const Tensor loss = mse_loss(module(x_qry[k]), y_qry[k]);
    return scale.defined() ? loss * scale : loss;
  }

  // TorchOpt's tutorial loop: adapt, query loss, reset; then backward of the mean (or a backward
  // per task for the sum). Returns the losses.
  TensorList sequential(MetaBatchReduction reduction, const Tensor& scale = {}) {
    const ModuleState state =
        extract_state_dict(net, {.by = CopyMode::reference, .detach_buffers = true});
    TensorList losses;
    for (int64_t i = 0; i < kTasks; ++i) {
      const Tensor loss = task_loss(net, i, scale);
      losses.push_back(loss);
      if (reduction == MetaBatchReduction::Sum) loss.backward();
      recover_state_dict(net, state);
    }
    if (reduction == MetaBatchReduction::Mean) stack(losses).mean().backward();
    return losses;
  }

  TensorList grads() const {
    TensorList out;
    for (const Tensor& p : net.parameters()) out.push_back(p.grad());
    return out;
  }
  void zero_grad() {
    for (const Tensor& p : net.parameters()) p.set_grad(Tensor());
  }
};

void check_same(const TensorList& a, const TensorList& b, double rtol, const char* what = "") {
  INFO(what);
  REQUIRE(a.size() == b.size());
  for (size_t k = 0; k < a.size(); ++k) {
    INFO("entry " << k);
    REQUIRE(a[k].defined());
    REQUIRE(b[k].defined());
    CHECK(allclose(a[k], b[k], rtol, 1e-14));
  }
}

TEST_CASE("meta_batch gives the sequential loop's meta-gradient, losses and buffers",
          "[threads][task_parallel]") {
  for (auto reduction : {MetaBatchReduction::Mean, MetaBatchReduction::Sum}) {
    MetaProblem problem;
    problem.net.buffers()[2].fill_(7.0);  // a counter that does not start at 0
    const TensorList initial_buffers = [&] {
      TensorList copies;
      for (const Tensor& b : problem.net.buffers()) copies.push_back(b.clone());
      return copies;
    }();
    const int64_t start = initial_buffers[2].item<int64_t>();  // the counter before any task
    REQUIRE(start == 7);
    const TensorList expected_losses = problem.sequential(reduction);
    const TensorList expected_grads = problem.grads();
    TensorList expected_buffers;
    for (const Tensor& b : problem.net.buffers()) expected_buffers.push_back(b.clone());
    CHECK_FALSE(allclose(expected_buffers[0], initial_buffers[0]));  // BN did update them

    problem.zero_grad();
    problem.net.set_buffers(initial_buffers);
    const TensorList buffer_handles = problem.net.buffers();
    const TensorList losses =
        meta_batch(problem.net, kTasks,
                   [&](nn::Module& replica, int64_t i) { return problem.task_loss(replica, i); },
                   {.reduction = reduction, .parallel = {.workers = 3}});
    check_same(losses, expected_losses, 1e-13, "losses");
    check_same(problem.grads(), expected_grads, 1e-12, "meta-gradients");
    // Floating buffers: the last task's (BatchNorm momentum 1). The counter advanced once per
    // task; TorchOpt's loop (detach_buffers snapshots, restored after each task) lost the first
    // task's advance, which went to the buffer the first restore replaced.
    const TensorList buffers = problem.net.buffers();
    REQUIRE(buffers.size() == 3);
    check_same({buffers[0], buffers[1]}, {expected_buffers[0], expected_buffers[1]}, 1e-13,
               "buffers");
    const int64_t per_task = kInnerSteps + 1;  // one training-mode forward per inner step + query
    CHECK(buffers[2].item<int64_t>() == start + kTasks * per_task);
    CHECK(expected_buffers[2].item<int64_t>() == start + (kTasks - 1) * per_task);
    for (size_t k = 0; k < buffer_handles.size(); ++k)  // updated in place, as BatchNorm does
      CHECK(problem.net.buffers()[k].impl() == buffer_handles[k].impl());
    for (const Tensor& l : losses) CHECK_FALSE(l.requires_grad());
  }
}

TEST_CASE("meta_batch differentiates with respect to extra leaves", "[threads][task_parallel]") {
  MetaProblem problem;
  const Tensor scale = tensor({1.5}, {}, kFloat64).requires_grad_();
  problem.sequential(MetaBatchReduction::Sum, scale);
  const Tensor expected_scale_grad = scale.grad();
  const TensorList expected_grads = problem.grads();
  problem.zero_grad();
  scale.set_grad(Tensor());
  TensorList inputs = problem.net.parameters();
  inputs.push_back(scale);
  meta_batch(problem.net, kTasks,
             [&](nn::Module& replica, int64_t i) { return problem.task_loss(replica, i, scale); },
             {.reduction = MetaBatchReduction::Sum, .inputs = inputs, .parallel = {.workers = 2}});
  check_same({scale.grad()}, {expected_scale_grad}, 1e-12);
  check_same(problem.grads(), expected_grads, 1e-12);
}

TEST_CASE("meta_batch reports bad tasks and leaves .grad unchanged", "[threads][task_parallel]") {
  MetaProblem problem;
  auto loss_or_vector = [&](nn::Module& replica, int64_t i) {
    const Tensor loss = problem.task_loss(replica, i);
    return i == 2 ? loss.reshape({1}).expand({3}) : loss;
  };
  CHECK_THROWS_WITH(meta_batch(problem.net, kTasks, loss_or_vector, {.parallel = {.workers = 2}}),
                    Catch::Contains("meta_batch: task 2 returned a tensor of shape [3]"));
  for (const Tensor& g : problem.grads()) CHECK_FALSE(g.defined());

  const Tensor not_leaf = problem.net.parameters()[0] * 2.0;
  CHECK_THROWS_WITH(
      meta_batch(problem.net, 1, [&](nn::Module& r, int64_t i) { return problem.task_loss(r, i); },
                 {.inputs = {not_leaf}}),
      Catch::Contains("options.inputs[0] must be a leaf tensor that requires grad"));
  CHECK_THROWS_WITH(meta_batch(problem.net, -1, loss_or_vector), Catch::Contains(">= 0"));

  // Scored without recording: losses come back, no gradient is taken.
  const TensorList scores = meta_batch(problem.net, kTasks, [&](nn::Module& replica, int64_t i) {
    const Tensor adapted = problem.task_loss(replica, i);
    NoGradGuard no_grad;
    return mse_loss(replica(problem.x_qry[static_cast<size_t>(i)]),
                    problem.y_qry[static_cast<size_t>(i)]);
  });
  CHECK(scores.size() == static_cast<size_t>(kTasks));
  for (const Tensor& g : problem.grads()) CHECK_FALSE(g.defined());
}

}  // namespace
