#pragma once

#include <optional>
#include <string>

// How many CPU threads an example runs its ops on (metagrad::set_num_threads; meta_batch runs
// that many tasks at once), chosen by flag or from the load.

namespace metagrad::examples {

/// Two threads unless the other processes keep (nearly) every core busy: 2 (at most the number of
/// cores), or 1 when busy_cores_now() is within 0.5 of the number of cores. The current load, not
/// the 1-minute load average: that one still counts a build that has just finished (`make demo`
/// compiles, then runs), and chose 1 thread for a demo that had both cores to itself. The ops of
/// the examples' small networks are short parallel regions, which stall whenever one of their
/// threads waits for a busy core (measured on a 2-core machine with maml_omniglot: at load 1.1, 2
/// threads take 0.55 s per meta-step and 1 thread 0.87 s; at load 5, 2 threads take 12.6 s and 1
/// thread 2.7 s).
int auto_threads();

/// How many cores the machine's processes keep busy now: the busy share of all CPU time over a
/// 250 ms sample of /proc/stat, times the number of cores; nullopt where /proc/stat is unreadable.
std::optional<double> busy_cores_now();

/// The usage help of a --threads flag whose default (0) is auto_threads().
inline constexpr const char* kAutoThreadsHelp =
    "CPU threads (auto: 2, or 1 when the current CPU load is within 0.5\nof the number of cores)";

/// The thread count an example runs with.
struct ThreadChoice {
  int threads = 1;
  /// Chosen by auto_threads (no --threads given).
  bool automatic = false;
  /// "2 thread(s)", with " (auto from the current CPU load; --threads N to choose)" when automatic.
  std::string describe() const;
};

/// Sets the intra-op thread count (metagrad::set_num_threads) to `requested`, or to auto_threads()
/// when `requested` is 0, and says which.
ThreadChoice use_threads(int requested);

}  // namespace metagrad::examples
