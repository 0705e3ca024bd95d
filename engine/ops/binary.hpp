#pragma once

#include "engine/tensor.hpp"

// Elementwise functions of two tensors with NumPy broadcasting. Both operands must share dtype
// and device (no implicit promotion between float32 and float64: convert with .to()). A double
// operand takes the tensor's dtype. Gradients are summed back to each operand's shape. Arithmetic
// (add, sub, mul, div, pow, maximum, minimum) rejects bool tensors; comparisons accept them.
namespace metagrad {
/// \addtogroup engine_ops
/// @{

/// a + b elementwise, with NumPy broadcasting (torch.add).
Tensor add(const Tensor& a, const Tensor& b);
/// a + alpha * b (torch.add with alpha).
Tensor add(const Tensor& a, const Tensor& b, double alpha);
/// The same with a number for `b`.
Tensor add(const Tensor& a, double b);
/// a - b elementwise, with broadcasting (torch.sub).
Tensor sub(const Tensor& a, const Tensor& b);
/// The same with a number for `b`.
Tensor sub(const Tensor& a, double b);
/// The same with a number for `a`.
Tensor sub(double a, const Tensor& b);
/// a * b elementwise, with broadcasting (torch.mul).
Tensor mul(const Tensor& a, const Tensor& b);
/// The same with a number for `b`.
Tensor mul(const Tensor& a, double b);
/// a / b elementwise, with broadcasting (true division, torch.div).
Tensor div(const Tensor& a, const Tensor& b);
/// The same with a number for `b`.
Tensor div(const Tensor& a, double b);
/// The same with a number for `a`.
Tensor div(double a, const Tensor& b);
/// a ^ b elementwise; gradient w.r.t. b uses log(a) (defined where a > 0, and 0 where a == 0 and
/// b > 0, as PyTorch).
Tensor pow(const Tensor& a, const Tensor& b);
/// Elementwise max; ties split the gradient equally (as PyTorch).
Tensor maximum(const Tensor& a, const Tensor& b);
/// Elementwise min; ties split the gradient equally.
Tensor minimum(const Tensor& a, const Tensor& b);
/// cond ? a : b with broadcasting; cond is bool; differentiable in a and b.
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);
/// The same with a number for `b`.
Tensor where(const Tensor& cond, const Tensor& a, double b);
/// The same with a number for `a`.
Tensor where(const Tensor& cond, double a, const Tensor& b);

/// Comparisons: bool results, not differentiable; operands of equal dtype (or a double).
Tensor eq(const Tensor& a, const Tensor& b);
/// a != b elementwise (bool, not differentiable).
Tensor ne(const Tensor& a, const Tensor& b);
/// a < b elementwise (bool, not differentiable).
Tensor lt(const Tensor& a, const Tensor& b);
/// a <= b elementwise (bool, not differentiable).
Tensor le(const Tensor& a, const Tensor& b);
/// a > b elementwise (bool, not differentiable).
Tensor gt(const Tensor& a, const Tensor& b);
/// a >= b elementwise (bool, not differentiable).
Tensor ge(const Tensor& a, const Tensor& b);
/// a == b elementwise, against a number.
Tensor eq(const Tensor& a, double b);
/// a != b elementwise, against a number.
Tensor ne(const Tensor& a, double b);
/// a < b elementwise, against a number.
Tensor lt(const Tensor& a, double b);
/// a <= b elementwise, against a number.
Tensor le(const Tensor& a, double b);
/// a > b elementwise, against a number.
Tensor gt(const Tensor& a, double b);
/// a >= b elementwise, against a number.
Tensor ge(const Tensor& a, double b);
/// Logical ops on any dtype (non-zero is true); bool results.
Tensor logical_and(const Tensor& a, const Tensor& b);
/// a || b elementwise (non-zero is true; bool result).
Tensor logical_or(const Tensor& a, const Tensor& b);
/// a != b as truth values, elementwise (non-zero is true; bool result).
Tensor logical_xor(const Tensor& a, const Tensor& b);

/// add(a, b).
Tensor operator+(const Tensor& a, const Tensor& b);
/// The same with a number for `b`.
Tensor operator+(const Tensor& a, double b);
/// The same with a number for `a`.
Tensor operator+(double a, const Tensor& b);
/// sub(a, b).
Tensor operator-(const Tensor& a, const Tensor& b);
/// The same with a number for `b`.
Tensor operator-(const Tensor& a, double b);
/// The same with a number for `a`.
Tensor operator-(double a, const Tensor& b);
/// mul(a, b).
Tensor operator*(const Tensor& a, const Tensor& b);
/// The same with a number for `b`.
Tensor operator*(const Tensor& a, double b);
/// The same with a number for `a`.
Tensor operator*(double a, const Tensor& b);
/// div(a, b).
Tensor operator/(const Tensor& a, const Tensor& b);
/// The same with a number for `b`.
Tensor operator/(const Tensor& a, double b);
/// The same with a number for `a`.
Tensor operator/(double a, const Tensor& b);

/// @}

}  // namespace metagrad
