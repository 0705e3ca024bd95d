#pragma once

// KernelBackend's sliding-window entries: unfold (im2col), fold (col2im) and max_pool2d_indices,
// with the index map of Note [im2col kernels] (engine/backend/cpu/cpu_conv.cpp): column row
// k = (c*kh + i)*kw + j and position l = y*out_w + x read pixel (y*sh - ph + i*dh,
// x*sw - pw + j*dw). unfold is one thread per column entry; fold is a gather, one thread per
// image pixel summing the entries unfold copies from it (no atomics, deterministic, the CPU's
// order of (i, j)); max-pool is one thread per window.
#include "cuda/kernel_backend.hpp"
#include "engine/backend/view_checks.hpp"

namespace metagrad {
namespace kernels {

/// Sizes and strides of an image view [N, C, H, W] and a column view [N, K, L], with the
/// divisors the kernels split their thread index by (Note [narrow division]).
struct WindowViews {
  int64_t channels, height, width;
  int64_t in_stride[4];
  int64_t out_stride[4];
  Divisor positions, rows, taps, out_w, kernel_w;  // L, K = C * kh * kw, kh * kw, out_w, kw
  Divisor image_w, image_h, image_c, stride_h, stride_w;
  bool narrow = true;
};

// Copies image pixels (or pad) into the columns: out[n, k, l] for row-major linear index i.
template <typename T>
struct UnfoldKernel {
  const T* in;
  T* out;
  WindowViews v;
  ConvGeometry g;
  T pad;

  MG_HD void operator()(int64_t i) const {
    int64_t l = 0, row = 0, tap = 0, x = 0, tj = 0;
    const int64_t rest = v.positions.divmod(i, v.narrow, l);
    const int64_t n = v.rows.divmod(rest, v.narrow, row);
    const int64_t c = v.taps.divmod(row, v.narrow, tap);
    const int64_t y = v.out_w.divmod(l, v.narrow, x);
    const int64_t ti = v.kernel_w.divmod(tap, v.narrow, tj);
    const int64_t h = y * g.stride_h - g.pad_h + ti * g.dilation_h;
    const int64_t w = x * g.stride_w - g.pad_w + tj * g.dilation_w;
    const bool inside = h >= 0 && h < v.height && w >= 0 && w < v.width;
    out[n * v.out_stride[0] + row * v.out_stride[1] + l * v.out_stride[2]] =
        inside
            ? in[n * v.in_stride[0] + c * v.in_stride[1] + h * v.in_stride[2] + w * v.in_stride[3]]
            : pad;
  }
};

// Sums into image pixel (n, c, h, w) the column entries that unfold copies from it, in (i, j)
// order: out[n, c, h, w] for row-major linear index p.
template <typename T>
struct FoldKernel {
  const T* in;
  T* out;
  WindowViews v;
  ConvGeometry g;

  MG_HD void operator()(int64_t p) const {
    int64_t w = 0, h = 0, c = 0;
    const int64_t image_row = v.image_w.divmod(p, v.narrow, w);
    const int64_t plane = v.image_h.divmod(image_row, v.narrow, h);
    const int64_t n = v.image_c.divmod(plane, v.narrow, c);
    const T* col = in + n * v.in_stride[0];
    T acc = T(0);
    for (int64_t i = 0; i < g.kernel_h; ++i) {
      const int64_t ty = h + g.pad_h - i * g.dilation_h;
      if (ty < 0) break;  // falls further as i grows
      int64_t y_rest = 0;
      const int64_t y = v.stride_h.divmod(ty, v.narrow, y_rest);
      if (y_rest != 0 || y >= g.out_h) continue;
      for (int64_t j = 0; j < g.kernel_w; ++j) {
        const int64_t tx = w + g.pad_w - j * g.dilation_w;
        if (tx < 0) break;
        int64_t x_rest = 0;
        const int64_t x = v.stride_w.divmod(tx, v.narrow, x_rest);
        if (x_rest != 0 || x >= g.out_w) continue;
        const int64_t row = (c * g.kernel_h + i) * g.kernel_w + j;
        acc += col[row * v.in_stride[1] + (y * g.out_w + x) * v.in_stride[2]];
      }
    }
    out[n * v.out_stride[0] + c * v.out_stride[1] + h * v.out_stride[2] + w * v.out_stride[3]] =
        acc;
  }
};

// The flat position h*W + w of window p's maximum (row-major window order; padding never wins,
// NaN wins and stays, ties keep the first), -1 for a window that misses the image.
template <typename T>
struct MaxPoolIndicesKernel {
  const T* in;
  int64_t* out;
  WindowViews v;
  ConvGeometry g;

  MG_HD void operator()(int64_t p) const {
    int64_t l = 0, c = 0, out_x = 0;
    const int64_t plane = v.positions.divmod(p, v.narrow, l);
    const int64_t n = v.image_c.divmod(plane, v.narrow, c);
    const int64_t out_y = v.out_w.divmod(l, v.narrow, out_x);
    const T* src = in + n * v.in_stride[0] + c * v.in_stride[1];
    const int64_t h0 = out_y * g.stride_h - g.pad_h;
    const int64_t w0 = out_x * g.stride_w - g.pad_w;
    T best = T(0);
    int64_t best_at = -1;
    for (int64_t i = 0; i < g.kernel_h; ++i) {
      const int64_t h = h0 + i * g.dilation_h;
      if (h < 0 || h >= v.height) continue;
      for (int64_t j = 0; j < g.kernel_w; ++j) {
        const int64_t w = w0 + j * g.dilation_w;
        if (w < 0 || w >= v.width) continue;
        const T x = src[h * v.in_stride[2] + w * v.in_stride[3]];
        if (best_at < 0 || (best == best && (x != x || x > best))) {
          best = x;
          best_at = h * v.width + w;
        }
      }
    }
    out[n * v.out_stride[0] + c * v.out_stride[1] + l * v.out_stride[2]] = best_at;
  }
};

/// The WindowViews of an image view [N, C, H, W] and a column (or index) view [N, K, L].
inline WindowViews window_views(const View& image, const View& columns, bool image_is_input,
                                const ConvGeometry& g) {
  WindowViews w{};
  w.channels = image.shape[1];
  w.height = image.shape[2];
  w.width = image.shape[3];
  const View& in = image_is_input ? image : columns;
  const View& out = image_is_input ? columns : image;
  for (int d = 0; d < in.ndim(); ++d) w.in_stride[d] = in.strides[d];
  for (int d = 0; d < out.ndim(); ++d) w.out_stride[d] = out.strides[d];
  const int64_t taps = g.kernel_h * g.kernel_w;
  w.positions = Divisor::of(g.out_h * g.out_w);
  w.rows = Divisor::of(w.channels * taps);
  w.taps = Divisor::of(taps);
  w.out_w = Divisor::of(g.out_w);
  w.kernel_w = Divisor::of(g.kernel_w);
  w.image_w = Divisor::of(w.width);
  w.image_h = Divisor::of(w.height);
  w.image_c = Divisor::of(w.channels);
  w.stride_h = Divisor::of(g.stride_h);
  w.stride_w = Divisor::of(g.stride_w);
  // Every dividend: a thread index, or a padded pixel coordinate (fold's h + pad_h).
  w.narrow = narrow_indices(image.numel()) && narrow_indices(columns.numel()) &&
             narrow_indices(w.height + g.pad_h) && narrow_indices(w.width + g.pad_w);
  return w;
}

}  // namespace kernels

template <typename Executor>
void KernelBackend<Executor>::unfold(const View& in, const View& out, const ConvGeometry& geometry,
                                     double pad_value) {
  check_window_views(in, out, geometry, "unfold");
  if (out.numel() == 0) return;
  const kernels::WindowViews v = kernels::window_views(in, out, true, geometry);
  kernels::dispatch_float(in.dtype, "unfold", [&](auto tag) {
    using T = decltype(tag);
    executor_.for_each(out.numel(), kernels::UnfoldKernel<T>{static_cast<const T*>(in.data),
                                                             static_cast<T*>(out.data), v, geometry,
                                                             static_cast<T>(pad_value)});
  });
}

template <typename Executor>
void KernelBackend<Executor>::fold(const View& in, const View& out, const ConvGeometry& geometry) {
  check_window_views(out, in, geometry, "fold");
  if (out.numel() == 0) return;
  const kernels::WindowViews v = kernels::window_views(out, in, false, geometry);
  kernels::dispatch_float(in.dtype, "fold", [&](auto tag) {
    using T = decltype(tag);
    executor_.for_each(out.numel(), kernels::FoldKernel<T>{static_cast<const T*>(in.data),
                                                           static_cast<T*>(out.data), v, geometry});
  });
}

template <typename Executor>
void KernelBackend<Executor>::max_pool2d_indices(const View& in, const View& out_indices,
                                                 const ConvGeometry& geometry) {
  check_max_pool_views(in, out_indices, geometry);
  if (out_indices.numel() == 0) return;
  const kernels::WindowViews v = kernels::window_views(in, out_indices, true, geometry);
  kernels::dispatch_float(in.dtype, "max_pool2d", [&](auto tag) {
    using T = decltype(tag);
    executor_.for_each(
        out_indices.numel(),
        kernels::MaxPoolIndicesKernel<T>{static_cast<const T*>(in.data),
                                         static_cast<int64_t*>(out_indices.data), v, geometry});
  });
}

}  // namespace metagrad
