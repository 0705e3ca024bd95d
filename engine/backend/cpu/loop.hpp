#pragma once

#include <array>
#include <cstdint>

#include "engine/backend/backend.hpp"

#ifdef _OPENMP
#include <omp.h>
#endif

// Note [strided loop]
// Elementwise CPU kernels run through StridedLoop: the operands (output first) share one shape;
// their dims are coalesced where every operand is contiguous across them, and the innermost dim
// is handed to a typed inner loop as (pointers, byte strides, count). Large loops are split over
// OpenMP threads along the outer index space.

// MG_SIMD(clauses): `#pragma omp simd clauses` where OpenMP is on (vectorisation hints for the
// kernels' inner loops), nothing otherwise.
#ifdef _OPENMP
#define MG_PRAGMA(x) _Pragma(#x)
#define MG_SIMD(...) MG_PRAGMA(omp simd __VA_ARGS__)
#else
#define MG_SIMD(...)
#endif

namespace metagrad::cpu {

/// Element count above which CPU kernels use more than one thread.
inline constexpr int64_t kParallelThreshold = 32768;

template <size_t N>
class StridedLoop {
 public:
  explicit StridedLoop(const std::array<const View*, N>& views) {
    const View& first = *views[0];
    for (size_t k = 0; k < N; ++k) base_[k] = static_cast<char*>(views[k]->data);
    numel_ = first.numel();
    // Drop size-1 dims, keep order (outermost first).
    ndim_ = 0;
    for (int d = 0; d < first.ndim(); ++d) {
      if (first.shape[d] == 1) continue;
      shape_[ndim_] = first.shape[d];
      for (size_t k = 0; k < N; ++k)
        strides_[k][ndim_] =
            views[k]->strides[d] * static_cast<int64_t>(element_size(views[k]->dtype));
      ++ndim_;
    }
    // Merge dim d into d+1 when every operand is contiguous across them.
    int out = 0;
    for (int d = 0; d < ndim_; ++d) {
      if (out > 0) {
        bool mergeable = true;
        for (size_t k = 0; k < N; ++k)
          mergeable &= strides_[k][out - 1] == strides_[k][d] * shape_[d];
        if (mergeable) {
          shape_[out - 1] *= shape_[d];
          for (size_t k = 0; k < N; ++k) strides_[k][out - 1] = strides_[k][d];
          continue;
        }
      }
      shape_[out] = shape_[d];
      for (size_t k = 0; k < N; ++k) strides_[k][out] = strides_[k][d];
      ++out;
    }
    ndim_ = out;
  }

  /// Calls inner(char* ptrs[N], const int64_t strides[N], int64_t count) over every element.
  template <typename Inner>
  void run(Inner&& inner) const {
    if (numel_ == 0) return;
    if (ndim_ == 0) {
      int64_t zero[N] = {};
      char* ptrs[N];
      for (size_t k = 0; k < N; ++k) ptrs[k] = base_[k];
      inner(ptrs, zero, int64_t{1});
      return;
    }
    const int64_t inner_size = shape_[ndim_ - 1];
    int64_t inner_strides[N];
    for (size_t k = 0; k < N; ++k) inner_strides[k] = strides_[k][ndim_ - 1];
    const int64_t outer = numel_ / inner_size;
    if (outer == 1) {
      // One long row: split it among threads directly when it is large.
      if (numel_ < kParallelThreshold) {
        char* ptrs[N];
        for (size_t k = 0; k < N; ++k) ptrs[k] = base_[k];
        inner(ptrs, inner_strides, inner_size);
        return;
      }
      parallel_range(inner_size, [&](int64_t begin, int64_t end) {
        char* ptrs[N];
        for (size_t k = 0; k < N; ++k) ptrs[k] = base_[k] + begin * inner_strides[k];
        inner(ptrs, inner_strides, end - begin);
      });
      return;
    }
    auto rows = [&](int64_t row_begin, int64_t row_end) {
      int64_t index[kMaxDims] = {};
      int64_t rem = row_begin;
      for (int d = ndim_ - 2; d >= 0; --d) {
        index[d] = rem % shape_[d];
        rem /= shape_[d];
      }
      for (int64_t row = row_begin; row < row_end; ++row) {
        char* ptrs[N];
        for (size_t k = 0; k < N; ++k) {
          char* p = base_[k];
          for (int d = 0; d < ndim_ - 1; ++d) p += index[d] * strides_[k][d];
          ptrs[k] = p;
        }
        inner(ptrs, inner_strides, inner_size);
        for (int d = ndim_ - 2; d >= 0; --d) {
          if (++index[d] < shape_[d]) break;
          index[d] = 0;
        }
      }
    };
    if (numel_ < kParallelThreshold) {
      rows(0, outer);
    } else {
      parallel_range(outer, rows);
    }
  }

  int64_t numel() const { return numel_; }

  /// Splits [0, n) into one contiguous range per thread when n is large.
  template <typename F>
  static void parallel_range(int64_t n, F&& f) {
#ifdef _OPENMP
    if (n >= 2 && !omp_in_parallel() && omp_get_max_threads() > 1) {
#pragma omp parallel
      {
        const int64_t threads = omp_get_num_threads(), t = omp_get_thread_num();
        const int64_t begin = n * t / threads, end = n * (t + 1) / threads;
        if (begin < end) f(begin, end);
      }
      return;
    }
#endif
    f(int64_t{0}, n);
  }

 private:
  int ndim_ = 0;
  int64_t numel_ = 0;
  int64_t shape_[kMaxDims] = {};
  int64_t strides_[N][kMaxDims] = {};
  char* base_[N] = {};
};

}  // namespace metagrad::cpu
