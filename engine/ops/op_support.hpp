#pragma once

#include "engine/autograd/function.hpp"
#include "engine/backend/backend.hpp"
#include "engine/tensor.hpp"

// Internal helpers shared by the op implementations (not part of the public API).
namespace metagrad::detail {

/// The raw view of a tensor, for a backend call.
inline View view_of(const Tensor& t) {
  return View{t.raw_data(), t.dtype(), t.shape(), t.strides()};
}

/// The raw view of `t` broadcast to `shape` (0 strides on broadcast dims). `shape` must be a
/// broadcast of t's shape.
View broadcast_view(const Tensor& t, const Dims& shape);

/// Throws unless `t` is defined.
void check_defined(const Tensor& t, const char* op, const char* what = "input");
/// Throws unless `t` is float32/float64, naming op and the remedy.
void check_floating(const Tensor& t, const char* op);
/// Throws unless a and b share dtype and device, naming op and both operands.
void check_same_kind(const Tensor& a, const Tensor& b, const char* op);
/// Throws when the tensor is a leaf requiring grad while recording (for in-place ops).
void check_inplace_allowed(const Tensor& t, const char* op);

/// A 0-d tensor of `like`'s dtype and device holding `value` (a double operand of a binary op).
Tensor scalar_like(double value, const Tensor& like);

/// Backend of a tensor's device.
inline Backend& backend_of(const Tensor& t) { return backend_for(t.device()); }

}  // namespace metagrad::detail
