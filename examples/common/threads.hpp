#pragma once

#include <string>

// How many CPU threads an example runs its ops on (metagrad::set_num_threads; meta_batch runs
// that many tasks at once), chosen by flag or from the load.

namespace metagrad::examples {

/// Two threads unless the other processes keep (nearly) every core busy: 2 (at most the number of
/// cores when the load average cannot be read), or 1 when the 1-minute load average is within 0.5
/// of the number of cores. The ops of the examples' small networks are short parallel regions,
/// which stall whenever one of their threads waits for a busy core (measured on a 2-core machine
/// with maml_omniglot: at load 1.1, 2 threads take 0.55 s per meta-step and 1 thread 0.87 s; at
/// load 5, 2 threads take 12.6 s and 1 thread 2.7 s).
int auto_threads();

/// The usage help of a --threads flag whose default (0) is auto_threads().
inline constexpr const char* kAutoThreadsHelp =
    "CPU threads (auto: 2, or 1 when the load average is within 0.5 of\nthe number of cores)";

/// The thread count an example runs with.
struct ThreadChoice {
  int threads = 1;
  /// Chosen by auto_threads (no --threads given).
  bool automatic = false;
  /// "2 thread(s)", with " (auto from the load average; --threads N to choose)" when automatic.
  std::string describe() const;
};

/// Sets the intra-op thread count (metagrad::set_num_threads) to `requested`, or to auto_threads()
/// when `requested` is 0, and says which.
ThreadChoice use_threads(int requested);

}  // namespace metagrad::examples
