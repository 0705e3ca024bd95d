#pragma once

#include <cstdint>
#include <mutex>

namespace metagrad {
/// \addtogroup engine_tensor
/// @{

/// A seeded, counter-based (Philox4x32-10) random stream. Each fill reserves a range of counters,
/// so a seed gives the same numbers on CPU and CUDA and any element can be computed on its own.
/// Thread-safe.
class Generator {
 public:
  /// A generator seeded with `seed` (PyTorch's default seed by default).
  explicit Generator(uint64_t seed = 67280421310721ULL) : seed_(seed) {}

  /// Restarts the stream from `seed` (torch.Generator.manual_seed).
  void manual_seed(uint64_t seed);
  /// The seed of the stream: the last one given to the constructor or to manual_seed.
  uint64_t seed() const;
  /// Counters consumed so far.
  uint64_t offset() const;
  /// Reserves `counters` counters; returns (seed, first counter) for the kernel.
  std::pair<uint64_t, uint64_t> reserve(uint64_t counters);

 private:
  mutable std::mutex mutex_;
  uint64_t seed_;
  uint64_t offset_ = 0;
};

/// The process-wide default generator used when none is passed.
Generator& default_generator();
/// Seeds the default generator (torch.manual_seed).
void manual_seed(uint64_t seed);

/// @}

}  // namespace metagrad
