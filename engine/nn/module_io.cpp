// Module state: state_dict / load_state_dict and safetensors files (save / load).
#include <fmt/format.h>

#include <unordered_map>
#include <unordered_set>

#include "engine/grad_mode.hpp"
#include "engine/io/safetensors.hpp"
#include "engine/nn/module.hpp"
#include "engine/ops.hpp"

namespace metagrad::nn {
namespace {

std::string quoted_list(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names)
    out += fmt::format("{}\"{}\"", out.empty() ? "" : ", ", name);
  return out;
}

}  // namespace

void Module::collect_state(const std::string& prefix, std::vector<SlotRef>& out) const {
  const auto join = [&](const std::string& name) {
    return prefix.empty() ? name : prefix + "." + name;
  };
  for (const TensorSlot& slot : parameters_) {
    if (slot.tensor.defined()) out.push_back({join(slot.name), const_cast<TensorSlot*>(&slot)});
  }
  for (const TensorSlot& slot : buffers_) {
    if (slot.tensor.defined() && slot.persistent) {
      out.push_back({join(slot.name), const_cast<TensorSlot*>(&slot)});
    }
  }
  for (const ModuleSlot& child : children_) child.module->collect_state(join(child.name), out);
}

std::vector<Module::SlotRef> Module::state_slots() const {
  std::vector<SlotRef> out;
  collect_state("", out);
  return out;
}

NamedTensors Module::state_dict() const {
  NamedTensors out;
  for (const SlotRef& ref : state_slots()) out.emplace_back(ref.name, ref.slot->tensor.detach());
  return out;
}

LoadResult Module::load_state_dict(const NamedTensors& state, bool strict) {
  const std::vector<SlotRef> slots = state_slots();
  std::unordered_map<std::string_view, const Tensor*> given;
  std::vector<std::string> duplicates;
  for (const auto& [name, tensor] : state) {
    if (!given.emplace(name, &tensor).second) duplicates.push_back(name);
  }

  // Check everything first; nothing changes unless every check passes.
  LoadResult result;
  std::vector<std::string> problems;
  std::vector<std::pair<TensorSlot*, const Tensor*>> plan;
  std::unordered_set<std::string_view> expected;
  for (const SlotRef& ref : slots) {
    expected.insert(ref.name);
    const auto it = given.find(ref.name);
    if (it == given.end()) {
      result.missing_keys.push_back(ref.name);
      continue;
    }
    const Tensor& source = *it->second;
    const Tensor& target = ref.slot->tensor;
    if (!source.defined()) {
      problems.push_back(fmt::format("undefined tensor for {} in the state dict.", ref.name));
    } else if (source.shape() != target.shape()) {
      problems.push_back(fmt::format(
          "size mismatch for {}: copying a param with shape {} from checkpoint, the shape in "
          "current model is {}.",
          ref.name, shape_str(source.shape()), shape_str(target.shape())));
    } else if (source.dtype() != target.dtype()) {
      problems.push_back(fmt::format(
          "dtype mismatch for {}: copying a param with dtype {} from checkpoint, the dtype in "
          "current model is {}.",
          ref.name, dtype_name(source.dtype()), dtype_name(target.dtype())));
    } else {
      plan.emplace_back(ref.slot, &source);
    }
  }
  for (const auto& [name, tensor] : state) {
    if (!expected.contains(name)) result.unexpected_keys.push_back(name);
  }
  if (!duplicates.empty()) {
    problems.insert(problems.begin(),
                    fmt::format("Duplicate key(s) in state_dict: {}.", quoted_list(duplicates)));
  }
  if (strict && !result.unexpected_keys.empty()) {
    problems.insert(problems.begin(), fmt::format("Unexpected key(s) in state_dict: {}.",
                                                  quoted_list(result.unexpected_keys)));
  }
  if (strict && !result.missing_keys.empty()) {
    problems.insert(problems.begin(), fmt::format("Missing key(s) in state_dict: {}.",
                                                  quoted_list(result.missing_keys)));
  }
  if (!problems.empty()) {
    std::string message = fmt::format("Error(s) in loading state_dict for {}:", type_name());
    for (const std::string& problem : problems) message += "\n\t" + problem;
    throw Error(message);
  }

  NoGradGuard no_grad;
  for (auto& [slot, source] : plan) {
    if (slot->tensor.is_leaf()) {
      slot->tensor.copy_(*source);
    } else {
      const bool requires_grad = slot->tensor.requires_grad();
      slot->tensor = source->detach().clone();
      if (requires_grad) slot->tensor.set_requires_grad(true);
    }
  }
  return result;
}

void Module::save(const std::string& path) const {
  save_file(state_dict(), path, {{"format", "pt"}});
}

void Module::load(const std::string& path) {
  SafetensorsFile file = load_file(path);
  try {
    load_state_dict(file.tensors, true);
  } catch (const Error& e) {
    throw Error(fmt::format("load: {} does not fit this {}: {}", path, type_name(), e.what()));
  }
}

}  // namespace metagrad::nn
