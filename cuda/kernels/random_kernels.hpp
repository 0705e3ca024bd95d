#pragma once

// KernelBackend::random: element i of a fill is a pure function of (seed, offset, i) through the
// Philox functions the CPU backend uses (engine/random/philox.hpp), so a seed draws the same
// numbers on both devices: bit-identical uniform and integer values, normal ones within a few ulp
// (the device's log/cos/sqrt).
#include <cstdint>
#include <type_traits>

#include "cuda/kernel_backend.hpp"
#include "engine/random/philox.hpp"

namespace metagrad {
namespace kernels {

// out[i] = element i of the (seed, offset) fill of `kind`, as CpuBackend::random computes it.
template <typename T>
struct RandomKernel {
  T* out;
  RandomKind kind;
  uint64_t seed, offset;
  double low, high;
  uint64_t range;  // high - low, for RandomKind::Integer
  MG_HD void operator()(int64_t i) const {
    using namespace random_detail;
    const auto k = static_cast<uint64_t>(i);
    double value;
    if (kind == RandomKind::Uniform) {
      const double u = std::is_same_v<T, float> ? uniform_float(seed, offset, k)
                                                : uniform_double(seed, offset, k);
      value = low + (high - low) * u;
    } else if (kind == RandomKind::Normal) {
      const double z =
          std::is_same_v<T, float> ? normal_float(seed, offset, k) : normal_double(seed, offset, k);
      value = low + high * z;
    } else {
      value = low + static_cast<double>(random_bits64(seed, offset, k) % range);
    }
    out[i] = static_cast<T>(value);
  }
};

}  // namespace kernels

template <typename Executor>
void KernelBackend<Executor>::random(RandomKind kind, const View& out, uint64_t seed,
                                     uint64_t offset, double low, double high) {
  const int64_t n = out.numel();
  if (n == 0) return;
  const uint64_t range = kind == RandomKind::Integer ? static_cast<uint64_t>(high - low) : 1;
  MG_CHECK(range > 0, "random (CUDA): empty integer range [{}, {})", low, high);
  kernels::dispatch_all(out.dtype, [&](auto tag) {
    using T = decltype(tag);
    executor_.for_each(n, kernels::RandomKernel<T>{static_cast<T*>(out.data), kind, seed, offset,
                                                   low, high, range});
  });
}

}  // namespace metagrad
