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

Tensor leaf_like(const Tensor& t) {
  Tensor d = t.detach();
  if (t.requires_grad()) d.requires_grad_(true);
  return d;
}

Tensor copy_by(const Tensor& t, CopyMode by) {
  if (!t.defined() || by == CopyMode::reference) return t;
  if (by == CopyMode::copy) return t.clone();
  Tensor c;
  {
    NoGradGuard no_grad;
    c = t.clone();
  }
  if (t.requires_grad()) c.requires_grad_(true);
  return c;
}

TensorList copy_all(const TensorList& ts, CopyMode by) {
  TensorList out;
  out.reserve(ts.size());
  for (const auto& t : ts) out.push_back(copy_by(t, by));
  return out;
}

nn::NamedTensors copy_named(const nn::NamedTensors& named, CopyMode by, bool detach) {
  nn::NamedTensors out;
  out.reserve(named.size());
  for (const auto& [name, t] : named) {
    Tensor c = copy_by(t, by);
    if (detach && c.defined()) c = c.detach();
    out.emplace_back(name, c);
  }
  return out;
}

OptState copy_state(const OptState& s, CopyMode by) {
  OptState out = s;
  for (auto& [name, list] : out.tensors) list = copy_all(list, by);
  for (auto& child : out.children) child = copy_state(child, by);
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
  state.params = copy_named(module.named_parameters(), options.by, false);
  if (options.with_buffers) {
    state.buffers = copy_named(module.named_buffers(), options.by, options.detach_buffers);
  }
  return state;
}

std::vector<OptState> extract_state_dict(const MetaOptimizer& optimizer,
                                         const ExtractOptions& options) {
  std::vector<OptState> out;
  for (const auto& s : optimizer.state_dict()) out.push_back(copy_state(s, options.by));
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

void stop_gradient(TensorList& tensors) {
  for (auto& t : tensors) {
    if (t.defined()) t = leaf_like(t);
  }
}

void stop_gradient(nn::Module& module) {
  TensorList params = module.parameters();
  stop_gradient(params);
  module.set_parameters(params);
}

void stop_gradient(MetaOptimizer& optimizer) {
  std::vector<OptState> states = optimizer.state_dict();
  for (auto& s : states) s.detach_();
  optimizer.load_state_dict(states);
}

std::shared_ptr<nn::Module> module_clone(const nn::Module& module, CopyMode by) {
  std::shared_ptr<nn::Module> out = module.clone();
  out->set_parameters(copy_all(module.parameters(), by));
  out->set_buffers(copy_all(module.buffers(), by));
  return out;
}

void module_detach_(nn::Module& module) {
  stop_gradient(module);
  TensorList buffers = module.buffers();
  stop_gradient(buffers);
  module.set_buffers(buffers);
}

}  // namespace metagrad
