#include "optim/utils.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/error.hpp"
#include "engine/grad_mode.hpp"
#include "engine/ops.hpp"

namespace metagrad {
namespace {

// TorchOpt's replicate: reference -> t, copy -> t.clone(), deepcopy -> a detached clone with t's
// requires_grad; then `.to(device)` when a device is given (a deepcopy is moved before it becomes
// a leaf again).
Tensor copy_by(const Tensor& t, CopyMode by, const std::optional<Device>& device = std::nullopt) {
  if (!t.defined()) return t;
  const bool move = device.has_value() && *device != t.device();
  if (by == CopyMode::reference) return move ? t.to(*device) : t;
  if (by == CopyMode::copy) return move ? t.clone().to(*device) : t.clone();
  Tensor c;
  {
    NoGradGuard no_grad;
    c = move ? t.clone().to(*device) : t.clone();
  }
  if (t.requires_grad()) c.requires_grad_(true);
  return c;
}

TensorList copy_all(const TensorList& ts, CopyMode by,
                    const std::optional<Device>& device = std::nullopt) {
  TensorList out;
  out.reserve(ts.size());
  for (const auto& t : ts) out.push_back(copy_by(t, by, device));
  return out;
}

nn::NamedTensors copy_named(const nn::NamedTensors& named, CopyMode by,
                            const std::optional<Device>& device) {
  nn::NamedTensors out;
  out.reserve(named.size());
  for (const auto& [name, t] : named) out.emplace_back(name, copy_by(t, by, device));
  return out;
}

OptState copy_state(const OptState& s, CopyMode by, const std::optional<Device>& device) {
  OptState out = s;
  for (auto& [name, list] : out.tensors) list = copy_all(list, by, device);
  for (auto& child : out.children) child = copy_state(child, by, device);
  return out;
}

TensorList values_checked(const nn::NamedTensors& current, const nn::NamedTensors& saved,
                          const char* what) {
  MG_CHECK(current.size() == saved.size(),
           "recover_state_dict: the state has {} {} but the module has {}", saved.size(), what,
           current.size());
  TensorList values;
  values.reserve(saved.size());
  for (size_t i = 0; i < saved.size(); ++i) {
    MG_CHECK(current[i].first == saved[i].first,
             "recover_state_dict: entry {} of the {} is named '{}' in the state but '{}' in the "
             "module",
             i, what, saved[i].first, current[i].first);
    values.push_back(saved[i].second);
  }
  return values;
}

std::string names_of(const std::vector<std::string>& names) {
  return fmt::format("[{}]", fmt::join(names, ", "));
}

template <typename Entries>
std::vector<std::string> keys_of(const Entries& entries) {
  std::vector<std::string> out;
  for (const auto& entry : entries) out.push_back(entry.first);
  return out;
}

// state_difference below `prefix` (the flat-name prefix of the node, "" for the top).
std::optional<std::string> difference(const OptState& a, const OptState& b,
                                      const std::string& prefix, std::string_view in_a,
                                      std::string_view in_b) {
  const std::string node =
      prefix.empty() ? "the state" : fmt::format("child '{}'", prefix.substr(0, prefix.size() - 1));
  if (a.kind != b.kind) {
    return fmt::format("{} is a {} in {} but a {} in {}", node, a.kind, in_a, b.kind, in_b);
  }
  if (keys_of(a.tensors) != keys_of(b.tensors)) {
    return fmt::format("{} ({}) has tensor lists {} in {} but {} in {}", node, a.kind,
                       names_of(keys_of(a.tensors)), in_a, names_of(keys_of(b.tensors)), in_b);
  }
  for (size_t i = 0; i < a.tensors.size(); ++i) {
    const auto& [name, list] = a.tensors[i];
    const TensorList& other = b.tensors[i].second;
    if (list.size() != other.size()) {
      return fmt::format(
          "tensor list '{}{}' has {} entries in {} but {} in {} (a different number of "
          "parameters)",
          prefix, name, list.size(), in_a, other.size(), in_b);
    }
    for (size_t j = 0; j < list.size(); ++j) {
      const std::string flat = fmt::format("{}{}.{}", prefix, name, j);
      if (list[j].defined() != other[j].defined()) {
        return fmt::format("tensor '{}' is {} in {} but {} in {}", flat,
                           list[j].defined() ? "defined" : "undefined", in_a,
                           other[j].defined() ? "defined" : "undefined", in_b);
      }
      if (list[j].defined() &&
          (list[j].shape() != other[j].shape() || list[j].dtype() != other[j].dtype())) {
        return fmt::format(
            "tensor '{}' has shape {} and dtype {} in {} but shape {} and dtype {} "
            "in {}",
            flat, shape_str(list[j].shape()), dtype_name(list[j].dtype()), in_a,
            shape_str(other[j].shape()), dtype_name(other[j].dtype()), in_b);
      }
    }
  }
  if (keys_of(a.counters) != keys_of(b.counters)) {
    return fmt::format("{} ({}) has counters {} in {} but {} in {}", node, a.kind,
                       names_of(keys_of(a.counters)), in_a, names_of(keys_of(b.counters)), in_b);
  }
  if (a.children.size() != b.children.size()) {
    return fmt::format("{} ({}) has {} children in {} but {} in {}", node, a.kind,
                       a.children.size(), in_a, b.children.size(), in_b);
  }
  for (size_t i = 0; i < a.children.size(); ++i) {
    auto diff =
        difference(a.children[i], b.children[i], fmt::format("{}{}.", prefix, i), in_a, in_b);
    if (diff) return diff;
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> state_difference(const OptState& given, const OptState& expected,
                                            std::string_view given_name,
                                            std::string_view expected_name) {
  return difference(given, expected, "", given_name, expected_name);
}

ModuleState extract_state_dict(const nn::Module& module, const ExtractOptions& options) {
  ModuleState state;
  state.with_buffers = options.with_buffers;
  state.detach_buffers = options.detach_buffers;
  const nn::NamedTensors params = module.named_parameters();
  if (options.enable_visual) {
    nn::NamedTensors visual;
    visual.reserve(params.size());
    for (const auto& [name, t] : params) visual.emplace_back(options.visual_prefix + name, t);
    state.visual_contents = std::move(visual);
  }
  state.params = copy_named(params, options.by, options.device);
  if (options.with_buffers) {
    const CopyMode buffers_by = options.detach_buffers ? CopyMode::deepcopy : options.by;
    state.buffers = copy_named(module.named_buffers(), buffers_by, options.device);
  }
  return state;
}

std::vector<OptState> extract_state_dict(const MetaOptimizer& optimizer,
                                         const ExtractOptions& options) {
  std::vector<OptState> out;
  for (const auto& s : optimizer.state_dict())
    out.push_back(copy_state(s, options.by, options.device));
  return out;
}

void recover_state_dict(nn::Module& module, const ModuleState& state) {
  TensorList params = values_checked(module.named_parameters(), state.params, "parameters");
  TensorList buffers;
  if (state.with_buffers)
    buffers = values_checked(module.named_buffers(), state.buffers, "buffers");
  module.set_parameters(params);
  if (state.with_buffers) module.set_buffers(buffers);
}

void recover_state_dict(MetaOptimizer& optimizer, const std::vector<OptState>& state) {
  optimizer.load_state_dict(state);
}

void stop_gradient(const TensorList& tensors) {
  for (Tensor t : tensors) {
    if (!t.defined()) continue;
    const bool requires_grad = t.requires_grad();
    t.detach_().requires_grad_(requires_grad);
  }
}

void stop_gradient(nn::Module& module) { stop_gradient(module.parameters()); }

void stop_gradient(const ModuleState& state) {
  for (const auto& [name, t] : state.params) stop_gradient(TensorList{t});
  for (const auto& [name, t] : state.buffers) stop_gradient(TensorList{t});
}

void stop_gradient(std::vector<OptState>& states) {
  for (OptState& s : states) s.detach_();
}

void stop_gradient(MetaOptimizer& optimizer) {
  std::vector<OptState> states = optimizer.state_dict();
  stop_gradient(states);
}

std::shared_ptr<nn::Module> module_clone(const nn::Module& module, CopyMode by) {
  std::shared_ptr<nn::Module> out = module.clone();
  out->set_parameters(copy_all(module.parameters(), by));
  out->set_buffers(copy_all(module.buffers(), by));
  return out;
}

void module_detach_(nn::Module& module) {
  stop_gradient(module.parameters());
  stop_gradient(module.buffers());
}

}  // namespace metagrad
