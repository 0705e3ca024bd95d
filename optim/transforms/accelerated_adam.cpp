// scale_by_accelerated_adam's step (TorchOpt's accelerated AdamOp): picks, per update, the fused
// in-place pass, the fused differentiable op (engine/ops/fused_adam.hpp) or the unfused step; the
// pass that also applies the step to the parameters; and where that op runs
// (accelerated_op_available).
#include <algorithm>
#include <array>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "engine/autograd/function.hpp"
#include "engine/backend/backend.hpp"
#include "engine/grad_mode.hpp"
#include "engine/ops.hpp"
#include "engine/ops/fused_adam.hpp"
#include "optim/transforms.hpp"
#include "optim/transforms/adam_step.hpp"

// Note [folded adam step]
// A classic step of adam(use_accelerated_op) is chain(..., scale_by_accelerated_adam,
// scale_by_neg_lr) then apply_updates: the fused pass writes u (g, mu, nu in; mu, nu, u out), then
// u *= -lr, then p += u: 44 bytes per float32 element where p += -lr u needs 28. The fold runs the
// three as one pass (AdamForwardSlot::param), with the same roundings in the same order (u, then
// u * (-lr) rounded to the dtype, then the sum; no FMA), so parameters and state are bit-identical
// to the unfolded step, and the updates (the gradients) are only read.
// The hook is structural, not by name: GradientTransformation::step_in_place (what Optimizer::step
// and FuncOptimizer's in-place step call) looks at the last two parts of a chain. If the last is
// a pure scaling (scale, scale_by_schedule, hence scale_by_neg_lr: with_scale_factor gives its
// next factor without advancing its state) and the one before can apply a scaled update itself
// (with_apply_scaled: scale_by_accelerated_adam), it runs the earlier parts, then asks that one to
// apply with the factor; on success the scaling's state advances by an update of no tensors. The
// fused transformation declines (returns false, touching nothing) unless every defined update
// can take the in-place pass (nothing recording, contiguous, its moments and parameter of one
// shape, dtype and device, no storage shared): then the unfolded steps run as before. So
// - Adam's weight_decay (flip_sign_and_add_weight_decay) is part of the chain before the fold
//   and is applied exactly as before: Adam with weight decay folds;
// - AdamW's decoupled weight decay (add_decayed_weights, between the Adam scaler and the
//   scaling) is a part between the two, so AdamW with weight_decay > 0 (or a mask) takes the
//   unfolded path; with weight_decay 0 and no mask it is dropped from the chain and folds;
// - the differentiable paths (out of place, recording: MetaOptimizer, FuncOptimizer(inplace =
//   false)), masked or multi_transform wrappers, non-contiguous or shared operands and amsgrad
//   (only unfused) never fold.
namespace metagrad {
namespace optim_detail {
namespace {

constexpr const char* kWho = "scale_by_accelerated_adam";

// Throws unless update i and its moments agree in shape, dtype (a float one) and device.
void check_operands(size_t i, const Tensor& g, const Tensor& mu, const Tensor& nu) {
  MG_CHECK(mu.defined() && nu.defined(),
           "{}: the state has no moments for update {}; the state must come from init() with the "
           "same parameters",
           kWho, i);
  MG_CHECK(g.shape() == mu.shape() && g.shape() == nu.shape(),
           "{}: update {} has shape {} but its moments mu and nu have shapes {} and {}; the state "
           "must come from init() with the same parameters",
           kWho, i, shape_str(g.shape()), shape_str(mu.shape()), shape_str(nu.shape()));
  MG_CHECK(is_floating(g.dtype()) && g.dtype() == mu.dtype() && g.dtype() == nu.dtype(),
           "{}: update {} has dtype {} but its moments mu and nu have dtypes {} and {}; all three "
           "must be the same float dtype (convert the updates or re-init the state)",
           kWho, i, dtype_name(g.dtype()), dtype_name(mu.dtype()), dtype_name(nu.dtype()));
  MG_CHECK(g.device() == mu.device() && g.device() == nu.device(),
           "{}: update {} is on {} but its moments mu and nu are on {} and {}; move them to one "
           "device",
           kWho, i, g.device().str(), mu.device().str(), nu.device().str());
}

}  // namespace

TensorList adam_step_fused(const TensorList& updates, TensorList& mu, TensorList& nu,
                           const AdamStep& step, bool inplace) {
  const AdamCoefficients coefficients{step.b1,       step.b2,  step.eps,
                                      step.eps_root, step.bc1, step.bc2};
  TensorList out(updates.size());
  std::vector<size_t> candidates;  // in place without recording
  for (size_t i = 0; i < updates.size(); ++i) {
    const Tensor& g = updates[i];
    if (!g.defined()) continue;
    check_operands(i, g, mu[i], nu[i]);
    if (!inplace) {
      TensorList r = fused_adam(g, mu[i], nu[i], coefficients);
      mu[i] = r[0];
      nu[i] = r[1];
      out[i] = r[2];
    } else if (needs_grad({&g, &mu[i], &nu[i]})) {
      out[i] = adam_step_unfused(g, mu[i], nu[i], step, true);
    } else {
      candidates.push_back(i);
    }
  }
  if (candidates.empty()) return out;

  // Tensors written in place by the shared pass must own their storage within this call.
  std::unordered_map<const Storage*, int> uses;
  for (const size_t i : candidates)
    for (const Tensor* t : {&updates[i], &std::as_const(mu)[i], &std::as_const(nu)[i]})
      if (t->numel() > 0) ++uses[t->storage().get()];  // an empty tensor is not written
  std::vector<size_t> direct, copied;
  for (const size_t i : candidates) {
    bool ok = true;
    for (const Tensor* t : {&updates[i], &std::as_const(mu)[i], &std::as_const(nu)[i]})
      ok = ok && t->is_contiguous() && uses[t->storage().get()] == 1;
    (ok ? direct : copied).push_back(i);
  }
  TensorList g_direct, mu_direct, nu_direct;
  for (const size_t i : direct) {
    g_direct.push_back(updates[i]);
    mu_direct.push_back(mu[i]);
    nu_direct.push_back(nu[i]);
    out[i] = updates[i];
  }
  fused_adam_(g_direct, mu_direct, nu_direct, coefficients);
  // The rest: the fused op into new buffers, then written back into mu and nu in order.
  for (const size_t i : copied) {
    const TensorList r = fused_adam(updates[i], mu[i], nu[i], coefficients);
    mu[i].copy_(r[0]);
    nu[i].copy_(r[1]);
    out[i] = r[2];
  }
  return out;
}

bool adam_apply_fused(const TensorList& updates, TensorList& mu, TensorList& nu,
                      const TensorList& params, const AdamStep& step, double factor) {
  if (params.size() != updates.size() || mu.size() != updates.size() || nu.size() != updates.size())
    return false;
  std::unordered_map<const Storage*, int> uses;
  TensorList p_list, g_list, mu_list, nu_list;
  for (size_t i = 0; i < updates.size(); ++i) {
    const Tensor& g = updates[i];
    if (!g.defined()) continue;
    const std::array<const Tensor*, 4> operands = {&g, &params[i], &std::as_const(mu)[i],
                                                   &std::as_const(nu)[i]};
    for (const Tensor* t : operands) {
      if (!t->defined() || t->shape() != g.shape() || t->dtype() != g.dtype() ||
          t->device() != g.device() || !t->is_contiguous())
        return false;
      if (t->numel() > 0) ++uses[t->storage().get()];  // an empty tensor is not written
    }
    if (!is_floating(g.dtype()) || needs_grad({&g, &mu[i], &nu[i]})) return false;
    p_list.push_back(params[i]);
    g_list.push_back(g);
    mu_list.push_back(mu[i]);
    nu_list.push_back(nu[i]);
  }
  for (const auto& [storage, count] : uses)
    if (count != 1) return false;
  AdamCoefficients coefficients{step.b1, step.b2, step.eps, step.eps_root, step.bc1, step.bc2};
  coefficients.param_scale = factor;
  fused_adam_apply_(p_list, g_list, mu_list, nu_list, coefficients);
  return true;
}

}  // namespace optim_detail

bool accelerated_op_available(Device device) {
  if (device.is_cpu()) return true;
  // Every backend implements the fused Adam kernels: the op runs wherever a backend serves the
  // device, and backend_for throws where none does (not built, no such device).
  try {
    (void)backend_for(device);
    return true;
  } catch (const Error&) {
    return false;
  }
}

bool accelerated_op_available(const std::vector<Device>& devices) {
  return std::all_of(devices.begin(), devices.end(),
                     [](Device device) { return accelerated_op_available(device); });
}

}  // namespace metagrad
