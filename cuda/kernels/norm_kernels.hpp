#pragma once

// KernelBackend's batch-norm kernels (Note [batch-norm kernels] in engine/backend/cpu/
// cpu_norm.cpp): the per-channel statistics are staged reductions over (N, S) with the channel
// kept (Note [staged reduction] in reduce_kernels.hpp), accumulated in double; channel_affine is
// elementwise.
#include <algorithm>
#include <cstdint>

#include "cuda/kernel_backend.hpp"
#include "cuda/kernels/reduce_kernels.hpp"
#include "engine/backend/channel_coefficient_check.hpp"
#include "engine/backend/norm_coefficients.hpp"

namespace metagrad {
namespace kernels {

/// Writes mean = total / count of channel k, in double to `mean` and in T to `out`.
template <typename T>
struct MeanStore {
  double* mean;
  T* out;
  int64_t out_stride;
  double count;
  MG_HD void operator()(int64_t, int64_t k, const int64_t (&)[2], const double& total) const {
    const double m = total / count;
    mean[k] = m;
    out[k * out_stride] = static_cast<T>(m);
  }
};

/// Loads (x - mean[k])² in double.
template <typename T>
struct SquaredDeviationLoad {
  const T* src;
  const double* mean;
  MG_HD double operator()(int64_t k, int64_t, int64_t off0, int64_t) const {
    const double d = static_cast<double>(src[off0]) - mean[k];
    return d * d;
  }
};

/// Writes the total of channel k, converted to T.
template <typename T>
struct ChannelStore {
  T* out;
  int64_t stride;
  MG_HD void operator()(int64_t, int64_t k, const int64_t (&)[2], const double& total) const {
    out[k * stride] = static_cast<T>(total);
  }
};

/// Σ g and Σ g (x - mean) of a channel.
struct GradSums {
  double g, gx;
};

/// Sums of GradSums.
struct GradSumsReduction {
  using Acc = GradSums;
  MG_HD Acc identity() const { return Acc{0, 0}; }
  MG_HD Acc combine(Acc a, Acc b) const { return Acc{a.g + b.g, a.gx + b.gx}; }
};

/// Loads (g, g (x - mean[k])) with x at off0 and g at off1, in double.
template <typename T>
struct GradSumsLoad {
  const T* x;
  const T* g;
  const T* mean;
  int64_t mean_stride;
  MG_HD GradSums operator()(int64_t k, int64_t, int64_t off0, int64_t off1) const {
    const double gv = static_cast<double>(g[off1]);
    return GradSums{
        gv, gv * (static_cast<double>(x[off0]) - static_cast<double>(mean[k * mean_stride]))};
  }
};

/// Writes channel k's sums, converted to T.
template <typename T>
struct GradSumsStore {
  T* sum_g;
  int64_t g_stride;
  T* sum_gx;
  int64_t gx_stride;
  MG_HD void operator()(int64_t, int64_t k, const int64_t (&)[2], const GradSums& s) const {
    sum_g[k * g_stride] = static_cast<T>(s.g);
    sum_gx[k * gx_stride] = static_cast<T>(s.gx);
  }
};

/// out = a[c] (u - m[c]) + b[c] v + d[c] (no b term without v) for element i of [N, C, S], whose
/// dims are walked in `dim` order (out's memory order, outermost first).
template <typename T>
struct ChannelAffine {
  Divisor size[3];  // out's dims in its memory order (largest stride first)
  bool narrow = true;
  int channel_at = 1;                               // the position of the channel dim in that order
  int64_t out_stride[3], u_stride[3], v_stride[3];  // the strides of those dims
  const T *u, *v, *m, *a, *b, *d;
  int64_t m_stride, a_stride, b_stride, d_stride;
  T* out;

  MG_HD void operator()(int64_t i) const {
    int64_t o = 0, pu = 0, pv = 0, c = 0;
    for (int j = 2; j >= 0; --j) {
      int64_t r = i;  // the outermost dim's coordinate is the quotient left: no division
      if (j > 0) i = size[j].divmod(i, narrow, r);
      o += r * out_stride[j];
      pu += r * u_stride[j];
      pv += r * v_stride[j];
      if (j == channel_at) c = r;
    }
    const T ac = a[c * a_stride], mc = m[c * m_stride], dc = d[c * d_stride];
    if (v != nullptr) {
      out[o] = ac * (u[pu] - mc) + b[c * b_stride] * v[pv] + dc;
    } else {
      out[o] = ac * (u[pu] - mc) + dc;
    }
  }
};

/// One channel's formula set (Note [batch-norm coefficients]): reads its inputs (null: the slot's
/// neutral value) in double, evaluates, writes the present outputs.
template <typename T>
struct ChannelCoefficients {
  ChannelFormula formula;
  bn::Constants constants;
  int n_in, n_out;
  const T* in[bn::kMaxSlots];
  int64_t in_stride[bn::kMaxSlots];
  T* out[bn::kMaxSlots];
  int64_t out_stride[bn::kMaxSlots];

  MG_HD void operator()(int64_t c) const {
    double values[bn::kMaxSlots], results[bn::kMaxSlots];
    for (int j = 0; j < n_in; ++j) {
      values[j] = in[j] == nullptr ? bn::neutral_input(formula, j)
                                   : static_cast<double>(in[j][c * in_stride[j]]);
    }
    bn::evaluate(formula, values, results, constants);
    for (int j = 0; j < n_out; ++j) {
      if (out[j] != nullptr) out[j][c * out_stride[j]] = static_cast<T>(results[j]);
    }
  }
};

/// The plan of a per-channel reduction of in (and in1, may be null) viewed as [N, C, S].
inline ReducePlan channel_plan(const View& in, const View* in1) {
  const View per_channel{nullptr, in.dtype, Dims{1, in.shape[1], 1}, Dims{0, 1, 0}};
  return make_reduce_plan(in, in1, per_channel, nullptr);
}

/// Throws unless v is a float [N, C, S] view of `dtype` with the given sizes.
inline void check_norm_ncs(const View& v, DType dtype, const View& like, const char* kernel,
                           const char* what) {
  MG_CHECK(v.ndim() == 3 && v.dtype == dtype && v.shape == like.shape,
           "{} kernel: expected {} to be a {} [N, C, S] view of shape {}, got {} {}", kernel, what,
           dtype_name(dtype), shape_str(like.shape), dtype_name(v.dtype), shape_str(v.shape));
}

/// Throws unless v is a 1-D [channels] view of `dtype`.
inline void check_norm_per_channel(const View& v, DType dtype, int64_t channels, const char* kernel,
                                   const char* what) {
  MG_CHECK(v.ndim() == 1 && v.dtype == dtype && v.shape[0] == channels,
           "{} kernel: expected {} to be a {} view of shape [{}], got {} {}", kernel, what,
           dtype_name(dtype), channels, dtype_name(v.dtype), shape_str(v.shape));
}

/// Throws unless `in` is a float32/float64 [N, C, S] view.
inline void check_norm_float_ncs(const View& in, const char* kernel) {
  MG_CHECK(in.ndim() == 3 && is_floating(in.dtype),
           "{} kernel: expected a float32 or float64 [N, C, S] view, got {} {}", kernel,
           dtype_name(in.dtype), shape_str(in.shape));
}

}  // namespace kernels

template <typename Executor>
void KernelBackend<Executor>::channel_moments(const View& in, const View& mean,
                                              const View& sum_sq) {
  using namespace kernels;
  check_norm_float_ncs(in, "channel_moments");
  check_norm_per_channel(mean, in.dtype, in.shape[1], "channel_moments", "mean");
  check_norm_per_channel(sum_sq, in.dtype, in.shape[1], "channel_moments", "sum_sq");
  const int64_t channels = in.shape[1];
  if (channels == 0) return;
  const ReducePlan plan = channel_plan(in, nullptr);
  const double count = static_cast<double>(in.shape[0] * in.shape[2]);
  dispatch_float(in.dtype, "channel_moments", [&](auto tag) {
    using T = decltype(tag);
    const T* src = static_cast<const T*>(in.data);
    // Two passes: the mean (kept in double for the second), then squared deviations from it.
    ScratchBuffer mean_d = scratch(static_cast<size_t>(channels) * sizeof(double));
    staged_reduce(
        *this, plan, SumReduction<double>{}, ValueLoad<T, double>{src},
        MeanStore<T>{mean_d.as<double>(), static_cast<T*>(mean.data), mean.strides[0], count});
    staged_reduce(*this, plan, SumReduction<double>{},
                  SquaredDeviationLoad<T>{src, mean_d.as<double>()},
                  ChannelStore<T>{static_cast<T*>(sum_sq.data), sum_sq.strides[0]});
  });
}

template <typename Executor>
void KernelBackend<Executor>::channel_grad_sums(const View& grad, const View& in, const View& mean,
                                                const View& sum_g, const View& sum_gx) {
  using namespace kernels;
  check_norm_float_ncs(in, "channel_grad_sums");
  check_norm_ncs(grad, in.dtype, in, "channel_grad_sums", "grad");
  check_norm_per_channel(mean, in.dtype, in.shape[1], "channel_grad_sums", "mean");
  check_norm_per_channel(sum_g, in.dtype, in.shape[1], "channel_grad_sums", "sum_g");
  check_norm_per_channel(sum_gx, in.dtype, in.shape[1], "channel_grad_sums", "sum_gx");
  if (in.shape[1] == 0) return;
  const ReducePlan plan = channel_plan(in, &grad);
  dispatch_float(in.dtype, "channel_grad_sums", [&](auto tag) {
    using T = decltype(tag);
    staged_reduce(*this, plan, GradSumsReduction{},
                  GradSumsLoad<T>{static_cast<const T*>(in.data), static_cast<const T*>(grad.data),
                                  static_cast<const T*>(mean.data), mean.strides[0]},
                  GradSumsStore<T>{static_cast<T*>(sum_g.data), sum_g.strides[0],
                                   static_cast<T*>(sum_gx.data), sum_gx.strides[0]});
  });
}

template <typename Executor>
void KernelBackend<Executor>::channel_affine(const View& u, const View& m, const View& v,
                                             const View& a, const View& b, const View& d,
                                             const View& out) {
  using namespace kernels;
  check_norm_float_ncs(u, "channel_affine");
  check_norm_ncs(out, u.dtype, u, "channel_affine", "out");
  const int64_t channels = u.shape[1];
  check_norm_per_channel(m, u.dtype, channels, "channel_affine", "m");
  check_norm_per_channel(a, u.dtype, channels, "channel_affine", "a");
  check_norm_per_channel(d, u.dtype, channels, "channel_affine", "d");
  const bool has_v = v.data != nullptr;
  if (has_v) {
    check_norm_ncs(v, u.dtype, u, "channel_affine", "v");
    check_norm_per_channel(b, u.dtype, channels, "channel_affine", "b");
  }
  if (out.numel() == 0) return;
  dispatch_float(u.dtype, "channel_affine", [&](auto tag) {
    using T = decltype(tag);
    ChannelAffine<T> f{};
    // Walk out's dims in its memory order (largest stride first): coalesced writes.
    int order[3] = {0, 1, 2};
    std::stable_sort(order, order + 3,
                     [&](int x, int y) { return out.strides[x] > out.strides[y]; });
    for (int j = 0; j < 3; ++j) {
      const int dim = order[j];
      if (dim == 1) f.channel_at = j;
      f.size[j] = Divisor::of(out.shape[dim]);
      f.out_stride[j] = out.strides[dim];
      f.u_stride[j] = u.strides[dim];
      f.v_stride[j] = has_v ? v.strides[dim] : 0;
    }
    f.narrow = narrow_indices(out.numel());
    f.u = static_cast<const T*>(u.data);
    f.v = has_v ? static_cast<const T*>(v.data) : nullptr;
    f.m = static_cast<const T*>(m.data);
    f.a = static_cast<const T*>(a.data);
    f.b = has_v ? static_cast<const T*>(b.data) : nullptr;
    f.d = static_cast<const T*>(d.data);
    f.m_stride = m.strides[0];
    f.a_stride = a.strides[0];
    f.b_stride = has_v ? b.strides[0] : 0;
    f.d_stride = d.strides[0];
    f.out = static_cast<T*>(out.data);
    executor_.for_each(out.numel(), f);
  });
}

template <typename Executor>
void KernelBackend<Executor>::channel_coefficients(ChannelFormula formula, const View* in, int n_in,
                                                   const View* out, int n_out,
                                                   const bn::Constants& constants,
                                                   int64_t channels) {
  using namespace kernels;
  check_coefficient_views(formula, in, n_in, out, n_out, channels);
  if (channels == 0) return;
  dispatch_float(out[0].dtype, "channel_coefficients", [&](auto tag) {
    using T = decltype(tag);
    ChannelCoefficients<T> f{};
    f.formula = formula;
    f.constants = constants;
    f.n_in = n_in;
    f.n_out = n_out;
    for (int j = 0; j < n_in; ++j) {
      f.in[j] = static_cast<const T*>(in[j].data);
      f.in_stride[j] = in[j].data != nullptr ? in[j].strides[0] : 0;
    }
    for (int j = 0; j < n_out; ++j) {
      f.out[j] = static_cast<T*>(out[j].data);
      f.out_stride[j] = out[j].data != nullptr ? out[j].strides[0] : 0;
    }
    executor_.for_each(channels, f);
  });
}

}  // namespace metagrad
