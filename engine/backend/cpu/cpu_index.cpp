#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <type_traits>

#include "engine/backend/cpu/cpu_backend.hpp"
#include "engine/backend/cpu/loop.hpp"

// Note [index kernels]
// gather, scatter_add, index_select and index_add share one loop structure: the positions of the
// iteration shape with the indexed dim removed (the "plane", coalesced into rows like
// StridedLoop), visited once for every coordinate k along the indexed dim. Threads split the
// plane, never the indexed dim, for the accumulating kernels: two threads then never write the
// same output element, so scatter_add/index_add need no atomics and stay deterministic. Index
// values are checked in a serial pass first, so nothing throws inside a parallel region.

namespace metagrad::cpu {
namespace {

// The positions of `shape` without dim `skip` (-1: every dim), for N operands with their own
// element strides; size-1 dims dropped and dims merged where every operand is contiguous across.
template <size_t N>
class Plane {
 public:
  Plane(const Dims& shape, int skip, const std::array<const Dims*, N>& strides) {
    for (int d = 0; d < shape.size(); ++d) {
      if (d == skip) continue;
      numel_ *= shape[d];
      if (shape[d] == 1) continue;
      if (ndim_ > 0) {
        bool mergeable = true;
        for (size_t k = 0; k < N; ++k)
          mergeable &= strides_[k][ndim_ - 1] == (*strides[k])[d] * shape[d];
        if (mergeable) {
          shape_[ndim_ - 1] *= shape[d];
          for (size_t k = 0; k < N; ++k) strides_[k][ndim_ - 1] = (*strides[k])[d];
          continue;
        }
      }
      shape_[ndim_] = shape[d];
      for (size_t k = 0; k < N; ++k) strides_[k][ndim_] = (*strides[k])[d];
      ++ndim_;
    }
  }

  int64_t numel() const { return numel_; }
  /// Element stride of operand k along the innermost plane dim (0 for a single position).
  int64_t inner_stride(size_t k) const { return ndim_ == 0 ? 0 : strides_[k][ndim_ - 1]; }

  /// Calls row(offsets[N], count, strides[N]) over plane positions [begin, end), one call per
  /// (partial) innermost row; offsets and strides are in elements.
  template <typename Row>
  void run(int64_t begin, int64_t end, Row&& row) const {
    if (begin >= end) return;
    int64_t off[N] = {};
    if (ndim_ == 0) {
      const int64_t zero[N] = {};
      row(off, int64_t{1}, zero);
      return;
    }
    const int last = ndim_ - 1;
    int64_t inner_strides[N];
    for (size_t k = 0; k < N; ++k) inner_strides[k] = strides_[k][last];
    int64_t index[kMaxDims];
    int64_t rem = begin;
    for (int d = last; d >= 0; --d) {
      index[d] = rem % shape_[d];
      rem /= shape_[d];
    }
    for (int64_t pos = begin; pos < end;) {
      for (size_t k = 0; k < N; ++k) {
        off[k] = 0;
        for (int d = 0; d <= last; ++d) off[k] += index[d] * strides_[k][d];
      }
      const int64_t count = std::min(shape_[last] - index[last], end - pos);
      row(off, count, inner_strides);
      pos += count;
      index[last] = 0;
      for (int d = last - 1; d >= 0; --d) {
        if (++index[d] < shape_[d]) break;
        index[d] = 0;
      }
    }
  }

 private:
  int ndim_ = 0;
  int64_t numel_ = 1;
  int64_t shape_[kMaxDims] = {};
  int64_t strides_[N][kMaxDims] = {};
};

// Runs row(k, offsets, count, strides) for every k in [0, extent) and every plane row. The loop
// over k is the inner one when the indexed dim is the denser one in memory for operand 0
// (`dim_stride` below the plane's innermost stride, e.g. gather along the last dim); then rows are
// visited one element at a time. Large loops are split over threads along the plane;
// `may_split_extent` (no two k write the same element) also allows splitting along k when the
// plane is the smaller of the two.
template <size_t N, typename Row>
void run_indexed(const Plane<N>& plane, int64_t extent, int64_t dim_stride, bool may_split_extent,
                 Row&& row) {
  const int64_t plane_numel = plane.numel();
  const bool k_innermost = extent > 1 && std::abs(dim_stride) < std::abs(plane.inner_stride(0));
  auto visit = [&](int64_t p_begin, int64_t p_end, int64_t k_begin, int64_t k_end) {
    if (k_innermost) {
      plane.run(p_begin, p_end, [&](const int64_t* off, int64_t n, const int64_t* s) {
        int64_t at[N];
        for (int64_t i = 0; i < n; ++i) {
          for (size_t j = 0; j < N; ++j) at[j] = off[j] + i * s[j];
          for (int64_t k = k_begin; k < k_end; ++k) row(k, at, int64_t{1}, s);
        }
      });
    } else {
      for (int64_t k = k_begin; k < k_end; ++k)
        plane.run(p_begin, p_end,
                  [&](const int64_t* off, int64_t n, const int64_t* s) { row(k, off, n, s); });
    }
  };
  if (plane_numel * extent < kParallelThreshold) {
    visit(0, plane_numel, 0, extent);
  } else if (may_split_extent && plane_numel < extent) {
    StridedLoop<1>::parallel_range(
        extent, [&](int64_t begin, int64_t end) { visit(0, plane_numel, begin, end); });
  } else {
    StridedLoop<1>::parallel_range(
        plane_numel, [&](int64_t begin, int64_t end) { visit(begin, end, 0, extent); });
  }
}

// Runs at_position(offsets[N]) for every plane position, threaded along the plane when the
// work (plane positions x extent) is large. For kernels whose indexed dim has unit stride in
// every operand: they loop over the dim themselves, as one contiguous run per position.
template <size_t N, typename F>
void run_unit_dim(const Plane<N>& plane, int64_t extent, F&& at_position) {
  auto visit = [&](int64_t begin, int64_t end) {
    plane.run(begin, end, [&](const int64_t* off, int64_t n, const int64_t* s) {
      int64_t at[N];
      for (int64_t i = 0; i < n; ++i) {
        for (size_t j = 0; j < N; ++j) at[j] = off[j] + i * s[j];
        at_position(at);
      }
    });
  };
  if (plane.numel() * extent < kParallelThreshold) {
    visit(0, plane.numel());
  } else {
    StridedLoop<1>::parallel_range(plane.numel(), visit);
  }
}

// Throws unless every value of the int64 `index` lies in [0, size).
void check_indices(const View& index, int64_t size, int dim, const char* op) {
  MG_CHECK(index.dtype == DType::Int64, "{}: index must be int64, got {}", op,
           dtype_name(index.dtype));
  const int64_t* idx = static_cast<const int64_t*>(index.data);
  Plane<1>(index.shape, -1, {&index.strides})
      .run(0, index.numel(), [&](const int64_t* off, int64_t n, const int64_t* s) {
        // A branch-free scan first; the throwing loop only when it finds a bad index.
        // With u = v as uint64, u | (size - 1 - u) (wrapping) has its top bit set exactly when
        // v < 0 or v >= size: plain integer ops, so the scan vectorises.
        const uint64_t last = static_cast<uint64_t>(size) - 1;
        uint64_t bits = 0;
        if (s[0] == 1) {
          const int64_t* row = idx + off[0];
          for (int64_t i = 0; i < n; ++i) {
            const uint64_t u = static_cast<uint64_t>(row[i]);
            bits |= u | (last - u);
          }
        } else {
          for (int64_t i = 0; i < n; ++i) {
            const uint64_t u = static_cast<uint64_t>(idx[off[0] + i * s[0]]);
            bits |= u | (last - u);
          }
        }
        const bool in_range = (bits >> 63) == 0;
        if (in_range) return;
        for (int64_t i = 0; i < n; ++i) {
          const int64_t v = idx[off[0] + i * s[0]];
          MG_CHECK(v >= 0 && v < size,
                   "{}: index {} is out of bounds for dimension {} with size {}", op, v, dim, size);
        }
      });
}

template <typename T>
T added(T a, T b) {
  if constexpr (std::is_same_v<T, bool>) {
    return a || b;
  } else {
    return a + b;
  }
}

template <typename T>
void gather_kernel(const View& in, int dim, const View& index, const View& out) {
  const Plane<3> plane(index.shape, dim, {&out.strides, &in.strides, &index.strides});
  const int64_t out_step = out.strides[dim], in_step = in.strides[dim],
                idx_step = index.strides[dim];
  const T* src = static_cast<const T*>(in.data);
  const int64_t* idx = static_cast<const int64_t*>(index.data);
  T* dst = static_cast<T*>(out.data);
  const int64_t extent = index.shape[dim];
  if (extent > 1 && out_step == 1 && in_step == 1 && idx_step == 1) {
    // Gather along a contiguous innermost dim (max_pool2d's values): one run per position.
    run_unit_dim(plane, extent, [&](const int64_t* at) {
      T* o = dst + at[0];
      const T* a = src + at[1];
      const int64_t* ix = idx + at[2];
      for (int64_t k = 0; k < extent; ++k) o[k] = a[ix[k]];
    });
    return;
  }
  run_indexed(plane, extent, out_step, true,
              [&](int64_t k, const int64_t* off, int64_t n, const int64_t* s) {
                T* o = dst + off[0] + k * out_step;
                const T* a = src + off[1];
                const int64_t* ix = idx + off[2] + k * idx_step;
                if (s[0] == 1 && s[1] == 1 && s[2] == 1) {
                  for (int64_t i = 0; i < n; ++i) o[i] = a[i + ix[i] * in_step];
                } else {
                  for (int64_t i = 0; i < n; ++i)
                    o[i * s[0]] = a[i * s[1] + ix[i * s[2]] * in_step];
                }
              });
}

template <typename T>
void scatter_add_kernel(const View& out, int dim, const View& index, const View& src) {
  const Plane<3> plane(index.shape, dim, {&out.strides, &src.strides, &index.strides});
  const int64_t out_step = out.strides[dim], src_step = src.strides[dim],
                idx_step = index.strides[dim];
  T* dst = static_cast<T*>(out.data);
  const T* from = static_cast<const T*>(src.data);
  const int64_t* idx = static_cast<const int64_t*>(index.data);
  const int64_t extent = index.shape[dim];
  if (extent > 1 && out_step == 1 && src_step == 1 && idx_step == 1) {
    // Scatter along a contiguous innermost dim (max_pool2d's gradient): one run per position,
    // in k order, so repeated indices add up in the same order as below.
    run_unit_dim(plane, extent, [&](const int64_t* at) {
      T* o = dst + at[0];
      const T* a = from + at[1];
      const int64_t* ix = idx + at[2];
      for (int64_t k = 0; k < extent; ++k) o[ix[k]] = added(o[ix[k]], a[k]);
    });
    return;
  }
  run_indexed(plane, extent, out_step, false,
              [&](int64_t k, const int64_t* off, int64_t n, const int64_t* s) {
                T* o = dst + off[0];
                const T* a = from + off[1] + k * src_step;
                const int64_t* ix = idx + off[2] + k * idx_step;
                for (int64_t i = 0; i < n; ++i) {
                  T& target = o[i * s[0] + ix[i * s[2]] * out_step];
                  target = added(target, a[i * s[1]]);
                }
              });
}

template <typename T>
void index_select_kernel(const View& in, int dim, const View& index, const View& out) {
  const Plane<2> plane(out.shape, dim, {&out.strides, &in.strides});
  const int64_t out_step = out.strides[dim], in_step = in.strides[dim], idx_step = index.strides[0];
  const T* src = static_cast<const T*>(in.data);
  const int64_t* idx = static_cast<const int64_t*>(index.data);
  T* dst = static_cast<T*>(out.data);
  run_indexed(plane, index.shape[0], out_step, true,
              [&](int64_t k, const int64_t* off, int64_t n, const int64_t* s) {
                T* o = dst + off[0] + k * out_step;
                const T* a = src + off[1] + idx[k * idx_step] * in_step;
                if (s[0] == 1 && s[1] == 1) {
                  std::copy(a, a + n, o);
                } else {
                  for (int64_t i = 0; i < n; ++i) o[i * s[0]] = a[i * s[1]];
                }
              });
}

template <typename T>
void index_add_kernel(const View& out, int dim, const View& index, const View& src) {
  const Plane<2> plane(src.shape, dim, {&out.strides, &src.strides});
  const int64_t out_step = out.strides[dim], src_step = src.strides[dim],
                idx_step = index.strides[0];
  T* dst = static_cast<T*>(out.data);
  const T* from = static_cast<const T*>(src.data);
  const int64_t* idx = static_cast<const int64_t*>(index.data);
  run_indexed(plane, index.shape[0], out_step, false,
              [&](int64_t k, const int64_t* off, int64_t n, const int64_t* s) {
                T* o = dst + off[0] + idx[k * idx_step] * out_step;
                const T* a = from + off[1] + k * src_step;
                if (s[0] == 1 && s[1] == 1) {
                  for (int64_t i = 0; i < n; ++i) o[i] = added(o[i], a[i]);
                } else {
                  for (int64_t i = 0; i < n; ++i) o[i * s[0]] = added(o[i * s[0]], a[i * s[1]]);
                }
              });
}

}  // namespace

void CpuBackend::gather(const View& in, int dim, const View& index, const View& out) {
  check_indices(index, in.shape[dim], dim, "gather");
  MG_DISPATCH_ALL(in.dtype, [&](auto tag) { gather_kernel<decltype(tag)>(in, dim, index, out); });
}

void CpuBackend::scatter_add(const View& out, int dim, const View& index, const View& src) {
  check_indices(index, out.shape[dim], dim, "scatter_add");
  MG_DISPATCH_ALL(out.dtype,
                  [&](auto tag) { scatter_add_kernel<decltype(tag)>(out, dim, index, src); });
}

void CpuBackend::index_select(const View& in, int dim, const View& index, const View& out) {
  check_indices(index, in.shape[dim], dim, "index_select");
  MG_DISPATCH_ALL(in.dtype,
                  [&](auto tag) { index_select_kernel<decltype(tag)>(in, dim, index, out); });
}

void CpuBackend::index_add(const View& out, int dim, const View& index, const View& src) {
  check_indices(index, out.shape[dim], dim, "index_add");
  MG_DISPATCH_ALL(out.dtype,
                  [&](auto tag) { index_add_kernel<decltype(tag)>(out, dim, index, src); });
}

}  // namespace metagrad::cpu
