// clip_grad_norm_, clip_grad_value_, parameters_to_vector, vector_to_parameters.
#include "engine/nn/grad_utils.hpp"

#include <cmath>

#include "engine/grad_mode.hpp"
#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"

namespace metagrad::nn::utils {
namespace {

// The defined .grad of each parameter, in order; all of one dtype and device.
TensorList gradients_of(const TensorList& parameters, const char* op) {
  TensorList grads;
  for (const Tensor& p : parameters) {
    metagrad::detail::check_defined(p, op, "parameter");
    const Tensor g = p.grad();
    if (!g.defined()) continue;
    if (!grads.empty()) metagrad::detail::check_same_kind(grads.front(), g, op);
    grads.push_back(g);
  }
  return grads;
}

}  // namespace

Tensor clip_grad_norm_(const TensorList& parameters, double max_norm,
                       const ClipGradNormOptions& options) {
  const char* op = "clip_grad_norm_";
  MG_CHECK(options.norm_type > 0.0 && !std::isnan(options.norm_type),
           "{}: norm_type must be positive (or infinity), got {}", op, options.norm_type);
  MG_CHECK(!std::isnan(max_norm), "{}: max_norm must be a number, got NaN", op);
  NoGradGuard no_grad;
  const TensorList grads = gradients_of(parameters, op);
  if (grads.empty()) return zeros({});
  // The norm of the per-tensor norms is the norm of all gradients as one vector.
  TensorList norms;
  for (const Tensor& g : grads) norms.push_back(norm(g, options.norm_type));
  const Tensor total = norm(stack(norms), options.norm_type);
  const double value = total.item<double>();
  MG_CHECK(!options.error_if_nonfinite || std::isfinite(value),
           "{}: the total norm of order {} of the gradients is non-finite ({}), so they cannot "
           "be clipped; set error_if_nonfinite = false to scale them by it anyway",
           op, options.norm_type, value);
  // g *= min(1, max_norm / (total + 1e-6)), computed on the device as PyTorch's.
  const Tensor coefficient = clamp(max_norm / (total + 1e-6), std::nullopt, 1.0);
  for (const Tensor& g : grads) {
    Tensor target = g;
    target.mul_(coefficient);
  }
  return total;
}

void clip_grad_value_(const TensorList& parameters, double clip_value) {
  MG_CHECK(clip_value >= 0.0, "clip_grad_value_: clip_value must be non-negative, got {}",
           clip_value);
  NoGradGuard no_grad;
  for (const Tensor& g : gradients_of(parameters, "clip_grad_value_")) {
    Tensor target = g;
    target.copy_(clamp(g, -clip_value, clip_value));
  }
}

Tensor parameters_to_vector(const TensorList& parameters) {
  TensorList flat;
  for (const Tensor& p : parameters) {
    metagrad::detail::check_defined(p, "parameters_to_vector", "parameter");
    flat.push_back(reshape(p, {-1}));
  }
  MG_CHECK(!flat.empty(), "parameters_to_vector: no parameters given");
  return cat(flat);
}

void vector_to_parameters(const Tensor& vec, const TensorList& parameters) {
  const char* op = "vector_to_parameters";
  metagrad::detail::check_defined(vec, op, "vec");
  MG_CHECK(vec.dim() == 1, "{}: vec must be 1-D, got shape {}", op, shape_str(vec.shape()));
  int64_t total = 0;
  for (const Tensor& p : parameters) {
    metagrad::detail::check_defined(p, op, "parameter");
    metagrad::detail::check_same_kind(vec, p, op);
    total = checked_add(total, p.numel(), op, "the parameter count");
  }
  MG_CHECK(total == vec.numel(), "{}: vec has {} elements but the parameters have {} together", op,
           vec.numel(), total);
  NoGradGuard no_grad;
  int64_t offset = 0;
  for (const Tensor& p : parameters) {
    Tensor target = p;
    target.copy_(reshape(slice(vec, 0, offset, offset + p.numel()), p.shape()));
    offset += p.numel();
  }
}

}  // namespace metagrad::nn::utils
