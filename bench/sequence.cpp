// Recurrent layers and order statistics against PyTorch: one JSON line per workload;
// bench/sequence.py runs the same work with PyTorch and the same schema, and
// bench/compare_pytorch.py prints the ratios.
//
// Workloads (float32):
//   lstm_fwd_bwd: nn::LSTM(64, 128, num_layers 2) over 50 steps of a batch of 32, forward and
//     backward of mean(output²) (the gradient of every parameter and of the input);
//   gru_fwd_bwd: the same with nn::GRU;
//   sort_64x4096: sort of each row of a [64, 4096] tensor (values and indices);
//   topk10_64x4096: the 10 largest of each row;
//   quantile_64x4096: the 0.3 quantile of each row (linear interpolation).
// Inputs and parameters are sin(0.37 i + phase) fills (the same numbers on both sides), so the
// reported checksums (loss, sum of the sorted values' first column, ...) agree with PyTorch's to
// float32 rounding. Environment: BENCH_THREADS (2) OpenMP threads; BENCH_ITERS (20) timed calls;
// BENCH_WARMUP (3); BENCH_WORKLOADS (all) comma-separated subset.
#include <fmt/core.h>

#include <cmath>
#include <string>
#include <vector>

#include "bench/bench_common.hpp"
#include "bench/wave_fill.hpp"
#include "metagrad.hpp"

namespace mg = metagrad;
namespace nn = metagrad::nn;

namespace {

using namespace bench;  // the shared timing harness

// Parameter k of the layer set to wave(shape, 0.1 k, 0.08) (within PyTorch's init bound).
void fill(nn::Module& layer) {
  mg::NoGradGuard no_grad;
  size_t k = 0;
  for (mg::Tensor p : layer.parameters())
    p.copy_(wave(p.shape(), 0.1 * static_cast<double>(k++), 0.08));
}

void recurrent_workload(const RunContext& ctx, const std::string& name, nn::Module& layer,
                        int warmup, int iters) {
  fill(layer);
  const mg::Tensor x = wave({50, 32, 64}, 0.5, 1.0).requires_grad_();
  double loss_value = 0.0;
  const Timing t = measure(warmup, iters, [&] {
    const mg::Tensor out = layer(x);
    const mg::Tensor loss = mg::mean(out * out);
    loss.backward();
    loss_value = loss.item<double>();
  });
  emit(ctx, name, t, fmt::format(", \"loss\": {:.7g}", loss_value));
}

void order_workloads(const RunContext& ctx, int warmup, int iters) {
  const mg::Tensor v = wave({64, 4096}, 0.2, 1.0);
  double checksum = 0.0;
  if (wanted("sort_64x4096")) {
    const Timing t = measure(warmup, iters, [&] {
      const auto [values, indices] = mg::sort(v, 1);
      g_sink = indices.raw_data();
      checksum = mg::sum(mg::select(values, 1, 0)).item<double>();
    });
    emit(ctx, "sort_64x4096", t, fmt::format(", \"checksum\": {:.7g}", checksum));
  }
  if (wanted("topk10_64x4096")) {
    const Timing t = measure(warmup, iters, [&] {
      const auto [values, indices] = mg::topk(v, 10, 1);
      g_sink = indices.raw_data();
      checksum = mg::sum(values).item<double>();
    });
    emit(ctx, "topk10_64x4096", t, fmt::format(", \"checksum\": {:.7g}", checksum));
  }
  if (wanted("quantile_64x4096")) {
    const Timing t =
        measure(warmup, iters, [&] { checksum = mg::sum(mg::quantile(v, 0.3, 1)).item<double>(); });
    emit(ctx, "quantile_64x4096", t, fmt::format(", \"checksum\": {:.7g}", checksum));
  }
}

}  // namespace

int main() {
  return run_guarded("sequence", [] {
    const RunContext ctx{configure_threads(), gemm_library()};
    const int iters = env_int("BENCH_ITERS", 20), warmup = env_count("BENCH_WARMUP", 3);
    if (wanted("lstm_fwd_bwd")) {
      nn::LSTM lstm(64, 128, {.num_layers = 2});
      recurrent_workload(ctx, "lstm_fwd_bwd", lstm, warmup, iters);
    }
    if (wanted("gru_fwd_bwd")) {
      nn::GRU gru(64, 128, {.num_layers = 2});
      recurrent_workload(ctx, "gru_fwd_bwd", gru, warmup, iters);
    }
    order_workloads(ctx, warmup, iters);
  });
}
