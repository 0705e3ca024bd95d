// Tests for engine/random/philox.hpp (Philox4x32-10 counter-based RNG).
#include "engine/random/philox.hpp"

#include <cmath>
#include <cstdint>
#include <vector>

#include "tests/support/catch.hpp"

using namespace metagrad::random_detail;

namespace {

Array4 raw(std::uint32_t c0, std::uint32_t c1, std::uint32_t c2, std::uint32_t c3, std::uint32_t k0,
           std::uint32_t k1) {
  return philox4x32_raw(Array4{{c0, c1, c2, c3}}, Array2{{k0, k1}});
}

void check_words(const Array4& got, std::uint32_t e0, std::uint32_t e1, std::uint32_t e2,
                 std::uint32_t e3) {
  CHECK(got[0] == e0);
  CHECK(got[1] == e1);
  CHECK(got[2] == e2);
  CHECK(got[3] == e3);
}

struct Moments {
  double mean = 0, var = 0;
};

template <typename F>
Moments moments(std::size_t n, F&& f) {
  double sum = 0, sum2 = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double x = f(i);
    sum += x;
    sum2 += x * x;
  }
  Moments m;
  m.mean = sum / static_cast<double>(n);
  m.var = sum2 / static_cast<double>(n) - m.mean * m.mean;
  return m;
}

}  // namespace

// Known-answer vectors from Random123 kat_vectors (philox4x32 10).
TEST_CASE("philox4x32-10 matches Random123 known-answer vectors", "[random][philox]") {
  check_words(raw(0, 0, 0, 0, 0, 0), 0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u);
  check_words(raw(0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu),
              0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu);
  check_words(raw(0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u, 0xa4093822u, 0x299f31d0u),
              0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u);
}

TEST_CASE("philox4x32 is usable in constant expressions", "[random][philox]") {
  constexpr Array4 z = philox4x32_raw(Array4{{0, 0, 0, 0}}, Array2{{0, 0}});
  static_assert(z[0] == 0x6627e8d5u && z[3] == 0x9b00dbd8u);
  constexpr float u = uniform_float(1, 2, 3);
  static_assert(u >= 0.0f && u < 1.0f);
  REQUIRE(z[1] == 0xe169c58du);
}

TEST_CASE("philox4x32(seed, counter) maps seed to key and counter to low 64 bits",
          "[random][philox]") {
  CHECK(philox4x32(0, 0) == raw(0, 0, 0, 0, 0, 0));
  const std::uint64_t seed = 0x299f31d0a4093822ull, ctr = 0x85a308d3243f6a88ull;
  CHECK(philox4x32(seed, ctr) == raw(0x243f6a88u, 0x85a308d3u, 0, 0, 0xa4093822u, 0x299f31d0u));
  // Distinct seeds and counters give distinct blocks.
  CHECK_FALSE(philox4x32(1, 0) == philox4x32(0, 0));
  CHECK_FALSE(philox4x32(0, 1) == philox4x32(0, 0));
  CHECK_FALSE(philox4x32(0, 1ull << 32) == philox4x32(0, 0));
}

TEST_CASE("uniform conversions cover [0,1) with the documented precision", "[random][philox]") {
  CHECK(uint32_to_uniform_float(0u) == 0.0f);
  CHECK(uint32_to_uniform_float(0xffffffffu) < 1.0f);
  CHECK(uint32_to_uniform_float(0xffffffffu) == 1.0f - 1.0f / 16777216.0f);
  CHECK(uint32_to_uniform_float(0x80000000u) == 0.5f);
  CHECK(uint64_to_uniform_double(0ull) == 0.0);
  CHECK(uint64_to_uniform_double(~0ull) < 1.0);
  CHECK(uint64_to_uniform_double(~0ull) == 1.0 - 1.0 / 9007199254740992.0);
  CHECK(combine64(0x89abcdefu, 0x01234567u) == 0x0123456789abcdefull);
  // Box-Muller never produces inf/nan, even at the extremes of the input range.
  CHECK(std::isfinite(box_muller<float>(0.0f, 0.0f)));
  CHECK(std::isfinite(box_muller<float>(uint32_to_uniform_float(~0u), 0.5f)));
  CHECK(std::isfinite(box_muller<double>(uint64_to_uniform_double(~0ull), 0.25)));
}

TEST_CASE("uniform_float has range [0,1), mean 1/2, variance 1/12", "[random][philox]") {
  const std::size_t n = 100000;
  float lo = 1.0f, hi = 0.0f;
  const Moments m = moments(n, [&](std::size_t i) {
    const float u = uniform_float(42, 7, i);
    lo = std::min(lo, u);
    hi = std::max(hi, u);
    return static_cast<double>(u);
  });
  REQUIRE(lo >= 0.0f);
  REQUIRE(hi < 1.0f);
  CHECK(m.mean == Catch::Approx(0.5).margin(0.005));
  CHECK(m.var == Catch::Approx(1.0 / 12.0).margin(0.002));
}

TEST_CASE("uniform_double has range [0,1), mean 1/2, variance 1/12", "[random][philox]") {
  const std::size_t n = 100000;
  double lo = 1.0, hi = 0.0;
  const Moments m = moments(n, [&](std::size_t i) {
    const double u = uniform_double(1234, 0, i);
    lo = std::min(lo, u);
    hi = std::max(hi, u);
    return u;
  });
  REQUIRE(lo >= 0.0);
  REQUIRE(hi < 1.0);
  CHECK(m.mean == Catch::Approx(0.5).margin(0.005));
  CHECK(m.var == Catch::Approx(1.0 / 12.0).margin(0.002));
}

TEST_CASE("normal_float and normal_double have mean 0, variance 1", "[random][philox]") {
  const std::size_t n = 100000;
  const Moments mf = moments(n, [](std::size_t i) {
    const float z = normal_float(99, 3, i);
    REQUIRE(std::isfinite(z));
    return static_cast<double>(z);
  });
  CHECK(mf.mean == Catch::Approx(0.0).margin(0.02));
  CHECK(mf.var == Catch::Approx(1.0).margin(0.03));
  const Moments md = moments(n, [](std::size_t i) {
    const double z = normal_double(99, 3, i);
    REQUIRE(std::isfinite(z));
    return z;
  });
  CHECK(md.mean == Catch::Approx(0.0).margin(0.02));
  CHECK(md.var == Catch::Approx(1.0).margin(0.03));
}

TEST_CASE("elements follow the documented counter/word layout", "[random][philox]") {
  const std::uint64_t seed = 0xdeadbeefcafef00dull, offset = 1000;
  for (std::uint64_t i = 0; i < 64; ++i) {
    const Array4 bf = philox4x32(seed, offset + i / 4);
    CHECK(uniform_float(seed, offset, i) == uint32_to_uniform_float(bf[static_cast<int>(i % 4)]));
    const Array4 b2 = philox4x32(seed, offset + i / 2);
    const int w = 2 * static_cast<int>(i % 2);
    CHECK(random_bits64(seed, offset, i) == combine64(b2[w], b2[w + 1]));
    CHECK(uniform_double(seed, offset, i) == uint64_to_uniform_double(combine64(b2[w], b2[w + 1])));
    const Array4 bn = philox4x32(seed, offset + i);
    CHECK(normal_float(seed, offset, i) ==
          box_muller<float>(uint32_to_uniform_float(bn[0]), uint32_to_uniform_float(bn[1])));
  }
}

TEST_CASE("element i computed alone equals element i of a sequential fill", "[random][philox]") {
  const std::uint64_t seed = 5, offset = 17;
  const std::size_t n = 1001;  // not a multiple of 2 or 4
  // Sequential fill: walk counters in order and unpack every word, the way a
  // CPU loop over blocks would.
  std::vector<float> uf;
  std::vector<std::uint64_t> bits;
  for (std::uint64_t c = 0; c < counters_uniform_float(n); ++c) {
    const Array4 b = philox4x32(seed, offset + c);
    for (int w = 0; w < 4 && uf.size() < n; ++w) uf.push_back(uint32_to_uniform_float(b[w]));
  }
  for (std::uint64_t c = 0; c < counters_bits64(n); ++c) {
    const Array4 b = philox4x32(seed, offset + c);
    for (int w = 0; w < 4 && bits.size() < n; w += 2) bits.push_back(combine64(b[w], b[w + 1]));
  }
  REQUIRE(uf.size() == n);
  REQUIRE(bits.size() == n);
  // Independent computation in reverse order must agree.
  for (std::size_t k = n; k-- > 0;) {
    REQUIRE(uniform_float(seed, offset, k) == uf[k]);
    REQUIRE(random_bits64(seed, offset, k) == bits[k]);
    REQUIRE(uniform_double(seed, offset, k) == uint64_to_uniform_double(bits[k]));
  }
  // A fill that starts where the previous one's counters end reuses no block.
  const std::uint64_t next = offset + counters_uniform_float(n);
  CHECK_FALSE(philox4x32(seed, next) == philox4x32(seed, next - 1));
  CHECK(uniform_float(seed, next, 0) == uint32_to_uniform_float(philox4x32(seed, next)[0]));
}

TEST_CASE("counter consumption per fill", "[random][philox]") {
  CHECK(counters_uniform_float(0) == 0);
  CHECK(counters_uniform_float(1) == 1);
  CHECK(counters_uniform_float(4) == 1);
  CHECK(counters_uniform_float(5) == 2);
  CHECK(counters_uniform_double(3) == 2);
  CHECK(counters_uniform_double(4) == 2);
  CHECK(counters_bits64(1) == 1);
  CHECK(counters_normal(7) == 7);
  // The last element of a fill lies in the last consumed counter.
  for (std::uint64_t n = 1; n < 20; ++n) {
    CHECK((n - 1) / 4 == counters_uniform_float(n) - 1);
    CHECK((n - 1) / 2 == counters_uniform_double(n) - 1);
  }
}
