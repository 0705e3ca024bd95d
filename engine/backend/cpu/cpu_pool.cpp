#include <algorithm>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

#include "engine/backend/cpu/cpu_backend.hpp"
#include "engine/backend/cpu/loop.hpp"
#include "engine/backend/view_checks.hpp"

// Note [max-pool windows]
// max_pool2d needs only the position of each window's maximum: the op gathers the values (and
// so gets gather's exact derivatives of every order). This kernel visits each window's taps once,
// in row-major window order, skipping positions that fall in the padding (they act as -inf and
// never win). NaN wins and stays, ties keep the first position, as PyTorch's max_pool2d. Threads
// split the N*C image planes.

namespace metagrad::cpu {
namespace {

// True when v replaces the current best (NaN wins and stays; ties keep the first).
template <typename T>
inline bool replaces(T v, T best) {
  return (best == best) & ((v != v) | (v > best));
}

// The window taps k in [lo, hi) whose position start + k * dilation lies in [0, size).
struct TapRange {
  int64_t lo, hi;
};
TapRange valid_taps(int64_t start, int64_t dilation, int64_t kernel, int64_t size) {
  const int64_t lo = start >= 0 ? 0 : (-start + dilation - 1) / dilation;
  const int64_t hi = start >= size ? 0 : std::min(kernel, (size - 1 - start) / dilation + 1);
  return {lo, std::max(lo, hi)};
}

// The outputs x in [lo, hi) whose tap x * stride + offset lies in [0, size).
TapRange valid_outputs(int64_t offset, int64_t stride, int64_t size, int64_t count) {
  const int64_t lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
  const int64_t hi = offset >= size ? 0 : (size - 1 - offset) / stride + 1;
  const int64_t clamped_lo = std::min(lo, count);
  return {clamped_lo, std::max(std::min(hi, count), clamped_lo)};
}

// One row of windows at a time: for each tap (i, j) in row-major order, every window of the row
// folds that tap into its running best. The loop over windows has no data-dependent branch (it
// blends), and the tap order per window is the row-major window order.
template <typename T>
void max_pool_indices_kernel(const View& in, const View& out, const ConvGeometry& g) {
  const int64_t channels = in.shape[1], height = in.shape[2], width = in.shape[3];
  const int64_t sn = in.strides[0], sc = in.strides[1], sh = in.strides[2], sw = in.strides[3];
  const int64_t ow = g.out_w, positions = g.out_h * ow, planes = in.shape[0] * channels;
  const T* src_base = static_cast<const T*>(in.data);
  int64_t* dst_base = static_cast<int64_t*>(out.data);
  // Valid taps of each window row, and the windows of a row each column tap reaches (these
  // divide, so they are computed once).
  std::vector<TapRange> rows(static_cast<size_t>(g.out_h)), cols(static_cast<size_t>(g.kernel_w));
  for (int64_t y = 0; y < g.out_h; ++y)
    rows[y] = valid_taps(y * g.stride_h - g.pad_h, g.dilation_h, g.kernel_h, height);
  for (int64_t j = 0; j < g.kernel_w; ++j)
    cols[j] = valid_outputs(j * g.dilation_w - g.pad_w, g.stride_w, width, ow);
  // Positions in an integer as wide as T, so that the blend loop vectorises lane for lane.
  using Position = std::conditional_t<sizeof(T) == 4, int32_t, int64_t>;
  MG_CHECK(height * width <= std::numeric_limits<Position>::max(),
           "max_pool2d kernel: an image plane of {} x {} is too large for float32 positions; use "
           "float64",
           height, width);
  auto body = [&](int64_t begin, int64_t end) {
    std::vector<T> best(static_cast<size_t>(ow));
    std::vector<Position> best_at(static_cast<size_t>(ow));
    for (int64_t p = begin; p < end; ++p) {
      const T* src = src_base + (p / channels) * sn + (p % channels) * sc;
      int64_t* dst = dst_base + p * positions;
      for (int64_t y = 0; y < g.out_h; ++y) {
        std::fill(best_at.begin(), best_at.end(), Position{-1});
        for (int64_t i = rows[y].lo; i < rows[y].hi; ++i) {
          const int64_t h = y * g.stride_h - g.pad_h + i * g.dilation_h;
          const T* row = src + h * sh;
          for (int64_t j = 0; j < g.kernel_w; ++j) {
            const int64_t offset = j * g.dilation_w - g.pad_w;
            const T* tap = row + offset * sw;
            const int64_t step = g.stride_w * sw;
            const Position at0 = static_cast<Position>(h * width + offset);
            const Position at_step = static_cast<Position>(g.stride_w);
            T* bv = best.data();
            Position* ba = best_at.data();
            for (int64_t x = cols[j].lo; x < cols[j].hi; ++x) {
              const T v = tap[x * step];
              const bool wins = (ba[x] < 0) | replaces(v, bv[x]);
              bv[x] = wins ? v : bv[x];
              ba[x] = wins ? static_cast<Position>(at0 + x * at_step) : ba[x];
            }
          }
        }
        std::copy(best_at.begin(), best_at.end(), dst + y * ow);
      }
    }
  };
  if (planes * positions * g.kernel_h * g.kernel_w >= kParallelThreshold) {
    StridedLoop<1>::parallel_range(planes, body);
  } else {
    body(0, planes);
  }
}

// The common case of windows without padding or dilation that lie inside the image, over
// unit-stride rows (MaxPool2d(2) and the like): every tap is inside the image, so each window
// starts from its first tap and folds the others in in row-major order. A row of windows is done
// tap by tap over all its windows, blending without branches (random data would mispredict half the
// time) on positions as wide as T, so the loop over windows vectorises. SW > 0 fixes the column
// stride.
template <typename T, int SW>
void max_pool_dense_kernel(const View& in, const View& out, const ConvGeometry& g) {
  using Position = std::conditional_t<sizeof(T) == 4, int32_t, int64_t>;
  const int64_t channels = in.shape[1], width = in.shape[3];
  const int64_t sn = in.strides[0], sc = in.strides[1], sh = in.strides[2];
  const int64_t ow = g.out_w, positions = g.out_h * ow, planes = in.shape[0] * channels;
  const int64_t stride_w = SW > 0 ? SW : g.stride_w;
  MG_CHECK(in.shape[2] * width <= std::numeric_limits<Position>::max(),
           "max_pool2d kernel: an image plane of {} x {} is too large for float32 positions; use "
           "float64",
           in.shape[2], width);
  const T* src_base = static_cast<const T*>(in.data);
  int64_t* dst_base = static_cast<int64_t*>(out.data);
  auto body = [&](int64_t begin, int64_t end) {
    std::vector<T> best(static_cast<size_t>(ow));
    std::vector<Position> best_at(static_cast<size_t>(ow));
    T* bv = best.data();
    Position* ba = best_at.data();
    for (int64_t p = begin; p < end; ++p) {
      const T* src = src_base + (p / channels) * sn + (p % channels) * sc;
      int64_t* dst = dst_base + p * positions;
      for (int64_t y = 0; y < g.out_h; ++y) {
        const int64_t h0 = y * g.stride_h;
        const T* top = src + h0 * sh;
        for (int64_t x = 0; x < ow; ++x) {
          bv[x] = top[x * stride_w];
          ba[x] = 0;
        }
        for (int64_t i = 0; i < g.kernel_h; ++i) {
          for (int64_t j = i == 0 ? 1 : 0; j < g.kernel_w; ++j) {
            const T* tap = top + i * sh + j;
            const Position at = static_cast<Position>(i * width + j);
            for (int64_t x = 0; x < ow; ++x) {
              const T v = tap[x * stride_w];
              const bool wins = replaces(v, bv[x]);
              bv[x] = wins ? v : bv[x];
              ba[x] = wins ? at : ba[x];
            }
          }
        }
        int64_t* row_out = dst + y * ow;
        const int64_t corner = h0 * width;
        for (int64_t x = 0; x < ow; ++x) row_out[x] = corner + x * stride_w + ba[x];
      }
    }
  };
  if (planes * positions * g.kernel_h * g.kernel_w >= kParallelThreshold) {
    StridedLoop<1>::parallel_range(planes, body);
  } else {
    body(0, planes);
  }
}

template <typename T>
void max_pool_indices(const View& in, const View& out, const ConvGeometry& g) {
  // ceil_mode can add a last window that runs past the image: that one has taps outside.
  const bool dense = g.pad_h == 0 && g.pad_w == 0 && g.dilation_h == 1 && g.dilation_w == 1 &&
                     (g.out_h - 1) * g.stride_h + g.kernel_h <= in.shape[2] &&
                     (g.out_w - 1) * g.stride_w + g.kernel_w <= in.shape[3] &&
                     (in.strides[3] == 1 || in.shape[3] == 1);
  if (!dense) {
    max_pool_indices_kernel<T>(in, out, g);
  } else if (g.stride_w == 2) {
    max_pool_dense_kernel<T, 2>(in, out, g);
  } else {
    max_pool_dense_kernel<T, 0>(in, out, g);
  }
}

}  // namespace

void CpuBackend::max_pool2d_indices(const View& in, const View& out_indices,
                                    const ConvGeometry& geometry) {
  check_max_pool_views(in, out_indices, geometry);
  if (out_indices.numel() == 0) return;
  if (in.dtype == DType::Float32) {
    max_pool_indices<float>(in, out_indices, geometry);
  } else {
    max_pool_indices<double>(in, out_indices, geometry);
  }
}

}  // namespace metagrad::cpu
