#pragma once

#include "engine/tensor.hpp"

// Arithmetic on TensorLists treated as one vector (TorchOpt's pytree helpers tree_add, tree_sub,
// tree_vdot, ...). Every function is written in differentiable ops, so it is recorded when grad
// mode is on; the lists must have the same length and matching shapes, dtypes and devices
// (otherwise a metagrad::Error names the function, the entry and both shapes).

namespace metagrad::tree {
/// \addtogroup implicit
/// @{

/// a + b, entry by entry.
TensorList add(const TensorList& a, const TensorList& b);
/// a - b, entry by entry.
TensorList sub(const TensorList& a, const TensorList& b);
/// a + alpha * b, entry by entry (alpha a number).
TensorList add_scaled(const TensorList& a, double alpha, const TensorList& b);
/// a + alpha * b with alpha a scalar tensor (0-d or one element), so that alpha may carry history.
TensorList add_scaled(const TensorList& a, const Tensor& alpha, const TensorList& b);
/// alpha * a, entry by entry.
TensorList scale(const TensorList& a, double alpha);
/// alpha * a with alpha a scalar tensor.
TensorList scale(const TensorList& a, const Tensor& alpha);
/// -a.
TensorList neg(const TensorList& a);
/// sum_i <a_i, b_i>, a 0-d tensor of the lists' dtype (0 for empty lists is not allowed: throws).
Tensor vdot(const TensorList& a, const TensorList& b);
/// vdot(a, a) as a double (no history): the squared Euclidean norm of the whole list.
double squared_norm(const TensorList& a);
/// Zeros shaped like each entry of a.
TensorList zeros_like(const TensorList& a);
/// Each entry detached (no history, shares storage).
TensorList detach(const TensorList& a);
/// The total number of elements of the list (checked for overflow).
int64_t numel(const TensorList& a);
/// The entries flattened and concatenated into one 1-D tensor (differentiable).
Tensor flatten(const TensorList& a);
/// The inverse of flatten: splits `flat` (1-D, numel(like) elements) into tensors shaped like
/// the entries of `like` (differentiable).
TensorList unflatten(const Tensor& flat, const TensorList& like);

/// @}

}  // namespace metagrad::tree
