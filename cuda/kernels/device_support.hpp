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

/// The layout of a strided view, by value inside a kernel: sizes and element strides, outermost
/// first.
struct Geometry {
  int ndim = 0;
  int64_t size[kMaxDims] = {};
  int64_t stride[kMaxDims] = {};

  /// The element offset of the element with row-major linear index `linear`.
  MG_HD int64_t offset(int64_t linear) const {
    int64_t off = 0;
    for (int d = ndim - 1; d >= 0; --d) {
      const int64_t s = size[d];
      off += (linear % s) * stride[d];
      linear /= s;
    }
    return off;
  }
};

/// The Geometry of a view.
inline Geometry geometry_of(const View& v) {
  Geometry g;
  g.ndim = v.ndim();
  for (int d = 0; d < g.ndim; ++d) {
    g.size[d] = v.shape[d];
    g.stride[d] = v.strides[d];
  }
  return g;
}

/// N views of one shape walked together (output first): dims of size 1 dropped and adjacent dims
/// merged where every operand is contiguous across them (as the CPU's StridedLoop), so a
/// contiguous operation costs one division per element, not one per dim.
template <int N>
struct Indexer {
  int ndim = 0;
  int64_t size[kMaxDims] = {};
  int64_t stride[N][kMaxDims] = {};

  /// Element offsets of linear index `linear` in each of the N operands.
  MG_HD void offsets(int64_t linear, int64_t (&out)[N]) const {
    for (int k = 0; k < N; ++k) out[k] = 0;
    for (int d = ndim - 1; d >= 0; --d) {
      const int64_t s = size[d];
      const int64_t i = linear % s;
      linear /= s;
      for (int k = 0; k < N; ++k) out[k] += i * stride[k][d];
    }
  }
};

/// The Indexer of N views sharing views[0]'s shape.
template <int N>
Indexer<N> make_indexer(const View* const (&views)[N]) {
  Indexer<N> ix;
  const View& first = *views[0];
  for (int d = 0; d < first.ndim(); ++d) {
    if (first.shape[d] == 1) continue;
    if (ix.ndim > 0) {
      bool mergeable = true;
      for (int k = 0; k < N; ++k)
        mergeable = mergeable && ix.stride[k][ix.ndim - 1] == views[k]->strides[d] * first.shape[d];
      if (mergeable) {
        ix.size[ix.ndim - 1] *= first.shape[d];
        for (int k = 0; k < N; ++k) ix.stride[k][ix.ndim - 1] = views[k]->strides[d];
        continue;
      }
    }
    ix.size[ix.ndim] = first.shape[d];
    for (int k = 0; k < N; ++k) ix.stride[k][ix.ndim] = views[k]->strides[d];
    ++ix.ndim;
  }
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
