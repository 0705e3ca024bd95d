#include <algorithm>
#include <cstring>

#include "engine/backend/cpu/cpu_backend.hpp"
#include "engine/backend/cpu/loop.hpp"
#include "engine/backend/view_checks.hpp"

// Note [im2col kernels]
// unfold (im2col) and fold (col2im) walk the same index map: column row k = (c*kh + i)*kw + j and
// column position l = y*out_w + x read input pixel (y*sh - ph + i*dh, x*sw - pw + j*dw). Threads
// split the N*C image planes: each plane owns its kh*kw column rows and its output plane, so fold
// accumulates without atomics and in a fixed order (deterministic). For each (i, j) the range of x
// whose pixel lies inside the image is computed once, so the inner loops carry no bounds tests,
// divisions or modulos; a unit-stride row is a plain copy (unfold) or add (fold).

namespace metagrad::cpu {
namespace {

// Element strides and sizes of the two views, named for the [N, C, H, W] / [N, K, L] layouts.
struct ImageStrides {
  int64_t n, c, h, w;
};
struct ColumnStrides {
  int64_t n, k, l;
};

// The x in [lo, hi) for which x*stride + offset lies in [0, size): the valid part of one row.
struct Span {
  int64_t lo, hi;
};
Span valid_span(int64_t offset, int64_t stride, int64_t size, int64_t count) {
  // lo = ceil(-offset / stride) when offset < 0; hi = floor((size - 1 - offset) / stride) + 1.
  const int64_t lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
  const int64_t last = size - 1 - offset;
  const int64_t hi = last < 0 ? 0 : last / stride + 1;
  const int64_t clamped_lo = std::min(lo, count);
  return {clamped_lo, std::max(std::min(hi, count), clamped_lo)};
}

// Plane p of the N*C image planes as (n, c). Columns laid out channel-major ([C*kh*kw, N, L] in
// memory, as conv2d's) are walked with n fastest, so that each of a plane's kh*kw column rows
// follows the previous plane's in memory; walking them with c fastest would jump kh*kw*N*L
// elements between planes, a TLB miss per row.
struct PlaneOrder {
  int64_t batch, channels;
  bool batch_fastest;
  PlaneOrder(int64_t n, int64_t c, const ColumnStrides& cs)
      : batch(n), channels(c), batch_fastest(n > 1 && cs.n < cs.k) {}
  int64_t n_of(int64_t p) const { return batch_fastest ? p % batch : p / channels; }
  int64_t c_of(int64_t p) const { return batch_fastest ? p / batch : p % channels; }
};

// Runs body(plane_begin, plane_end) over the N*C planes, threaded when `work` is large.
template <typename F>
void over_planes(int64_t planes, int64_t work, F&& body) {
  if (work >= kParallelThreshold) {
    StridedLoop<1>::parallel_range(planes, body);
  } else {
    body(int64_t{0}, planes);
  }
}

template <typename T>
void unfold_kernel(const View& in, const View& out, const ConvGeometry& g, T pad) {
  const int64_t channels = in.shape[1], height = in.shape[2], width = in.shape[3];
  const int64_t oh = g.out_h, ow = g.out_w;
  const ImageStrides is{in.strides[0], in.strides[1], in.strides[2], in.strides[3]};
  const ColumnStrides os{out.strides[0], out.strides[1], out.strides[2]};
  const T* src_base = static_cast<const T*>(in.data);
  T* dst_base = static_cast<T*>(out.data);
  const bool unit = os.l == 1 && is.w == 1;
  const PlaneOrder order(in.shape[0], channels, os);
  over_planes(in.shape[0] * channels, out.numel(), [&](int64_t begin, int64_t end) {
    for (int64_t p = begin; p < end; ++p) {
      const int64_t n = order.n_of(p), c = order.c_of(p);
      const T* src = src_base + n * is.n + c * is.c;
      for (int64_t i = 0; i < g.kernel_h; ++i) {
        const Span rows = valid_span(i * g.dilation_h - g.pad_h, g.stride_h, height, oh);
        for (int64_t j = 0; j < g.kernel_w; ++j) {
          const int64_t off_w = j * g.dilation_w - g.pad_w;
          const Span cols = valid_span(off_w, g.stride_w, width, ow);
          T* dst = dst_base + n * os.n + ((c * g.kernel_h + i) * g.kernel_w + j) * os.k;
          for (int64_t y = 0; y < oh; ++y) {
            T* d = dst + y * ow * os.l;
            if (y < rows.lo || y >= rows.hi) {
              for (int64_t x = 0; x < ow; ++x) d[x * os.l] = pad;
              continue;
            }
            const T* s = src + (y * g.stride_h - g.pad_h + i * g.dilation_h) * is.h;
            for (int64_t x = 0; x < cols.lo; ++x) d[x * os.l] = pad;
            if (unit && g.stride_w == 1) {
              std::memcpy(d + cols.lo, s + cols.lo + off_w,
                          static_cast<size_t>(cols.hi - cols.lo) * sizeof(T));
            } else if (unit) {
              const T* sx = s + off_w;
              for (int64_t x = cols.lo; x < cols.hi; ++x) d[x] = sx[x * g.stride_w];
            } else {
              for (int64_t x = cols.lo; x < cols.hi; ++x)
                d[x * os.l] = s[(x * g.stride_w + off_w) * is.w];
            }
            for (int64_t x = cols.hi; x < ow; ++x) d[x * os.l] = pad;
          }
        }
      }
    }
  });
}

template <typename T>
void fold_kernel(const View& in, const View& out, const ConvGeometry& g) {
  const int64_t channels = out.shape[1], height = out.shape[2], width = out.shape[3];
  const int64_t oh = g.out_h, ow = g.out_w;
  const ColumnStrides is{in.strides[0], in.strides[1], in.strides[2]};
  const ImageStrides os{out.strides[0], out.strides[1], out.strides[2], out.strides[3]};
  const T* src_base = static_cast<const T*>(in.data);
  T* dst_base = static_cast<T*>(out.data);
  const bool unit = is.l == 1 && os.w == 1;
  const PlaneOrder order(out.shape[0], channels, is);
  over_planes(out.shape[0] * channels, in.numel(), [&](int64_t begin, int64_t end) {
    for (int64_t p = begin; p < end; ++p) {
      const int64_t n = order.n_of(p), c = order.c_of(p);
      T* dst = dst_base + n * os.n + c * os.c;
      for (int64_t h = 0; h < height; ++h) {
        T* row = dst + h * os.h;
        if (os.w == 1) {
          std::fill(row, row + width, T(0));
        } else {
          for (int64_t w = 0; w < width; ++w) row[w * os.w] = T(0);
        }
      }
      for (int64_t i = 0; i < g.kernel_h; ++i) {
        const Span rows = valid_span(i * g.dilation_h - g.pad_h, g.stride_h, height, oh);
        for (int64_t j = 0; j < g.kernel_w; ++j) {
          const int64_t off_w = j * g.dilation_w - g.pad_w;
          const Span cols = valid_span(off_w, g.stride_w, width, ow);
          const T* src = src_base + n * is.n + ((c * g.kernel_h + i) * g.kernel_w + j) * is.k;
          for (int64_t y = rows.lo; y < rows.hi; ++y) {
            const T* s = src + y * ow * is.l;
            T* d = dst + (y * g.stride_h - g.pad_h + i * g.dilation_h) * os.h;
            if (unit && g.stride_w == 1) {
              T* dx = d + off_w;
              MG_SIMD()
              for (int64_t x = cols.lo; x < cols.hi; ++x) dx[x] += s[x];
            } else if (unit) {
              T* dx = d + off_w;
              const int64_t step = g.stride_w;
              for (int64_t x = cols.lo; x < cols.hi; ++x) dx[x * step] += s[x];
            } else {
              for (int64_t x = cols.lo; x < cols.hi; ++x)
                d[(x * g.stride_w + off_w) * os.w] += s[x * is.l];
            }
          }
        }
      }
    }
  });
}

}  // namespace

void CpuBackend::unfold(const View& in, const View& out, const ConvGeometry& geometry,
                        double pad_value) {
  check_window_views(in, out, geometry, "unfold");
  if (out.numel() == 0) return;
  if (in.dtype == DType::Float32) {
    unfold_kernel<float>(in, out, geometry, static_cast<float>(pad_value));
  } else {
    unfold_kernel<double>(in, out, geometry, pad_value);
  }
}

void CpuBackend::fold(const View& in, const View& out, const ConvGeometry& geometry) {
  check_window_views(out, in, geometry, "fold");
  if (out.numel() == 0) return;
  if (in.dtype == DType::Float32) {
    fold_kernel<float>(in, out, geometry);
  } else {
    fold_kernel<double>(in, out, geometry);
  }
}

}  // namespace metagrad::cpu
