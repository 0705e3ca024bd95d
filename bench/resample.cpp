// Resampling and decoder ops against PyTorch: one JSON line per workload; bench/resample.py runs
// the same work with PyTorch and the same schema, and bench/compare_pytorch.py prints the ratios.
//
// Workloads (float32, forward + backward of mean(y²), gradients of every input that has one):
//   upsample_bilinear: interpolate [16, 32, 32, 32] to 64 x 64, bilinear;
//   upsample_nearest: the same, nearest;
//   conv_transpose: conv_transpose2d of [16, 32, 32, 32] by a [32, 16, 4, 4] weight, stride 2,
//     padding 1 (-> [16, 16, 64, 64]), input and weight gradients;
//   grid_sample_affine: grid_sample of [16, 32, 32, 32] at affine_grid(theta [16, 2, 3]),
//     bilinear (the input's and theta's gradients: a spatial transformer);
//   pad_reflect: pad [16, 32, 32, 32] by 3 on each side, reflect;
//   adaptive_max_pool: adaptive_max_pool2d of [16, 32, 32, 32] to 7 x 7.
// Inputs are sin(0.37 i + phase) fills (the same numbers on both sides), so the reported losses
// agree with PyTorch's to float32 rounding. Environment: BENCH_THREADS (2) OpenMP threads;
// BENCH_ITERS (20) timed calls; BENCH_WARMUP (3); BENCH_WORKLOADS (all) comma-separated subset.
#include <fmt/core.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "bench/bench_common.hpp"
#include "bench/mean_square_workload.hpp"
#include "bench/wave_fill.hpp"
#include "metagrad.hpp"

namespace mg = metagrad;

using namespace bench;  // the shared timing harness

int main() {
  return run_guarded("resample", [] {
    const RunContext ctx{configure_threads(), gemm_library()};
    const int iters = env_int("BENCH_ITERS", 20), warmup = env_count("BENCH_WARMUP", 3);
    const mg::Dims image{16, 32, 32, 32};
    const mg::Tensor x = wave(image, 0.1, 1.0).requires_grad_();
    mean_square_workload(
        ctx, "upsample_bilinear", {x},
        [](const mg::TensorList& in) {
          return mg::interpolate(in[0], {.size = {64}, .mode = mg::InterpolateMode::Bilinear});
        },
        warmup, iters);
    mean_square_workload(
        ctx, "upsample_nearest", {x},
        [](const mg::TensorList& in) { return mg::interpolate(in[0], {.size = {64}}); }, warmup,
        iters);
    mean_square_workload(
        ctx, "conv_transpose", {x, wave({32, 16, 4, 4}, 0.2, 0.1).requires_grad_()},
        [](const mg::TensorList& in) { return mg::conv_transpose2d(in[0], in[1], {}, 2, 1); },
        warmup, iters);
    const mg::Tensor theta =
        (mg::tensor({0.9, 0.1, 0.05, -0.1, 1.1, -0.02}, {1, 2, 3}, mg::kFloat32) +
         wave({16, 2, 3}, 0.3, 0.05))
            .detach()
            .requires_grad_();
    mean_square_workload(
        ctx, "grid_sample_affine", {x, theta},
        [image](const mg::TensorList& in) {
          return mg::grid_sample(in[0], mg::affine_grid(in[1], image));
        },
        warmup, iters);
    mean_square_workload(
        ctx, "pad_reflect", {x},
        [](const mg::TensorList& in) {
          return mg::pad(in[0], {3, 3, 3, 3}, mg::PadMode::Reflect);
        },
        warmup, iters);
    mean_square_workload(
        ctx, "adaptive_max_pool", {x},
        [](const mg::TensorList& in) { return mg::adaptive_max_pool2d(in[0], 7); }, warmup, iters);
  });
}
