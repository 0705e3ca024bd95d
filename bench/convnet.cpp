// Convolutional-network benchmark: the MAML tutorial network on an Omniglot-sized batch, one JSON
// line per workload. bench/convnet.py runs the same workloads on PyTorch with the same schema;
// bench/compare_pytorch.py prints the ratios.
//
// Network (nn layers, float32): 3 x [Conv2d(in, 64, 3) -> BatchNorm2d(64, momentum 1, training
// mode) -> ReLU -> MaxPool2d(2, 2)], Flatten, Linear(64, 5); input [80, 1, 28, 28]
// (28 -> 26 -> 13 -> 11 -> 5 -> 3 -> 1), cross-entropy against int64 labels (i * 7 + 3) % 5.
// Parameters, input and the HVP direction are filled with the same deterministic pseudo-random
// numbers as bench/convnet.py (value k of tensor t: scale * u(k, t), u a 32-bit integer hash mapped
// to [-1, 1)), so the reported loss, grad_norm and hv_norm agree with PyTorch's to float32
// rounding: a check that both sides time the same computation.
//
// Workloads:
//   convnet_fwd_bwd  forward + grad() of the loss w.r.t. the 14 parameters
//   convnet_hvp      forward, g = grad(loss, params, create_graph), grad(sum_i <g_i, v_i>, params)
//   volume_fwd_bwd   a 3-D network on volumes [8, 2, 16, 32, 32]: Conv3d(2, 16, 3, padding 1) ->
//                    BatchNorm3d -> ReLU -> MaxPool3d(2) -> Conv3d(16, 32, 3, padding 1) ->
//                    BatchNorm3d -> ReLU -> AdaptiveAvgPool3d(1) -> Flatten -> Linear(32, 5);
//                    forward + grad() of the cross-entropy w.r.t. the 10 parameters
//
// Environment: BENCH_THREADS (2) OpenMP threads; BENCH_ITERS (20) timed iterations; BENCH_WARMUP
// (3); BENCH_WORKLOADS (all) comma-separated subset of the workload names.
#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <cmath>
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
#include "bench/tutorial_net.hpp"
#include "engine/autograd/engine.hpp"
#include "engine/grad_mode.hpp"
#include "engine/nn/functional.hpp"
#include "engine/nn/layers.hpp"
#include "engine/nn/volume_layers.hpp"
#include "engine/ops.hpp"

namespace mg = metagrad;
namespace nn = metagrad::nn;

namespace {

using namespace bench;  // the shared timing harness

constexpr int64_t kBatch = 80;
constexpr int64_t kWays = 5;
constexpr int64_t kImage = 28;

struct Problem {
  nn::Sequential net = make_tutorial_net(kWays);
  mg::TensorList params = net.parameters();
  mg::Tensor x = uniform_filled({kBatch, 1, kImage, kImage}, 100, 1.0);
  mg::Tensor labels;
  mg::TensorList v;  // the HVP direction

  Problem() {
    std::vector<double> y(kBatch);
    for (int64_t i = 0; i < kBatch; ++i)
      y[static_cast<size_t>(i)] = static_cast<double>((i * 7 + 3) % kWays);
    labels = mg::tensor(y, {kBatch}, mg::kInt64);
    int tag = 200;
    for (const mg::Tensor& p : params) v.push_back(uniform_filled(p.shape(), tag++, 1.0));
  }

  mg::Tensor loss() { return mg::cross_entropy(net(x), labels); }

  mg::TensorList hvp() {
    mg::GradOptions create_graph;
    create_graph.create_graph = true;
    const mg::TensorList g = mg::grad({loss()}, params, {}, create_graph);
    mg::Tensor gv = (g[0] * v[0]).sum();
    for (size_t i = 1; i < g.size(); ++i) gv = gv + (g[i] * v[i]).sum();
    return mg::grad({gv}, params);
  }
};

void bench_convnet(const RunContext& ctx, int warmup, int iters) {
  const bool fwd_bwd = wanted("convnet_fwd_bwd"), hvp = wanted("convnet_hvp");
  if (!fwd_bwd && !hvp) return;
  Problem problem;
  const double loss0 = problem.loss().item<double>();
  const std::string loss_field = fmt::format(", \"loss\": {:.6f}", loss0);
  if (fwd_bwd) {
    double grad_norm = 0.0;
    for (const mg::Tensor& g : mg::grad({problem.loss()}, problem.params))
      grad_norm += (g * g).sum().item<double>();
    const Timing t = measure(warmup, iters, [&] {
      const mg::TensorList g = mg::grad({problem.loss()}, problem.params);
      g_sink = g.back().impl();
    });
    emit(ctx, "convnet_fwd_bwd", t,
         loss_field + fmt::format(", \"grad_norm\": {:.6f}", std::sqrt(grad_norm)));
  }
  if (hvp) {
    double hv_norm = 0.0;
    for (const mg::Tensor& h : problem.hvp()) hv_norm += (h * h).sum().item<double>();
    const Timing t = measure(warmup, iters, [&] { g_sink = problem.hvp().back().impl(); });
    emit(ctx, "convnet_hvp", t,
         loss_field + fmt::format(", \"hv_norm\": {:.6f}", std::sqrt(hv_norm)));
  }
}

void bench_volume(const RunContext& ctx, int warmup, int iters) {
  if (!wanted("volume_fwd_bwd")) return;
  nn::Sequential net(nn::Conv3d(2, 16, 3, {.padding = 1}), nn::BatchNorm3d(16), nn::ReLU(),
                     nn::MaxPool3d(2), nn::Conv3d(16, 32, 3, {.padding = 1}), nn::BatchNorm3d(32),
                     nn::ReLU(), nn::AdaptiveAvgPool3d(1), nn::Flatten(), nn::Linear(32, kWays));
  fill_parameters(net);
  const mg::TensorList params = net.parameters();
  const mg::Tensor x = uniform_filled({8, 2, 16, 32, 32}, 100, 1.0);
  std::vector<double> y(8);
  for (int64_t i = 0; i < 8; ++i)
    y[static_cast<size_t>(i)] = static_cast<double>((i * 7 + 3) % kWays);
  const mg::Tensor labels = mg::tensor(y, {8}, mg::kInt64);
  const auto loss = [&] { return mg::cross_entropy(net(x), labels); };
  const double loss0 = loss().item<double>();
  double grad_norm = 0.0;
  for (const mg::Tensor& g : mg::grad({loss()}, params)) grad_norm += (g * g).sum().item<double>();
  const Timing t =
      measure(warmup, iters, [&] { g_sink = mg::grad({loss()}, params).back().impl(); });
  emit(ctx, "volume_fwd_bwd", t,
       fmt::format(", \"loss\": {:.6f}, \"grad_norm\": {:.6f}", loss0, std::sqrt(grad_norm)));
}

}  // namespace

int main() {
  const RunContext ctx{configure_threads(), gemm_library()};
  return run_guarded("convnet", [&] {
    bench_convnet(ctx, env_int("BENCH_WARMUP", 3), env_int("BENCH_ITERS", 20));
    bench_volume(ctx, env_int("BENCH_WARMUP", 3), env_int("BENCH_ITERS", 20));
  });
}
