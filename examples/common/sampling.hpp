#pragma once

#include <cstdint>
#include <random>

// Random draws of the examples' data helpers that give the same numbers with every standard
// library (std::uniform_int_distribution and std::shuffle may differ between them).

namespace metagrad::examples {

/// A uniform integer in [0, n), by rejection from rng's 64-bit draws (the same numbers with every
/// standard library). Throws unless n >= 1.
int64_t uniform_index(std::mt19937_64& rng, int64_t n);

}  // namespace metagrad::examples
