#pragma once

// The common shapes of an elementwise op of two tensors: the broadcast backend call and the node
// whose backward needs both inputs. Shared by engine/ops/binary.cpp and binary_math.cpp.
// Internal, not part of the public API.
#include <utility>

#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"

namespace metagrad::detail {

/// op(a, b) in a new tensor of the broadcast shape (bool for predicates); a and b must share dtype
/// and device, and arithmetic rejects bool operands.
Tensor binary_forward(BinaryOp op, const Tensor& a, const Tensor& b);

/// Checks a and b as the float operands of `op` (defined, one dtype and device, float), naming it.
inline void check_float_operands(const Tensor& a, const Tensor& b, const char* op) {
  check_defined(a, op, "first operand");
  check_defined(b, op, "second operand");
  check_same_kind(a, b, op);
  check_floating(a, op);
}

/// Which inputs of a binary node need a gradient (to skip work in the backward).
struct Needs {
  bool a, b;
};
/// The Needs of node `self`, whose inputs are (a, b).
inline Needs needs_of(const Node& self) {
  return {self.next_edges()[0].valid(), self.next_edges()[1].valid()};
}

/// Records node `node` for out = f(a, b), whose backward(grad, a, b, self) returns the pair of
/// gradients (undefined where none is needed), each summed back to its operand's shape.
template <typename Backward>
void record_binary(const char* node, const Tensor& a, const Tensor& b, const Tensor& out,
                   Backward backward) {
  const SavedTensor sa(a, false), sb(b, false);
  record(node, {a, b}, {out},
         [sa, sb, backward](const TensorList& g, Node& self) -> TensorList {
           const Tensor x = sa.unpack(self), y = sb.unpack(self);
           auto [ga, gb] = backward(g[0], x, y, self);
           return {ga.defined() ? sum_to(ga, x.shape()) : Tensor(),
                   gb.defined() ? sum_to(gb, y.shape()) : Tensor()};
         },
         {{"self", sa}, {"other", sb}});
}

}  // namespace metagrad::detail
