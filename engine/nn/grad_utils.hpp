#pragma once

#include <limits>

#include "engine/tensor.hpp"

// torch.nn.utils for a training loop with a classic optimizer: clipping the accumulated .grad of
// parameters in place, and flattening parameters to one vector and back.
namespace metagrad::nn::utils {
/// \addtogroup nn
/// @{

/// Options of clip_grad_norm_.
struct ClipGradNormOptions {
  /// The order of the norm: any p > 0, or infinity for the largest magnitude.
  double norm_type = 2.0;
  /// Throw, leaving the gradients unchanged, when the total norm is NaN or infinite.
  bool error_if_nonfinite = false;
};

/// Scales the .grad of `parameters` in place so that their total norm (the norm of the
/// per-tensor norms, as if all gradients were one vector) is at most max_norm:
/// g *= min(1, max_norm / (total + 1e-6)) (torch.nn.utils.clip_grad_norm_). Parameters without a
/// gradient are skipped. Returns the total norm before clipping (a 0-d tensor; 0 when no
/// parameter has a gradient). Not recorded. Gradients share one dtype and device.
Tensor clip_grad_norm_(const TensorList& parameters, double max_norm,
                       const ClipGradNormOptions& options = {});

/// Clamps every .grad of `parameters` into [-clip_value, clip_value] in place
/// (torch.nn.utils.clip_grad_value_). Parameters without a gradient are skipped. Throws for a
/// negative or NaN clip_value.
void clip_grad_value_(const TensorList& parameters, double clip_value);

/// The parameters' values flattened and concatenated into one 1-D tensor, in order
/// (torch.nn.utils.parameters_to_vector). Differentiable.
Tensor parameters_to_vector(const TensorList& parameters);

/// Copies consecutive pieces of the 1-D `vec` into the parameters' values, in place and without
/// recording (torch.nn.utils.vector_to_parameters). vec must have exactly as many elements as
/// the parameters together, and their dtype and device; nothing is written otherwise.
void vector_to_parameters(const Tensor& vec, const TensorList& parameters);

/// @}

}  // namespace metagrad::nn::utils
