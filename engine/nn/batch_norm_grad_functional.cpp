// The gradient of training-mode batch norm as an op of its own (detail::batch_norm_grad): two
// per-channel kernel passes forward, and a closed-form backward (the second derivative) that is
// again a few kernel passes, or, with grad mode on, the same formula in differentiable ops.
#include "engine/autograd/function.hpp"
#include "engine/grad_mode.hpp"
#include "engine/nn/batch_norm_grad.hpp"
#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"

// Note [batch-norm double backward]
// batch_norm_grad maps (g, x, w) to dx = w s (g - Σg / M - c s² Σgc / M) and dw = s Σgc (c = x -
// mean, s = inv_std, M values per channel, sums per channel). Its backward takes (qx, qw) = the
// gradients of dx and dw and returns, with k = w s and sums Σq, Σqc, Σgq:
//   d/dg = k qx + (qw s - k s² Σqc / M) c + (-k Σq / M)                     (the dx map is
//          self-adjoint in g, plus dw's s c)
//   d/dw = s (Σgq - Σg Σq / M - s² Σgc Σqc / M)                            (dx / w)
//   d/dx = α c + β g + γ qx + δ, with
//     α = w s³ (Σq Σg / M - Σgq + 3 s² Σgc Σqc / M) / M - qw s³ Σgc / M,
//     β = qw s - w s³ Σqc / M,   γ = -w s³ Σgc / M,
//     δ = w s³ (Σqc Σg + Σgc Σq) / M² - qw s Σg / M
// (PyTorch's batchnorm_double_backward; ∂s/∂x = -s³ c / M, ∂Σgc/∂x = g - Σg / M). With grad mode
// off these are per-channel coefficients and kernel passes (two sums, three affine passes); with
// it on, the same formula in public differentiable ops that recompute mean and s from x, so the
// derivatives of the backward are exact too.

namespace metagrad::detail {
namespace {

// The stride of one dim that walks t's dims 2.. in row-major order (size-1 dims skipped; 1 when
// none is left), or -1 when their strides do not allow it.
int64_t merged_trailing_stride(const Tensor& t) {
  int64_t stride = 1, next = -1;  // next: the stride the next outer dim needs
  for (int d = t.dim() - 1; d >= 2; --d) {
    if (t.size(d) == 1) continue;
    if (next < 0) {
      stride = t.stride(d);
    } else if (t.stride(d) != next) {
      return -1;
    }
    next = t.stride(d) * t.size(d);
  }
  return stride;
}

// Values per channel of x [N, C, *].
double per_channel_count(const Tensor& x) { return static_cast<double>(x.numel() / x.size(1)); }

// out = a (u - m) + b v + d per channel over [N, C, *] tensors (channel_mergeable values) into a
// new tensor of u's shape and memory layout; an undefined v drops the b term.
Tensor channel_affine(const Tensor& u, const Tensor& m, const Tensor& v, const Tensor& a,
                      const Tensor& b, const Tensor& d) {
  Tensor out = make_empty_in_layout_of(u);
  backend_of(u).channel_affine(ncs_view(u), view_of(m), v.defined() ? ncs_view(v) : View{},
                               view_of(a), v.defined() ? view_of(b) : View{}, view_of(d),
                               ncs_view(out));
  return out;
}

// Per channel (Σ g, Σ g (x - m)) over [N, C, *] channel_mergeable values.
std::pair<Tensor, Tensor> channel_sums(const Tensor& g, const Tensor& x, const Tensor& m) {
  const int64_t channels = x.size(1);
  Tensor sum_g = make_empty({channels}, x.dtype(), x.device());
  Tensor sum_gx = make_empty({channels}, x.dtype(), x.device());
  backend_of(x).channel_grad_sums(ncs_view(g), ncs_view(x), view_of(m), view_of(sum_g),
                                  view_of(sum_gx));
  return {sum_g, sum_gx};
}

// Evaluates the formula set `formula` (Note [batch-norm coefficients]) of the [C] vectors `in`
// (undefined: neutral) into new [C] vectors, one per output slot, of like's dtype and device.
TensorList channel_coefficients(ChannelFormula formula, std::initializer_list<Tensor> in,
                                const Tensor& like, double count, double eps) {
  const int64_t channels = like.size(1);
  View in_views[bn::kMaxSlots], out_views[bn::kMaxSlots];
  int n_in = 0;
  for (const Tensor& t : in) in_views[n_in++] = optional_view(t);
  TensorList out;
  const int n_out = bn::output_count(formula);
  for (int j = 0; j < n_out; ++j) {
    out.push_back(make_empty({channels}, like.dtype(), like.device()));
    out_views[j] = view_of(out.back());
  }
  backend_of(like).channel_coefficients(formula, in_views, n_in, out_views, n_out,
                                        {count, eps, 0.0}, channels);
  return out;
}

// What the recorded node keeps besides its saved inputs: x's statistics and the sums Σg, Σgc of
// the forward (plain [C] tensors).
struct GradState {
  Tensor mean, inv_std, sum_g, sum_gc;
  double eps;
};

// Note [batch-norm double backward], grad mode off: kernel passes over the values, with every
// coefficient from one channel_coefficients call.
TensorList fused_double_backward(const Tensor& qx, const Tensor& qw, const Tensor& g,
                                 const Tensor& x, const Tensor& w, const GradState& st,
                                 const bool need[3]) {
  using namespace bn::double_backward;
  const Tensor gv = channel_mergeable(g), xv = channel_mergeable(x), qv = channel_mergeable(qx);
  // Per-channel 0 and 1 as stride-0 views of one number (no fill of their own).
  const Tensor zero = expand(scalar_like(0.0, st.mean), st.mean.shape());
  const Tensor one = expand(scalar_like(1.0, st.mean), st.mean.shape());
  const auto [sum_q, sum_qc] = channel_sums(qv, xv, st.mean);
  Tensor sum_gq;
  if (need[1] || need[2]) sum_gq = channel_sums(gv, qv, zero).second;
  const TensorList c = channel_coefficients(
      ChannelFormula::DoubleBackward,
      {st.inv_std, w.defined() ? w.detach() : Tensor(), qw.defined() ? qw.detach() : Tensor(),
       st.sum_g, st.sum_gc, sum_q, sum_qc, sum_gq},
      x, per_channel_count(x), st.eps);
  Tensor dg, dx, dw;
  if (need[0]) dg = channel_affine(xv, st.mean, qv, c[kGa], c[kK], c[kGd]);
  if (need[1]) {
    // alpha (x - mean) + beta g + delta, then + gamma qx: the second pass adds to the first.
    const Tensor partial = channel_affine(xv, st.mean, gv, c[kAlpha], c[kBeta], c[kDelta]);
    dx = channel_affine(qv, zero, partial, c[kGamma], one, zero);
  }
  if (need[2] && w.defined()) dw = c[kDw];
  return {dg, dx, dw};
}

// Note [batch-norm double backward], grad mode on: the same formula in differentiable ops.
TensorList composed_double_backward(const Tensor& qx, const Tensor& qw, const Tensor& g,
                                    const Tensor& x, const Tensor& w, double eps,
                                    const bool need[3]) {
  Dims reduce_dims{0}, stat_shape(x.dim(), 1);
  for (int d = 2; d < x.dim(); ++d) reduce_dims.push_back(d);
  stat_shape[1] = x.size(1);
  const double inv_m = 1.0 / per_channel_count(x);
  const auto total = [&](const Tensor& t) { return sum(t, reduce_dims, true); };
  const Tensor c = x - mean(x, reduce_dims, true);
  const Tensor s = rsqrt(mean(square(c), reduce_dims, true) + eps);
  const Tensor s2 = square(s), qws = reshape(qw, stat_shape) * s;
  const Tensor k = w.defined() ? reshape(w, stat_shape) * s : s;
  const Tensor sum_g = total(g), sum_gc = total(g * c), sum_q = total(qx), sum_qc = total(qx * c);
  const Tensor sum_gq = need[1] || need[2] ? total(g * qx) : Tensor();
  Tensor dg, dx, dw;
  if (need[0]) dg = qx * k + c * (qws - k * s2 * sum_qc * inv_m) + k * sum_q * (-inv_m);
  if (need[1]) {
    const Tensor ks2 = k * s2, gc_m = sum_gc * inv_m, g_m = sum_g * inv_m;
    const Tensor alpha =
        ks2 * (sum_q * g_m - sum_gq + 3.0 * s2 * gc_m * sum_qc) * inv_m - qws * s2 * gc_m;
    const Tensor beta = qws - ks2 * sum_qc * inv_m;
    const Tensor delta = ks2 * (sum_qc * g_m + gc_m * sum_q) * inv_m - qws * g_m;
    dx = c * alpha + g * beta + qx * (ks2 * gc_m * -1.0) + delta;
  }
  if (need[2] && w.defined()) {
    dw = reshape(s * (sum_gq - sum_g * sum_q * inv_m - s2 * sum_gc * sum_qc * inv_m), {x.size(1)});
  }
  return {dg, dx, dw};
}

}  // namespace

Tensor channel_mergeable(const Tensor& t) {
  const Tensor values = t.detach();
  return merged_trailing_stride(values) < 0 ? values.contiguous() : values;
}

View optional_view(const Tensor& t) { return t.defined() ? view_of(t) : View{}; }

View ncs_view(const Tensor& t) {
  return View{t.raw_data(),
              t.dtype(),
              {t.size(0), t.size(1), t.numel() / (t.size(0) * t.size(1))},
              {t.stride(0), t.stride(1), merged_trailing_stride(t)}};
}

TensorList batch_norm_grad(const Tensor& g, const Tensor& x, const Tensor& w,
                           const BatchNormStats& stats, double eps, BatchNormNeeds needs) {
  const bool recording = needs_grad({&g, &x, &w});
  const Tensor gv = channel_mergeable(g), xv = channel_mergeable(x);
  const double m = per_channel_count(x);
  auto [sum_g, sum_gc] = channel_sums(gv, xv, stats.mean);
  Tensor dx, dw;
  {
    const NoGradGuard no_grad;
    using namespace bn::backward;
    // dx = a (x - mean) + k g + d with k = w s, a = -k s² Σgc / M, d = -k Σg / M; dw = s Σgc.
    const TensorList c = channel_coefficients(
        ChannelFormula::Backward,
        {stats.inv_std, w.defined() ? w.detach() : Tensor(), sum_g, sum_gc}, x, m, eps);
    if (needs.input || recording) dx = channel_affine(xv, stats.mean, gv, c[kA], c[kK], c[kD]);
    dw = c[kDw];
  }
  Tensor db = needs.bias ? sum_g : Tensor();
  if (recording) {
    if (db.defined()) db = sum_g.clone();  // the node keeps sum_g
    // Note [batch-norm double backward]
    const SavedTensor sg(g, false), sx(x, false), sw(w, false);
    record("BatchNormGradBackward", {g, x, w}, {dx, dw},
           [sg, sx, sw, st = GradState{stats.mean, stats.inv_std, sum_g, sum_gc, eps}](
               const TensorList& grads, Node& self) -> TensorList {
             const bool need[3] = {self.next_edges()[0].valid(), self.next_edges()[1].valid(),
                                   self.next_edges()[2].valid()};
             const Tensor gi = sg.unpack(self), xi = sx.unpack(self), wi = sw.unpack(self);
             if (is_grad_enabled())
               return composed_double_backward(grads[0], grads[1], gi, xi, wi, st.eps, need);
             return fused_double_backward(grads[0], grads[1], gi, xi, wi, st, need);
           },
           {{"grad_output", sg}, {"input", sx}, {"weight", sw}});
    if (db.defined() && needs_grad(g)) {
      // d Σg = Σ dg  =>  grad_g = the gradient of db broadcast over g's shape
      record(
          "BatchNormBiasGradBackward", {g}, {db},
          [shape = g.shape(), channels = g.size(1)](const TensorList& grads, Node&) -> TensorList {
            Dims stat_shape(shape.size(), 1);
            stat_shape[1] = channels;
            return {expand(reshape(grads[0], stat_shape), shape)};
          });
    }
  }
  return {needs.input ? dx : Tensor(), needs.weight ? dw : Tensor(), db};
}

}  // namespace metagrad::detail
