// batch_norm. Training mode is one op, "BatchNormBackward", computed by the per-channel kernels of
// Note [batch-norm kernels]; eval mode is composed of sub / mul / rsqrt / reshape.
#include "engine/autograd/function.hpp"
#include "engine/grad_mode.hpp"
#include "engine/nn/functional.hpp"
#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"

// Note [batch-norm backward]
// Training-mode batch norm records a single node whose backward has two forms with the same
// value. With grad mode on during backward (create_graph: MAML's inner loop, HVPs) it is the
// closed-form gradient written with public differentiable ops, recomputing mean and invstd from
// the saved input, so derivatives of every order follow from the primitives (DESIGN §3). With
// grad mode off (a plain first-order backward) nothing records, and the same numbers come from
// one reduction pass (Σg, Σg (x - mean)) and one affine pass over the data.

namespace metagrad {
namespace {

/// Throws unless the per-channel tensor `p` (when defined) is [channels] of input's dtype/device.
void check_channel_param(const Tensor& p, const Tensor& input, const char* what) {
  if (!p.defined()) return;
  detail::check_same_kind(input, p, "batch_norm");
  MG_CHECK(p.dim() == 1 && p.size(0) == input.size(1),
           "batch_norm: {} must have shape [{}] (one value per channel of input shape {}), got "
           "shape {}",
           what, input.size(1), shape_str(input.shape()), shape_str(p.shape()));
}

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

// t (values only) in a layout whose trailing dims merge: t itself, or a contiguous copy.
Tensor mergeable(const Tensor& t) {
  const Tensor values = t.detach();
  return merged_trailing_stride(values) < 0 ? values.contiguous() : values;
}

// The raw [N, C, S] view of a `mergeable` tensor [N, C, *].
View ncs_view(const Tensor& t) {
  return View{t.raw_data(),
              t.dtype(),
              {t.size(0), t.size(1), t.numel() / (t.size(0) * t.size(1))},
              {t.stride(0), t.stride(1), merged_trailing_stride(t)}};
}

// Which of (input, weight, bias) the node sends a gradient to.
struct Needs {
  bool input, weight, bias;
};

// Training-mode gradients with differentiable ops, exact to every order (Note [batch-norm
// backward]). With c = x - mean(x), invstd = (mean(c²) + eps)^-1/2, k = w invstd and M values
// per channel: dx = k g - k invstd² Σ(g c) / M c - k Σg / M (= w invstd (g - mean(g) - xhat
// mean(g xhat)), xhat = c invstd), dw = invstd Σ g c, db = Σ g (sums per channel).
TensorList composed_backward(const Tensor& g, const Tensor& x, const Tensor& w, double eps,
                             Needs needs) {
  Dims reduce_dims{0}, stat_shape(x.dim(), 1);
  for (int d = 2; d < x.dim(); ++d) reduce_dims.push_back(d);
  stat_shape[1] = x.size(1);
  const double count = static_cast<double>(x.numel() / x.size(1));
  const Tensor centered = x - mean(x, reduce_dims, true);
  const Tensor inv_std = rsqrt(mean(square(centered), reduce_dims, true) + eps);
  const Tensor sum_gc =
      needs.input || needs.weight ? sum(g * centered, reduce_dims, true) : Tensor();
  const Tensor sum_g = needs.input || needs.bias ? sum(g, reduce_dims, true) : Tensor();
  Tensor dx, dw, db;
  if (needs.input) {
    const Tensor k = w.defined() ? inv_std * reshape(w, stat_shape) : inv_std;
    dx = g * k + centered * (k * square(inv_std) * sum_gc * (-1.0 / count)) +
         k * sum_g * (-1.0 / count);
  }
  if (needs.weight) dw = reshape(sum_gc * inv_std, {x.size(1)});
  if (needs.bias) db = reshape(sum_g, {x.size(1)});
  return {dx, dw, db};
}

// The same gradients from two kernel passes, for a backward that records nothing. batch_mean
// and inv_std are the forward's per-channel [C] statistics of x.
TensorList fused_backward(const Tensor& g, const Tensor& x, const Tensor& w,
                          const Tensor& batch_mean, const Tensor& inv_std, Needs needs) {
  const Tensor gv = mergeable(g), xv = mergeable(x);
  const int64_t channels = x.size(1);
  const double count = static_cast<double>(x.numel() / channels);
  Backend& backend = detail::backend_of(x);
  const Tensor sum_g = make_empty({channels}, x.dtype(), x.device());
  const Tensor sum_gx = make_empty({channels}, x.dtype(), x.device());
  backend.channel_grad_sums(ncs_view(gv), ncs_view(xv), detail::view_of(batch_mean),
                            detail::view_of(sum_g), detail::view_of(sum_gx));
  Tensor dx;
  if (needs.input) {
    // dx = a (x - mean) + k g + d with k = w invstd, a = -k invstd² Σg(x - mean) / M,
    // d = -k Σg / M (M values per channel).
    const Tensor k = w.defined() ? inv_std * w.detach() : inv_std;
    const Tensor a = k * inv_std * inv_std * sum_gx * (-1.0 / count);
    const Tensor d = k * sum_g * (-1.0 / count);
    dx = make_empty(x.shape(), x.dtype(), x.device());
    backend.channel_affine(ncs_view(xv), detail::view_of(batch_mean), ncs_view(gv),
                           detail::view_of(a), detail::view_of(k), detail::view_of(d),
                           ncs_view(dx));
  }
  return {dx, needs.weight ? sum_gx * inv_std : Tensor(), needs.bias ? sum_g : Tensor()};
}

// Training mode (input non-empty, more than one value per channel): batch statistics from
// channel_moments, y = (x - mean) scale + bias in one pass, the running-stat update, one recorded
// node.
Tensor batch_norm_training(const Tensor& input, const Tensor& running_mean,
                           const Tensor& running_var, const Tensor& weight, const Tensor& bias,
                           double momentum, double eps) {
  const int64_t channels = input.size(1);
  const double count = static_cast<double>(input.numel() / channels);
  const Tensor x = mergeable(input);
  Backend& backend = detail::backend_of(input);
  const Tensor batch_mean = make_empty({channels}, input.dtype(), input.device());
  const Tensor sum_sq = make_empty({channels}, input.dtype(), input.device());
  backend.channel_moments(ncs_view(x), detail::view_of(batch_mean), detail::view_of(sum_sq));
  Tensor inv_std, scale, shift;
  {
    NoGradGuard no_grad;
    // y = (x - mean) / sqrt(var_biased + eps) * weight + bias = (x - mean) scale + shift
    inv_std = rsqrt(sum_sq / count + eps);
    scale = weight.defined() ? inv_std * weight : inv_std;
    shift = bias.defined() ? bias : zeros_like(batch_mean);
    if (running_mean.defined()) {
      // running = (1 - momentum) running + momentum stat, with the unbiased variance (PyTorch).
      Tensor rm = running_mean, rv = running_var;
      rm.mul_(1.0 - momentum).add_(batch_mean, momentum);
      rv.mul_(1.0 - momentum).add_(sum_sq / (count - 1.0), momentum);
    }
  }
  Tensor y = make_empty(input.shape(), input.dtype(), input.device());
  backend.channel_affine(ncs_view(x), detail::view_of(batch_mean), View{}, detail::view_of(scale),
                         View{}, detail::view_of(shift), ncs_view(y));
  if (needs_grad({&input, &weight, &bias})) {
    // Note [batch-norm backward]
    const SavedTensor saved_input(input, false), saved_weight(weight, false);
    record("BatchNormBackward", {input, weight, bias}, {y},
           [saved_input, saved_weight, batch_mean, inv_std, eps](const TensorList& grads,
                                                                 Node& self) -> TensorList {
             const Tensor in = saved_input.unpack(self), w = saved_weight.unpack(self);
             const Needs needs{self.next_edges()[0].valid(), self.next_edges()[1].valid(),
                               self.next_edges()[2].valid()};
             if (is_grad_enabled()) return composed_backward(grads[0], in, w, eps, needs);
             return fused_backward(grads[0], in, w, batch_mean, inv_std, needs);
           },
           {{"input", saved_input}, {"weight", saved_weight}});
  }
  return y;
}

}  // namespace

Tensor batch_norm(const Tensor& input, const Tensor& running_mean, const Tensor& running_var,
                  const Tensor& weight, const Tensor& bias, bool training, double momentum,
                  double eps) {
  detail::check_defined(input, "batch_norm");
  detail::check_floating(input, "batch_norm");
  MG_CHECK(input.dim() >= 2, "batch_norm: input must be [N, C] or [N, C, *], got shape {}",
           shape_str(input.shape()));
  check_channel_param(running_mean, input, "running_mean");
  check_channel_param(running_var, input, "running_var");
  check_channel_param(weight, input, "weight");
  check_channel_param(bias, input, "bias");
  MG_CHECK(running_mean.defined() == running_var.defined(),
           "batch_norm: running_mean and running_var must both be given or both be undefined");
  MG_CHECK(training || running_mean.defined(),
           "batch_norm: running_mean and running_var must be given in eval mode (training = "
           "false); pass them or use training = true for batch statistics");

  const int64_t channels = input.size(1);
  Dims stat_shape(input.dim(), 1);  // [1, C, 1, ...]: broadcasts a per-channel value
  stat_shape[1] = channels;
  const int64_t count = channels == 0 ? 0 : input.numel() / channels;  // values per channel
  if (training) {
    if (input.numel() == 0) return clone(input);
    MG_CHECK(count > 1,
             "batch_norm: expected more than 1 value per channel when training, got input shape "
             "{}",
             shape_str(input.shape()));
    return batch_norm_training(input, running_mean, running_var, weight, bias, momentum, eps);
  }
  // y = (x - running_mean) / sqrt(running_var + eps)
  const Tensor centered = input - reshape(running_mean, stat_shape);
  const Tensor inv_std = rsqrt(reshape(running_var, stat_shape) + eps);
  const Tensor scale = weight.defined() ? inv_std * reshape(weight, stat_shape) : inv_std;
  const Tensor y = centered * scale;
  return bias.defined() ? y + reshape(bias, stat_shape) : y;
}

}  // namespace metagrad
