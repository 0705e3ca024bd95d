#include "examples/common/sampling.hpp"

#include "engine/error.hpp"

namespace metagrad::examples {

int64_t uniform_index(std::mt19937_64& rng, int64_t n) {
  MG_CHECK(n >= 1, "uniform_index: the range [0, n) must not be empty, got n = {}", n);
  const uint64_t range = static_cast<uint64_t>(n);
  const uint64_t limit = UINT64_MAX - UINT64_MAX % range;
  uint64_t draw = rng();
  while (draw >= limit) draw = rng();
  return static_cast<int64_t>(draw % range);
}

}  // namespace metagrad::examples
