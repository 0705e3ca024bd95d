#include "engine/ops/op_support.hpp"

#include "engine/grad_mode.hpp"
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
}

Tensor scalar_like(double value, const Tensor& like) {
  Tensor s = make_empty(Dims{}, like.dtype(), like.device());
  backend_of(s).fill(view_of(s), value);
  return s;
}

}  // namespace metagrad::detail
