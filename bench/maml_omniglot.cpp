// MAML meta-training step benchmark (issues 4 and 5): one meta-step of TorchOpt's few-shot
// Omniglot tutorial (examples/few-shot/maml_omniglot.py) on synthetic data, one JSON line per
// workload. bench/maml_omniglot.py runs the same step on PyTorch with the same schema;
// bench/compare_pytorch.py prints the ratios.
//
// Network (nn layers, float32): 3 x [Conv2d(in, 64, 3) -> BatchNorm2d(64, momentum 1, affine,
// training mode) -> ReLU -> MaxPool2d(2, 2)], Flatten, Linear(64, 5). 5-way 1-shot, 15 queries per
// class, images 1x28x28. One meta-step, as the tutorial:
//   meta_opt.zero_grad(); extract_state_dict of the net (by reference, buffers detached) and of
//   the MetaSGD(lr 0.1) inner optimizer; per task: 5 inner steps on the support set, query
//   cross-entropy, backward() (meta-gradients accumulate into the initial parameters),
//   recover_state_dict of both; then one Adam(lr 1e-3, use_accelerated_op: fused, as PyTorch's
//   default multi-tensor step on CUDA) step.
//
// Parameters and data use deterministic pseudo-random fills shared with bench/maml_omniglot.py
// (parameters as bench/convnet.cpp; images N(0, 1) by Box-Muller from the same integer hash), so
// meta_loss (mean query loss of the first meta-step, about log 5 = 1.609 at init) and
// meta_grad_norm (norm of its meta-gradient) agree with PyTorch's to float32 rounding: a check that
// both sides time the same computation.
//
// The tasks run concurrently through meta_batch (issue 13: one task per thread, one intra-op thread
// each; Note [task parallelism]); the _sequential workloads run the tutorial's loop as written, one
// task after the other with intra-op threads. Both accumulate the sum of the query losses'
// gradients, as the tutorial's per-task backward() does.
//
// The _vectorized workloads run all tasks as one computation with a task dim through the kernels
// (meta_batch_vectorized: per-task weights, batched GEMMs; TorchOpt's FuncTorch vmap example and
// bench peers' maml_vmap.py), summing the query losses likewise: the same meta_loss and
// meta_grad_norm.
//
// Workloads (run one per process for an honest peak_rss_mb, which is the process's peak so far):
//   maml_step_4tasks              task batch 4 (the benchmark of the issues)
//   maml_step_32tasks             task batch 32 (the tutorial's --task_num default)
//   maml_step_4tasks_sequential   task batch 4, the tutorial's loop
//   maml_step_32tasks_sequential  task batch 32, the tutorial's loop
//   maml_step_4tasks_vectorized   task batch 4, tasks as a tensor dim
//   maml_step_32tasks_vectorized  task batch 32, tasks as a tensor dim
//   maml_step_32tasks_vectorized_tf32  the same with TF32 GEMMs (metagrad::cuda::set_allow_tf32,
//                                 as PyTorch's cuDNN convolutions by default); CUDA only
//
// Usage: maml_omniglot [--device cpu|cuda [--emulate]] (default cpu). With cuda (issue 12) the
// network, the data and the optimizer states live on cuda:0, every timed meta-step ends with a
// synchronisation, and peak_device_mb is the caching allocator's peak over the timed meta-steps
// (metagrad::cuda::memory_stats); without a CUDA device it prints "no CUDA device: skipped" and
// exits 0. --emulate runs the CUDA kernels on the host emulation (cuda/emulated_backend.hpp, one
// thread, 8 GiB of emulated device memory): slow, but its peak_device_mb is the caching
// allocator's peak that a GPU would see, measured without one, and kernels_per_step,
// gemms_per_step and copies_per_step count the launches of a timed meta-step.
// --emulate=host-only times the timed meta-steps with the emulated kernels skipped (Note
// [host-only emulation]): the host's share of a GPU meta-step, the CUDA runtime's launch cost
// aside (the first, checked meta-step runs its kernels, so meta_loss stays meaningful).
//
// Environment: BENCH_THREADS (2) OpenMP threads; BENCH_ITERS (10 for 4 tasks, 3 for 32) timed
// meta-steps; BENCH_WARMUP (1) untimed meta-steps after the first (checked) one; BENCH_WORKLOADS
// (all) comma-separated subset of the workload names.
#include <fmt/core.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <functional>
#include <numbers>
#include <string>
#include <string_view>
#include <vector>

#include "bench/bench_common.hpp"
#include "bench/emulation.hpp"
#include "bench/tutorial_net.hpp"
#include "cuda/cuda.hpp"
#include "engine/grad_mode.hpp"
#include "engine/nn/functional.hpp"
#include "engine/nn/layers.hpp"
#include "engine/ops.hpp"
#include "optim/meta/meta_batch.hpp"
#include "optim/meta/meta_batch_vectorized.hpp"
#include "optim/meta/meta_optimizer.hpp"
#include "optim/optimizer/optimizer.hpp"
#include "optim/optimizers.hpp"
#include "optim/utils.hpp"

namespace mg = metagrad;
namespace nn = metagrad::nn;

namespace {

using namespace bench;  // the shared timing harness

constexpr int64_t kWays = 5;
constexpr int64_t kShots = 1;
constexpr int64_t kQueries = 15;
constexpr int64_t kImage = 28;
constexpr int kInnerSteps = 5;
constexpr double kInnerLr = 0.1;
constexpr double kOuterLr = 1e-3;

// Every task's mean cross entropy, [T], from [T, N, ways] logits and [T, N] labels.
mg::Tensor per_task_cross_entropy(const mg::Tensor& logits, const mg::Tensor& labels) {
  const int64_t tasks = logits.size(0), n = logits.size(1);
  const mg::Tensor each =
      mg::cross_entropy(logits.reshape({tasks * n, logits.size(2)}), labels.reshape({tasks * n}),
                        {.reduction = mg::Reduction::None});
  return each.reshape({tasks, n}).mean({1});
}

// The tutorial's network on `device`.
nn::Sequential make_net_on(mg::Device device) {
  nn::Sequential net = make_tutorial_net(kWays);
  net.to(device);
  return net;
}

// One meta-learning problem: the network, its inner and outer optimizers and a task batch, on one
// device.
struct Problem {
  int64_t tasks;
  mg::Device device;
  nn::Sequential net;
  mg::MetaSGD inner_opt{net, {.lr = kInnerLr}};
  // The fused step (one multi-tensor pass), as torch.optim.Adam's default foreach step on CUDA.
  mg::Adam meta_opt{net.parameters(), {.lr = kOuterLr, .use_accelerated_op = true}};
  mg::Tensor x_spt, y_spt, x_qry, y_qry;

  Problem(int64_t task_num, mg::Device on)
      : tasks(task_num),
        device(on),
        net(make_net_on(on)),
        x_spt(normal_filled({task_num, kWays * kShots, 1, kImage, kImage}, 100).to(on)),
        y_spt(bench::class_labels(task_num, kWays, kShots).to(on)),
        x_qry(normal_filled({task_num, kWays * kQueries, 1, kImage, kImage}, 101).to(on)),
        y_qry(bench::class_labels(task_num, kWays, kQueries).to(on)) {}

  // One meta-step with the tasks run concurrently by meta_batch; returns the mean query loss.
  double meta_step_parallel() {
    meta_opt.zero_grad();
    const mg::TensorList losses =
        mg::meta_batch(net, tasks,
                       [&](nn::Module& replica, int64_t i) {
                         mg::MetaSGD task_opt(replica, {.lr = kInnerLr});
                         const mg::Tensor xs = x_spt.select(0, i), ys = y_spt.select(0, i);
                         for (int k = 0; k < kInnerSteps; ++k)
                           task_opt.step(mg::cross_entropy(replica(xs), ys));
                         return mg::cross_entropy(replica(x_qry.select(0, i)), y_qry.select(0, i));
                       },
                       {.reduction = mg::MetaBatchReduction::Sum});
    meta_opt.step();
    const double mean_loss =
        mg::stack(losses).to(mg::kFloat64).mean().item<double>();  // one read of the device
    if (device.is_cuda()) mg::cuda::synchronize(device.index);
    return mean_loss;
  }

  // One meta-step with the tasks as a tensor dim; returns the mean query loss.
  double meta_step_vectorized() {
    meta_opt.zero_grad();
    const mg::TensorList losses = mg::meta_batch_vectorized(
        net, tasks,
        [&](nn::Module& all) {
          mg::MetaSGD task_opt(all, {.lr = kInnerLr});
          for (int k = 0; k < kInnerSteps; ++k)
            task_opt.step(per_task_cross_entropy(all(x_spt), y_spt).sum());
          return per_task_cross_entropy(all(x_qry), y_qry);
        },
        {.reduction = mg::MetaBatchReduction::Sum});
    meta_opt.step();
    const double mean_loss = mg::stack(losses).to(mg::kFloat64).mean().item<double>();
    if (device.is_cuda()) mg::cuda::synchronize(device.index);
    return mean_loss;
  }

  // One meta-step as the tutorial's loop, one task after the other; returns the mean query loss.
  double meta_step() {
    meta_opt.zero_grad();
    const mg::ModuleState net_state =
        mg::extract_state_dict(net, {.by = mg::CopyMode::reference, .detach_buffers = true});
    const std::vector<mg::OptState> optim_state =
        mg::extract_state_dict(inner_opt, {.by = mg::CopyMode::reference});
    // The query losses are summed (float64) on the device and read once: no synchronisation per
    // task.
    mg::Tensor loss_sum;
    for (int64_t i = 0; i < tasks; ++i) {
      const mg::Tensor xs = x_spt.select(0, i), ys = y_spt.select(0, i);
      for (int k = 0; k < kInnerSteps; ++k) inner_opt.step(mg::cross_entropy(net(xs), ys));
      const mg::Tensor qry_loss = mg::cross_entropy(net(x_qry.select(0, i)), y_qry.select(0, i));
      qry_loss.backward();
      const mg::Tensor loss64 = qry_loss.detach().to(mg::kFloat64);
      loss_sum = loss_sum.defined() ? loss_sum + loss64 : loss64;
      mg::recover_state_dict(net, net_state);
      mg::recover_state_dict(inner_opt, optim_state);
    }
    meta_opt.step();
    const double mean_loss = loss_sum.item<double>() / static_cast<double>(tasks);
    if (device.is_cuda()) mg::cuda::synchronize(device.index);
    return mean_loss;
  }

  // Norm of the meta-gradient accumulated in the parameters' .grad.
  double grad_norm() const {
    double sum = 0.0;
    for (const mg::Tensor& p : net.parameters()) {
      const mg::Tensor g = p.grad();
      if (g.defined()) sum += (g * g).sum().item<double>();
    }
    return std::sqrt(sum);
  }
};

/// Allows TF32 GEMMs on CUDA devices for its lifetime when `allow` (metagrad::cuda::allow_tf32).
class Tf32Scope {
 public:
  explicit Tf32Scope(bool allow) : before_(mg::cuda::allow_tf32()) {
    mg::cuda::set_allow_tf32(allow);
  }
  ~Tf32Scope() { mg::cuda::set_allow_tf32(before_); }
  Tf32Scope(const Tf32Scope&) = delete;
  Tf32Scope& operator=(const Tf32Scope&) = delete;

 private:
  bool before_;
};

void bench_maml(const std::string& workload, int64_t tasks, int default_iters, int threads,
                const std::string& gemm, mg::Device device, TaskMode mode, Emulation emulation,
                bool tf32 = false) {
  if (!wanted(workload) || (tf32 && !device.is_cuda())) return;
  const Tf32Scope tf32_scope(tf32);
  Problem problem(tasks, device);
  auto step = [&] { return meta_step_in(mode, problem); };
  const double rss_before = current_rss_mb();
  const double meta_loss = step();  // from the deterministic initialisation, kernels on
  const double meta_grad_norm = problem.grad_norm();
  if (device.is_cuda()) mg::cuda::reset_peak_memory_stats(device.index);
  const int warmup = env_count("BENCH_WARMUP", 1), iters = env_int("BENCH_ITERS", default_iters);
  LaunchCounter counter(emulation);
  const Timing t = measure(warmup, iters, [&] { step(); });
  const std::string launches = counter.fields(warmup + iters);
  const double peak_device_mb =
      device.is_cuda()
          ? static_cast<double>(mg::cuda::memory_stats(device.index).peak_allocated) / 1048576.0
          : 0.0;
  emit_json(
      workload, threads, device.is_cuda() ? "cublas" : gemm, t,
      fmt::format(", \"device\": \"{}\", \"tasks\": {}, \"n_way\": {}, \"k_spt\": {}, "
                  "\"k_qry\": {}, \"inner_steps\": {}, \"meta_loss\": {:.6f}, "
                  "\"meta_grad_norm\": {:.6f}, \"rss_before_mb\": {:.1f}, "
                  "\"peak_rss_mb\": {:.1f}, \"peak_device_mb\": {:.1f}, \"loadavg\": {:.2f}, "
                  "\"tf32\": {}",
                  device.str(), tasks, kWays, kShots, kQueries, kInnerSteps, meta_loss,
                  meta_grad_norm, rss_before, peak_rss_mb(), peak_device_mb, load_average(), tf32) +
          launches);
}

}  // namespace

int main(int argc, char** argv) {
  const DeviceArgs args = parse_device_args(argc, argv, "cpu");
  if (!args.valid()) {
    fmt::print(stderr, "usage: maml_omniglot [--device cpu|cuda [--emulate[=host-only]]]\n");
    return 2;
  }
  const Emulation emulation = args.emulation;
  const bool emulate = emulation != Emulation::none;
  const ScopedEmulation emulated_cuda(emulation);
  const mg::Device device = args.device == "cuda" ? mg::cuda_device(0) : mg::kCPU;
  if (device.is_cuda() && !emulate && !mg::cuda::is_available()) {
    fmt::print("no CUDA device: skipped\n");
    return 0;
  }
  const int threads = configure_threads();
  const std::string gemm = gemm_library();
  return run_guarded("maml_omniglot", [&] {
    // On a GPU one device runs the tasks: the parallel form only adds host threads.
    const TaskMode concurrent = device.is_cuda() ? TaskMode::sequential : TaskMode::parallel;
    bench_maml("maml_step_4tasks", 4, 10, threads, gemm, device, concurrent, emulation);
    bench_maml("maml_step_32tasks", 32, 3, threads, gemm, device, concurrent, emulation);
    bench_maml("maml_step_4tasks_sequential", 4, 10, threads, gemm, device, TaskMode::sequential,
               emulation);
    bench_maml("maml_step_32tasks_sequential", 32, 3, threads, gemm, device, TaskMode::sequential,
               emulation);
    bench_maml("maml_step_4tasks_vectorized", 4, 10, threads, gemm, device, TaskMode::vectorized,
               emulation);
    bench_maml("maml_step_32tasks_vectorized", 32, 3, threads, gemm, device, TaskMode::vectorized,
               emulation);
    bench_maml("maml_step_32tasks_vectorized_tf32", 32, 3, threads, gemm, device,
               TaskMode::vectorized, emulation, true);
  });
}
