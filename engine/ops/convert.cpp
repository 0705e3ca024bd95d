#include "engine/ops/convert.hpp"

#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"

namespace metagrad {
namespace {

// A contiguous copy of x with `dtype` on `device` (no history).
Tensor copy_as(const Tensor& x, DType dtype, Device device) {
  Tensor out = make_empty(x.shape(), dtype, device);
  if (x.numel() == 0) return out;
  if (device == x.device()) {
    detail::backend_of(x).copy(detail::view_of(x), detail::view_of(out));
  } else {
    // Cross-device: the non-CPU backend moves contiguous bytes of the same dtype.
    Tensor src = x.dtype() == dtype ? x.contiguous() : copy_as(x, dtype, x.device());
    Backend& device_backend = backend_for(device.is_cpu() ? x.device() : device);
    device_backend.copy(detail::view_of(src), detail::view_of(out));
  }
  return out;
}

}  // namespace

Tensor clone(const Tensor& x) {
  detail::check_defined(x, "clone");
  Tensor out = copy_as(x, x.dtype(), x.device());
  if (needs_grad(x)) {
    // d clone(x) = dx
    record("CloneBackward", {x}, {out},
           [](const TensorList& g, Node&) -> TensorList { return {g[0]}; });
  }
  return out;
}

Tensor contiguous(const Tensor& x) {
  detail::check_defined(x, "contiguous");
  return x.is_contiguous() ? x : clone(x);
}

Tensor to_dtype(const Tensor& x, DType dtype) {
  detail::check_defined(x, "to");
  if (x.dtype() == dtype) return x;
  Tensor out = copy_as(x, dtype, x.device());
  if (is_floating(dtype) && needs_grad(x)) {
    // d to(x, T) = to(dx, dtype(x))
    record("ToCopyBackward", {x}, {out},
           [from = x.dtype()](const TensorList& g, Node&) -> TensorList {
             return {to_dtype(g[0], from)};
           });
  }
  return out;
}

Tensor to_device(const Tensor& x, Device device) {
  detail::check_defined(x, "to");
  if (x.device() == device) return x;
  Tensor out = copy_as(x, x.dtype(), device);
  if (needs_grad(x)) {
    // d to(x, device) = to(dx, device(x))
    record("ToCopyBackward", {x}, {out},
           [from = x.device()](const TensorList& g, Node&) -> TensorList {
             return {to_device(g[0], from)};
           });
  }
  return out;
}

}  // namespace metagrad
