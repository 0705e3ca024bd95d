// Activation checkpointing on a long MAML inner loop: what utils::checkpoint saves in memory and
// costs in time. One JSON line per workload; bench/checkpoint.py runs the same meta-step with
// PyTorch's torch.utils.checkpoint (use_reentrant=False) and the same schema.
//
// One task of 5-way 5-shot classification on 28x28 single-channel images (25 support and 75 query
// images, values from the integer hash of bench/tutorial_net.hpp), the convnet of TorchOpt's MAML
// tutorial without batch norm, in functional form: three blocks of conv 3x3 (64 channels) + ReLU +
// max-pool 2, then a linear layer to 5 classes; float32. A meta-step runs kInnerSteps
// differentiable SGD steps (lr 0.1) on the support loss (cross-entropy; grad with create_graph),
// then the meta-gradient of the query loss with respect to the initial parameters.
//
// Workloads: checkpoint_plain keeps every inner step's graph; checkpoint_per_step wraps each inner
// step (forward, loss and its recorded gradient) in utils::checkpoint, so that only the steps'
// parameters stay alive and backward recomputes one step at a time. Each workload runs in its own
// child process, so that peak_rss_mb is that workload's peak. meta_grad_norm must agree between
// the two (the gradient is the same; tests/engine/checkpoint_test.cpp checks it exactly).
// Environment: BENCH_THREADS (2) OpenMP threads; BENCH_ITERS (5) timed meta-steps; BENCH_WARMUP
// (1); BENCH_INNER_STEPS (20); BENCH_WORKLOADS (all) comma-separated subset.
#include "engine/autograd/checkpoint.hpp"

#include <fmt/core.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "bench/bench_common.hpp"
#include "bench/tutorial_net.hpp"
#include "engine/autograd/engine.hpp"
#include "engine/memory_stats.hpp"
#include "engine/nn/functional.hpp"
#include "engine/ops.hpp"

namespace mg = metagrad;

namespace {

using namespace bench;  // the shared timing harness

constexpr int64_t kWays = 5, kShots = 5, kQueries = 15, kChannels = 64;
constexpr double kInnerLr = 0.1;

// Conv weights and biases of the three blocks, then the linear layer's: deterministic fills with
// PyTorch's default bound 1 / sqrt(fan_in).
mg::TensorList initial_parameters() {
  const std::vector<mg::Dims> shapes = {
      {kChannels, 1, 3, 3},         {kChannels}, {kChannels, kChannels, 3, 3}, {kChannels},
      {kChannels, kChannels, 3, 3}, {kChannels}, {kWays, kChannels},           {kWays}};
  const std::vector<double> fan_in = {9, 9, 576, 576, 576, 576, 64, 64};
  mg::TensorList params;
  for (size_t t = 0; t < shapes.size(); ++t)
    params.push_back(uniform_filled(shapes[t], static_cast<int>(t), 1.0 / std::sqrt(fan_in[t]))
                         .requires_grad_());
  return params;
}

mg::Tensor logits(const mg::TensorList& p, const mg::Tensor& images) {
  mg::Tensor h = images;
  for (size_t block = 0; block < 3; ++block)
    h = mg::max_pool2d(mg::relu(mg::conv2d(h, p[2 * block], p[2 * block + 1])), 2);
  return mg::linear(h.flatten(1), p[6], p[7]);
}

// Images [n, 1, 28, 28] filled from `tag`, and labels 0..kWays-1 repeated.
struct Batch {
  mg::Tensor images, labels;
};
Batch make_batch(int64_t per_class, int tag) {
  const int64_t n = kWays * per_class;
  std::vector<double> labels;
  for (int64_t i = 0; i < n; ++i) labels.push_back(static_cast<double>(i % kWays));
  return {uniform_filled({n, 1, 28, 28}, tag, 1.0), mg::tensor(labels, {n}, mg::kInt64)};
}

// The meta-gradient of one meta-step; each inner step checkpointed or not. `graph_bytes`, when
// given, receives the CPU storage that the recorded forward holds (live bytes before backward
// less those before the meta-step).
mg::TensorList meta_gradient(const mg::TensorList& params, const Batch& support, const Batch& query,
                             int inner_steps, bool checkpointed, int64_t* graph_bytes = nullptr) {
  const int64_t bytes_before = mg::cpu_storage_stats().live_bytes;
  const mg::utils::CheckpointFunction inner_step =
      [&support](const mg::TensorList& p) -> mg::TensorList {
    const mg::Tensor loss = mg::cross_entropy(logits(p, support.images), support.labels);
    const mg::TensorList g = mg::grad({loss}, p, {}, {.create_graph = true});
    mg::TensorList adapted;
    for (size_t i = 0; i < p.size(); ++i) adapted.push_back(p[i] - g[i] * kInnerLr);
    return adapted;
  };
  mg::TensorList fast = params;
  for (int k = 0; k < inner_steps; ++k)
    fast = checkpointed ? mg::utils::checkpoint(inner_step, fast) : inner_step(fast);
  const mg::Tensor query_loss = mg::cross_entropy(logits(fast, query.images), query.labels);
  if (graph_bytes != nullptr) *graph_bytes = mg::cpu_storage_stats().live_bytes - bytes_before;
  return mg::grad({query_loss}, params);
}

double norm_of(const mg::TensorList& tensors) {
  double sum = 0;
  for (const mg::Tensor& t : tensors)
    for (const double v : t.to_vector<double>()) sum += v * v;
  return std::sqrt(sum);
}

// Runs one workload (in the child process) and prints its JSON line.
void run_workload(const std::string& name, bool checkpointed) {
  const int threads = configure_threads();
  const int inner_steps = env_int("BENCH_INNER_STEPS", 20);
  const mg::TensorList params = initial_parameters();
  const Batch support = make_batch(kShots, 100), query = make_batch(kQueries, 101);
  int64_t graph_bytes = 0;
  const double grad_norm =
      norm_of(meta_gradient(params, support, query, inner_steps, checkpointed, &graph_bytes));
  const Timing t = measure(env_count("BENCH_WARMUP", 1), env_int("BENCH_ITERS", 5), [&] {
    const mg::TensorList g = meta_gradient(params, support, query, inner_steps, checkpointed);
    g_sink = g[0].data_ptr<float>();
  });
  emit_json(name, threads, gemm_library(), t,
            fmt::format(", \"inner_steps\": {}, \"meta_grad_norm\": {:.9g}, \"graph_mb\": {:.1f}, "
                        "\"peak_rss_mb\": {:.1f}",
                        inner_steps, grad_norm, static_cast<double>(graph_bytes) / (1 << 20),
                        peak_rss_mb()));
}

}  // namespace

int main() {
  return run_guarded("checkpoint", [] {
    for (const auto& [name, checkpointed] :
         {std::pair<std::string, bool>{"checkpoint_plain", false}, {"checkpoint_per_step", true}}) {
      if (!wanted(name)) continue;
      // A child per workload: its peak RSS is the workload's own. The parent starts no OpenMP
      // threads before forking.
      const pid_t child = fork();
      MG_CHECK(child >= 0, "checkpoint: fork failed");
      if (child == 0) _exit(run_guarded(name.c_str(), [&] { run_workload(name, checkpointed); }));
      int status = 0;
      waitpid(child, &status, 0);
      MG_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "checkpoint: workload {} failed",
               name);
    }
  });
}
