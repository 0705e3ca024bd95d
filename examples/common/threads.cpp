#include "examples/common/threads.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>
#include <thread>

#include "engine/parallel.hpp"

namespace metagrad::examples {

namespace {

/// Busy and total jiffies of all CPUs so far (the first line of /proc/stat), if readable.
struct CpuTimes {
  unsigned long long busy = 0;
  unsigned long long total = 0;
};

std::optional<CpuTimes> read_cpu_times() {
  std::ifstream stat("/proc/stat");
  std::string label;
  if (!(stat >> label) || label != "cpu") return std::nullopt;
  // user nice system idle iowait irq softirq steal: idle and iowait are the idle fields.
  unsigned long long field[8] = {};
  for (unsigned long long& value : field) {
    if (!(stat >> value)) return std::nullopt;
  }
  CpuTimes times;
  for (int i = 0; i < 8; ++i) {
    times.total += field[i];
    if (i != 3 && i != 4) times.busy += field[i];
  }
  return times;
}

}  // namespace

std::optional<double> busy_cores_now() {
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  const std::optional<CpuTimes> before = read_cpu_times();
  std::this_thread::sleep_for(std::chrono::milliseconds(250));
  const std::optional<CpuTimes> after = read_cpu_times();
  if (!before || !after || after->total <= before->total) return std::nullopt;
  const double busy_fraction = static_cast<double>(after->busy - before->busy) /
                               static_cast<double>(after->total - before->total);
  return busy_fraction * cores;
}

int auto_threads() {
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  const std::optional<double> busy = busy_cores_now();
  if (!busy) return static_cast<int>(std::min(2u, cores));
  return *busy < cores - 0.5 ? static_cast<int>(std::min(2u, cores)) : 1;
}

std::string ThreadChoice::describe() const {
  return fmt::format("{} thread(s){}", threads,
                     automatic ? " (auto from the current CPU load; --threads N to choose)" : "");
}

ThreadChoice use_threads(int requested) {
  const ThreadChoice choice{.threads = requested == 0 ? auto_threads() : requested,
                            .automatic = requested == 0};
  set_num_threads(choice.threads);
  return choice;
}

}  // namespace metagrad::examples
