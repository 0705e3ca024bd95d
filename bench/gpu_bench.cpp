// GPU benchmarks of the CUDA backend (issue 12), one JSON line per workload; bench/gpu_peers.py
// runs the PyTorch counterparts with the same schema and bench/gpu_check.sh puts them side by side.
// The MAML Omniglot meta-step is bench/maml_omniglot --device cuda.
//
// Workloads (float32, on cuda:0):
//   copy_bandwidth  dst.copy_(src) of a 400 MB buffer (100M elements); gb_per_s counts the bytes
//                   read and written (8 per element), from the median time.
//   adam_100m       one step of Adam(lr 1e-3, use_accelerated_op) on 100M parameters in 100
//                   tensors of 1M (the Optimizer object: gradients in .grad, one fused launch
//                   that updates mu, nu and the parameters: Note [folded adam step]), as
//                   torch.optim.Adam(fused=True).step(); gb_per_s counts 28 bytes per element
//                   (read g; read and write p, mu, nu: bytes_per_element) and fraction_of_copy
//                   divides it by copy_bandwidth's. "folded" says whether the step took that
//                   pass (it then leaves the gradients unwritten).
//   adam_10m        the same on 10M parameters in 100 tensors of 100k.
//   adam_transform_100m, adam_transform_10m
//                   diagnosis, metagrad only: scale_by_accelerated_adam's in-place update alone
//                   (the fused pass without scale(-lr) and apply_updates; 24 bytes per element).
//   maml_sinusoid   one MAML meta-step on the sinusoid tasks of examples/maml_sinusoid.cpp: 25
//                   tasks of 10 support and 10 query points, the 1-40-40-1 ReLU MLP, 5
//                   differentiable inner SGD steps (MetaSGD, lr 0.01) per task, then Adam (lr 1e-3)
//                   on the mean query MSE. Parameters and points are the deterministic fills of
//                   bench/tutorial_net.hpp, shared with gpu_peers.py: meta_loss (the first
//                   meta-step's mean query loss) agrees with PyTorch's to float32 rounding.
//   maml_sinusoid_vectorized
//                   the same meta-step with the tasks as a tensor dim (meta_batch_vectorized):
//                   the same meta_loss.
// Every timed region is synchronised (metagrad::cuda::synchronize) on both ends; times are the
// median of BENCH_ITERS runs after BENCH_WARMUP untimed ones. peak_device_mb is the caching
// allocator's peak over the timed runs (metagrad::cuda::memory_stats().peak_allocated).
//
// Usage: gpu_bench [--device cuda|cpu] [--emulate[=host-only]]   (cpu: the same code on the CPU, to
// check the program where there is no GPU). Without a CUDA device, --device cuda (the default)
// prints "no CUDA device: skipped" and exits 0. --emulate runs the CUDA kernels on the host
// emulation (bench/emulation.hpp; times are the host's, not a GPU's) and adds the launches per
// timed step (kernels_per_step, gemms_per_step, copies_per_step); --emulate=host-only skips the
// kernels (Note [host-only emulation]): the host's share of a GPU step.
// Environment: BENCH_ITERS (20; 10 for maml_sinusoid), BENCH_WARMUP (3), BENCH_WORKLOADS (all)
// comma-separated subset of the workload names, BENCH_THREADS (2) OpenMP threads (--device cpu).
#include <fmt/core.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <numbers>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "bench/bench_common.hpp"
#include "bench/emulation.hpp"
#include "bench/tutorial_net.hpp"
#include "cuda/cuda.hpp"
#include "engine/grad_mode.hpp"
#include "engine/nn/functional.hpp"
#include "engine/nn/layers.hpp"
#include "engine/ops.hpp"
#include "engine/random/generator.hpp"
#include "optim/meta/meta_batch_vectorized.hpp"
#include "optim/meta/meta_optimizer.hpp"
#include "optim/optimizer/optimizer.hpp"
#include "optim/optimizers.hpp"
#include "optim/transform.hpp"
#include "optim/transforms.hpp"
#include "optim/utils.hpp"

namespace mg = metagrad;
namespace nn = metagrad::nn;

namespace {

using namespace bench;  // the shared timing harness

constexpr int64_t kCopyElements = 100'000'000;  // 400 MB of float32
constexpr int64_t kAdamTensors = 100;
// Bytes per element a folded Adam step moves (read g; read and write p, mu, nu), as torch's fused
// Adam: the model gb_per_s of adam_<size> counts.
constexpr double kAdamStepBytes = 28.0;
constexpr int64_t kSineTasks = 25;
constexpr int64_t kSinePoints = 10;  // support points, and query points, per task
constexpr int kSineInnerSteps = 5;
constexpr double kSineInnerLr = 0.01;
constexpr double kOuterLr = 1e-3;

struct Context {
  mg::Device device;
  int threads;
  int warmup;
  int iters;
  Emulation emulation = Emulation::none;
  double copy_gb_per_s = 0.0;
};

// Waits for the device's queued work (nothing to wait for on the CPU).
void sync(const Context& ctx) {
  if (ctx.device.is_cuda()) mg::cuda::synchronize(ctx.device.index);
}

// Starts a timed region: the device's peak is reset so that peak_mb() covers what follows.
void reset_peak(const Context& ctx) {
  sync(ctx);
  if (ctx.device.is_cuda()) mg::cuda::reset_peak_memory_stats(ctx.device.index);
}

double peak_mb(const Context& ctx) {
  if (!ctx.device.is_cuda()) return 0.0;
  return static_cast<double>(mg::cuda::memory_stats(ctx.device.index).peak_allocated) /
         (1024.0 * 1024.0);
}

// The median time of `body` over `iters` synchronised runs, and the emulated launches per run
// (JSON fields, empty without emulation).
std::pair<Timing, std::string> time_synced(const Context& ctx, int iters,
                                           const std::function<void()>& body) {
  LaunchCounter counter(ctx.emulation);
  const Timing t = measure(
      ctx.warmup, iters,
      [&] {
        body();
        sync(ctx);
      },
      [&] { sync(ctx); });
  return {t, counter.fields(ctx.warmup + iters)};
}

void emit(const Context& ctx, const std::string& workload, const Timing& t,
          const std::string& extra) {
  emit_json(workload, ctx.threads, ctx.device.is_cuda() ? "cublas" : gemm_library(), t,
            fmt::format(", \"device\": \"{}\", \"peak_device_mb\": {:.1f}{}", ctx.device.str(),
                        peak_mb(ctx), extra));
}

// dst.copy_(src) over kCopyElements floats; returns GB/s (8 bytes per element, median time).
double bench_copy(const Context& ctx) {
  const mg::Tensor src = mg::full({kCopyElements}, 1.5, {mg::kFloat32, ctx.device});
  mg::Tensor dst = mg::zeros({kCopyElements}, {mg::kFloat32, ctx.device});
  reset_peak(ctx);
  const auto [t, launches] = time_synced(ctx, ctx.iters, [&] { dst.copy_(src); });
  const double gbps = 8.0 * static_cast<double>(kCopyElements) / (t.median_ms * 1e6);
  if (wanted("copy_bandwidth")) {
    emit(ctx, "copy_bandwidth", t,
         fmt::format(", \"variant\": \"dst.copy_(src)\", \"elements\": {}, \"gb_per_s\": {:.3f}",
                     kCopyElements, gbps) +
             launches);
  }
  return gbps;
}

// One Adam(use_accelerated_op) step over `total` parameters in kAdamTensors tensors (`workload`,
// adam_<size>), and the transformation alone (adam_transform_<size>).
void bench_adam(const Context& ctx, const std::string& workload, int64_t total) {
  const std::string transform = "adam_transform_" + workload.substr(workload.find('_') + 1);
  if (!wanted(workload) && !wanted(transform)) return;
  const int64_t per_tensor = total / kAdamTensors;
  mg::Generator gen(1234);
  mg::TensorList params;
  for (int64_t k = 0; k < kAdamTensors; ++k) {
    mg::Tensor p = mg::randn({per_tensor}, {mg::kFloat32, ctx.device}, &gen);
    p.requires_grad_();
    p.set_grad(mg::randn({per_tensor}, {mg::kFloat32, ctx.device}, &gen) * 0.01);
    params.push_back(p);
  }
  if (wanted(workload)) {
    mg::Adam opt(params, {.lr = 1e-3, .use_accelerated_op = true});
    const uint64_t grad_version = params[0].grad().version();
    opt.step();  // the state is created by the first step
    // The folded step only reads the gradients; the unfolded one writes the update into them.
    const bool folded = params[0].grad().version() == grad_version;
    reset_peak(ctx);
    const auto [t, launches] = time_synced(ctx, ctx.iters, [&] { opt.step(); });
    const double gbps = kAdamStepBytes * static_cast<double>(total) / (t.median_ms * 1e6);
    emit(
        ctx, workload, t,
        fmt::format(", \"variant\": \"Adam(use_accelerated_op).step()\", \"folded\": {}, "
                    "\"elements\": {}, \"tensors\": {}, \"bytes_per_element\": {}, "
                    "\"gb_per_s\": {:.3f}, \"copy_gb_per_s\": {:.3f}, \"fraction_of_copy\": {:.4f}",
                    folded, total, kAdamTensors, kAdamStepBytes, gbps, ctx.copy_gb_per_s,
                    gbps / ctx.copy_gb_per_s) +
            launches);
  }

  // Diagnosis, metagrad only: the fused transformation alone (scale_by_accelerated_adam in place:
  // reads g, mu, nu, writes mu, nu and the update into g; 24 bytes per element).
  if (!wanted(transform)) return;
  const auto scale = mg::scale_by_accelerated_adam();
  mg::TensorList grads;
  for (const mg::Tensor& p : params) grads.push_back(p.grad());
  mg::OptState state = scale.init(params);
  reset_peak(ctx);
  const auto [tt, transform_launches] = time_synced(ctx, ctx.iters, [&] {
    const mg::NoGradGuard no_grad;
    (void)scale.update(grads, state, {}, true);
  });
  const double transform_gbps = 24.0 * static_cast<double>(total) / (tt.median_ms * 1e6);
  emit(ctx, transform, tt,
       fmt::format(", \"variant\": \"scale_by_accelerated_adam update in place\", \"elements\": "
                   "{}, \"tensors\": {}, \"bytes_per_element\": 24, \"gb_per_s\": {:.3f}, "
                   "\"copy_gb_per_s\": {:.3f}, \"fraction_of_copy\": {:.4f}",
                   total, kAdamTensors, transform_gbps, ctx.copy_gb_per_s,
                   transform_gbps / ctx.copy_gb_per_s) +
           transform_launches);
}

// The sinusoid tasks: x ~ U[-5, 5) and y = A sin(x - phase) with A in [0.1, 5) and phase in
// [0, pi) per task, all from the integer hash (tags 200-203), as gpu_peers.py draws them.
struct SineBatch {
  mg::Tensor x_spt, y_spt, x_qry, y_qry;  // [kSineTasks, kSinePoints, 1]
};

double hash_unit(int64_t k, int tag) {  // in [-1, 1)
  return static_cast<double>(hash32(k, tag)) / 2147483648.0 - 1.0;
}

SineBatch make_sine_batch(mg::Device device) {
  const mg::Dims shape = {kSineTasks, kSinePoints, 1};
  const auto points = [&](int tag) {
    std::vector<double> x(static_cast<size_t>(kSineTasks * kSinePoints)), y(x.size());
    for (size_t k = 0; k < x.size(); ++k) {
      const auto task = static_cast<int64_t>(k) / kSinePoints;
      const double amplitude = 2.55 + 2.45 * hash_unit(task, 202);
      const double phase = std::numbers::pi / 2.0 * (1.0 + hash_unit(task, 203));
      x[k] = static_cast<double>(static_cast<float>(5.0 * hash_unit(static_cast<int64_t>(k), tag)));
      y[k] = amplitude * std::sin(x[k] - phase);
    }
    return std::pair{mg::tensor(x, shape).to(device), mg::tensor(y, shape).to(device)};
  };
  SineBatch batch;
  std::tie(batch.x_spt, batch.y_spt) = points(200);
  std::tie(batch.x_qry, batch.y_qry) = points(201);
  return batch;
}

// Each task's MSE is the mean over its points: [T, points, 1] -> [T].
mg::Tensor per_task_mse(const mg::Tensor& y, const mg::Tensor& target) {
  const mg::Tensor d = y - target;
  return (d * d).mean({1, 2});
}

// maml_sinusoid runs the tasks one after the other; maml_sinusoid_vectorized as one computation
// with a task dim (meta_batch_vectorized: batched products of per-task weights, a few kernels per
// layer for all 25 tasks). Both minimise the mean query loss.
void bench_sinusoid(const Context& ctx, bool vectorized) {
  const std::string workload = vectorized ? "maml_sinusoid_vectorized" : "maml_sinusoid";
  if (!wanted(workload)) return;
  nn::Sequential net = make_sine_net();
  net.to(ctx.device);
  mg::MetaSGD inner_opt(net, {.lr = kSineInnerLr});
  mg::Adam meta_opt(net.parameters(), {.lr = kOuterLr});
  const SineBatch batch = make_sine_batch(ctx.device);
  const auto loop_step = [&] {
    meta_opt.zero_grad();
    const auto net_state =
        mg::extract_state_dict(net, {.by = mg::CopyMode::reference, .detach_buffers = true});
    const auto optim_state = mg::extract_state_dict(inner_opt, {.by = mg::CopyMode::reference});
    mg::TensorList qry_losses;
    for (int64_t i = 0; i < kSineTasks; ++i) {
      const mg::Tensor xs = batch.x_spt.select(0, i), ys = batch.y_spt.select(0, i);
      for (int k = 0; k < kSineInnerSteps; ++k) inner_opt.step(mg::mse_loss(net(xs), ys));
      qry_losses.push_back(mg::mse_loss(net(batch.x_qry.select(0, i)), batch.y_qry.select(0, i)));
      mg::recover_state_dict(net, net_state);
      mg::recover_state_dict(inner_opt, optim_state);
    }
    const mg::Tensor qry_loss = mg::stack(qry_losses).mean();
    qry_loss.backward();
    meta_opt.step();
    return qry_loss;
  };
  const auto vectorized_step = [&] {
    meta_opt.zero_grad();
    const mg::TensorList losses = mg::meta_batch_vectorized(net, kSineTasks, [&](nn::Module& all) {
      mg::MetaSGD task_opt(all, {.lr = kSineInnerLr});
      for (int k = 0; k < kSineInnerSteps; ++k)
        task_opt.step(per_task_mse(all(batch.x_spt), batch.y_spt).sum());
      return per_task_mse(all(batch.x_qry), batch.y_qry);
    });
    meta_opt.step();
    return mg::stack(losses).mean();
  };
  const auto meta_step = [&] { return vectorized ? vectorized_step() : loop_step(); };
  const double meta_loss = meta_step().item<double>();  // from the deterministic initialisation
  reset_peak(ctx);
  const auto [t, launches] = time_synced(ctx, env_int("BENCH_ITERS", 10), [&] { meta_step(); });
  emit(ctx, workload, t,
       fmt::format(", \"tasks\": {}, \"points\": {}, \"inner_steps\": {}, \"meta_loss\": {:.6f}",
                   kSineTasks, kSinePoints, kSineInnerSteps, meta_loss) +
           launches);
}

}  // namespace

int main(int argc, char** argv) {
  const DeviceArgs args = parse_device_args(argc, argv, "cuda");
  if (!args.valid()) {
    fmt::print(stderr, "usage: gpu_bench [--device cuda|cpu] [--emulate[=host-only]]\n");
    return 2;
  }
  const Emulation emulation = args.emulation;
  const bool emulate = emulation != Emulation::none;
  const ScopedEmulation emulated_cuda(emulation);
  const bool on_cpu = args.device == "cpu";
  if (!on_cpu && !emulate && !mg::cuda::is_available()) {
    fmt::print("no CUDA device: skipped\n");
    return 0;
  }
  const int threads = configure_threads();
  return run_guarded("gpu_bench", [&] {
    Context ctx{on_cpu ? mg::kCPU : mg::cuda_device(0), threads, env_count("BENCH_WARMUP", 3),
                env_int("BENCH_ITERS", 20), emulation};
    ctx.copy_gb_per_s = bench_copy(ctx);
    bench_adam(ctx, "adam_100m", 100'000'000);
    bench_adam(ctx, "adam_10m", 10'000'000);
    bench_sinusoid(ctx, false);
    bench_sinusoid(ctx, true);
  });
}
