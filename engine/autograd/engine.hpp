#pragma once

#include <optional>

#include "engine/tensor.hpp"

namespace metagrad {
/// \addtogroup engine_autograd
/// @{

/// Options of grad() and backward(), as in torch.autograd.
struct GradOptions {
  /// Keep saved tensors for another backward; defaults to create_graph.
  std::optional<bool> retain_graph;
  /// Record the backward itself, so that the result can be differentiated again.
  bool create_graph = false;
  /// Return an undefined gradient for inputs the outputs do not depend on, instead of throwing.
  bool allow_unused = false;
};

/// Gradients of sum_i <outputs[i], grad_outputs[i]> with respect to `inputs` (torch.autograd.grad).
/// A scalar output may omit its grad_output (ones); a non-scalar one may not. The result has one
/// tensor per input (undefined for unused inputs when allow_unused). With create_graph the result
/// carries history and can be differentiated again. Does not touch .grad.
TensorList grad(const TensorList& outputs, const TensorList& inputs,
                const TensorList& grad_outputs = {}, GradOptions options = {});

/// Accumulates the gradients of `outputs` into the .grad of the leaves they depend on (or of just
/// `inputs` when given), like torch.autograd.backward. Accumulation is out of place, so with
/// create_graph the accumulated .grad keeps its history.
void backward(const TensorList& outputs, const TensorList& grad_outputs = {},
              GradOptions options = {}, const TensorList& inputs = {});

/// @}

}  // namespace metagrad
