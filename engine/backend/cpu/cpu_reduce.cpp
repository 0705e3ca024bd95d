#include <cmath>
#include <limits>
#include <type_traits>

#include "engine/backend/cpu/cpu_backend.hpp"
#include "engine/backend/cpu/loop.hpp"

namespace metagrad::cpu {
namespace {

// Accumulator type: double for float sums/products (accuracy), T otherwise.
template <typename T>
using Acc = std::conditional_t<std::is_same_v<T, float>, double, T>;

// Geometry of a reduction: kept dims (the output's) and reduced dims, each with input strides.
struct ReduceGeometry {
  int kept_ndim = 0, red_ndim = 0;
  int64_t kept_shape[kMaxDims], kept_in_stride[kMaxDims], kept_out_stride[kMaxDims];
  int64_t red_shape[kMaxDims], red_stride[kMaxDims];
  int64_t kept_numel = 1, red_numel = 1;

  ReduceGeometry(const View& in, const View& out) {
    for (int d = 0; d < in.ndim(); ++d) {
      if (out.shape[d] == 1 && in.shape[d] != 1) {
        red_shape[red_ndim] = in.shape[d];
        red_stride[red_ndim++] = in.strides[d];
        red_numel *= in.shape[d];
      } else if (in.shape[d] != 1) {
        kept_shape[kept_ndim] = in.shape[d];
        kept_in_stride[kept_ndim] = in.strides[d];
        kept_out_stride[kept_ndim++] = out.strides[d];
        kept_numel *= in.shape[d];
      }
    }
  }

  // Input and output element offsets of kept index `k`.
  void offsets(int64_t k, int64_t& in_off, int64_t& out_off) const {
    in_off = 0, out_off = 0;
    for (int d = kept_ndim - 1; d >= 0; --d) {
      const int64_t i = k % kept_shape[d];
      k /= kept_shape[d];
      in_off += i * kept_in_stride[d];
      out_off += i * kept_out_stride[d];
    }
  }

  // Calls f(offset) for every element of the reduced subspace.
  template <typename F>
  void for_each_reduced(F&& f) const {
    if (red_ndim == 1) {
      for (int64_t i = 0; i < red_shape[0]; ++i) f(i * red_stride[0]);
      return;
    }
    int64_t index[kMaxDims] = {};
    for (int64_t r = 0; r < red_numel; ++r) {
      int64_t off = 0;
      for (int d = 0; d < red_ndim; ++d) off += index[d] * red_stride[d];
      f(off);
      for (int d = red_ndim - 1; d >= 0; --d) {
        if (++index[d] < red_shape[d]) break;
        index[d] = 0;
      }
    }
  }
};

template <typename T>
void reduce_typed(ReduceOp op, const View& in, const View& out) {
  const ReduceGeometry g(in, out);
  const T* src = static_cast<const T*>(in.data);
  T* dst = static_cast<T*>(out.data);
  auto body = [&](int64_t begin, int64_t end) {
    for (int64_t k = begin; k < end; ++k) {
      int64_t in_off, out_off;
      g.offsets(k, in_off, out_off);
      const T* base = src + in_off;
      switch (op) {
        case ReduceOp::Sum: {
          Acc<T> acc = 0;
          if (g.red_ndim == 1 && g.red_stride[0] == 1) {
            for (int64_t i = 0; i < g.red_shape[0]; ++i) acc += base[i];
          } else {
            g.for_each_reduced([&](int64_t off) { acc += base[off]; });
          }
          dst[out_off] = static_cast<T>(acc);
          break;
        }
        case ReduceOp::Prod: {
          Acc<T> acc = 1;
          g.for_each_reduced([&](int64_t off) { acc *= base[off]; });
          dst[out_off] = static_cast<T>(acc);
          break;
        }
        case ReduceOp::Max:
        case ReduceOp::Min: {
          const bool is_max = op == ReduceOp::Max;
          T acc = is_max ? std::numeric_limits<T>::lowest() : std::numeric_limits<T>::max();
          if constexpr (std::is_floating_point_v<T>)
            acc = is_max ? -std::numeric_limits<T>::infinity() : std::numeric_limits<T>::infinity();
          bool nan = false;
          g.for_each_reduced([&](int64_t off) {
            const T v = base[off];
            if constexpr (std::is_floating_point_v<T>)
              if (std::isnan(v)) nan = true;
            if (is_max ? v > acc : v < acc) acc = v;
          });
          if constexpr (std::is_floating_point_v<T>)
            if (nan) acc = std::numeric_limits<T>::quiet_NaN();
          dst[out_off] = acc;
          break;
        }
      }
    }
  };
  if (g.kept_numel * g.red_numel >= kParallelThreshold && g.kept_numel > 1) {
    StridedLoop<1>::parallel_range(g.kept_numel, body);
  } else {
    body(0, g.kept_numel);
  }
}

}  // namespace

void CpuBackend::reduce(ReduceOp op, const View& in, const View& out) {
  switch (in.dtype) {
    case DType::Float32: return reduce_typed<float>(op, in, out);
    case DType::Float64: return reduce_typed<double>(op, in, out);
    case DType::Int64: return reduce_typed<int64_t>(op, in, out);
    case DType::Bool: MG_FAIL("reduce: convert bool tensors to int64 before reducing");
  }
}

void CpuBackend::arg_reduce(bool is_max, const View& in, int dim, const View& out_values,
                            const View& out_indices) {
  MG_DISPATCH_ALL(in.dtype, [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_same_v<T, bool>) {
      MG_FAIL("max/min: not supported for bool tensors");
    } else {
      // Kept geometry: every dim but `dim`.
      View reduced_out = out_values;
      const ReduceGeometry g(in, reduced_out);
      const int64_t len = in.shape[dim], stride = in.strides[dim];
      const T* src = static_cast<const T*>(in.data);
      T* values = static_cast<T*>(out_values.data);
      int64_t* indices = static_cast<int64_t*>(out_indices.data);
      // Output views are contiguous with the same strides for values and indices.
      for (int64_t k = 0; k < g.kept_numel; ++k) {
        int64_t in_off, out_off;
        g.offsets(k, in_off, out_off);
        const T* base = src + in_off;
        int64_t best = 0;
        T best_v = base[0];
        for (int64_t i = 1; i < len; ++i) {
          const T v = base[i * stride];
          if constexpr (std::is_floating_point_v<T>) {
            if (std::isnan(best_v)) break;
            if (std::isnan(v)) {
              best = i, best_v = v;
              break;
            }
          }
          if (is_max ? v > best_v : v < best_v) best = i, best_v = v;
        }
        values[out_off] = best_v;
        indices[out_off] = best;
      }
    }
  });
}

}  // namespace metagrad::cpu
