// metagrad — counter-based RNG: Philox4x32-10 (Salmon, Moraes, Dror, Shaw,
// "Parallel random numbers: as easy as 1, 2, 3", SC'11).
//
// Header-only and free of std::array / <random> so the same code compiles for
// host C++ and CUDA device code. Every element of a random fill is a pure
// function of (seed, offset, i), so CPU and GPU kernels produce the same stream
// and elements can be generated in any order / in parallel.
//
// Reproducibility note: uniform and bits64 outputs are bit-identical everywhere
// (integer + exact power-of-two scaling). Normal outputs go through log/cos/sqrt
// and may differ across math libraries (host libm vs CUDA) by a few ULP.
#pragma once

#include <cmath>
#include <cstdint>

#if defined(__CUDACC__)
#define MG_HOST_DEVICE __host__ __device__
#else
#define MG_HOST_DEVICE
#endif

namespace metagrad::random_detail {

/// Four 32-bit words: a 128-bit Philox counter or one Philox output block.
struct Array4 {
  std::uint32_t v[4];
  MG_HOST_DEVICE constexpr std::uint32_t& operator[](int k) { return v[k]; }
  MG_HOST_DEVICE constexpr std::uint32_t operator[](int k) const { return v[k]; }
  MG_HOST_DEVICE constexpr bool operator==(const Array4& o) const {
    return v[0] == o.v[0] && v[1] == o.v[1] && v[2] == o.v[2] && v[3] == o.v[3];
  }
};

/// Two 32-bit words: a 64-bit Philox key.
struct Array2 {
  std::uint32_t v[2];
  MG_HOST_DEVICE constexpr std::uint32_t& operator[](int k) { return v[k]; }
  MG_HOST_DEVICE constexpr std::uint32_t operator[](int k) const { return v[k]; }
};

/// Philox4x32-10 block function, written from the published algorithm.
struct Philox4x32 {
  static constexpr std::uint32_t kMul0 = 0xD2511F53u;
  static constexpr std::uint32_t kMul1 = 0xCD9E8D57u;
  static constexpr std::uint32_t kWeyl0 = 0x9E3779B9u;  // golden ratio
  static constexpr std::uint32_t kWeyl1 = 0xBB67AE85u;  // sqrt(3) - 1
  static constexpr int kRounds = 10;

  /// One S-P round: two 32x32->64 multiplies, xor high halves with the
  /// other counter words and the round key, then permute.
  MG_HOST_DEVICE static constexpr Array4 round(const Array4& c, const Array2& k) {
    const std::uint64_t p0 = std::uint64_t{kMul0} * c[0];
    const std::uint64_t p1 = std::uint64_t{kMul1} * c[2];
    const auto hi0 = static_cast<std::uint32_t>(p0 >> 32), lo0 = static_cast<std::uint32_t>(p0);
    const auto hi1 = static_cast<std::uint32_t>(p1 >> 32), lo1 = static_cast<std::uint32_t>(p1);
    return Array4{{hi1 ^ c[1] ^ k[0], lo1, hi0 ^ c[3] ^ k[1], lo0}};
  }

  /// Key schedule: Weyl-sequence increment applied between rounds.
  MG_HOST_DEVICE static constexpr Array2 bump_key(const Array2& k) {
    return Array2{
        {static_cast<std::uint32_t>(k[0] + kWeyl0), static_cast<std::uint32_t>(k[1] + kWeyl1)}};
  }

  /// Full 10-round Philox4x32 on a raw 128-bit counter and 64-bit key.
  /// Matches Random123 philox4x32_R(10, ctr, key) (word 0 = least significant).
  MG_HOST_DEVICE static constexpr Array4 apply(Array4 ctr, Array2 key) {
    for (int r = 0; r < kRounds; ++r) {
      if (r != 0) key = bump_key(key);
      ctr = round(ctr, key);
    }
    return ctr;
  }
};

/// Raw entry point: Philox4x32-10 of counter {c0,c1,c2,c3}, key {k0,k1}.
MG_HOST_DEVICE constexpr Array4 philox4x32_raw(const Array4& ctr, const Array2& key) {
  return Philox4x32::apply(ctr, key);
}

/// Block for (seed, counter): key = {lo32(seed), hi32(seed)},
/// counter = {lo32(counter), hi32(counter), 0, 0}.
MG_HOST_DEVICE constexpr Array4 philox4x32(std::uint64_t seed, std::uint64_t counter) {
  return Philox4x32::apply(
      Array4{
          {static_cast<std::uint32_t>(counter), static_cast<std::uint32_t>(counter >> 32), 0u, 0u}},
      Array2{{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)}});
}

// ---------------------------------------------------------------- conversions

/// Top 24 bits of x scaled by 2^-24: float in [0, 1), exactly representable.
MG_HOST_DEVICE constexpr float uint32_to_uniform_float(std::uint32_t x) {
  return static_cast<float>(x >> 8) * (1.0f / 16777216.0f);
}

/// Combine two words into 64 bits: lo | (hi << 32).
MG_HOST_DEVICE constexpr std::uint64_t combine64(std::uint32_t lo, std::uint32_t hi) {
  return (std::uint64_t{hi} << 32) | lo;
}

/// Top 53 bits of x scaled by 2^-53: double in [0, 1), exactly representable.
MG_HOST_DEVICE constexpr double uint64_to_uniform_double(std::uint64_t x) {
  return static_cast<double>(x >> 11) * (1.0 / 9007199254740992.0);
}

namespace math {
#if defined(__CUDA_ARCH__)
MG_HOST_DEVICE inline float log(float x) { return ::logf(x); }
MG_HOST_DEVICE inline float cos(float x) { return ::cosf(x); }
MG_HOST_DEVICE inline float sqrt(float x) { return ::sqrtf(x); }
MG_HOST_DEVICE inline double log(double x) { return ::log(x); }
MG_HOST_DEVICE inline double cos(double x) { return ::cos(x); }
MG_HOST_DEVICE inline double sqrt(double x) { return ::sqrt(x); }
#else
using std::cos;
using std::log;
using std::sqrt;
#endif
}  // namespace math

/// Box–Muller, cos branch: u1, u2 in [0, 1); uses 1 - u1 in (0, 1] so log
/// never sees 0. Returns a standard normal sample (finite for all inputs).
template <typename T>
MG_HOST_DEVICE inline T box_muller(T u1, T u2) {
  constexpr T kTwoPi = static_cast<T>(6.283185307179586476925286766559);
  const T r = math::sqrt(T(-2) * math::log(T(1) - u1));
  return r * math::cos(kTwoPi * u2);
}

// ------------------------------------------------- element-level generation
// A fill of n elements with (seed, offset) uses counters offset, offset+1, ...;
// the Generator must then advance its offset by the count documented below so
// the next fill uses fresh counters. Counter arithmetic wraps modulo 2^64.

/// Counters consumed by a uniform float fill of n elements: ceil(n/4).
MG_HOST_DEVICE constexpr std::uint64_t counters_uniform_float(std::uint64_t n) {
  return (n + 3) / 4;
}
/// Counters consumed by a uniform double fill of n elements: ceil(n/2).
MG_HOST_DEVICE constexpr std::uint64_t counters_uniform_double(std::uint64_t n) {
  return (n + 1) / 2;
}
/// Counters consumed by a normal (float or double) fill of n elements: n.
MG_HOST_DEVICE constexpr std::uint64_t counters_normal(std::uint64_t n) { return n; }
/// Counters consumed by a random_bits64 fill of n elements: ceil(n/2).
MG_HOST_DEVICE constexpr std::uint64_t counters_bits64(std::uint64_t n) { return (n + 1) / 2; }

/// Element i of a uniform float fill, in [0, 1): counter offset + i/4, word i%4.
/// A fill of n elements consumes ceil(n/4) counters.
MG_HOST_DEVICE constexpr float uniform_float(std::uint64_t seed, std::uint64_t offset,
                                             std::uint64_t i) {
  return uint32_to_uniform_float(philox4x32(seed, offset + i / 4)[static_cast<int>(i % 4)]);
}

/// Element i of a 64-bit random fill: counter offset + i/2, words
/// w = 2*(i%2) (low half) and w+1 (high half). A fill of n consumes ceil(n/2).
MG_HOST_DEVICE constexpr std::uint64_t random_bits64(std::uint64_t seed, std::uint64_t offset,
                                                     std::uint64_t i) {
  const Array4 b = philox4x32(seed, offset + i / 2);
  const int w = 2 * static_cast<int>(i % 2);
  return combine64(b[w], b[w + 1]);
}

/// Element i of a uniform double fill, in [0, 1), 53 random bits: same words
/// as random_bits64(seed, offset, i). A fill of n consumes ceil(n/2) counters.
MG_HOST_DEVICE constexpr double uniform_double(std::uint64_t seed, std::uint64_t offset,
                                               std::uint64_t i) {
  return uint64_to_uniform_double(random_bits64(seed, offset, i));
}

/// Element i of a standard-normal float fill: counter offset + i, uniforms from
/// words 0 and 1, Box–Muller cos branch. A fill of n consumes n counters.
MG_HOST_DEVICE inline float normal_float(std::uint64_t seed, std::uint64_t offset,
                                         std::uint64_t i) {
  const Array4 b = philox4x32(seed, offset + i);
  return box_muller<float>(uint32_to_uniform_float(b[0]), uint32_to_uniform_float(b[1]));
}

/// Element i of a standard-normal double fill: counter offset + i, u1 from
/// words {0,1}, u2 from words {2,3} (53 bits each), Box–Muller cos branch.
/// A fill of n consumes n counters.
MG_HOST_DEVICE inline double normal_double(std::uint64_t seed, std::uint64_t offset,
                                           std::uint64_t i) {
  const Array4 b = philox4x32(seed, offset + i);
  return box_muller<double>(uint64_to_uniform_double(combine64(b[0], b[1])),
                            uint64_to_uniform_double(combine64(b[2], b[3])));
}

}  // namespace metagrad::random_detail
