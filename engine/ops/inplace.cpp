// In-place Tensor methods. Each computes its result with the out-of-place op, writes it into the
// tensor's storage and bumps the version counter. While recording, a tensor that requires grad
// takes the out-of-place result's history (the old value is cloned first so that saved tensors
// stay valid); a leaf that requires grad is rejected.
#include "engine/autograd/view_history.hpp"
#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"

namespace metagrad {
namespace {

// How the written value relates to self's old one.
enum class Write {
  update,     // computed from it (add_, mul_, ...): its history already leads there
  overwrite,  // independent of it (copy_, fill_): the old self gets a zero gradient
};

// Writes `value` (broadcast to self's shape) into self's storage and, while recording, rebinds
// the histories of self and of the base it is a view of (Note [in-place ops on views]).
Tensor& assign(Tensor& self, const Tensor& value, const char* op, Write write = Write::update) {
  MG_CHECK(
      value.dtype() == self.dtype() || !is_floating(self.dtype()) || is_floating(value.dtype()),
      "{}: cannot write a {} result into a {} tensor", op, dtype_name(value.dtype()),
      dtype_name(self.dtype()));
  MG_CHECK(value.device() == self.device(),
           "{}: result on {} cannot be written into a tensor on {}", op, value.device().str(),
           self.device().str());
  const Dims shape = broadcast_shapes(self.shape(), value.shape(), op);
  MG_CHECK(shape == self.shape(),
           "{}: output with shape {} doesn't match the broadcast shape {}; in-place ops cannot "
           "grow the tensor",
           op, shape_str(self.shape()), shape_str(shape));
  const bool recording = is_grad_enabled() && is_floating(self.dtype());
  const Tensor written =
      recording && value.dtype() != self.dtype() ? value.to(self.dtype()) : value;
  const Tensor base = recording ? live_view_base(self) : Tensor();
  const Tensor base_history = base.defined() && (written.requires_grad() || base.requires_grad())
                                  ? base_after_view_write(base, self, written, op)
                                  : Tensor();
  // self' = where(false, self, value): d self = 0, d value = d self' (PyTorch's CopyBackwards).
  // Recorded before the write, while self's history is current (after it, a view would first
  // regenerate the history this replaces).
  const Tensor overwritten =
      recording && write == Write::overwrite && self.requires_grad()
          ? where(zeros({}, TensorOptions(kBool, self.device())), self, written)
          : Tensor();
  if (self.numel() > 0) {
    detail::backend_of(self).copy(detail::broadcast_view(value, self.shape()),
                                  detail::view_of(self));
  }
  self.storage()->bump_version();
  if (overwritten.defined()) {
    take_history(self, overwritten);
  } else if (recording && written.requires_grad()) {
    // A leaf source (copy_ of a parameter) has no node to take: expand records one.
    const bool own_node = written.shape() == self.shape() && !written.is_leaf();
    take_history(self, own_node ? written : expand(written, self.shape()));
  }
  if (base_history.defined()) take_history(base, base_history);
  return self;
}

// The current value of self for an out-of-place computation: a clone while recording, so the
// new node saves a tensor that the write below does not modify.
Tensor current(const Tensor& self, const char* op) {
  detail::check_inplace_allowed(self, op);
  return is_grad_enabled() && self.requires_grad() ? self.clone() : self.detach();
}

// True when nothing is recorded and the kernel may write straight into self (one pass, no
// temporary): `other` has self's float dtype and device, broadcasts to self's shape, and either
// lives in another storage or is exactly self's view; self has no stride-0 (expanded) dimension.
bool writes_directly(const Tensor& self, const Tensor& other) {
  if (!self.defined() || !other.defined()) return false;
  if (is_grad_enabled() && (self.requires_grad() || other.requires_grad())) return false;
  if (other.dtype() != self.dtype() || other.device() != self.device()) return false;
  if (!is_floating(self.dtype()) || other.dim() > self.dim()) return false;
  for (int i = 1; i <= other.dim(); ++i) {
    const int64_t o = other.shape()[other.dim() - i], n = self.shape()[self.dim() - i];
    if (o != n && o != 1) return false;
  }
  for (int d = 0; d < self.dim(); ++d)
    if (self.strides()[d] == 0 && self.shape()[d] > 1) return false;
  if (other.storage() != self.storage()) return true;
  return other.shape() == self.shape() && other.strides() == self.strides() &&
         other.storage_offset() == self.storage_offset();
}

// self = self (op) other, computed in place by the kernel (writes_directly holds).
Tensor& apply_directly(Tensor& self, BinaryOp op, const Tensor& other) {
  if (self.numel() > 0) {
    detail::backend_of(self).binary(op, detail::view_of(self),
                                    detail::broadcast_view(other, self.shape()),
                                    detail::view_of(self));
  }
  self.storage()->bump_version();
  return self;
}

// The in-place binary op: direct when possible, else out of place and written back.
template <typename OutOfPlace>
Tensor& binary_inplace(Tensor& self, BinaryOp op, const Tensor& other, const char* name,
                       OutOfPlace out_of_place) {
  detail::check_defined(self, name);
  detail::check_defined(other, name, "other");
  detail::check_inplace_overlap(self, other, name);
  if (writes_directly(self, other)) {
    detail::check_inplace_allowed(self, name);
    return apply_directly(self, op, other);
  }
  return assign(self, out_of_place(current(self, name), other), name);
}

Tensor binary_add(const Tensor& a, const Tensor& b) { return add(a, b); }
Tensor binary_sub(const Tensor& a, const Tensor& b) { return sub(a, b); }
Tensor binary_mul(const Tensor& a, const Tensor& b) { return mul(a, b); }
Tensor binary_div(const Tensor& a, const Tensor& b) { return div(a, b); }

}  // namespace

Tensor& Tensor::add_(const Tensor& other, double alpha) {
  if (alpha == 1.0) return binary_inplace(*this, BinaryOp::Add, other, "add_", binary_add);
  detail::inplace_scalar(alpha, *this, "add_", false);
  detail::check_defined(other, "add_", "other");
  detail::check_inplace_overlap(*this, other, "add_");
  return assign(*this, add(current(*this, "add_"), other, alpha), "add_");
}
Tensor& Tensor::add_(double other) {
  return binary_inplace(*this, BinaryOp::Add, detail::inplace_scalar(other, *this, "add_", false),
                        "add_", binary_add);
}
Tensor& Tensor::sub_(const Tensor& other, double alpha) {
  if (alpha == 1.0) return binary_inplace(*this, BinaryOp::Sub, other, "sub_", binary_sub);
  detail::inplace_scalar(alpha, *this, "sub_", false);
  detail::check_defined(other, "sub_", "other");
  detail::check_inplace_overlap(*this, other, "sub_");
  return assign(*this, add(current(*this, "sub_"), other, -alpha), "sub_");
}
Tensor& Tensor::sub_(double other) {
  return binary_inplace(*this, BinaryOp::Sub, detail::inplace_scalar(other, *this, "sub_", false),
                        "sub_", binary_sub);
}
Tensor& Tensor::mul_(const Tensor& other) {
  return binary_inplace(*this, BinaryOp::Mul, other, "mul_", binary_mul);
}
Tensor& Tensor::mul_(double other) {
  return binary_inplace(*this, BinaryOp::Mul, detail::inplace_scalar(other, *this, "mul_", false),
                        "mul_", binary_mul);
}
Tensor& Tensor::div_(const Tensor& other) {
  MG_CHECK(!defined() || is_floating(dtype()),
           "div_: result type Float can't be cast to the desired output type {}: true division of "
           "a {} tensor (shape {}) gives a float result; convert the tensor with .to(kFloat32) or "
           ".to(kFloat64) first",
           dtype() == kBool ? "Bool" : "Long", dtype_name(dtype()), shape_str(shape()));
  return binary_inplace(*this, BinaryOp::Div, other, "div_", binary_div);
}
Tensor& Tensor::div_(double other) {
  return binary_inplace(*this, BinaryOp::Div, detail::inplace_scalar(other, *this, "div_", true),
                        "div_", binary_div);
}

Tensor& Tensor::copy_(const Tensor& src) {
  detail::check_inplace_allowed(*this, "copy_");
  detail::check_defined(src, "copy_", "source");
  // A strided source that may share elements with self is read in full before the write.
  const bool may_share =
      detail::check_inplace_overlap(*this, src, "copy_") == detail::Overlap::kTooHard;
  Tensor value = src.dtype() != dtype() ? src.to(dtype()) : (may_share ? src.clone() : src);
  if (value.device() != device()) value = value.to(device());
  return assign(*this, value, "copy_", Write::overwrite);
}

Tensor& Tensor::fill_(double value) {
  detail::check_inplace_allowed(*this, "fill_");
  detail::check_value_fits(value, dtype(), "fill_", "fill value");
  // While recording, a tensor with history is overwritten by a constant (and its base, for a
  // view: a view without history of a base with one was refused above).
  if (is_grad_enabled() && requires_grad())
    return assign(*this, full_like(*this, value), "fill_", Write::overwrite);
  if (numel() > 0) detail::backend_of(*this).fill(detail::view_of(*this), value);
  storage()->bump_version();
  return *this;
}

Tensor& Tensor::zero_() { return fill_(0.0); }

}  // namespace metagrad
