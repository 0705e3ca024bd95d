#pragma once

// The common shapes of a float elementwise op of one tensor: one backend call, then a node whose
// backward needs the input or the output. Shared by engine/ops/unary.cpp and the files of more
// elementwise math (trigonometric.cpp, special_math.cpp). Internal, not part of the public API.
#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"

namespace metagrad::detail {

/// op(x) in a new tensor of x's shape, dtype (bool for LogicalNot) and device; x must be float
/// unless `needs_float` is false.
inline Tensor unary_forward(UnaryOp op, const Tensor& x, const char* name, UnaryParams params = {},
                            bool needs_float = true) {
  if (needs_float) {
    check_floating(x, name);
  } else {
    check_defined(x, name);
  }
  const DType out_dtype = op == UnaryOp::LogicalNot ? kBool : x.dtype();
  Tensor out = make_empty_for_operands(x.shape(), out_dtype, x.device(), {&x}, name);
  backend_of(x).unary(op, view_of(x), view_of(out), params);
  return out;
}

/// op(x), recording node `node` whose backward is backward(grad, x).
template <typename Backward>
Tensor unary_with_input(UnaryOp op, const Tensor& x, const char* name, const char* node,
                        Backward backward, UnaryParams params = {}) {
  Tensor out = unary_forward(op, x, name, params);
  if (needs_grad(x)) {
    record(
        node, {x}, {out},
        [saved = SavedTensor(x, false), backward](const TensorList& g, Node& self) -> TensorList {
          return {backward(g[0], saved.unpack(self))};
        });
  }
  return out;
}

/// op(x), recording node `node` whose backward is backward(grad, op(x)).
template <typename Backward>
Tensor unary_with_output(UnaryOp op, const Tensor& x, const char* name, const char* node,
                         Backward backward) {
  Tensor out = unary_forward(op, x, name);
  if (needs_grad(x)) {
    record(
        node, {x}, {out},
        [saved = SavedTensor(out, true), backward](const TensorList& g, Node& self) -> TensorList {
          return {backward(g[0], saved.unpack(self))};
        });
  }
  return out;
}

}  // namespace metagrad::detail
