#pragma once

// The timing harness shared by the benchmarks in bench/: environment knobs, median timing of a
// body (wall and process CPU time), and the JSON line that bench/compare_pytorch.py pairs with
// the PyTorch counterpart's (bench/bench_common.py).

#include <fmt/core.h>
#include <sys/resource.h>

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

#ifdef _OPENMP
#include <omp.h>
#endif

namespace bench {

/// Keeps results observable so that the compiler cannot drop the work.
inline volatile const void* g_sink = nullptr;

/// The positive integer in environment variable `name`, else `fallback`.
inline int env_int(const char* name, int fallback) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return fallback;
  const int parsed = std::atoi(value);
  return parsed > 0 ? parsed : fallback;
}

/// Sets OpenMP's thread count from BENCH_THREADS (default 2) and returns it.
inline int configure_threads() {
  const int threads = env_int("BENCH_THREADS", 2);
#ifdef _OPENMP
  omp_set_num_threads(threads);
#endif
  return threads;
}

/// A benchmark's main body: returns 0, or prints "<program>: <what>" to stderr and returns 1 when
/// `body` throws.
inline int run_guarded(const char* program, const std::function<void()>& body) {
  try {
    body();
  } catch (const std::exception& e) {
    fmt::print(stderr, "{}: {}\n", program, e.what());
    return 1;
  }
  return 0;
}

/// The non-negative integer in environment variable `name` (0 allowed), else `fallback`.
inline int env_count(const char* name, int fallback) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return fallback;
  return std::max(0, std::atoi(value));
}

/// True when BENCH_WORKLOADS is unset/empty or lists `workload` (comma-separated).
inline bool wanted(std::string_view workload) {
  const char* list = std::getenv("BENCH_WORKLOADS");
  if (list == nullptr || *list == '\0') return true;
  std::string_view rest(list);
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    if (rest.substr(0, comma) == workload) return true;
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return false;
}

/// "openblas" when the process mapped OpenBLAS (the -Dblas=enabled build), else "eigen".
inline std::string gemm_library() {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line))
    if (line.find("openblas") != std::string::npos) return "openblas";
  return "eigen";
}

/// Statistics of the timed calls, in milliseconds.
/// How a meta-learning benchmark runs the tasks of a meta-step: on threads (meta_batch), one
/// after the other (the tutorial's loop), or as a tensor dim (meta_batch_vectorized).
enum class TaskMode { parallel, sequential, vectorized };

/// One meta-step of `problem` in `mode`: its meta_step_parallel(), meta_step() or
/// meta_step_vectorized(); returns what that returns (the mean query loss).
template <typename Problem>
double meta_step_in(TaskMode mode, Problem& problem) {
  switch (mode) {
    case TaskMode::parallel:
      return problem.meta_step_parallel();
    case TaskMode::vectorized:
      return problem.meta_step_vectorized();
    case TaskMode::sequential:
      break;
  }
  return problem.meta_step();
}

struct Timing {
  double median_ms = 0.0;
  double min_ms = 0.0;
  double cpu_median_ms = 0.0;  // process CPU time (all threads): robust to a loaded machine
  int iters = 0;
};

inline double median_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

inline double process_cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) * 1e-6;
}

/// Runs `setup` (untimed, when given) then `body` (timed) `warmup + iters` times; statistics over
/// the last `iters` calls (iters >= 1).
inline Timing measure(int warmup, int iters, const std::function<void()>& body,
                      const std::function<void()>& setup = {}) {
  std::vector<double> wall, cpu;
  wall.reserve(iters);
  cpu.reserve(iters);
  for (int i = 0; i < warmup + iters; ++i) {
    if (setup) setup();
    const double c0 = process_cpu_ms();
    const auto t0 = std::chrono::steady_clock::now();
    body();
    const auto t1 = std::chrono::steady_clock::now();
    const double c1 = process_cpu_ms();
    if (i >= warmup) {
      wall.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
      cpu.push_back(c1 - c0);
    }
  }
  return {median_of(wall), *std::min_element(wall.begin(), wall.end()), median_of(cpu), iters};
}

// Peak resident set size of this process so far, MiB (ru_maxrss is in KiB on Linux).
inline double peak_rss_mb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

// Current resident set size, MiB (VmRSS of /proc/self/status).
inline double current_rss_mb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::atof(line.c_str() + 6) / 1024.0;
  return 0.0;
}

// The 1-minute load average, so that a result can be read against the machine's load.
inline double load_average() {
  std::ifstream loadavg("/proc/loadavg");
  double one_minute = 0.0;
  loadavg >> one_minute;
  return one_minute;
}

/// Prints one result as a JSON line; `extra` is appended inside the object (", \"key\": value").
inline void emit_json(const std::string& workload, int threads, const std::string& gemm,
                      const Timing& t, const std::string& extra) {
  fmt::print(
      "{{\"workload\": \"{}\", \"impl\": \"metagrad\", \"threads\": {}, \"median_ms\": {:.6f}, "
      "\"min_ms\": {:.6f}, \"cpu_median_ms\": {:.6f}, \"iters\": {}, \"gemm\": \"{}\"{}}}\n",
      workload, threads, t.median_ms, t.min_ms, t.cpu_median_ms, t.iters, gemm, extra);
  std::fflush(stdout);
}

/// The threads and GEMM library that a CPU benchmark's lines name.
struct RunContext {
  int threads;
  std::string gemm;
};

/// emit_json with the threads and GEMM library of `ctx`.
inline void emit(const RunContext& ctx, const std::string& workload, const Timing& t,
                 const std::string& extra) {
  emit_json(workload, ctx.threads, ctx.gemm, t, extra);
}

}  // namespace bench
