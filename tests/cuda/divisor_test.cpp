// kernels::Divisor (Note [narrow division] in cuda/kernels/device_support.hpp): the multiply-high
// division equals the integer division for every dividend below 2^31, whatever the divisor.
#include <cstdint>
#include <random>
#include <vector>

#include "cuda/kernels/device_support.hpp"
#include "tests/support/catch.hpp"

using metagrad::kernels::Divisor;

namespace {

// Divisors near every power of two, small ones, and random ones up to INT32_MAX.
std::vector<int64_t> divisors() {
  std::vector<int64_t> d;
  for (int64_t v = 1; v <= 300; ++v) d.push_back(v);
  for (int s = 9; s <= 31; ++s) {
    const int64_t p = int64_t{1} << s;
    for (int64_t v : {p - 3, p - 1, p, p + 1, p + 7})
      if (v <= INT32_MAX) d.push_back(v);
  }
  std::mt19937_64 gen(12);
  std::uniform_int_distribution<int64_t> any(1, INT32_MAX);
  for (int k = 0; k < 200; ++k) d.push_back(any(gen));
  return d;
}

// Dividends around multiples of d and at the top of the narrow range.
std::vector<int64_t> dividends(int64_t d, std::mt19937_64& gen) {
  std::vector<int64_t> n = {0, 1, 2, INT32_MAX, INT32_MAX - 1, INT32_MAX - d};
  for (int64_t m : {int64_t{1}, int64_t{2}, int64_t{3}, INT32_MAX / d, INT32_MAX / d - 1})
    for (int64_t delta : {-1, 0, 1}) n.push_back(m * d + delta);
  std::uniform_int_distribution<int64_t> any(0, INT32_MAX);
  for (int k = 0; k < 64; ++k) n.push_back(any(gen));
  return n;
}

}  // namespace

TEST_CASE("Divisor: the narrow path divides exactly below 2^31", "[cuda][divisor]") {
  std::mt19937_64 gen(7);
  int64_t checked = 0;
  for (const int64_t d : divisors()) {
    const Divisor div = Divisor::of(d);
    for (const int64_t n : dividends(d, gen)) {
      if (n < 0 || n > INT32_MAX) continue;
      int64_t rest = -1;
      const int64_t q = div.divmod(n, true, rest);
      if (q != n / d || rest != n % d) {
        FAIL("d = " << d << ", n = " << n << ": got " << q << " rest " << rest);
      }
      ++checked;
    }
  }
  CHECK(checked > 40000);
}

TEST_CASE("Divisor: the wide path divides 64-bit dividends and divisors", "[cuda][divisor]") {
  const int64_t big = int64_t{1} << 40;
  for (const int64_t d : {int64_t{3}, int64_t{INT32_MAX} + 2, big + 5}) {
    const Divisor div = Divisor::of(d);
    for (const int64_t n : {int64_t{0}, big * 3 + 11, int64_t{INT64_MAX}}) {
      int64_t rest = -1;
      CHECK(div.divmod(n, false, rest) == n / d);
      CHECK(rest == n % d);
    }
  }
}
