// Attention and transformer layers against PyTorch: one JSON line per workload; bench/attention.py
// runs the same work with PyTorch and the same schema, and bench/compare_pytorch.py prints the
// ratios.
//
// Workloads (float32, forward + backward of mean(y²), no dropout):
//   sdpa: scaled_dot_product_attention, q, k, v [16, 4, 64, 32] (batch, heads, length, features);
//   sdpa_causal: the same with is_causal;
//   mha_self: MultiheadAttention(128, 4) self-attention on x [64, 16, 128] (length, batch, E);
//   encoder_layer: TransformerEncoderLayer(128, 4, dim_feedforward 512) on the same x.
// Inputs and parameters are sin(0.37 i + phase) fills (the k-th parameter 0.1 wave(phase 0.1 k)),
// the same numbers on both sides, so the reported losses agree with PyTorch's to float32
// rounding. Environment: BENCH_THREADS (2) OpenMP threads; BENCH_ITERS (20) timed calls;
// BENCH_WARMUP (3); BENCH_WORKLOADS (all) comma-separated subset.
#include <string>

#include "bench/bench_common.hpp"
#include "bench/mean_square_workload.hpp"
#include "bench/wave_fill.hpp"
#include "metagrad.hpp"

namespace mg = metagrad;

namespace {

using namespace bench;  // the shared timing harness

mg::Tensor leaf(const mg::Dims& shape, double phase) {
  return wave(shape, phase, 1.0).requires_grad_();
}

// The k-th parameter set to 0.1 wave(shape, 0.1 k), as bench/attention.py's fill.
void fill(mg::nn::Module& module) {
  mg::NoGradGuard no_grad;
  double phase = 0.0;
  for (mg::Tensor p : module.parameters()) {
    p.copy_(wave(p.shape(), phase, 0.1));
    phase += 0.1;
  }
}

}  // namespace

int main() {
  return run_guarded("attention", [] {
    const RunContext ctx{configure_threads(), gemm_library()};
    const int iters = env_int("BENCH_ITERS", 20), warmup = env_count("BENCH_WARMUP", 3);
    const auto workload = [&](const std::string& name, const mg::TensorList& inputs,
                              const std::function<mg::Tensor(const mg::TensorList&)>& f) {
      mean_square_workload(ctx, name, inputs, f, warmup, iters);
    };
    const mg::TensorList qkv{leaf({16, 4, 64, 32}, 0.1), leaf({16, 4, 64, 32}, 0.2),
                             leaf({16, 4, 64, 32}, 0.3)};
    workload("sdpa", qkv, [](const mg::TensorList& x) {
      return mg::scaled_dot_product_attention(x[0], x[1], x[2]);
    });
    workload("sdpa_causal", qkv, [](const mg::TensorList& x) {
      return mg::scaled_dot_product_attention(x[0], x[1], x[2], {.is_causal = true});
    });
    const mg::Tensor x = leaf({64, 16, 128}, 0.4);
    mg::nn::MultiheadAttention mha(128, 4);
    fill(mha);
    workload("mha_self", {x}, [&](const mg::TensorList& in) { return mha.forward(in[0]); });
    mg::nn::TransformerEncoderLayer layer(128, 4, {.dim_feedforward = 512, .dropout = 0.0});
    fill(layer);
    workload("encoder_layer", {x}, [&](const mg::TensorList& in) { return layer(in[0]); });
  });
}
