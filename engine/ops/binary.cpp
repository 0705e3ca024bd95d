#include "engine/ops/binary.hpp"

#include "engine/ops/binary_support.hpp"

namespace metagrad {
namespace {

using detail::backend_of;
using detail::broadcast_view;
using detail::scalar_like;
using detail::scalar_operand;
using detail::view_of;

const char* op_name(BinaryOp op) {
  switch (op) {
    case BinaryOp::Add:
      return "add";
    case BinaryOp::Sub:
      return "sub";
    case BinaryOp::Mul:
      return "mul";
    case BinaryOp::Div:
      return "div";
    case BinaryOp::Pow:
      return "pow";
    case BinaryOp::Maximum:
      return "maximum";
    case BinaryOp::Minimum:
      return "minimum";
    case BinaryOp::Atan2:
      return "atan2";
    case BinaryOp::Remainder:
      return "remainder";
    case BinaryOp::Fmod:
      return "fmod";
    case BinaryOp::Hypot:
      return "hypot";
    case BinaryOp::Igamma:
      return "gammainc";
    case BinaryOp::Igammac:
      return "gammaincc";
    case BinaryOp::Zeta:
      return "zeta";
    case BinaryOp::Eq:
      return "eq";
    case BinaryOp::Ne:
      return "ne";
    case BinaryOp::Lt:
      return "lt";
    case BinaryOp::Le:
      return "le";
    case BinaryOp::Gt:
      return "gt";
    case BinaryOp::Ge:
      return "ge";
    case BinaryOp::LogicalAnd:
      return "logical_and";
    case BinaryOp::LogicalOr:
      return "logical_or";
    case BinaryOp::LogicalXor:
      return "logical_xor";
  }
  return "binary";
}

}  // namespace

Tensor detail::binary_forward(BinaryOp op, const Tensor& a, const Tensor& b) {
  const char* name = op_name(op);
  detail::check_same_kind(a, b, name);
  MG_CHECK(is_predicate(op) || a.dtype() != kBool,
           "{}: arithmetic on bool tensors is not supported (shapes {} and {}); convert them with "
           ".to(kFloat32) or .to(kInt64) first, or use logical_and / logical_or / logical_xor",
           name, shape_str(a.shape()), shape_str(b.shape()));
  const DType out_dtype = is_predicate(op) ? kBool : a.dtype();
  if (a.shape() == b.shape()) {
    Tensor out = make_empty_for_operands(a.shape(), out_dtype, a.device(), {&a, &b}, name);
    backend_of(a).binary(op, view_of(a), view_of(b), view_of(out));
    return out;
  }
  const Dims shape = broadcast_shapes(a.shape(), b.shape(), name);
  Tensor out = make_empty_for_operands(shape, out_dtype, a.device(), {&a, &b}, name);
  backend_of(a).binary(op, broadcast_view(a, shape), broadcast_view(b, shape), view_of(out));
  return out;
}

using detail::binary_forward;
using detail::Needs;
using detail::needs_of;
using detail::record_binary;

Tensor add(const Tensor& a, const Tensor& b) {
  Tensor out = binary_forward(BinaryOp::Add, a, b);
  if (needs_grad(a, b)) {
    // d(a + b) = da + db
    record("AddBackward", {a, b}, {out},
           [sa = a.shape(), sb = b.shape()](const TensorList& g, Node& self) -> TensorList {
             const Needs n = needs_of(self);
             return {n.a ? sum_to(g[0], sa) : Tensor(), n.b ? sum_to(g[0], sb) : Tensor()};
           });
  }
  return out;
}

Tensor add(const Tensor& a, const Tensor& b, double alpha) {
  return alpha == 1.0 ? add(a, b) : add(a, mul(b, alpha));
}

Tensor sub(const Tensor& a, const Tensor& b) {
  Tensor out = binary_forward(BinaryOp::Sub, a, b);
  if (needs_grad(a, b)) {
    // d(a - b) = da - db
    record("SubBackward", {a, b}, {out},
           [sa = a.shape(), sb = b.shape()](const TensorList& g, Node& self) -> TensorList {
             const Needs n = needs_of(self);
             return {n.a ? sum_to(g[0], sa) : Tensor(), n.b ? neg(sum_to(g[0], sb)) : Tensor()};
           });
  }
  return out;
}

Tensor mul(const Tensor& a, const Tensor& b) {
  Tensor out = binary_forward(BinaryOp::Mul, a, b);
  if (needs_grad(a, b)) {
    // d(a b) = b da + a db
    record_binary("MulBackward", a, b, out,
                  [](const Tensor& g, const Tensor& x, const Tensor& y, Node& self) {
                    const Needs n = needs_of(self);
                    return std::pair{n.a ? g * y : Tensor(), n.b ? g * x : Tensor()};
                  });
  }
  return out;
}

Tensor div(const Tensor& a, const Tensor& b) {
  Tensor out = binary_forward(BinaryOp::Div, a, b);
  if (needs_grad(a, b)) {
    // d(a / b) = da / b - a / b^2 db
    record_binary("DivBackward", a, b, out,
                  [](const Tensor& g, const Tensor& x, const Tensor& y, Node& self) {
                    const Needs n = needs_of(self);
                    return std::pair{n.a ? g / y : Tensor(), n.b ? -(g * x) / (y * y) : Tensor()};
                  });
  }
  return out;
}

Tensor pow(const Tensor& a, const Tensor& b) {
  detail::check_same_kind(a, b, "pow");
  detail::check_floating(a, "pow");
  Tensor out = binary_forward(BinaryOp::Pow, a, b);
  if (needs_grad(a, b)) {
    // d(a^b) = b a^(b-1) da + a^b log(a) db   (the db term is 0 where a == 0 and b >= 0)
    record_binary("PowBackward", a, b, out,
                  [](const Tensor& g, const Tensor& x, const Tensor& y, Node& self) {
                    const Needs n = needs_of(self);
                    Tensor ga, gb;
                    if (n.a) ga = where(eq(y, 0.0), 0.0, g * y * pow(x, y - 1.0));
                    if (n.b) {
                      const Tensor safe_log = where(eq(x, 0.0), 0.0, log(x));
                      gb =
                          where(logical_and(eq(x, 0.0), ge(y, 0.0)), 0.0, g * pow(x, y) * safe_log);
                    }
                    return std::pair{ga, gb};
                  });
  }
  return out;
}

namespace {
// maximum/minimum: the gradient goes to the larger (smaller) operand, half to each on ties.
Tensor extremum(BinaryOp op, const Tensor& a, const Tensor& b, const char* node) {
  detail::check_floating(a, op_name(op));
  Tensor out = binary_forward(op, a, b);
  if (needs_grad(a, b)) {
    const bool is_max = op == BinaryOp::Maximum;
    // d max(a, b) = [a > b] da + [b > a] db, ties split 1/2 each
    record_binary(node, a, b, out,
                  [is_max](const Tensor& g, const Tensor& x, const Tensor& y, Node& self) {
                    const Needs n = needs_of(self);
                    const Tensor half = g * 0.5;
                    const Tensor tie = eq(x, y);
                    const Tensor a_wins = is_max ? gt(x, y) : lt(x, y);
                    const Tensor b_wins = is_max ? lt(x, y) : gt(x, y);
                    Tensor ga, gb;
                    if (n.a) ga = where(a_wins, g, where(tie, half, 0.0));
                    if (n.b) gb = where(b_wins, g, where(tie, half, 0.0));
                    return std::pair{ga, gb};
                  });
  }
  return out;
}
}  // namespace

Tensor maximum(const Tensor& a, const Tensor& b) {
  return extremum(BinaryOp::Maximum, a, b, "MaximumBackward");
}
Tensor minimum(const Tensor& a, const Tensor& b) {
  return extremum(BinaryOp::Minimum, a, b, "MinimumBackward");
}

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  detail::check_defined(cond, "where", "condition");
  MG_CHECK(cond.dtype() == kBool, "where: the condition must be a bool tensor, got {} of shape {}",
           dtype_name(cond.dtype()), shape_str(cond.shape()));
  detail::check_same_kind(a, b, "where");
  MG_CHECK(cond.device() == a.device(), "where: condition on {} but values on {}",
           cond.device().str(), a.device().str());
  const Dims shape =
      broadcast_shapes(cond.shape(), broadcast_shapes(a.shape(), b.shape(), "where"), "where");
  Tensor out = make_empty_for_operands(shape, a.dtype(), a.device(), {&cond, &a, &b}, "where");
  backend_of(a).where(broadcast_view(cond, shape), broadcast_view(a, shape),
                      broadcast_view(b, shape), view_of(out));
  if (needs_grad(a, b)) {
    // d where(c, a, b) = [c] da + [!c] db
    record(
        "WhereBackward", {a, b}, {out},
        [c = cond, sa = a.shape(), sb = b.shape()](const TensorList& g, Node& self) -> TensorList {
          const Needs n = needs_of(self);
          return {n.a ? sum_to(where(c, g[0], 0.0), sa) : Tensor(),
                  n.b ? sum_to(where(c, 0.0, g[0]), sb) : Tensor()};
        });
  }
  return out;
}

Tensor where(const Tensor& cond, const Tensor& a, double b) {
  return where(cond, a, scalar_operand(b, a, "where"));
}
Tensor where(const Tensor& cond, double a, const Tensor& b) {
  return where(cond, scalar_operand(a, b, "where"), b);
}

Tensor add(const Tensor& a, double b) { return add(a, scalar_operand(b, a, "add")); }
Tensor sub(const Tensor& a, double b) { return sub(a, scalar_operand(b, a, "sub")); }
Tensor sub(double a, const Tensor& b) { return sub(scalar_operand(a, b, "sub"), b); }
Tensor mul(const Tensor& a, double b) { return mul(a, scalar_operand(b, a, "mul")); }
Tensor div(const Tensor& a, double b) { return div(a, scalar_operand(b, a, "div")); }
Tensor div(double a, const Tensor& b) { return div(scalar_operand(a, b, "div"), b); }

Tensor eq(const Tensor& a, const Tensor& b) { return binary_forward(BinaryOp::Eq, a, b); }
Tensor ne(const Tensor& a, const Tensor& b) { return binary_forward(BinaryOp::Ne, a, b); }
Tensor lt(const Tensor& a, const Tensor& b) { return binary_forward(BinaryOp::Lt, a, b); }
Tensor le(const Tensor& a, const Tensor& b) { return binary_forward(BinaryOp::Le, a, b); }
Tensor gt(const Tensor& a, const Tensor& b) { return binary_forward(BinaryOp::Gt, a, b); }
Tensor ge(const Tensor& a, const Tensor& b) { return binary_forward(BinaryOp::Ge, a, b); }
namespace {
// a (op) b for a scalar b. An int64/bool tensor is compared in float64 when b is not one of its
// values (x < 0.5, x == NaN), so that the answer is the mathematical one, as in PyTorch.
Tensor compare_scalar(BinaryOp op, const Tensor& a, double b) {
  detail::check_defined(a, op_name(op));
  const Tensor x = detail::is_exact_value(b, a.dtype()) ? a : a.to(kFloat64);
  return binary_forward(op, x, scalar_like(b, x));
}
}  // namespace

Tensor eq(const Tensor& a, double b) { return compare_scalar(BinaryOp::Eq, a, b); }
Tensor ne(const Tensor& a, double b) { return compare_scalar(BinaryOp::Ne, a, b); }
Tensor lt(const Tensor& a, double b) { return compare_scalar(BinaryOp::Lt, a, b); }
Tensor le(const Tensor& a, double b) { return compare_scalar(BinaryOp::Le, a, b); }
Tensor gt(const Tensor& a, double b) { return compare_scalar(BinaryOp::Gt, a, b); }
Tensor ge(const Tensor& a, double b) { return compare_scalar(BinaryOp::Ge, a, b); }

namespace {
Tensor logical(BinaryOp op, const Tensor& a, const Tensor& b) {
  detail::check_defined(a, op_name(op), "first operand");
  detail::check_defined(b, op_name(op), "second operand");
  if (a.dtype() == b.dtype()) return binary_forward(op, a, b);
  return binary_forward(op, a.to(kBool), b.to(kBool));
}
}  // namespace

Tensor logical_and(const Tensor& a, const Tensor& b) { return logical(BinaryOp::LogicalAnd, a, b); }
Tensor logical_or(const Tensor& a, const Tensor& b) { return logical(BinaryOp::LogicalOr, a, b); }
Tensor logical_xor(const Tensor& a, const Tensor& b) { return logical(BinaryOp::LogicalXor, a, b); }

Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
Tensor operator+(const Tensor& a, double b) { return add(a, b); }
Tensor operator+(double a, const Tensor& b) { return add(b, a); }
Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
Tensor operator-(const Tensor& a, double b) { return sub(a, b); }
Tensor operator-(double a, const Tensor& b) { return sub(a, b); }
Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
Tensor operator*(const Tensor& a, double b) { return mul(a, b); }
Tensor operator*(double a, const Tensor& b) { return mul(b, a); }
Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
Tensor operator/(const Tensor& a, double b) { return div(a, b); }
Tensor operator/(double a, const Tensor& b) { return div(a, b); }

}  // namespace metagrad
