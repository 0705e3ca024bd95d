#pragma once

#include <cstdint>
#include <mutex>

namespace metagrad {
/// \addtogroup engine_tensor
/// @{

/// The position of a Generator's stream: its seed and the counters consumed so far. Restoring it
/// with Generator::set_state continues the stream with exactly the numbers it would have given
/// (torch.Generator.get_state / set_state). Any pair of values is a valid position.
struct GeneratorState {
  /// The seed of the stream.
  uint64_t seed = 0;
  /// The counters consumed so far (the next fill starts at this counter).
  uint64_t offset = 0;
  /// True when both name the same position.
  bool operator==(const GeneratorState&) const = default;
};

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
  /// The position of the stream (seed and offset, read together).
  GeneratorState state() const;
  /// Moves the stream to `state`: the next fill gives what a generator at that position gives.
  void set_state(const GeneratorState& state);
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
