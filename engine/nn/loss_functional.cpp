// Losses (nll_loss, cross_entropy, mse_loss, l1_loss, smooth_l1_loss, huber_loss, kl_div,
// binary_cross_entropy, binary_cross_entropy_with_logits), composed of public ops so that every
// order of derivative follows from the primitives' backwards.
#include <vector>

#include "engine/grad_mode.hpp"
#include "engine/nn/functional.hpp"
#include "engine/nn/log1p_exp.hpp"
#include "engine/nn/loss_support.hpp"
#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"
#include "engine/ops/x_log_x.hpp"

namespace metagrad {

using detail::check_loss_operands;
using detail::reduce_loss;

namespace {

/// Throws unless `w` (when defined) matches x's dtype/device and broadcasts to `shape`.
void check_broadcasts_to(const Tensor& w, const Tensor& x, const Dims& shape, const char* op,
                         const char* what) {
  if (!w.defined()) return;
  detail::check_same_kind(x, w, op);
  bool ok = w.dim() <= shape.size();
  for (int i = 1; ok && i <= w.dim(); ++i) {
    const int64_t size = w.shape()[w.dim() - i];
    ok = size == 1 || size == shape[shape.size() - i];
  }
  MG_CHECK(ok, "{}: {} of shape {} does not broadcast to the input shape {}", op, what,
           shape_str(w.shape()), shape_str(shape));
}

/// The shared body of nll_loss and cross_entropy on log-probabilities `logp`. With smoothing s,
/// each target's loss is (1 - s) * (-w[t] logp[t]) + s / C * sum_c(-w[c] logp[c]) (PyTorch's
/// label smoothing); ignored targets give 0, and Mean divides by the summed w[t] of the others.
Tensor nll_impl(const Tensor& logp, const Tensor& target, Reduction reduction, int64_t ignore_index,
                const Tensor& weight, double smoothing, const char* op) {
  detail::check_defined(target, op, "target");
  MG_CHECK(target.dtype() == kInt64,
           "{}: target must be an int64 tensor of class indices, got {} of shape {} (convert with "
           ".to(kInt64))",
           op, dtype_name(target.dtype()), shape_str(target.shape()));
  MG_CHECK(target.device() == logp.device(), "{}: input on {} but target on {}", op,
           logp.device().str(), target.device().str());
  MG_CHECK(logp.dim() >= 1, "{}: input must be [C], [N, C] or [N, C, d1, ...], got a 0-d tensor",
           op);
  const int class_dim = logp.dim() == 1 ? 0 : 1;
  const int64_t classes = logp.size(class_dim);
  Dims expected = logp.shape();
  expected.erase(class_dim);
  MG_CHECK(target.shape() == expected,
           "{}: target shape {} does not match input shape {}; expected target shape {} (the "
           "input without its class dimension {})",
           op, shape_str(target.shape()), shape_str(logp.shape()), shape_str(expected), class_dim);
  if (weight.defined()) {
    detail::check_same_kind(logp, weight, op);
    MG_CHECK(weight.dim() == 1 && weight.size(0) == classes,
             "{}: weight must be a 1-D tensor of {} class weights (input shape {}), got shape {}",
             op, classes, shape_str(logp.shape()), shape_str(weight.shape()));
  }
  // Note [loss targets on a device]
  // On the CPU the targets are checked here, with this op's message, and the mask of ignored
  // targets is built only when some are. On a GPU, reading them would make the host wait for the
  // stream on every loss (twelve waits in a MAML meta-step); so there the mask is always built,
  // and an out-of-range target is found by gather's kernel and reported at the next
  // synchronisation (Note [deferred kernel errors]), as PyTorch's device-side assert.
  const bool check_on_host = target.device().is_cpu();
  int64_t ignored = 0;
  if (check_on_host) {
    for (const int64_t v : target.to_vector<int64_t>()) {
      if (v == ignore_index) {
        ++ignored;
        continue;
      }
      MG_CHECK(v >= 0 && v < classes, "{}: target {} is out of bounds for {} classes", op, v,
               classes);
    }
  }

  // Ignored targets pick class 0 (a valid index) and are masked out afterwards.
  Tensor valid, index = target;
  if (ignored > 0 || !check_on_host) {
    valid = ne(target, static_cast<double>(ignore_index));
    index = where(valid, target, 0.0);
  }
  Tensor loss = -squeeze(gather(logp, class_dim, unsqueeze(index, class_dim)), class_dim);
  Tensor target_weight;  // w[t] of every target (0 where ignored); undefined means all ones
  if (weight.defined()) {
    target_weight = reshape(index_select(weight, 0, reshape(index, {-1})), target.shape());
    loss = loss * target_weight;
  }
  if (smoothing > 0.0) {
    Tensor weighted = logp;
    if (weight.defined()) {
      Dims weight_shape(logp.dim(), 1);
      weight_shape[class_dim] = classes;
      weighted = logp * reshape(weight, weight_shape);
    }
    const Tensor smooth = -sum(weighted, {class_dim});
    loss = loss * (1.0 - smoothing) + smooth * (smoothing / static_cast<double>(classes));
  }
  if (valid.defined()) {
    loss = where(valid, loss, 0.0);
    if (target_weight.defined()) target_weight = where(valid, target_weight, 0.0);
  }

  if (reduction != Reduction::Mean) return reduce_loss(loss, reduction);
  if (target_weight.defined()) return sum(loss) / sum(target_weight);
  if (valid.defined() && !check_on_host) return sum(loss) / sum(valid.to(logp.dtype()));
  if (valid.defined()) return sum(loss) / static_cast<double>(target.numel() - ignored);
  return mean(loss);
}

}  // namespace

Tensor nll_loss(const Tensor& log_probs, const Tensor& target, const NllLossOptions& options) {
  detail::check_defined(log_probs, "nll_loss");
  detail::check_floating(log_probs, "nll_loss");
  return nll_impl(log_probs, target, options.reduction, options.ignore_index, options.weight, 0.0,
                  "nll_loss");
}

Tensor cross_entropy(const Tensor& logits, const Tensor& target,
                     const CrossEntropyOptions& options) {
  detail::check_defined(logits, "cross_entropy");
  detail::check_floating(logits, "cross_entropy");
  MG_CHECK(options.label_smoothing >= 0.0 && options.label_smoothing <= 1.0,
           "cross_entropy: label_smoothing must be between 0.0 and 1.0, got {}",
           options.label_smoothing);
  MG_CHECK(logits.dim() >= 1,
           "cross_entropy: input must be [C], [N, C] or [N, C, d1, ...], got a 0-d tensor");
  const Tensor logp = log_softmax(logits, logits.dim() == 1 ? 0 : 1);
  return nll_impl(logp, target, options.reduction, options.ignore_index, options.weight,
                  options.label_smoothing, "cross_entropy");
}

Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
  check_loss_operands(input, target, "mse_loss");
  return reduce_loss(square(input - target), reduction);
}

Tensor l1_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
  check_loss_operands(input, target, "l1_loss");
  return reduce_loss(abs(input - target), reduction);
}

Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target,
                                        const BceWithLogitsOptions& options) {
  const char* op = "binary_cross_entropy_with_logits";
  check_loss_operands(input, target, op);
  check_broadcasts_to(options.pos_weight, input, target.shape(), op, "pos_weight");
  check_broadcasts_to(options.weight, input, input.shape(), op, "weight");
  // -log(sigmoid(x)) = softplus(-x) and -log(1 - sigmoid(x)) = x + softplus(-x).
  const Tensor neg_log_sigmoid = detail::log1p_exp(-input);
  Tensor loss = (1.0 - target) * input;
  if (options.pos_weight.defined()) {
    loss = loss + ((options.pos_weight - 1.0) * target + 1.0) * neg_log_sigmoid;
  } else {
    loss = loss + neg_log_sigmoid;
  }
  if (options.weight.defined()) loss = loss * options.weight;
  return reduce_loss(loss, options.reduction);
}

Tensor smooth_l1_loss(const Tensor& input, const Tensor& target, Reduction reduction, double beta) {
  check_loss_operands(input, target, "smooth_l1_loss");
  MG_CHECK(beta >= 0.0, "smooth_l1_loss: beta must be non-negative, got {}", beta);
  if (beta == 0.0) return l1_loss(input, target, reduction);  // PyTorch's special case
  // 0.5 d^2 / beta where |d| < beta, |d| - 0.5 beta elsewhere.
  const Tensor d = input - target;
  const Tensor z = abs(d);
  return reduce_loss(where(lt(z, beta), square(d) * (0.5 / beta), z - 0.5 * beta), reduction);
}

Tensor huber_loss(const Tensor& input, const Tensor& target, Reduction reduction, double delta) {
  check_loss_operands(input, target, "huber_loss");
  MG_CHECK(delta > 0.0, "huber_loss: delta must be positive, got {}", delta);
  // 0.5 d^2 where |d| < delta, delta (|d| - 0.5 delta) elsewhere.
  const Tensor d = input - target;
  const Tensor z = abs(d);
  return reduce_loss(where(lt(z, delta), square(d) * 0.5, (z - 0.5 * delta) * delta), reduction);
}

Tensor kl_div(const Tensor& input, const Tensor& target, KlDivReduction reduction,
              bool log_target) {
  check_loss_operands(input, target, "kl_div");
  // Pointwise target (log target - input), with 0 log 0 = 0 (PyTorch's xlogy) when the target
  // holds probabilities: the log sees 1 where the target is 0, so no 0 * -inf reaches a gradient.
  Tensor loss;
  if (log_target) {
    loss = exp(target) * (target - input);
  } else {
    loss = detail::x_log_x(target) - target * input;
  }
  switch (reduction) {
    case KlDivReduction::None:
      return loss;
    case KlDivReduction::BatchMean:
      // The sum divided by the batch size input.size(0) (a 0-d input counts as one).
      return input.dim() == 0 ? sum(loss) : sum(loss) / static_cast<double>(input.size(0));
    case KlDivReduction::Sum:
      return sum(loss);
    case KlDivReduction::Mean:
      return mean(loss);
  }
  MG_FAIL("kl_div: unknown reduction {}", static_cast<int>(reduction));
}

namespace {

/// max(log p, -100), as PyTorch's binary_cross_entropy clamps its logs; p = 0 gives -100 with a
/// zero gradient (the log sees 1 there, so no 0 * inf reaches the input).
Tensor clamped_log(const Tensor& p) {
  const Tensor positive = gt(p, 0.0);
  return where(positive, clamp(log(where(positive, p, 1.0)), -100.0, std::nullopt), -100.0);
}

}  // namespace

Tensor binary_cross_entropy(const Tensor& input, const Tensor& target,
                            const BinaryCrossEntropyOptions& options) {
  const char* op = "binary_cross_entropy";
  check_loss_operands(input, target, op);
  check_broadcasts_to(options.weight, input, input.shape(), op, "weight");
  {
    NoGradGuard no_grad;
    MG_CHECK(all(logical_and(ge(input, 0.0), le(input, 1.0))).item<bool>(),
             "binary_cross_entropy: all elements of input (shape {}) should be between 0 and 1; "
             "for logits use binary_cross_entropy_with_logits",
             shape_str(input.shape()));
  }
  // -(t log p + (1 - t) log(1 - p)), each log clamped at -100.
  Tensor loss = -(target * clamped_log(input) + (1.0 - target) * clamped_log(1.0 - input));
  if (options.weight.defined()) loss = loss * options.weight;
  return reduce_loss(loss, options.reduction);
}

Tensor detail::reduce_loss(const Tensor& loss, Reduction reduction) {
  switch (reduction) {
    case Reduction::None:
      return loss;
    case Reduction::Mean:
      return mean(loss);
    case Reduction::Sum:
      return sum(loss);
  }
  MG_FAIL("loss: unknown reduction {}", static_cast<int>(reduction));
}

void detail::check_loss_operands(const Tensor& input, const Tensor& target, const char* op) {
  detail::check_defined(input, op);
  detail::check_defined(target, op, "target");
  detail::check_floating(input, op);
  detail::check_same_kind(input, target, op);
  MG_CHECK(input.shape() == target.shape(),
           "{}: target shape {} differs from input shape {}; reshape the target to the input's "
           "shape (metagrad does not broadcast loss operands)",
           op, shape_str(target.shape()), shape_str(input.shape()));
}

}  // namespace metagrad
