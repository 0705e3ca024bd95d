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
/// Off the CPU it may be shared with other calls (Note [device scalar constants]): read it only.
Tensor scalar_like(double value, const Tensor& like);

/// Throws naming `op` and `what` when `value` cannot be stored in `dtype` without overflow: NaN,
/// an infinity or a value out of range for int64; NaN for bool; a finite value beyond float32's
/// range for float32 (PyTorch's "value cannot be converted to type ... without overflow").
/// Fractional values truncate into integer dtypes, as in PyTorch's fill.
void check_value_fits(double value, DType dtype, const char* op, const char* what);

/// True when `value` is exactly one of the values of `dtype`: any value for float dtypes, an
/// integer in [-2^63, 2^63) for int64, 0 or 1 for bool.
bool is_exact_value(double value, DType dtype);

/// The scalar operand `value` of an out-of-place binary op with tensor `like`, as a 0-d tensor of
/// like's dtype and device. Throws naming `op` when like is int64/bool and `value` is not exactly
/// one of its values (0.5, NaN, 1e300): metagrad does not promote the tensor to float implicitly.
Tensor scalar_operand(double value, const Tensor& like, const char* op);

/// The scalar operand of an in-place op `op` writing into `self` (add_, mul_, ...). Throws
/// PyTorch's "result type Float can't be cast to the desired output type Long" when self is
/// int64/bool and `value` is not exactly one of its values, or when `true_division` (div_) and
/// self is int64/bool (true division gives a float result).
Tensor inplace_scalar(double value, const Tensor& self, const char* op, bool true_division);

/// How the memory of two tensors relates (PyTorch's MemOverlapStatus).
enum class Overlap {
  kNone,     // disjoint (or either is empty)
  kFull,     // the same view: same storage, offset, shape, strides and dtype
  kPartial,  // both dense, their byte ranges intersect, and they are not the same view
  kTooHard,  // byte ranges intersect but one is strided: they may or may not share elements
};
Overlap memory_overlap(const Tensor& a, const Tensor& b);

/// Throws PyTorch's "unsupported operation: some elements of the input tensor and the written-to
/// tensor refer to a single memory location" naming `op` when `src` partially overlaps `dst`, and
/// its "more than one element of the written-to tensor refers to a single memory location" when
/// `dst` has an expanded (stride 0) dimension. Returns the overlap of dst and src.
Overlap check_inplace_overlap(const Tensor& dst, const Tensor& src, const char* op);

/// Backend of a tensor's device.
inline Backend& backend_of(const Tensor& t) { return backend_for(t.device()); }

}  // namespace metagrad::detail
