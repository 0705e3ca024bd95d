#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "metagrad.hpp"

// Printing helpers shared by the tutorial programs: parameters the way the TorchOpt notebooks
// show them (Python's repr of a tuple or a dict of tensors).

namespace metagrad::tutorials {

/// PyTorch's repr of a parameter: "Parameter containing: tensor(...)" for a leaf that requires
/// grad, the tensor's repr (with its grad_fn) otherwise.
std::string parameter_repr(const Tensor& t);

/// Prints `title` and then the tensors as a Python tuple, one per line:
/// "(\n    Parameter containing: tensor([[1.]], requires_grad=True),\n    ...\n)".
void print_tuple(std::string_view title, const TensorList& tensors);

/// Prints `title` and then the named tensors as a Python dict, one entry per line:
/// "{\n    'fc.weight': Parameter containing: tensor(...),\n    ...\n}".
void print_dict(std::string_view title, const nn::NamedTensors& named);

/// An optimizer state as Python prints TorchOpt's: "EmptyState()", a chain's states as a tuple
/// "(EmptyState(), ScaleByAdamState(mu=(...), nu=(...), count=1))"; tensor lists print their
/// tensors, counters their values.
std::string state_repr(const OptState& state);

/// The states of a meta-optimizer's groups as a Python tuple: "((EmptyState(),),)" for MetaSGD.
std::string states_repr(const std::vector<OptState>& states);

}  // namespace metagrad::tutorials
