// Optimizer-step benchmark (issue 4): one Adam step over 10M float32 parameters split into 100
// tensors of 100,000, one JSON line per workload. bench/optim_step.py runs the same workloads on
// PyTorch with the same schema; bench/compare_pytorch.py prints the ratios.
//
// Workloads (in place, under NoGradGuard, as an Optimizer step runs; lr 1e-3, default betas/eps):
//   adam_step          adam(use_accelerated_op) step_in_place, what Adam::step() runs: one fused
//                      pass that also writes the parameters (Note [folded adam step]; 28 bytes
//                      per element) (PyTorch side: torch.optim.Adam(foreach=True).step())
//   adam_step_unfolded diagnosis, metagrad only: adam(use_accelerated_op) update + apply_updates
//                      as two calls: the fused pass writing u, then u *= -lr and p += u (44 bytes
//                      per element moved, reported against the same 28-byte model)
//   adam_step_unfused  adam() update + apply_updates: scale_by_adam's op-by-op formulas
//                      (PyTorch side: the same op sequence as TorchOpt's scale_by_adam + scale(-lr)
//                      + apply_updates, in torch ops)
//   adam_transform     diagnosis, metagrad only: scale_by_accelerated_adam's in-place update alone
//                      (the fused pass without scale(-lr) and apply_updates; 24 bytes per element)
//   copy_bandwidth     a STREAM-like copy of a 10M-float buffer (OpenMP loop, BENCH_THREADS)
// Every Adam step line reports gb_per_s (median time) counting 28 bytes per element (read g; read
// and write p, mu, nu), the copy bandwidth of this process (8 bytes per element copied, best of
// the timed copies as STREAM reports it) and their ratio fraction_of_copy. The copy is measured by
// every run, also when only an Adam workload is asked.
//
// Environment: BENCH_THREADS (2) OpenMP threads; BENCH_ITERS (20) timed steps; BENCH_WARMUP (3);
// BENCH_WORKLOADS (all) comma-separated subset of the workload names.
#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "bench/bench_common.hpp"
#include "engine/grad_mode.hpp"
#include "engine/ops.hpp"
#include "engine/random/generator.hpp"
#include "optim/optimizers.hpp"
#include "optim/transform.hpp"
#include "optim/transforms.hpp"

namespace mg = metagrad;

namespace {

using namespace bench;  // the shared timing harness

constexpr int64_t kTensors = 100;
constexpr int64_t kPerTensor = 100000;
constexpr int64_t kElements = kTensors * kPerTensor;
constexpr double kAdamBytes = 28.0 * static_cast<double>(kElements);
constexpr double kCopyBytes = 8.0 * static_cast<double>(kElements);

struct Context {
  int threads;
  std::string gemm;
  int warmup;
  int iters;
  double copy_gb_per_s;
};

void emit(const Context& ctx, const std::string& workload, const Timing& t,
          const std::string& extra) {
  emit_json(workload, ctx.threads, ctx.gemm, t, extra);
}

// STREAM copy: dst[i] = src[i] over kElements floats, split statically among the threads.
Timing time_copy(int warmup, int iters) {
  std::vector<float> src(static_cast<size_t>(kElements), 1.5f), dst(src.size(), 0.0f);
  float* d = dst.data();
  const float* s = src.data();
  const Timing t = measure(warmup, iters, [&] {
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < kElements; ++i) d[i] = s[i];
    g_sink = d;
  });
  return t;
}

// Parameters and gradients: 100 tensors of 100,000 normal numbers (gradients scaled by 1e-2).
struct Problem {
  mg::TensorList params, grads;
  Problem() {
    mg::Generator gen(1234);
    for (int64_t k = 0; k < kTensors; ++k) {
      params.push_back(mg::randn({kPerTensor}, mg::kFloat32, &gen));
      grads.push_back(mg::randn({kPerTensor}, mg::kFloat32, &gen) * 0.01);
    }
  }
};

std::string bandwidth_fields(const Context& ctx, const Timing& t, const char* variant) {
  const double gbps = kAdamBytes / (t.median_ms * 1e6);
  return fmt::format(
      ", \"variant\": \"{}\", \"elements\": {}, \"tensors\": {}, \"gb_per_s\": {:.3f}, "
      "\"copy_gb_per_s\": {:.3f}, \"fraction_of_copy\": {:.4f}",
      variant, kElements, kTensors, gbps, ctx.copy_gb_per_s, gbps / ctx.copy_gb_per_s);
}

// One classic Adam step per timed iteration: step_in_place (as Optimizer::step) when `folded`,
// otherwise update and apply_updates as two calls.
void bench_adam(const Context& ctx, const char* workload, bool accelerated, bool folded,
                const char* variant) {
  if (!wanted(workload)) return;
  Problem problem;
  const auto opt = mg::adam({.lr = 1e-3, .use_accelerated_op = accelerated});
  mg::OptState state = opt.init(problem.params);
  const Timing t = measure(ctx.warmup, ctx.iters, [&] {
    const mg::NoGradGuard no_grad;
    if (folded) {
      opt.step_in_place(problem.grads, state, problem.params);
    } else {
      const mg::TensorList updates = opt.update(problem.grads, state, problem.params, true);
      mg::apply_updates(problem.params, updates, true);
    }
    g_sink = problem.params.back().impl();
  });
  emit(ctx, workload, t, bandwidth_fields(ctx, t, variant));
}

// The fused transformation alone: reads g, mu, nu and writes mu, nu and u (into g).
void bench_transform(const Context& ctx) {
  if (!wanted("adam_transform")) return;
  Problem problem;
  const auto opt = mg::scale_by_accelerated_adam();
  mg::OptState state = opt.init(problem.params);
  const Timing t = measure(ctx.warmup, ctx.iters, [&] {
    const mg::NoGradGuard no_grad;
    g_sink = opt.update(problem.grads, state, {}, true).back().impl();
  });
  const double gbps = 24.0 * static_cast<double>(kElements) / (t.median_ms * 1e6);
  emit(ctx, "adam_transform", t,
       fmt::format(", \"variant\": \"scale_by_accelerated_adam update only\", \"elements\": {}, "
                   "\"bytes_per_element\": 24, \"gb_per_s\": {:.3f}, \"copy_gb_per_s\": {:.3f}, "
                   "\"fraction_of_copy\": {:.4f}",
                   kElements, gbps, ctx.copy_gb_per_s, gbps / ctx.copy_gb_per_s));
}

}  // namespace

int main() {
  const int threads = configure_threads();
  return run_guarded("optim_step", [&] {
    const int warmup = env_int("BENCH_WARMUP", 3), iters = env_int("BENCH_ITERS", 20);
    const Timing copy = time_copy(warmup, iters);
    const Context ctx{threads, gemm_library(), warmup, iters, kCopyBytes / (copy.min_ms * 1e6)};
    if (wanted("copy_bandwidth")) {
      emit(
          ctx, "copy_bandwidth", copy,
          fmt::format(", \"variant\": \"OpenMP copy loop\", \"elements\": {}, \"gb_per_s\": {:.3f}",
                      kElements, ctx.copy_gb_per_s));
    }
    bench_adam(ctx, "adam_step", true, true,
               "adam(use_accelerated_op).step_in_place: one fused pass writing p, mu, nu");
    bench_adam(ctx, "adam_step_unfolded", true, false,
               "adam(use_accelerated_op) update + apply_updates: fused pass, scale, add");
    bench_adam(ctx, "adam_step_unfused", false, true, "adam(): unfused scale_by_adam");
    bench_transform(ctx);
  });
}
