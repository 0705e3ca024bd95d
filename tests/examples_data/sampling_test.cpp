// The examples' portable random draws.
#include "examples/common/sampling.hpp"

#include <random>
#include <vector>

#include "metagrad.hpp"
#include "tests/support/catch.hpp"

using namespace metagrad;
using namespace metagrad::examples;

TEST_CASE("uniform_index is the rejection draw modulo n", "[examples][sampling]") {
  // Below the rejection limit a draw is the generator's next number modulo n.
  std::mt19937_64 rng(5), reference(5);
  for (const int64_t n : {1, 2, 3, 7, 10, 1000003}) {
    const uint64_t draw = reference();
    CHECK(uniform_index(rng, n) == static_cast<int64_t>(draw % static_cast<uint64_t>(n)));
  }
}

TEST_CASE("uniform_index covers [0, n) evenly", "[examples][sampling]") {
  std::mt19937_64 rng(11);
  std::vector<int> counts(6, 0);
  for (int i = 0; i < 6000; ++i) {
    const int64_t k = uniform_index(rng, 6);
    REQUIRE((k >= 0 && k < 6));
    ++counts[static_cast<size_t>(k)];
  }
  for (const int c : counts) CHECK((c > 850 && c < 1150));
  CHECK(uniform_index(rng, 1) == 0);
}

TEST_CASE("uniform_index rejects an empty range", "[examples][sampling]") {
  std::mt19937_64 rng(1);
  CHECK_THROWS_WITH(uniform_index(rng, 0),
                    "uniform_index: the range [0, n) must not be empty, got n = 0");
  CHECK_THROWS_AS(uniform_index(rng, -3), Error);
}
