#include <cstdint>

#include "engine/backend/channel_coefficient_check.hpp"
#include "engine/backend/cpu/cpu_backend.hpp"
#include "engine/backend/cpu/loop.hpp"
#include "engine/error.hpp"

// Note [batch-norm kernels]
// Training-mode batch_norm sees its input as [N, C, S] (S the product of the spatial dims) and
// needs per-channel reductions over (N, S) and one per-channel affine pass. Every kernel walks a
// channel as N rows of S elements (strided; a [N, C] input, S = 1, is walked as one row of N), so
// threads split the channels. Sums accumulate in double (a contiguous row in a vectorised omp simd
// loop). The moments take two passes per channel (the mean, then squared deviations from it),
// which stays accurate when the mean is large against the spread.

namespace metagrad::cpu {
namespace {

// A [N, C, S] view's sizes and element strides, with rows along S (or along N when S == 1).
struct Channels {
  int64_t rows, channels, row_size;
  int64_t row_stride, channel_stride, step;
};

Channels channels_of(const View& v) {
  if (v.shape[2] == 1) return {1, v.shape[1], v.shape[0], 0, v.strides[1], v.strides[0]};
  return {v.shape[0], v.shape[1], v.shape[2], v.strides[0], v.strides[1], v.strides[2]};
}

// Σ p[i step] for i < count, in double.
template <typename T>
double row_sum(const T* p, int64_t count, int64_t step) {
  double total = 0;
  if (step == 1) {
    MG_SIMD(reduction(+ : total))
    for (int64_t i = 0; i < count; ++i) total += static_cast<double>(p[i]);
  } else {
    for (int64_t i = 0; i < count; ++i) total += static_cast<double>(p[i * step]);
  }
  return total;
}

// Σ (p[i step] - mean)² for i < count, in double.
template <typename T>
double row_sq_dev(const T* p, int64_t count, int64_t step, double mean) {
  double total = 0;
  if (step == 1) {
    MG_SIMD(reduction(+ : total))
    for (int64_t i = 0; i < count; ++i) {
      const double d = static_cast<double>(p[i]) - mean;
      total += d * d;
    }
  } else {
    for (int64_t i = 0; i < count; ++i) {
      const double d = static_cast<double>(p[i * step]) - mean;
      total += d * d;
    }
  }
  return total;
}

// Adds Σ g and Σ g (x - mean) over one row to sum_g and sum_gx.
template <typename T>
void row_grad_sums(const T* g, int64_t g_step, const T* x, int64_t x_step, int64_t count,
                   double mean, double& sum_g, double& sum_gx) {
  double sg = 0, sgx = 0;
  if (g_step == 1 && x_step == 1) {
    MG_SIMD(reduction(+ : sg, sgx))
    for (int64_t i = 0; i < count; ++i) {
      const double gv = static_cast<double>(g[i]);
      sg += gv;
      sgx += gv * (static_cast<double>(x[i]) - mean);
    }
  } else {
    for (int64_t i = 0; i < count; ++i) {
      const double gv = static_cast<double>(g[i * g_step]);
      sg += gv;
      sgx += gv * (static_cast<double>(x[i * x_step]) - mean);
    }
  }
  sum_g += sg;
  sum_gx += sgx;
}

// Runs body(c_begin, c_end) over the channels, on threads when the data is large.
template <typename F>
void over_channels(int64_t channels, int64_t numel, F&& body) {
  if (numel >= kParallelThreshold) {
    StridedLoop<1>::parallel_range(channels, body);
  } else {
    body(int64_t{0}, channels);
  }
}

template <typename T>
void moments_kernel(const View& in, const View& mean, const View& sum_sq) {
  const Channels g = channels_of(in);
  const T* base = static_cast<const T*>(in.data);
  T* mean_out = static_cast<T*>(mean.data);
  T* sq_out = static_cast<T*>(sum_sq.data);
  const double count = static_cast<double>(g.rows * g.row_size);
  over_channels(g.channels, in.numel(), [&](int64_t begin, int64_t end) {
    for (int64_t c = begin; c < end; ++c) {
      const T* channel = base + c * g.channel_stride;
      double total = 0;
      for (int64_t r = 0; r < g.rows; ++r)
        total += row_sum(channel + r * g.row_stride, g.row_size, g.step);
      const double m = total / count;
      double sq = 0;
      for (int64_t r = 0; r < g.rows; ++r)
        sq += row_sq_dev(channel + r * g.row_stride, g.row_size, g.step, m);
      mean_out[c * mean.strides[0]] = static_cast<T>(m);
      sq_out[c * sum_sq.strides[0]] = static_cast<T>(sq);
    }
  });
}

template <typename T>
void grad_sums_kernel(const View& grad, const View& in, const View& mean, const View& sum_g,
                      const View& sum_gx) {
  const Channels gg = channels_of(grad), gx = channels_of(in);
  const T* g_base = static_cast<const T*>(grad.data);
  const T* x_base = static_cast<const T*>(in.data);
  const T* mean_in = static_cast<const T*>(mean.data);
  T* sum_g_out = static_cast<T*>(sum_g.data);
  T* sum_gx_out = static_cast<T*>(sum_gx.data);
  over_channels(gx.channels, in.numel(), [&](int64_t begin, int64_t end) {
    for (int64_t c = begin; c < end; ++c) {
      const T* g = g_base + c * gg.channel_stride;
      const T* x = x_base + c * gx.channel_stride;
      const double m = static_cast<double>(mean_in[c * mean.strides[0]]);
      double total_g = 0, total_gx = 0;
      for (int64_t r = 0; r < gx.rows; ++r)
        row_grad_sums(g + r * gg.row_stride, gg.step, x + r * gx.row_stride, gx.step, gx.row_size,
                      m, total_g, total_gx);
      sum_g_out[c * sum_g.strides[0]] = static_cast<T>(total_g);
      sum_gx_out[c * sum_gx.strides[0]] = static_cast<T>(total_gx);
    }
  });
}

template <typename T>
void affine_kernel(const View& u, const View& m, const View& v, const View& a, const View& b,
                   const View& d, const View& out) {
  const Channels gu = channels_of(u), go = channels_of(out);
  const bool has_v = v.data != nullptr;
  const Channels gv = has_v ? channels_of(v) : gu;
  const T* u_base = static_cast<const T*>(u.data);
  const T* v_base = static_cast<const T*>(v.data);
  const T* m_in = static_cast<const T*>(m.data);
  const T* a_in = static_cast<const T*>(a.data);
  const T* b_in = static_cast<const T*>(b.data);
  const T* d_in = static_cast<const T*>(d.data);
  T* out_base = static_cast<T*>(out.data);
  over_channels(go.channels, out.numel(), [&](int64_t begin, int64_t end) {
    for (int64_t c = begin; c < end; ++c) {
      const T ac = a_in[c * a.strides[0]], mc = m_in[c * m.strides[0]];
      const T dc = d_in[c * d.strides[0]];
      const T bc = has_v ? b_in[c * b.strides[0]] : T(0);
      for (int64_t r = 0; r < go.rows; ++r) {
        const T* pu = u_base + c * gu.channel_stride + r * gu.row_stride;
        T* po = out_base + c * go.channel_stride + r * go.row_stride;
        const int64_t n = go.row_size;
        if (has_v) {
          const T* pv = v_base + c * gv.channel_stride + r * gv.row_stride;
          if (gu.step == 1 && gv.step == 1 && go.step == 1) {
            for (int64_t i = 0; i < n; ++i) po[i] = ac * (pu[i] - mc) + bc * pv[i] + dc;
          } else {
            for (int64_t i = 0; i < n; ++i)
              po[i * go.step] = ac * (pu[i * gu.step] - mc) + bc * pv[i * gv.step] + dc;
          }
        } else if (gu.step == 1 && go.step == 1) {
          for (int64_t i = 0; i < n; ++i) po[i] = ac * (pu[i] - mc) + dc;
        } else {
          for (int64_t i = 0; i < n; ++i) po[i * go.step] = ac * (pu[i * gu.step] - mc) + dc;
        }
      }
    }
  });
}

// Throws unless v is a float [N, C, S] view of `dtype` with the given sizes.
void check_ncs(const View& v, DType dtype, const View& like, const char* kernel, const char* what) {
  MG_CHECK(v.ndim() == 3 && v.dtype == dtype && v.shape == like.shape,
           "{} kernel: expected {} to be a {} [N, C, S] view of shape {}, got {} {}", kernel, what,
           dtype_name(dtype), shape_str(like.shape), dtype_name(v.dtype), shape_str(v.shape));
}

// Throws unless v is a 1-D [channels] view of `dtype`.
void check_per_channel(const View& v, DType dtype, int64_t channels, const char* kernel,
                       const char* what) {
  MG_CHECK(v.ndim() == 1 && v.dtype == dtype && v.shape[0] == channels,
           "{} kernel: expected {} to be a {} view of shape [{}], got {} {}", kernel, what,
           dtype_name(dtype), channels, dtype_name(v.dtype), shape_str(v.shape));
}

// Throws unless `in` is a float32/float64 [N, C, S] view.
void check_float_ncs(const View& in, const char* kernel) {
  MG_CHECK(in.ndim() == 3 && is_floating(in.dtype),
           "{} kernel: expected a float32 or float64 [N, C, S] view, got {} {}", kernel,
           dtype_name(in.dtype), shape_str(in.shape));
}

}  // namespace

void CpuBackend::channel_moments(const View& in, const View& mean, const View& sum_sq) {
  check_float_ncs(in, "channel_moments");
  check_per_channel(mean, in.dtype, in.shape[1], "channel_moments", "mean");
  check_per_channel(sum_sq, in.dtype, in.shape[1], "channel_moments", "sum_sq");
  if (in.shape[1] == 0) return;
  if (in.dtype == DType::Float32) {
    moments_kernel<float>(in, mean, sum_sq);
  } else {
    moments_kernel<double>(in, mean, sum_sq);
  }
}

void CpuBackend::channel_grad_sums(const View& grad, const View& in, const View& mean,
                                   const View& sum_g, const View& sum_gx) {
  check_float_ncs(in, "channel_grad_sums");
  check_ncs(grad, in.dtype, in, "channel_grad_sums", "grad");
  check_per_channel(mean, in.dtype, in.shape[1], "channel_grad_sums", "mean");
  check_per_channel(sum_g, in.dtype, in.shape[1], "channel_grad_sums", "sum_g");
  check_per_channel(sum_gx, in.dtype, in.shape[1], "channel_grad_sums", "sum_gx");
  if (in.shape[1] == 0) return;
  if (in.dtype == DType::Float32) {
    grad_sums_kernel<float>(grad, in, mean, sum_g, sum_gx);
  } else {
    grad_sums_kernel<double>(grad, in, mean, sum_g, sum_gx);
  }
}

void CpuBackend::channel_affine(const View& u, const View& m, const View& v, const View& a,
                                const View& b, const View& d, const View& out) {
  check_float_ncs(u, "channel_affine");
  check_ncs(out, u.dtype, u, "channel_affine", "out");
  const int64_t channels = u.shape[1];
  check_per_channel(m, u.dtype, channels, "channel_affine", "m");
  check_per_channel(a, u.dtype, channels, "channel_affine", "a");
  check_per_channel(d, u.dtype, channels, "channel_affine", "d");
  if (v.data != nullptr) {
    check_ncs(v, u.dtype, u, "channel_affine", "v");
    check_per_channel(b, u.dtype, channels, "channel_affine", "b");
  }
  if (out.numel() == 0) return;
  if (u.dtype == DType::Float32) {
    affine_kernel<float>(u, m, v, a, b, d, out);
  } else {
    affine_kernel<double>(u, m, v, a, b, d, out);
  }
}

namespace {

// One formula set over every channel, in double (Note [batch-norm coefficients]).
template <typename T>
void coefficient_kernel(ChannelFormula formula, const View* in, int n_in, const View* out,
                        int n_out, const bn::Constants& constants, int64_t channels) {
  for (int64_t c = 0; c < channels; ++c) {
    double values[bn::kMaxSlots], results[bn::kMaxSlots];
    for (int j = 0; j < n_in; ++j) {
      values[j] =
          in[j].data == nullptr
              ? bn::neutral_input(formula, j)
              : static_cast<double>(static_cast<const T*>(in[j].data)[c * in[j].strides[0]]);
    }
    bn::evaluate(formula, values, results, constants);
    for (int j = 0; j < n_out; ++j) {
      if (out[j].data != nullptr)
        static_cast<T*>(out[j].data)[c * out[j].strides[0]] = static_cast<T>(results[j]);
    }
  }
}

}  // namespace

void CpuBackend::channel_coefficients(ChannelFormula formula, const View* in, int n_in,
                                      const View* out, int n_out, const bn::Constants& constants,
                                      int64_t channels) {
  check_coefficient_views(formula, in, n_in, out, n_out, channels);
  if (out[0].dtype == DType::Float32) {
    coefficient_kernel<float>(formula, in, n_in, out, n_out, constants, channels);
  } else {
    coefficient_kernel<double>(formula, in, n_in, out, n_out, constants, channels);
  }
}

}  // namespace metagrad::cpu
