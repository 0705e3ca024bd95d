#pragma once

// Internal: one Adam step of scale_by_adam (unfused, public ops) and of scale_by_accelerated_adam
// (fused kernels), shared by optim/transforms/adam.cpp and accelerated_adam.cpp. Not public API.
#include "engine/tensor.hpp"

namespace metagrad::optim_detail {

/// The numbers of one Adam step: betas, eps, eps_root and the bias corrections
/// bc1 = 1 - b1^count, bc2 = 1 - b2^count (count already incremented; scale_by_adam rounds them
/// to float32 for float32 tensors as TorchOpt does, the fused kernels keep them in double).
struct AdamStep {
  double b1 = 0.9;
  double b2 = 0.999;
  double eps = 1e-8;
  double eps_root = 0.0;
  double bc1 = 1.0;
  double bc2 = 1.0;
};

/// scale_by_adam's step for one tensor, written in public differentiable ops:
/// mu = b1 mu + (1 - b1) g, nu = b2 nu + (1 - b2) g^2 (in place into `mu` and `nu`, or replacing
/// the handles with new tensors), returns u = (mu / bc1) / (sqrt(nu / bc2 + eps_root) + eps)
/// as a new tensor (`g` is never written). With `nu_max` (AMSGrad), nu_max = max(nu_max, nu)
/// (in place or replaced likewise) takes nu's place in u.
Tensor adam_step_unfused(const Tensor& g, Tensor& mu, Tensor& nu, const AdamStep& step,
                         bool inplace, Tensor* nu_max = nullptr);

/// scale_by_accelerated_adam's step for every defined update (undefined ones give undefined
/// updates), with the same arithmetic as adam_step_unfused (bit-identical in float64).
/// In place, without recording (grad mode off or nothing requiring grad): one fused pass over all
/// such tensors (one backend call per device) writes mu and nu and writes u into the update's own
/// storage when it is contiguous and shares its storage with no other tensor of the call
/// (TorchOpt's fused in-place op); otherwise u is a new tensor. Out of place or while recording: a
/// fused op (g, mu, nu) -> (mu', nu', u) whose fused backward is itself differentiable (any order);
/// `mu` and `nu` receive the new tensors. In place while recording, it takes the unfused in-place
/// path (same semantics as scale_by_adam). Throws
/// naming the parameter index when an update and its moments differ in shape or dtype.
TensorList adam_step_fused(const TensorList& updates, TensorList& mu, TensorList& nu,
                           const AdamStep& step, bool inplace);

/// scale_by_accelerated_adam's step applied to the parameters (Note [folded adam step] in
/// accelerated_adam.cpp): params[i] += factor * u[i] for every defined update, mu and nu written
/// in place, in one fused pass (one backend call per device), u stored nowhere and the updates
/// only read; bit-identical to adam_step_fused in place, scale(factor) and apply_updates in
/// place. Returns false, having changed nothing, unless every defined update can take that pass:
/// nothing recording, the update, its moments and its parameter of one shape, float dtype and
/// device, contiguous, and no storage shared among all of them.
bool adam_apply_fused(const TensorList& updates, TensorList& mu, TensorList& nu,
                      const TensorList& params, const AdamStep& step, double factor);

}  // namespace metagrad::optim_detail
