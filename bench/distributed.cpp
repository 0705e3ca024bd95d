// Distributed meta-training benchmark (issue 15), run under mpirun on the ranks this machine holds:
//   mpirun --allow-run-as-root --oversubscribe -np 2 build/bench/distributed
// 1. all_reduce latency and bandwidth over the transport (shared memory within one machine), for
//    float32 messages from 4 B to 64 MiB: the median over iterations of the slowest rank's time.
// 2. The MAML Omniglot meta-step of bench/maml_omniglot.cpp (5-way 1-shot, 15 queries, 5 inner
//    SGD steps, Adam outer step) split over the ranks with distributed::meta_batch, for k tasks per
//    rank: time per meta-step, the time of its one bucketed gradient all_reduce, and the bytes
//    reduced per step (collective_stats).
// 3. A cost model of the ring all-reduce at 8, 64 and 512 ranks over 100 Gb/s and 400 Gb/s
//    networks: t(N, B) = 2 (N - 1) alpha + 2 (N - 1) / N * B / bandwidth, with B the meta-step's
//    gradient bytes and alpha a per-message latency (5 us between nodes, stated, not measured), and
//    from it the smallest number of tasks per rank for which the all-reduce stays under 10 % of
//    the meta-step: with the compute per task measured here, and with a GPU's (2.3 ms, PyTorch's
//    vmap step on an H100).
//
// Environment: BENCH_THREADS (1 per rank) intra-op threads; BENCH_ITERS (5) timed meta-steps;
// BENCH_TASKS ("1,2,4") tasks per rank.
#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "bench/bench_common.hpp"
#include "bench/tutorial_net.hpp"
#include "metagrad.hpp"

namespace mg = metagrad;
namespace nn = metagrad::nn;
namespace dist = metagrad::distributed;

namespace {

constexpr double kNodeLatencySeconds = 5e-6;  // stated per-message latency between nodes
constexpr double kTargetFraction = 0.10;
// The compute per task of a GPU: PyTorch's vmap MAML step on an H100, 32 tasks in 73 ms (the CUDA
// issue's table), for the model's second column.
constexpr double kGpuSecondsPerTask = 0.073 / 32;

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// The median over `iters` runs of `body` of the slowest rank's time, in seconds.
template <typename F>
double collective_seconds(int iters, F body) {
  std::vector<double> times;
  for (int i = 0; i < iters; ++i) {
    dist::barrier();
    const auto t0 = std::chrono::steady_clock::now();
    body();
    const double mine = seconds_since(t0);
    times.push_back(dist::all_reduce(mg::scalar_tensor(mine, mg::kFloat64), dist::ReduceOp::max)
                        .item<double>());
  }
  return bench::median_of(times);
}

struct LinkFit {
  double latency;    // seconds per all_reduce of a tiny message
  double bandwidth;  // bytes per second of the ring's 2 (N - 1) / N * B
};

LinkFit measure_all_reduce(int world) {
  fmt::print("all_reduce over {} ranks (float32; slowest rank, median):\n", world);
  fmt::print("  {:>12} {:>12} {:>14}\n", "bytes", "time (us)", "busbw (GB/s)");
  LinkFit fit{0.0, 0.0};
  for (int64_t bytes : {int64_t{4}, int64_t{1} << 10, int64_t{64} << 10, int64_t{1} << 20,
                        int64_t{16} << 20, int64_t{64} << 20}) {
    const mg::Tensor x = mg::ones({bytes / 4});
    const int iters = bytes >= (int64_t{16} << 20) ? 5 : 50;
    const double t =
        collective_seconds(iters, [&] { bench::g_sink = dist::all_reduce(x).raw_data(); });
    const double bus = 2.0 * (world - 1) / world * static_cast<double>(bytes) / t;
    fmt::print("  {:>12} {:>12.1f} {:>14.2f}\n", bytes, t * 1e6, bus / 1e9);
    if (bytes == 4) fit.latency = t;
    fit.bandwidth = std::max(fit.bandwidth, bus);  // the best size's
  }
  return fit;
}

struct StepTiming {
  int tasks_per_rank;
  double step_seconds;
  double all_reduce_seconds;
  int64_t bytes;
  int64_t messages;
};

StepTiming measure_meta_step(int tasks_per_rank, int world, int iters) {
  const int64_t tasks = static_cast<int64_t>(tasks_per_rank) * world;
  nn::Sequential net = bench::make_tutorial_net(5);
  mg::Adam meta_opt(net.parameters(), {.lr = 1e-3});
  mg::Generator gen(7);
  const mg::Tensor x_spt = mg::randn({tasks, 5, 1, 28, 28}, {}, &gen);
  const mg::Tensor x_qry = mg::randn({tasks, 75, 1, 28, 28}, {}, &gen);
  const mg::Tensor y_spt = bench::class_labels(tasks, 5, 1);
  const mg::Tensor y_qry = bench::class_labels(tasks, 5, 15);
  const auto step = [&] {
    meta_opt.zero_grad();
    dist::meta_batch(net, tasks, [&](nn::Module& replica, int64_t i) {
      mg::MetaSGD inner(replica, {.lr = 0.1});
      for (int k = 0; k < 5; ++k)
        inner.step(mg::cross_entropy(replica(x_spt.select(0, i)), y_spt.select(0, i)));
      return mg::cross_entropy(replica(x_qry.select(0, i)), y_qry.select(0, i));
    });
    meta_opt.step();
  };
  step();  // warm-up
  dist::reset_collective_stats();
  step();
  const dist::CollectiveStats once = dist::collective_stats();
  const double step_seconds = collective_seconds(iters, step);
  const mg::TensorList params = net.parameters();
  const double reduce_seconds =
      collective_seconds(iters * 4, [&] { dist::all_reduce_grads(params, dist::ReduceOp::sum); });
  return {tasks_per_rank, step_seconds, reduce_seconds, once.bytes, once.messages};
}

std::vector<int> tasks_list() {
  const char* env = std::getenv("BENCH_TASKS");
  std::vector<int> out;
  std::stringstream in(env != nullptr && *env != '\0' ? env : "1,2,4");
  for (std::string item; std::getline(in, item, ',');) out.push_back(std::stoi(item));
  return out;
}

}  // namespace

int main() {
  return bench::run_guarded("distributed", [] {
    dist::ProcessGroup group = dist::init();
    group.guard([&] {
      const int world = group.world_size();
      mg::set_num_threads(bench::env_int("BENCH_THREADS", 1));
      const bool talk = group.rank() == 0;
      if (!talk && std::freopen("/dev/null", "w", stdout) == nullptr)  // one report, from rank 0
        throw mg::Error("distributed: cannot silence the other ranks' output");
      fmt::print("metagrad distributed benchmark: {} rank(s), backend {}, {} thread(s) each\n\n",
                 world, dist::backend_name(group.backend()), mg::get_num_threads());
      const LinkFit link = measure_all_reduce(world);

      fmt::print("\nMAML Omniglot meta-step split over {} ranks (distributed::meta_batch):\n",
                 world);
      fmt::print("  {:>14} {:>12} {:>16} {:>14} {:>9} {:>10}\n", "tasks per rank", "step (ms)",
                 "all_reduce (ms)", "bytes/step", "messages", "fraction");
      const int iters = bench::env_int("BENCH_ITERS", 5);
      std::vector<StepTiming> steps;
      for (int k : tasks_list()) {
        const StepTiming s = measure_meta_step(k, world, iters);
        steps.push_back(s);
        fmt::print("  {:>14} {:>12.1f} {:>16.3f} {:>14} {:>9} {:>9.2f}%\n", k, s.step_seconds * 1e3,
                   s.all_reduce_seconds * 1e3, s.bytes, s.messages,
                   100.0 * s.all_reduce_seconds / s.step_seconds);
      }

      // Compute per task, from the largest share measured (the all-reduce taken out).
      const StepTiming& big = steps.back();
      const double per_task = (big.step_seconds - big.all_reduce_seconds) / big.tasks_per_rank;
      const auto bytes = static_cast<double>(big.bytes);
      fmt::print(
          "\nshared memory here: all_reduce latency {:.1f} us, best bus bandwidth {:.2f} GB/s; "
          "compute "
          "{:.1f} ms per task per rank; {:.0f} KiB of gradients per step\n",
          link.latency * 1e6, link.bandwidth / 1e9, per_task * 1e3, bytes / 1024.0);
      fmt::print(
          "\nring all-reduce model, t = 2(N-1) x {:.0f} us + 2(N-1)/N x {:.0f} KiB / bandwidth:\n",
          kNodeLatencySeconds * 1e6, bytes / 1024.0);
      fmt::print("  {:>6} {:>10} {:>16} {:>18} {:>18}\n", "ranks", "network", "all_reduce (ms)",
                 "tasks/rank (CPU)", "tasks/rank (GPU)");
      fmt::print("  {:>6} {:>10} {:>16} {:>18} {:>18}\n", "", "", "", "for < 10 %", "for < 10 %");
      // t / (k * per_task + t) < 0.1  <=>  k > 9 t / per_task
      const auto tasks_needed = [](double t, double per) {
        return std::floor((1.0 - kTargetFraction) / kTargetFraction * t / per) + 1;
      };
      for (int n : {8, 64, 512}) {
        for (double gbit : {100.0, 400.0}) {
          const double bw = gbit * 1e9 / 8.0;
          const double t = 2.0 * (n - 1) * kNodeLatencySeconds + 2.0 * (n - 1) / n * bytes / bw;
          fmt::print("  {:>6} {:>6.0f} Gb/s {:>16.3f} {:>18.0f} {:>18.0f}\n", n, gbit, t * 1e3,
                     tasks_needed(t, per_task), tasks_needed(t, kGpuSecondsPerTask));
        }
      }
    });
  });
}
