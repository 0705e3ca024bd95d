#include "examples/tutorials/printing.hpp"

#include <fmt/core.h>

namespace metagrad::tutorials {

std::string parameter_repr(const Tensor& t) {
  if (t.defined() && t.is_leaf() && t.requires_grad())
    return "Parameter containing: " + to_string(t);
  return to_string(t);
}

void print_tuple(std::string_view title, const TensorList& tensors) {
  fmt::print("{}\n(\n", title);
  for (const Tensor& t : tensors) fmt::print("    {},\n", parameter_repr(t));
  fmt::print(")\n");
}

void print_dict(std::string_view title, const nn::NamedTensors& named) {
  fmt::print("{}\n{{\n", title);
  for (const auto& [name, t] : named) fmt::print("    '{}': {},\n", name, parameter_repr(t));
  fmt::print("}}\n");
}

}  // namespace metagrad::tutorials
