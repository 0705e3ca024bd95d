#include "engine/ops/op_support.hpp"

#include <cfloat>
#include <cmath>

#include "engine/autograd/view_history.hpp"
#include "engine/grad_mode.hpp"
#include "engine/ops/device_scalars.hpp"
#include "engine/ops/factory.hpp"

namespace metagrad::detail {

View broadcast_view(const Tensor& t, const Dims& shape) {
  View v{t.raw_data(), t.dtype(), shape, Dims(shape.size(), 0)};
  const int lead = shape.size() - t.dim();
  for (int d = 0; d < t.dim(); ++d)
    v.strides[lead + d] = t.shape()[d] == 1 && shape[lead + d] != 1 ? 0 : t.strides()[d];
  return v;
}

void check_defined(const Tensor& t, const char* op, const char* what) {
  MG_CHECK(t.defined(), "{}: {} is an undefined tensor (default-constructed)", op, what);
}

void check_floating(const Tensor& t, const char* op) {
  check_defined(t, op);
  MG_CHECK(is_floating(t.dtype()),
           "{}: expected a float32 or float64 tensor, got {} of shape {}; convert it with "
           ".to(kFloat32) or .to(kFloat64)",
           op, dtype_name(t.dtype()), shape_str(t.shape()));
}

void check_same_kind(const Tensor& a, const Tensor& b, const char* op) {
  check_defined(a, op, "first operand");
  check_defined(b, op, "second operand");
  MG_CHECK(a.dtype() == b.dtype(),
           "{}: dtype mismatch: {} {} and {} {}; metagrad does not promote implicitly, convert one "
           "operand with .to({})",
           op, dtype_name(a.dtype()), shape_str(a.shape()), dtype_name(b.dtype()),
           shape_str(b.shape()), dtype_name(a.dtype()));
  MG_CHECK(a.device() == b.device(),
           "{}: expected both operands on the same device, got {} (shape {}) and {} (shape {}); "
           "move one with .to(device)",
           op, a.device().str(), shape_str(a.shape()), b.device().str(), shape_str(b.shape()));
}

void check_inplace_allowed(const Tensor& t, const char* op) {
  check_defined(t, op);
  MG_CHECK(!(is_grad_enabled() && t.is_leaf() && t.requires_grad()),
           "{}: a leaf tensor that requires grad (shape {}) is being used in an in-place "
           "operation; wrap the update in NoGradGuard, or use an out-of-place op",
           op, shape_str(t.shape()));
  if (!is_grad_enabled() || !t.impl()->is_view()) return;
  const Tensor base = live_view_base(t);
  MG_CHECK(!(base.defined() && base.is_leaf() && base.requires_grad()),
           "{}: a view (shape {}) of a leaf tensor that requires grad (shape {}) is being used in "
           "an in-place operation; wrap the update in NoGradGuard, or clone() the leaf and write "
           "into the clone's view",
           op, shape_str(t.shape()), shape_str(base.shape()));
  MG_CHECK(!(base.defined() && base.requires_grad() && !t.requires_grad()),
           "{}: this view (shape {}) was taken under NoGradGuard of a base (shape {}) that "
           "requires grad; writing into it would lose the base's gradient. Take the view again "
           "with grad enabled",
           op, shape_str(t.shape()), shape_str(base.shape()));
}

Tensor scalar_like(double value, const Tensor& like) {
  if (!like.device().is_cpu()) return shared_device_scalar(value, like);
  Tensor s = make_empty(Dims{}, like.dtype(), like.device());
  backend_of(s).fill(view_of(s), value);
  return s;
}

void check_value_fits(double value, DType dtype, const char* op, const char* what) {
  bool fits = true;
  if (dtype == kInt64) {
    // [-2^63, 2^63): both bounds are exact doubles.
    fits = std::isfinite(value) && value >= -0x1p63 && value < 0x1p63;
  } else if (dtype == kBool) {
    fits = !std::isnan(value);
  } else if (dtype == kFloat32) {
    fits = !std::isfinite(value) || std::fabs(value) <= static_cast<double>(FLT_MAX);
  }
  MG_CHECK(fits,
           "{}: {} {} cannot be converted to {} without overflow; use a value in range or a "
           "floating dtype",
           op, what, value, dtype_name(dtype));
}

bool is_exact_value(double value, DType dtype) {
  if (dtype == kInt64) {
    return std::isfinite(value) && value >= -0x1p63 && value < 0x1p63 && value == std::trunc(value);
  }
  if (dtype == kBool) return value == 0.0 || value == 1.0;
  return true;
}

namespace {

const char* torch_type_name(DType dtype) {
  switch (dtype) {
    case kFloat32:
      return "Float";
    case kFloat64:
      return "Double";
    case kInt64:
      return "Long";
    case kBool:
      return "Bool";
  }
  return "?";
}

}  // namespace

Tensor scalar_operand(double value, const Tensor& like, const char* op) {
  check_defined(like, op);
  MG_CHECK(is_exact_value(value, like.dtype()),
           "{}: the scalar {} is not a {} value, and the other operand is a {} tensor of shape "
           "{}; metagrad does not promote implicitly: convert the tensor with .to(kFloat32) or "
           ".to(kFloat64) first",
           op, value, dtype_name(like.dtype()), dtype_name(like.dtype()), shape_str(like.shape()));
  return scalar_like(value, like);
}

Tensor inplace_scalar(double value, const Tensor& self, const char* op, bool true_division) {
  check_defined(self, op);
  const bool integral = !is_floating(self.dtype());
  MG_CHECK(!integral || (!true_division && is_exact_value(value, self.dtype())),
           "{}: result type Float can't be cast to the desired output type {}: {} of a {} tensor "
           "(shape {}) by the scalar {} is not a {} value; convert the tensor with .to(kFloat32) "
           "or .to(kFloat64) first",
           op, torch_type_name(self.dtype()), true_division ? "true division" : "the result",
           dtype_name(self.dtype()), shape_str(self.shape()), value, dtype_name(self.dtype()));
  return scalar_like(value, self);
}

namespace {

// [first, last] element indices (relative to the storage start) that `t` can touch.
std::pair<int64_t, int64_t> element_range(const Tensor& t) {
  int64_t lo = t.storage_offset(), hi = t.storage_offset();
  for (int d = 0; d < t.dim(); ++d) {
    const int64_t span = (t.shape()[d] - 1) * t.strides()[d];
    (span < 0 ? lo : hi) += span;
  }
  return {lo, hi};
}

}  // namespace

Overlap memory_overlap(const Tensor& a, const Tensor& b) {
  if (a.numel() == 0 || b.numel() == 0 || a.storage() != b.storage()) return Overlap::kNone;
  if (a.dtype() == b.dtype() && a.storage_offset() == b.storage_offset() &&
      a.shape() == b.shape() && a.strides() == b.strides())
    return Overlap::kFull;
  const auto [alo, ahi] = element_range(a);
  const auto [blo, bhi] = element_range(b);
  const int64_t ea = static_cast<int64_t>(element_size(a.dtype()));
  const int64_t eb = static_cast<int64_t>(element_size(b.dtype()));
  // Byte ranges [alo * ea, (ahi + 1) * ea) and [blo * eb, (bhi + 1) * eb).
  if ((ahi + 1) * ea <= blo * eb || (bhi + 1) * eb <= alo * ea) return Overlap::kNone;
  return a.is_contiguous() && b.is_contiguous() ? Overlap::kPartial : Overlap::kTooHard;
}

Overlap check_inplace_overlap(const Tensor& dst, const Tensor& src, const char* op) {
  for (int d = 0; d < dst.dim(); ++d) {
    MG_CHECK(dst.strides()[d] != 0 || dst.shape()[d] <= 1,
             "{}: unsupported operation: more than one element of the written-to tensor (shape {}, "
             "strides {}) refers to a single memory location; clone() the tensor before "
             "performing the operation",
             op, shape_str(dst.shape()), shape_str(dst.strides()));
  }
  const Overlap overlap = memory_overlap(dst, src);
  MG_CHECK(overlap != Overlap::kPartial,
           "{}: unsupported operation: some elements of the input tensor and the written-to tensor "
           "refer to a single memory location (input: shape {} at storage offset {}, written-to: "
           "shape {} at storage offset {}); clone() the input before performing the operation",
           op, shape_str(src.shape()), src.storage_offset(), shape_str(dst.shape()),
           dst.storage_offset());
  return overlap;
}

}  // namespace metagrad::detail
