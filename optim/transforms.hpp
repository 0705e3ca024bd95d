#pragma once

#include <optional>
#include <vector>

#include "engine/device.hpp"
#include "optim/schedule.hpp"
#include "optim/transform.hpp"

// TorchOpt's gradient transformations (torchopt/transform/*.py, torchopt/clip.py), with its names,
// defaults, formulas and state classes. Every update is written with public differentiable ops:
// out of place (inplace = false) the meta-gradient flows through the updates and the moments.
// Argument checks throw metagrad::Error naming the argument and its value.
//
// Note [differences from TorchOpt]
// - Step counters are plain int64 counters of the state, one per transformation (TorchOpt keeps a
//   0-d int64 tensor per parameter); an update call advances them even for undefined updates.
// - trace's first-step flag is the state's counter "count", so init() resets it (TorchOpt keeps it
//   in a closure and a re-initialised trace skips its first-step rule).
// - register_hook skips updates that do not require grad (TorchOpt raises on them).
// - clip_grad_norm rejects norm_type <= 0 and requires max_norm; sgd requires lr (unset is an
//   error at construction, as a missing argument is in Python).
// - scale_by_accelerated_adam shares scale_by_adam's state and numbers (bit-identical in
//   float64); in place it writes the update into the updates' own storage where it can, as
//   TorchOpt's fused op does (scale_by_adam returns a new tensor).

namespace metagrad {
/// \addtogroup transforms
/// @{

/// updates * step_size. State: EmptyState.
GradientTransformation scale(double step_size);

/// updates * step_size_fn(count), count = 0, 1, 2, ... before the increment.
/// State: ScaleByScheduleState {count}.
GradientTransformation scale_by_schedule(Schedule step_size_fn);

/// Options of scale_by_adam / scale_by_accelerated_adam (TorchOpt's keyword order and defaults).
struct ScaleByAdamOptions {
  /// Decay rate of the running average of the gradients.
  double b1 = 0.9;
  /// Decay rate of the running average of the squared gradients.
  double b2 = 0.999;
  /// Added to the denominator for numerical stability.
  double eps = 1e-8;
  /// Added inside the square root of the denominator.
  double eps_root = 0.0;
  /// The state's tensors require grad (differentiable updates through them).
  bool moment_requires_grad = false;
  /// AMSGrad (torch.optim.Adam's amsgrad): divide by the running maximum of nu instead of nu.
  /// Not supported by scale_by_accelerated_adam.
  bool amsgrad = false;
};
/// Adam's rescaling: mu = b1 mu + (1 - b1) g, nu = b2 nu + (1 - b2) g^2, count += 1 (first),
/// u = mu_hat / (sqrt(nu_hat + eps_root) + eps) with mu_hat = mu / (1 - b1^count),
/// nu_hat = nu / (1 - b2^count), the corrections 1 - b^count taken, as TorchOpt does, in the
/// tensor's dtype: in float32 for float32 tensors (PyTorch's float32 pow on TorchOpt's int64
/// count; 1 - 0.9 is 0.100000024 there), in double for float64 ones. With amsgrad, nu_max =
/// max(nu_max, nu) replaces nu in nu_hat (as torch.optim.Adam). State: ScaleByAdamState {mu, nu,
/// count}, plus nu_max after nu with amsgrad; with moment_requires_grad the initial moments are
/// leaves requiring grad.
GradientTransformation scale_by_adam(const ScaleByAdamOptions& options = {});
/// The same transformation, state and numbers as scale_by_adam (bit-identical in float64), run by
/// fused kernels, the CPU's and the CUDA backend's (TorchOpt's accelerated AdamOp; see
/// accelerated_op_available), which take the bias corrections in double for every dtype, as
/// AdamOp does. In place without recording: one vectorised, parallel pass per tensor updates mu
/// and nu and writes u into the update's own storage when it is contiguous and shared with no
/// other operand (else u is a new tensor). Out of place or while recording: a fused op
/// (g, mu, nu) -> (mu', nu', u) whose fused backward is itself differentiable, exact for every eps
/// and eps_root. In place while recording it computes as scale_by_adam does, with the corrections
/// in double.
GradientTransformation scale_by_accelerated_adam(const ScaleByAdamOptions& options = {});
/// torchopt.accelerated_op_available: true when the fused Adam op of scale_by_accelerated_adam
/// runs on `device`: always on the CPU; on a CUDA device when a backend serves it (the CUDA
/// backend is built and the device exists, or a backend was registered for tests). False, never a
/// throw, for any other device.
bool accelerated_op_available(Device device);
/// True when the fused Adam op runs on every device of `devices`; the default asks, as TorchOpt's
/// `devices=None`, about the first CUDA device and the CPU.
bool accelerated_op_available(const std::vector<Device>& devices = {cuda_device(0), kCPU});

/// Options of scale_by_rms / scale_by_stddev.
struct ScaleByRmsOptions {
  /// Decay rate of the running average of the squared gradients.
  double alpha = 0.9;
  /// Added to the denominator for numerical stability.
  double eps = 1e-8;
  /// Initial value of that running average.
  double initial_scale = 0.0;
};
/// RMSProp's rescaling: nu = alpha nu + (1 - alpha) g^2 (nu starts at initial_scale),
/// u = g / (sqrt(nu) + eps). State: ScaleByRmsState {nu}.
GradientTransformation scale_by_rms(const ScaleByRmsOptions& options = {});
/// Centered RMSProp: also mu = alpha mu + (1 - alpha) g, u = g / (sqrt(nu - mu^2) + eps).
/// State: ScaleByRStdDevState {mu, nu}.
GradientTransformation scale_by_stddev(const ScaleByRmsOptions& options = {});

/// Options of scale_by_rss.
struct ScaleByRssOptions {
  /// Initial value of the sums of squared gradients.
  double initial_accumulator_value = 0.0;
  /// Added to the denominator for numerical stability.
  double eps = 1e-10;
};
/// AdaGrad's rescaling: sum_of_squares += g^2, u = g / (sqrt(sum_of_squares) + eps) where
/// sum_of_squares > 0, else 0. State: ScaleByRssState {sum_of_squares}.
GradientTransformation scale_by_rss(const ScaleByRssOptions& options = {});

/// Options of scale_by_adadelta.
struct ScaleByAdadeltaOptions {
  /// Decay rate of the running averages.
  double rho = 0.9;
  /// Added to the denominator for numerical stability.
  double eps = 1e-6;
  /// The state's tensors require grad (differentiable updates through them).
  bool moment_requires_grad = false;
};
/// AdaDelta's rescaling: mu = rho mu + (1 - rho) g^2, u = g sqrt((nu + eps) / (mu + eps)),
/// then nu = rho nu + (1 - rho) u^2. State: ScaleByAdadeltaState {mu, nu}.
GradientTransformation scale_by_adadelta(const ScaleByAdadeltaOptions& options = {});

/// Options of scale_by_adamax / scale_by_radam.
struct ScaleByAdamaxOptions {
  /// Decay rate of the running average of the gradients.
  double b1 = 0.9;
  /// Decay rate of the running average of the squared gradients.
  double b2 = 0.999;
  /// Added to the denominator for numerical stability.
  double eps = 1e-6;
  /// The state's tensors require grad (differentiable updates through them).
  bool moment_requires_grad = false;
};
/// Options of scale_by_radam (the same fields as scale_by_adamax's).
using ScaleByRAdamOptions = ScaleByAdamaxOptions;
/// AdaMax's rescaling: mu = b1 mu + (1 - b1) g, nu = max(b2 nu, |g| + eps),
/// u = mu / nu / (1 - b1^t), t = 1, 2, ... State: ScaleByAdamaxState {mu, nu, t}.
GradientTransformation scale_by_adamax(const ScaleByAdamaxOptions& options = {});
/// RAdam's rectified rescaling (TorchOpt's formula, t = 1, 2, ...).
/// State: ScaleByRAdamState {mu, nu, t}.
GradientTransformation scale_by_radam(const ScaleByRAdamOptions& options = {});

/// Options of trace.
struct TraceOptions {
  /// Momentum factor.
  double momentum = 0.9;
  /// Dampening of the momentum.
  double dampening = 0.0;
  /// Nesterov momentum.
  bool nesterov = false;
  /// The state's tensors require grad (differentiable updates through them).
  bool moment_requires_grad = false;
};
/// Momentum: at the first update t = t0 + g (t0 = 0), later t = momentum t + (1 - dampening) g;
/// u = t, or u = g + momentum t with nesterov. momentum = 0 gives identity(). Nesterov needs a
/// positive momentum and zero dampening. State: TraceState {trace, count} (the first-update flag
/// is the counter, so re-initialising resets it).
GradientTransformation trace(const TraceOptions& options = {});

/// Options of add_decayed_weights.
struct AddDecayedWeightsOptions {
  /// Coefficient of the decayed weights added to the updates.
  double weight_decay = 0.0;
  /// Parameters to decay (all when unset).
  ParamMask mask;
};
/// u = g + weight_decay * p (needs params). With a mask it is masked(add_decayed_weights, mask);
/// weight_decay = 0 without a mask gives identity().
GradientTransformation add_decayed_weights(const AddDecayedWeightsOptions& options = {});

/// Applies `inner` only to the parameters selected by `mask`; the others' updates pass through.
/// The inner transformation sees just the selected parameters. State: MaskedState {inner_state}.
GradientTransformation masked(GradientTransformation inner, ParamMask mask);

/// Options of nan_to_num.
struct NanToNumOptions {
  /// The value NaNs become.
  double nan = 0.0;
  /// Replacement of +inf (the dtype's largest finite value when unset).
  std::optional<double> posinf;
  /// Replacement of -inf (the dtype's lowest finite value when unset).
  std::optional<double> neginf;
};
/// Replaces NaN and infinities in the updates.
GradientTransformation nan_to_num(const NanToNumOptions& options = {});

/// Options of clip_grad_norm.
struct ClipGradNormOptions {
  /// Required: the largest allowed total norm.
  std::optional<double> max_norm;
  /// Order of the norm: any p > 0, or INFINITY for the max-norm.
  double norm_type = 2.0;
  /// Throw when the total norm is NaN or infinite.
  bool error_if_nonfinite = false;
};
/// Scales all updates by min(max_norm / (total_norm + 1e-6), 1), the total norm taken over all
/// updates together and treated as a constant (no gradient through it, as TorchOpt).
GradientTransformation clip_grad_norm(const ClipGradNormOptions& options);

/// Negates the updates when maximize and adds weight_decay * p (the first stage of every alias).
GradientTransformation flip_sign_and_add_weight_decay(double weight_decay = 0.0,
                                                      bool maximize = false);
/// updates * -lr (a number >= 0 or a schedule).
GradientTransformation scale_by_neg_lr(const ScalarOrSchedule& lr);

/// @}

}  // namespace metagrad
