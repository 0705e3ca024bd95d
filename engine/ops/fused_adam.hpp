#pragma once

// The fused Adam step as engine ops (Note [fused adam] in fused_adam.cpp). Internal to the
// library: scale_by_accelerated_adam (optim/transforms/accelerated_adam.cpp) calls them.
#include "engine/backend/backend.hpp"
#include "engine/tensor.hpp"

namespace metagrad {

/// The fused Adam step of one tensor as an op: (g, mu, nu) -> new tensors (mu', nu', u). It
/// records when an input needs grad; its backward is the fused op AcceleratedAdamGrad, whose own
/// backward is written in differentiable ops, so derivatives of every order exist. g, mu and nu
/// must share shape, float dtype and device (the caller checks).
TensorList fused_adam(const Tensor& g, const Tensor& mu, const Tensor& nu,
                      const AdamCoefficients& k);

/// The fused step in place, without recording, for many tensors in one backend call per device
/// (one launch on CUDA): mu[i] and nu[i] receive mu' and nu', g[i] receives u, and the three
/// storages' versions are bumped. Each listed tensor must be contiguous, of a float dtype, share
/// shape, dtype and device with the other two of its index, and share its storage with no other
/// listed tensor; the caller checks.
void fused_adam_(const TensorList& g, const TensorList& mu, const TensorList& nu,
                 const AdamCoefficients& k);

/// fused_adam_ that applies the step instead of returning it (Note [folded adam step] in
/// optim/transforms/accelerated_adam.cpp): param[i] += u * k.param_scale in the same pass, u
/// stored nowhere; mu[i] and nu[i] receive mu' and nu', g[i] is only read. The versions of param,
/// mu and nu are bumped. Each param must be contiguous with its g's shape, dtype and device and
/// share its storage with no other listed tensor; the caller checks.
void fused_adam_apply_(const TensorList& param, const TensorList& g, const TensorList& mu,
                       const TensorList& nu, const AdamCoefficients& k);

}  // namespace metagrad
