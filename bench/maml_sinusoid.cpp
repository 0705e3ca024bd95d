// MAML meta-training step benchmark on the sinusoid regression of the MAML paper (issue 13): tiny
// tensors, so it measures the engine's per-op cost (tensor creation, autograd recording, the
// backward engine), not FLOPs. One JSON line per workload; bench/maml_sinusoid.py runs the same
// step on PyTorch with the same schema and bench/compare_pytorch.py prints the ratio.
//
// Network (nn layers, float32): Linear(1, 40), ReLU, Linear(40, 40), ReLU, Linear(40, 1); MSE
// loss. 25 tasks of 10 support and 10 query points. One meta-step, as bench/maml_omniglot.cpp's:
//   meta_opt.zero_grad(); extract_state_dict of the net (by reference) and of the MetaSGD(lr 0.01)
//   inner optimizer; per task: 5 differentiable inner steps on the support points, query MSE,
//   backward() (meta-gradients accumulate into the initial parameters), recover_state_dict of
//   both; then one Adam(lr 1e-3) step.
//
// Tasks: y = A sin(x - phase), A = 2.55 + 2.45 u in [0.1, 5), phase = pi / 2 (1 + u) in [0, pi)
// per task (u the integer hash of bench/tutorial_net.hpp mapped to [-1, 1), tags 202 and 203 over
// the task index), x = 5 u in [-5, 5) (tags 200 support, 201 query, over the point index).
// Parameter t (named_parameters() order) is uniform_filled(shape, t, 1 / sqrt(fan_in)), fan_in the
// layer's input size (the bound of PyTorch's default init). bench/maml_sinusoid.py builds the same
// numbers, so meta_loss (mean query loss of the first meta-step) and meta_grad_norm (norm of its
// meta-gradient) agree with PyTorch's to float32 rounding.
//
// Workloads: sinusoid_step_25tasks runs the tasks concurrently through meta_batch (one task per
// thread, Note [task parallelism]); sinusoid_step_25tasks_sequential runs the loop above as
// written; sinusoid_step_25tasks_vectorized runs all tasks as one computation with a task dim
// (meta_batch_vectorized: batched products of per-task weights). All accumulate the sum of the
// query losses' gradients. Environment: BENCH_THREADS (2)
// OpenMP threads; BENCH_ITERS (20) timed meta-steps; BENCH_WARMUP (2) untimed meta-steps after the
// first (checked) one; BENCH_WORKLOADS (all) comma-separated subset of the workload names.
#include <fmt/core.h>
#include <sys/resource.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <numbers>
#include <string>
#include <utility>
#include <vector>

#include "bench/bench_common.hpp"
#include "bench/tutorial_net.hpp"
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

constexpr int64_t kTasks = 25;
constexpr int64_t kPoints = 10;  // support points per task, and query points
constexpr int kInnerSteps = 5;
constexpr double kInnerLr = 0.01;
constexpr double kOuterLr = 1e-3;

// u(k, tag) in [-1, 1).
double hash_unit(int64_t k, int tag) {
  return static_cast<double>(hash32(k, tag)) / 2147483648.0 - 1.0;
}

// x and y = A sin(x - phase) of every task, [kTasks, kPoints, 1] each; x from tag `tag`.
std::pair<mg::Tensor, mg::Tensor> sine_points(int tag) {
  std::vector<double> x(static_cast<size_t>(kTasks * kPoints)), y(x.size());
  for (size_t k = 0; k < x.size(); ++k) {
    const auto task = static_cast<int64_t>(k) / kPoints;
    const double amplitude = 2.55 + 2.45 * hash_unit(task, 202);
    const double phase = std::numbers::pi / 2.0 * (1.0 + hash_unit(task, 203));
    // x is rounded to float32 first, so that y is the same function of the stored x on both sides.
    x[k] = static_cast<double>(static_cast<float>(5.0 * hash_unit(static_cast<int64_t>(k), tag)));
    y[k] = amplitude * std::sin(x[k] - phase);
  }
  return {mg::tensor(x, {kTasks, kPoints, 1}), mg::tensor(y, {kTasks, kPoints, 1})};
}

// The network, its inner and outer optimizers and the task batch.
struct Problem {
  nn::Sequential net = make_sine_net();
  mg::MetaSGD inner_opt{net, {.lr = kInnerLr}};
  mg::Adam meta_opt{net.parameters(), {.lr = kOuterLr}};
  std::pair<mg::Tensor, mg::Tensor> support = sine_points(200);
  std::pair<mg::Tensor, mg::Tensor> query = sine_points(201);

  // One meta-step with the tasks run concurrently by meta_batch; returns the mean query loss.
  double meta_step_parallel() {
    meta_opt.zero_grad();
    const mg::TensorList losses = mg::meta_batch(
        net, kTasks,
        [&](nn::Module& replica, int64_t i) {
          mg::MetaSGD task_opt(replica, {.lr = kInnerLr});
          const mg::Tensor xs = support.first.select(0, i), ys = support.second.select(0, i);
          for (int k = 0; k < kInnerSteps; ++k) task_opt.step(mg::mse_loss(replica(xs), ys));
          return mg::mse_loss(replica(query.first.select(0, i)), query.second.select(0, i));
        },
        {.reduction = mg::MetaBatchReduction::Sum});
    meta_opt.step();
    return mg::stack(losses).to(mg::kFloat64).mean().item<double>();
  }

  // One meta-step with the tasks as a tensor dim; returns the mean query loss.
  double meta_step_vectorized() {
    meta_opt.zero_grad();
    // Each task's MSE is the mean over its points: [T, points, 1] -> [T].
    const auto per_task_mse = [](const mg::Tensor& y, const mg::Tensor& target) {
      const mg::Tensor d = y - target;
      return (d * d).mean({1, 2});
    };
    const mg::TensorList losses = mg::meta_batch_vectorized(
        net, kTasks,
        [&](nn::Module& all) {
          mg::MetaSGD task_opt(all, {.lr = kInnerLr});
          for (int k = 0; k < kInnerSteps; ++k)
            task_opt.step(per_task_mse(all(support.first), support.second).sum());
          return per_task_mse(all(query.first), query.second);
        },
        {.reduction = mg::MetaBatchReduction::Sum});
    meta_opt.step();
    return mg::stack(losses).to(mg::kFloat64).mean().item<double>();
  }

  // One meta-step as the tutorial's loop, one task after the other; returns the mean query loss.
  double meta_step() {
    meta_opt.zero_grad();
    const mg::ModuleState net_state =
        mg::extract_state_dict(net, {.by = mg::CopyMode::reference, .detach_buffers = true});
    const std::vector<mg::OptState> optim_state =
        mg::extract_state_dict(inner_opt, {.by = mg::CopyMode::reference});
    double loss_sum = 0.0;
    for (int64_t i = 0; i < kTasks; ++i) {
      const mg::Tensor xs = support.first.select(0, i), ys = support.second.select(0, i);
      for (int k = 0; k < kInnerSteps; ++k) inner_opt.step(mg::mse_loss(net(xs), ys));
      const mg::Tensor qry_loss =
          mg::mse_loss(net(query.first.select(0, i)), query.second.select(0, i));
      qry_loss.backward();
      loss_sum += qry_loss.item<double>();
      mg::recover_state_dict(net, net_state);
      mg::recover_state_dict(inner_opt, optim_state);
    }
    meta_opt.step();
    return loss_sum / static_cast<double>(kTasks);
  }

  // Norm of the meta-gradient accumulated in the parameters' .grad.
  double grad_norm() const {
    double sum = 0.0;
    for (const mg::Tensor& p : net.parameters()) {
      const mg::Tensor g = p.grad();
      if (g.defined()) sum += (g.to(mg::kFloat64) * g.to(mg::kFloat64)).sum().item<double>();
    }
    return std::sqrt(sum);
  }
};

void bench_sinusoid(const std::string& workload, TaskMode mode, int threads,
                    const std::string& gemm) {
  if (!wanted(workload)) return;
  Problem problem;
  auto step = [&] { return meta_step_in(mode, problem); };
  const double rss_before = current_rss_mb();
  const double meta_loss = step();  // from the deterministic initialisation
  const double meta_grad_norm = problem.grad_norm();
  const Timing t =
      measure(env_count("BENCH_WARMUP", 2), env_int("BENCH_ITERS", 20), [&] { step(); });
  emit_json(workload, threads, gemm, t,
            fmt::format(", \"device\": \"cpu\", \"tasks\": {}, \"k_spt\": {}, \"k_qry\": {}, "
                        "\"inner_steps\": {}, \"meta_loss\": {:.6f}, \"meta_grad_norm\": {:.6f}, "
                        "\"rss_before_mb\": {:.1f}, \"peak_rss_mb\": {:.1f}, \"loadavg\": {:.2f}",
                        kTasks, kPoints, kPoints, kInnerSteps, meta_loss, meta_grad_norm,
                        rss_before, peak_rss_mb(), load_average()));
}

}  // namespace

int main() {
  const int threads = configure_threads();
  const std::string gemm = gemm_library();
  return run_guarded("maml_sinusoid", [&] {
    bench_sinusoid("sinusoid_step_25tasks", TaskMode::parallel, threads, gemm);
    bench_sinusoid("sinusoid_step_25tasks_sequential", TaskMode::sequential, threads, gemm);
    bench_sinusoid("sinusoid_step_25tasks_vectorized", TaskMode::vectorized, threads, gemm);
  });
}
