#pragma once

#include <functional>
#include <utility>
#include <vector>

#include "engine/tensor.hpp"

/// torch.autograd.functional: Jacobians, Hessians and their products with vectors, for functions of
/// tensors, built on grad(). Each function evaluates the user's function on fresh tensors that
/// stand for its inputs (as PyTorch does), so a function that reads a captured input instead of
/// its argument sees a constant.
namespace metagrad::autograd::functional {
/// \addtogroup engine_autograd
/// @{

/// A function of several tensors returning several tensors (torch's `func(*inputs)`).
using Function = std::function<TensorList(const TensorList&)>;
/// A function of one tensor returning one tensor.
using UnaryFunction = std::function<Tensor(const Tensor&)>;
/// A scalar function of several tensors (for hessian, vhp and hvp): returns a one-element tensor.
using ScalarFunction = std::function<Tensor(const TensorList&)>;

/// How jacobian builds the matrix (torch.autograd.functional.jacobian's `strategy`).
enum class JacobianStrategy {
  /// Row by row: one backward pass per output element. Best when outputs are fewer than inputs.
  reverse_mode,
  /// Column by column: J e_k by the double backward trick, one backward to record Jᵀ u and then
  /// one pass per input element. Best when outputs outnumber inputs.
  forward_mode,
};

/// The keyword arguments of torch.autograd.functional.
struct FunctionalOptions {
  /// Compute the results in a differentiable way: the outputs and the products keep their history
  /// back to the inputs that require grad. Otherwise both are returned detached.
  bool create_graph = false;
  /// Throw when an output (or, for the second-order functions, a gradient) is independent of an
  /// input, instead of returning zeros, which is the mathematical value.
  bool strict = false;
  /// jacobian only: rows (reverse mode) or columns (forward mode by the double backward trick;
  /// PyTorch asks for vectorize=True there, which metagrad does not need).
  JacobianStrategy strategy = JacobianStrategy::reverse_mode;
};

/// Jacobian of `fn` at `inputs`: `result[i][j]` is d outputs[i] / d inputs[j], shaped
/// outputs[i].shape + inputs[j].shape (torch.autograd.functional.jacobian), one backward pass per
/// output element, or per input element with JacobianStrategy::forward_mode. Inputs must be
/// float32 or float64. Outputs that do not require grad (an integer
/// output, a constant) give zeros, or an error when strict.
std::vector<TensorList> jacobian(const Function& fn, const TensorList& inputs,
                                 FunctionalOptions options = {});
/// Jacobian of a function of one tensor: shaped fn(input).shape + input.shape.
Tensor jacobian(const UnaryFunction& fn, const Tensor& input, FunctionalOptions options = {});

/// Hessian of the scalar function `fn` at `inputs`: `result[i][j]` is d² fn / d inputs[i]
/// d inputs[j], shaped inputs[i].shape + inputs[j].shape (torch.autograd.functional.hessian).
/// `fn` must return a one-element tensor.
std::vector<TensorList> hessian(const ScalarFunction& fn, const TensorList& inputs,
                                FunctionalOptions options = {});
/// Hessian of a scalar function of one tensor: shaped input.shape + input.shape.
Tensor hessian(const UnaryFunction& fn, const Tensor& input, FunctionalOptions options = {});

/// Vector-Jacobian product: {fn(inputs), vᵀ J}, one tensor per input
/// (torch.autograd.functional.vjp). `v` has one tensor per output, shaped like it; it may be empty
/// only when fn returns a single one-element tensor (then v = 1).
std::pair<TensorList, TensorList> vjp(const Function& fn, const TensorList& inputs,
                                      const TensorList& v = {}, FunctionalOptions options = {});
/// vjp of a function of one tensor.
std::pair<Tensor, Tensor> vjp(const UnaryFunction& fn, const Tensor& input, const Tensor& v = {},
                              FunctionalOptions options = {});

/// Jacobian-vector product: {fn(inputs), J v}, one tensor per output
/// (torch.autograd.functional.jvp). metagrad has no forward mode: J v is computed by the double
/// backward trick, d/du <Jᵀ u, v> for a dummy u, which costs two backward passes. `v` has one
/// tensor per input, shaped like it; it may be empty only for a single one-element input.
std::pair<TensorList, TensorList> jvp(const Function& fn, const TensorList& inputs,
                                      const TensorList& v = {}, FunctionalOptions options = {});
/// jvp of a function of one tensor.
std::pair<Tensor, Tensor> jvp(const UnaryFunction& fn, const Tensor& input, const Tensor& v = {},
                              FunctionalOptions options = {});

/// Vector-Hessian product of a scalar function: {fn(inputs), vᵀ H}, one tensor per input
/// (torch.autograd.functional.vhp): the gradient of <∇fn, v>, two backward passes.
std::pair<Tensor, TensorList> vhp(const ScalarFunction& fn, const TensorList& inputs,
                                  const TensorList& v = {}, FunctionalOptions options = {});
/// vhp of a scalar function of one tensor.
std::pair<Tensor, Tensor> vhp(const UnaryFunction& fn, const Tensor& input, const Tensor& v = {},
                              FunctionalOptions options = {});

/// Hessian-vector product of a scalar function: {fn(inputs), H v}, one tensor per input
/// (torch.autograd.functional.hvp), by the double backward trick over the gradient (three
/// backward passes). For a twice continuously differentiable fn, H is symmetric and vhp gives the
/// same result for less.
std::pair<Tensor, TensorList> hvp(const ScalarFunction& fn, const TensorList& inputs,
                                  const TensorList& v = {}, FunctionalOptions options = {});
/// hvp of a scalar function of one tensor.
std::pair<Tensor, Tensor> hvp(const UnaryFunction& fn, const Tensor& input, const Tensor& v = {},
                              FunctionalOptions options = {});

/// @}
}  // namespace metagrad::autograd::functional
