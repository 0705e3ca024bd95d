// Engine overhead benchmark: what the tensor/autograd machinery costs per op, per backward node,
// and on a small MLP (forward + backward, and a Hessian-vector product), one JSON line per
// workload. bench/engine_overhead.py runs the same workloads on PyTorch with the same schema;
// bench/compare_pytorch.py prints the ratios.
//
// Workloads (all float32, 1-element tensors of shape [1] for the first three):
//   op_grad        c = a * b + a with a, b requiring grad (2 ops per step), recording on
//   op_nograd      the same under NoGradGuard
//   backward_node  grad() through a chain of 1000 nodes (x = x * s, x = x + t alternately; only
//                  the leaf at the start requires grad); the chain is built outside the timing
//   mlp_fwd_nograd MLP 784-256-256-10 forward (loss) only, without recording, batch 64
//   mlp_fwd_bwd    forward + grad() of the loss w.r.t. the 6 parameters
//   mlp_hvp        forward, g = grad(loss, params, create_graph), grad(sum_i <g_i, v_i>, params)
// The loss is cross-entropy composed from primitives: logits - logsumexp(logits, {1}, true),
// times a one-hot mask, summed and divided by the batch size.
//
// Environment: BENCH_THREADS (2) OpenMP threads; BENCH_ITERS (50) timed MLP iterations;
// BENCH_REPEATS (11) timed repeats of the per-op loops; BENCH_WORKLOADS (all) comma-separated
// subset of the workload names.
#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "bench/bench_common.hpp"
#include "engine/autograd/engine.hpp"
#include "engine/grad_mode.hpp"
#include "engine/ops.hpp"

namespace mg = metagrad;

namespace {

using namespace bench;  // the shared timing harness

constexpr int64_t kOpSteps = 10000;  // steps of `a * b + a` per timed repeat (2 ops each)
constexpr int64_t kChainNodes = 1000;
constexpr int64_t kBatch = 64;
constexpr int64_t kClasses = 10;

// Per-op workloads report ns per op (or per backward node) next to the time of one repeat.
void emit_per_op(const RunContext& ctx, const std::string& workload, const Timing& t,
                 int64_t ops_per_iter) {
  emit(ctx, workload, t,
       fmt::format(", \"ops_per_iter\": {}, \"ns_per_op\": {:.2f}, \"cpu_ns_per_op\": {:.2f}",
                   ops_per_iter, t.median_ms * 1e6 / static_cast<double>(ops_per_iter),
                   t.cpu_median_ms * 1e6 / static_cast<double>(ops_per_iter)));
}

void bench_ops(const RunContext& ctx, int repeats) {
  const mg::TensorOptions opts(mg::kFloat32, mg::kCPU, true);
  const mg::Tensor a = mg::full({1}, 1.5, opts);
  const mg::Tensor b = mg::full({1}, 0.5, opts);
  auto step_loop = [&] {
    for (int64_t i = 0; i < kOpSteps; ++i) {
      mg::Tensor c = a * b + a;
      g_sink = c.impl();
    }
  };
  if (wanted("op_grad")) emit_per_op(ctx, "op_grad", measure(2, repeats, step_loop), 2 * kOpSteps);
  if (wanted("op_nograd")) {
    const mg::NoGradGuard no_grad;
    emit_per_op(ctx, "op_nograd", measure(2, repeats, step_loop), 2 * kOpSteps);
  }
  if (wanted("backward_node")) {
    const mg::Tensor x0 = mg::full({1}, 1.0, opts);
    const mg::Tensor s = mg::full({1}, 0.999);
    const mg::Tensor t = mg::full({1}, 0.001);
    const mg::Tensor seed = mg::ones({1});
    mg::Tensor out;
    auto build = [&] {
      mg::Tensor x = x0;
      for (int64_t k = 0; k < kChainNodes / 2; ++k) x = x * s + t;
      out = x;
    };
    auto run = [&] {
      const mg::TensorList g = mg::grad({out}, {x0}, {seed});
      g_sink = g[0].impl();
    };
    emit_per_op(ctx, "backward_node", measure(3, 3 * repeats, run, build), kChainNodes);
  }
}

// The MLP 784-256-256-10 with Linear = x W^T + b and ReLU in between.
struct Mlp {
  mg::TensorList params;  // W1, b1, W2, b2, W3, b3
  mg::Tensor x, onehot;

  Mlp() {
    const int64_t sizes[] = {784, 256, 256, 10};
    for (int l = 0; l < 3; ++l) {
      // PyTorch's default Linear init: uniform in +-1/sqrt(fan_in).
      const double bound = 1.0 / std::sqrt(static_cast<double>(sizes[l]));
      mg::Tensor w = (mg::rand({sizes[l + 1], sizes[l]}) * 2.0 - 1.0) * bound;
      mg::Tensor bias = (mg::rand({sizes[l + 1]}) * 2.0 - 1.0) * bound;
      params.push_back(w.set_requires_grad(true));
      params.push_back(bias.set_requires_grad(true));
    }
    x = mg::randn({kBatch, sizes[0]});
    std::vector<double> hot(kBatch * kClasses, 0.0);
    for (int64_t i = 0; i < kBatch; ++i) hot[i * kClasses + (i * 7 + 3) % kClasses] = 1.0;
    onehot = mg::tensor(hot, {kBatch, kClasses});
  }

  mg::Tensor loss() const {
    mg::Tensor h = x;
    for (int l = 0; l < 3; ++l) {
      h = mg::matmul(h, params[2 * l].t()) + params[2 * l + 1];
      if (l < 2) h = mg::relu(h);
    }
    const mg::Tensor logp = h - mg::logsumexp(h, {1}, true);
    return -(logp * onehot).sum() / static_cast<double>(kBatch);
  }
};

void bench_mlp(const RunContext& ctx, int iters) {
  const bool fwd = wanted("mlp_fwd_nograd"), fwd_bwd = wanted("mlp_fwd_bwd");
  const bool hvp = wanted("mlp_hvp");
  if (!fwd && !fwd_bwd && !hvp) return;
  const Mlp mlp;
  const double loss0 = mlp.loss().item<double>();
  const std::string loss_field = fmt::format(", \"loss\": {:.6f}", loss0);
  const int warmup = 5;
  if (fwd) {
    Timing t = measure(warmup, iters, [&] {
      const mg::NoGradGuard no_grad;
      g_sink = mlp.loss().impl();
    });
    emit(ctx, "mlp_fwd_nograd", t, loss_field);
  }
  if (fwd_bwd) {
    Timing t = measure(warmup, iters, [&] {
      const mg::TensorList g = mg::grad({mlp.loss()}, mlp.params);
      g_sink = g.back().impl();
    });
    emit(ctx, "mlp_fwd_bwd", t, loss_field);
  }
  if (hvp) {
    mg::TensorList v;
    for (const mg::Tensor& p : mlp.params) v.push_back(mg::randn(p.shape()));
    mg::GradOptions create_graph;
    create_graph.create_graph = true;
    auto hvp_once = [&] {
      const mg::TensorList g = mg::grad({mlp.loss()}, mlp.params, {}, create_graph);
      mg::Tensor gv = (g[0] * v[0]).sum();
      for (size_t i = 1; i < g.size(); ++i) gv = gv + (g[i] * v[i]).sum();
      return mg::grad({gv}, mlp.params);
    };
    double hv_norm = 0.0;
    for (const mg::Tensor& h : hvp_once()) hv_norm += (h * h).sum().item<double>();
    hv_norm = std::sqrt(hv_norm);
    Timing t = measure(warmup, iters, [&] { g_sink = hvp_once().back().impl(); });
    emit(ctx, "mlp_hvp", t, loss_field + fmt::format(", \"hv_norm\": {:.6f}", hv_norm));
  }
}

}  // namespace

int main() {
  const int threads = configure_threads();
  mg::manual_seed(0);
  const RunContext ctx{threads, gemm_library()};
  return run_guarded("engine_overhead", [&] {
    bench_ops(ctx, env_int("BENCH_REPEATS", 11));
    bench_mlp(ctx, env_int("BENCH_ITERS", 50));
  });
}
