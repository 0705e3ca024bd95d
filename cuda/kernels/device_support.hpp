#pragma once

// What every kernel of the kernel backend (cuda/kernel_backend.hpp) shares: the host/device
// annotation, strided index arithmetic, atomics and the error slot. Compiled by nvcc for the GPU
// and by the C++ compiler for the host emulation (Note [kernel backend]), so it uses nothing that
// only one of them has.
#include <cstdint>
#include <type_traits>

#include "engine/backend/backend.hpp"
#include "engine/error.hpp"

#if defined(__CUDACC__)
#define MG_HD __host__ __device__
#else
#define MG_HD
#endif

namespace metagrad::kernels {

// Note [narrow division]
// Turning a linear index into coordinates costs a division per dim, and a 64-bit integer division
// is a long instruction sequence on a GPU (tens of instructions even on the 32-bit path nvcc takes
// when both operands fit), more than the few loads and stores of an elementwise or im2col kernel.
// A Divisor, made on the host for one launch, divides by a multiply-high, an add and a shift
// (Granlund and Montgomery's method, as in PyTorch's IntDivider) when the dividend is below 2^31:
// the launch passes `narrow` = (every index it divides is below 2^31), true but for tensors of
// 2^31 elements or more, which keep the plain 64-bit division.

/// Division by a positive divisor fixed for a launch (Note [narrow division]).
struct Divisor {
  int64_t value = 1;
  uint32_t multiplier = 1;  // with shift: q = (umulhi(n, multiplier) + n) >> shift
  uint32_t shift = 0;

  /// The divisor d (host only; d >= 1 wherever a thread divides by it: an empty launch may hold
  /// a 0 it never uses).
  static Divisor of(int64_t d) {
    Divisor r;
    r.value = d;
    if (d >= 1 && d <= INT32_MAX) {
      while ((int64_t{1} << r.shift) < d) ++r.shift;
      const uint64_t excess = (uint64_t{1} << r.shift) - static_cast<uint64_t>(d);
      r.multiplier = static_cast<uint32_t>((excess << 32) / static_cast<uint64_t>(d) + 1);
    }
    return r;
  }
  /// n / value for n >= 0; `narrow` promises n <= INT32_MAX.
  MG_HD int64_t div(int64_t n, bool narrow) const {
    if (!narrow) return n / value;
    const auto x = static_cast<uint32_t>(n);
#if defined(__CUDA_ARCH__)
    const uint32_t high = __umulhi(x, multiplier);
#else
    const auto high = static_cast<uint32_t>((uint64_t{x} * multiplier) >> 32);
#endif
    return static_cast<int64_t>((high + x) >> shift);  // high < x, so no overflow
  }
  /// n / value, with n % value in `rest`.
  MG_HD int64_t divmod(int64_t n, bool narrow, int64_t& rest) const {
    const int64_t q = div(n, narrow);
    rest = n - q * value;
    return q;
  }
};

/// True when indices below `count` take the narrow division path.
inline bool narrow_indices(int64_t count) { return count <= INT32_MAX; }

/// N views of one shape walked together (output first): dims of size 1 dropped and adjacent dims
/// merged where every operand is contiguous across them (as the CPU's StridedLoop), so a
/// contiguous operation costs one division per element, not one per dim.
template <int N>
struct Indexer {
  int ndim = 0;
  bool narrow = true;  // every linear index is below 2^31 (Note [narrow division])
  Divisor size[kMaxDims] = {};
  int64_t stride[N][kMaxDims] = {};

  /// Element offsets of linear index `linear` in each of the N operands: one division per dim
  /// but the outermost, whose coordinate is the quotient left (so no dims (a single element, all
  /// strides 0) and one merged dim (every operand contiguous, or one strided run) need none).
  MG_HD void offsets(int64_t linear, int64_t (&out)[N]) const {
    for (int k = 0; k < N; ++k) out[k] = 0;
    for (int d = ndim - 1; d > 0; --d) {
      int64_t i = 0;
      linear = size[d].divmod(linear, narrow, i);
      for (int k = 0; k < N; ++k) out[k] += i * stride[k][d];
    }
    for (int k = 0; k < N; ++k) out[k] += linear * stride[k][0];
  }
};

/// The Indexer of N views sharing views[0]'s shape.
template <int N>
Indexer<N> make_indexer(const View* const (&views)[N]) {
  Indexer<N> ix;
  int64_t sizes[kMaxDims] = {};
  const View& first = *views[0];
  for (int d = 0; d < first.ndim(); ++d) {
    if (first.shape[d] == 1) continue;
    if (ix.ndim > 0) {
      bool mergeable = true;
      for (int k = 0; k < N; ++k)
        mergeable = mergeable && ix.stride[k][ix.ndim - 1] == views[k]->strides[d] * first.shape[d];
      if (mergeable) {
        sizes[ix.ndim - 1] *= first.shape[d];
        for (int k = 0; k < N; ++k) ix.stride[k][ix.ndim - 1] = views[k]->strides[d];
        continue;
      }
    }
    sizes[ix.ndim] = first.shape[d];
    for (int k = 0; k < N; ++k) ix.stride[k][ix.ndim] = views[k]->strides[d];
    ++ix.ndim;
  }
  for (int d = 0; d < ix.ndim; ++d) ix.size[d] = Divisor::of(sizes[d]);
  ix.narrow = narrow_indices(first.numel());
  return ix;
}

/// An error found inside a kernel (a bad index), reported to the host after the launch.
/// code 0 means none; the first error of a launch wins.
struct KernelError {
  int64_t code = 0;
  int64_t value = 0;
  int64_t dim = 0;
  int64_t size = 0;
};

/// KernelError codes.
inline constexpr int64_t kIndexOutOfBounds = 1;

/// Error slots an executor holds: one per launch whose errors are not yet read back (Note
/// [deferred kernel errors] in cuda/kernel_backend.hpp).
inline constexpr int kErrorSlots = 64;

/// Records `error` in `slot` unless an earlier one is there.
MG_HD inline void report_error(KernelError* slot, int64_t code, int64_t value, int64_t dim,
                               int64_t size) {
#if defined(__CUDA_ARCH__)
  auto* word = reinterpret_cast<unsigned long long*>(&slot->code);
  if (atomicCAS(word, 0ull, static_cast<unsigned long long>(code)) == 0ull) {
    slot->value = value;
    slot->dim = dim;
    slot->size = size;
  }
#else
  if (slot->code == 0) {
    slot->code = code;
    slot->value = value;
    slot->dim = dim;
    slot->size = size;
  }
#endif
}

/// *target += value, atomically on the device (several threads may add into one element).
template <typename T>
MG_HD inline void atomic_add(T* target, T value) {
#if defined(__CUDA_ARCH__)
  if constexpr (sizeof(T) == 8 && !std::is_floating_point_v<T>) {
    atomicAdd(reinterpret_cast<unsigned long long*>(target),
              static_cast<unsigned long long>(value));
  } else {
    atomicAdd(target, value);
  }
#else
  *target += value;
#endif
}

/// Calls f(T{}) with T the C++ type of a float dtype; throws naming `op` for other dtypes.
template <typename F>
void dispatch_float(DType dtype, const char* op, F&& f) {
  switch (dtype) {
    case DType::Float32:
      f(float{});
      return;
    case DType::Float64:
      f(double{});
      return;
    default:
      MG_FAIL("{} (CUDA): dtype {} is not supported; use float32 or float64", op,
              dtype_name(dtype));
  }
}

/// The Indexer of the lines of `out` and `in` along `dim` (both views with that dim set to size
/// 1): a kernel that walks each line itself (a scan, a sort) takes one index per line.
inline Indexer<2> line_indexer(const View& out, const View& in, int dim) {
  View out_lines = out, in_lines = in;
  out_lines.shape[dim] = 1;
  in_lines.shape[dim] = 1;
  const View* views[2] = {&out_lines, &in_lines};
  return make_indexer<2>(views);
}

/// Calls f(T{}) with T the C++ type of any dtype.
template <typename F>
void dispatch_all(DType dtype, F&& f) {
  switch (dtype) {
    case DType::Float32:
      f(float{});
      return;
    case DType::Float64:
      f(double{});
      return;
    case DType::Int64:
      f(int64_t{});
      return;
    case DType::Bool:
      f(bool{});
      return;
  }
}

}  // namespace metagrad::kernels
