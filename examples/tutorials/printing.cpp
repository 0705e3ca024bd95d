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

std::string state_repr(const OptState& state) {
  std::string out;
  if (state.kind == "ChainState") {
    out = "(";
    for (const OptState& child : state.children) out += state_repr(child) + ", ";
    if (!state.children.empty()) out.resize(out.size() - 2);
    return out + (state.children.size() == 1 ? ",)" : ")");
  }
  out = state.kind + "(";
  std::string sep;
  for (const auto& [name, list] : state.tensors) {
    out += sep + name + "=(";
    for (const Tensor& t : list) out += to_string(t) + ",";
    out += ")";
    sep = ", ";
  }
  for (const auto& [name, value] : state.counters) {
    out += sep + name + "=" + std::to_string(value);
    sep = ", ";
  }
  for (const OptState& child : state.children) {
    out += sep + state_repr(child);
    sep = ", ";
  }
  return out + ")";
}

std::string states_repr(const std::vector<OptState>& states) {
  std::string out = "(";
  for (const OptState& state : states) {
    const std::string s = state_repr(state);
    // A single non-chain state prints as a one-element tuple, as TorchOpt's flat state does.
    out += (s.front() == '(' ? s : "(" + s + ",)") + ",";
  }
  return out + ")";
}

}  // namespace metagrad::tutorials
