// atan2, hypot, remainder, fmod (one backend call each), and logaddexp, logaddexp2, lerp and xlogy
// composed of differentiable ops in the forms that keep them exact where PyTorch's are.
#include <cmath>
#include <numbers>

#include "engine/ops/binary_support.hpp"
#include "engine/ops/elementwise_math.hpp"

namespace metagrad {
namespace {

using detail::binary_forward;
using detail::check_float_operands;
using detail::Needs;
using detail::needs_of;
using detail::record_binary;

// remainder and fmod: float or int64 operands; an int64 divisor of 0 is an error (PyTorch's
// ZeroDivisionError), checked before the backend runs so no kernel divides by zero.
Tensor remainder_op(BinaryOp op, const Tensor& a, const Tensor& b, const char* name,
                    const char* node, Tensor (*rounding)(const Tensor&)) {
  detail::check_defined(a, name, "dividend");
  detail::check_defined(b, name, "divisor");
  detail::check_same_kind(a, b, name);
  MG_CHECK(a.dtype() != kBool,
           "{}: not defined for bool tensors (shapes {} and {}); convert to "
           "int64 or a float dtype first",
           name, shape_str(a.shape()), shape_str(b.shape()));
  if (!is_floating(b.dtype())) {
    bool has_zero = false;
    {
      NoGradGuard no_grad;
      has_zero = any(eq(b, 0.0)).item<bool>();
    }
    MG_CHECK(!has_zero,
             "{}: integer division by zero (the int64 divisor of shape {} holds a 0); use float "
             "operands for NaN results instead",
             name, shape_str(b.shape()));
  }
  Tensor out = binary_forward(op, a, b);
  if (is_floating(a.dtype()) && needs_grad(a, b)) {
    // d (a - b r(a / b)) = da - r(a / b) db, r = floor or trunc (its own gradient is 0)
    record_binary(node, a, b, out,
                  [rounding](const Tensor& g, const Tensor& x, const Tensor& y, Node& self) {
                    const Needs n = needs_of(self);
                    return std::pair{n.a ? g : Tensor(), n.b ? -(g * rounding(x / y)) : Tensor()};
                  });
  }
  return out;
}

}  // namespace

Tensor atan2(const Tensor& input, const Tensor& other) {
  check_float_operands(input, other, "atan2");
  Tensor out = binary_forward(BinaryOp::Atan2, input, other);
  if (needs_grad(input, other)) {
    // d atan2(a, b) = (b da - a db) / (a^2 + b^2)
    record_binary("Atan2Backward", input, other, out,
                  [](const Tensor& g, const Tensor& x, const Tensor& y, Node& self) {
                    const Needs n = needs_of(self);
                    const Tensor scale = g / (square(x) + square(y));
                    return std::pair{n.a ? scale * y : Tensor(), n.b ? -(scale * x) : Tensor()};
                  });
  }
  return out;
}

Tensor hypot(const Tensor& a, const Tensor& b) {
  check_float_operands(a, b, "hypot");
  Tensor out = binary_forward(BinaryOp::Hypot, a, b);
  if (needs_grad(a, b)) {
    // d hypot(a, b) = (a da + b db) / hypot(a, b)
    record_binary("HypotBackward", a, b, out,
                  [](const Tensor& g, const Tensor& x, const Tensor& y, Node& self) {
                    const Needs n = needs_of(self);
                    const Tensor scale = g / hypot(x, y);
                    return std::pair{n.a ? scale * x : Tensor(), n.b ? scale * y : Tensor()};
                  });
  }
  return out;
}

Tensor remainder(const Tensor& a, const Tensor& b) {
  return remainder_op(BinaryOp::Remainder, a, b, "remainder", "RemainderBackward", floor);
}

Tensor remainder(const Tensor& a, double b) {
  detail::check_defined(a, "remainder", "dividend");
  return remainder(a, detail::scalar_operand(b, a, "remainder"));
}

Tensor fmod(const Tensor& a, const Tensor& b) {
  return remainder_op(BinaryOp::Fmod, a, b, "fmod", "FmodBackward", trunc);
}

Tensor fmod(const Tensor& a, double b) {
  detail::check_defined(a, "fmod", "dividend");
  return fmod(a, detail::scalar_operand(b, a, "fmod"));
}

Tensor logaddexp(const Tensor& a, const Tensor& b) {
  check_float_operands(a, b, "logaddexp");
  // hi + log(1 + e^(lo - hi)) with hi the larger operand: the exponent is never positive, and the
  // formula is the analytic function itself on each side (a tie sends hi to a), so its
  // derivatives of every order are logaddexp's. Equal infinities would give inf - inf.
  Tensor a_is_hi, equal_infinities;
  {
    NoGradGuard no_grad;
    a_is_hi = ge(a, b);
    equal_infinities = logical_and(eq(a, b), logical_not(isfinite(a)));
  }
  const Tensor hi = where(a_is_hi, a, b), lo = where(a_is_hi, b, a);
  const Tensor finite = hi + log1p(exp(lo - hi));
  return where(equal_infinities, broadcast_to(a, finite.shape()), finite);
}

Tensor logaddexp2(const Tensor& a, const Tensor& b) {
  check_float_operands(a, b, "logaddexp2");
  // log2(2^a + 2^b) = logaddexp(a ln 2, b ln 2) / ln 2
  return logaddexp(a * std::numbers::ln2, b * std::numbers::ln2) / std::numbers::ln2;
}

Tensor lerp(const Tensor& start, const Tensor& end, const Tensor& weight) {
  check_float_operands(start, end, "lerp");
  detail::check_defined(weight, "lerp", "weight");
  detail::check_same_kind(start, weight, "lerp");
  // PyTorch's two forms: start + w (end - start) for |w| < 1/2, else end - (end - start)(1 - w)
  // (exact at both ends), 1 - w and end - start rounded in the operands' dtype. Its CPU kernel
  // fuses each product and sum into one rounding (an FMA); for float32 the same comes from the
  // product and sum in double (the product is exact there), rounded once.
  const Tensor span = end - start;
  const bool widen = start.dtype() == kFloat32;
  const auto wide = [widen](const Tensor& t) { return widen ? t.to(kFloat64) : t; };
  const Tensor wide_start = wide(start), wide_end = wide(end), wide_weight = wide(weight),
               wide_span = wide(span), wide_complement = wide(1.0 - weight);
  Tensor near_start;
  {
    NoGradGuard no_grad;
    near_start = lt(abs(wide_weight), 0.5);
  }
  const Tensor value = where(near_start, wide_start + wide_weight * wide_span,
                             wide_end - wide_span * wide_complement);
  return widen ? value.to(kFloat32) : value;
}

Tensor lerp(const Tensor& start, const Tensor& end, double weight) {
  check_float_operands(start, end, "lerp");
  return lerp(start, end, detail::scalar_operand(weight, start, "lerp"));
}

Tensor xlogy(const Tensor& x, const Tensor& y) {
  check_float_operands(x, y, "xlogy");
  // x log(y') with y' = 1 where x == 0 and log(y) is not a finite number: there the value is
  // 0 and so is the gradient to x, while a NaN y still gives NaN.
  Tensor replace;
  {
    NoGradGuard no_grad;
    const Tensor finite_log = logical_and(gt(y, 0.0), isfinite(y));
    replace = logical_and(eq(x, 0.0), logical_and(logical_not(finite_log), logical_not(isnan(y))));
  }
  return x * log(where(replace, 1.0, y));
}

}  // namespace metagrad
