#include "optim/state.hpp"

#include <fmt/format.h>

#include <functional>
#include <map>
#include <set>

#include "engine/grad_mode.hpp"
#include "engine/ops.hpp"

namespace metagrad {
namespace {

// Calls fn(flat name, slot) for every defined tensor of `state`, depth first.
template <typename State, typename Fn>
void visit_tensors(State& state, const std::string& prefix, Fn&& fn) {
  for (auto& [name, list] : state.tensors) {
    for (size_t j = 0; j < list.size(); ++j) {
      if (list[j].defined()) fn(fmt::format("{}{}.{}", prefix, name, j), list[j]);
    }
  }
  for (size_t i = 0; i < state.children.size(); ++i) {
    visit_tensors(state.children[i], fmt::format("{}{}.", prefix, i), fn);
  }
}

template <typename State, typename Fn>
void visit_counters(State& state, const std::string& prefix, Fn&& fn) {
  for (auto& [name, value] : state.counters) fn(prefix + name, value);
  for (size_t i = 0; i < state.children.size(); ++i) {
    visit_counters(state.children[i], fmt::format("{}{}.", prefix, i), fn);
  }
}

// A copy of `state` with every tensor replaced by fn(tensor).
OptState map_tensors(const OptState& state, const std::function<Tensor(const Tensor&)>& fn) {
  OptState out = state;
  visit_tensors(out, "", [&](const std::string&, Tensor& t) { t = fn(t); });
  return out;
}

// A leaf sharing t's storage, requiring grad when t did (TorchOpt's stop_gradient).
Tensor detach_keep_flag(const Tensor& t) {
  Tensor d = t.detach();
  if (t.requires_grad()) d.set_requires_grad(true);
  return d;
}

}  // namespace

TensorList& OptState::tensor_list(std::string_view name) {
  for (auto& [n, list] : tensors) {
    if (n == name) return list;
  }
  MG_FAIL("OptState: a {} has no tensor list '{}'; wrong state passed to this transformation?",
          kind, name);
}

const TensorList& OptState::tensor_list(std::string_view name) const {
  return const_cast<OptState*>(this)->tensor_list(name);
}

int64_t& OptState::counter(std::string_view name) {
  for (auto& [n, value] : counters) {
    if (n == name) return value;
  }
  MG_FAIL("OptState: a {} has no counter '{}'; wrong state passed to this transformation?", kind,
          name);
}

int64_t OptState::counter(std::string_view name) const {
  return const_cast<OptState*>(this)->counter(name);
}

std::vector<std::pair<std::string, Tensor>> OptState::named_tensors() const {
  std::vector<std::pair<std::string, Tensor>> out;
  visit_tensors(*this, "",
                [&](const std::string& name, const Tensor& t) { out.emplace_back(name, t); });
  return out;
}

std::vector<std::pair<std::string, int64_t>> OptState::named_counters() const {
  std::vector<std::pair<std::string, int64_t>> out;
  visit_counters(*this, "", [&](const std::string& name, int64_t v) { out.emplace_back(name, v); });
  return out;
}

OptState OptState::clone() const {
  return map_tensors(*this, [](const Tensor& t) {
    if (!t.is_leaf()) return t.clone();
    Tensor copy;
    {
      NoGradGuard no_grad;
      copy = t.clone();
    }
    if (t.requires_grad()) copy.set_requires_grad(true);
    return copy;
  });
}

OptState OptState::detached() const { return map_tensors(*this, detach_keep_flag); }

void OptState::detach_() {
  visit_tensors(*this, "", [](const std::string&, Tensor& t) {
    const bool requires_grad = t.requires_grad();
    t.detach_().requires_grad_(requires_grad);
  });
}

OptState OptState::to(Device device) const {
  return map_tensors(*this, [device](const Tensor& t) {
    if (!t.is_leaf()) return t.to(device);
    Tensor moved;
    {
      NoGradGuard no_grad;
      moved = t.to(device);
    }
    if (moved.is_same(t)) return t;
    if (t.requires_grad()) moved.set_requires_grad(true);
    return moved;
  });
}

bool OptState::same_structure(const OptState& other) const {
  if (kind != other.kind || tensors.size() != other.tensors.size() ||
      counters.size() != other.counters.size() || children.size() != other.children.size()) {
    return false;
  }
  for (size_t i = 0; i < tensors.size(); ++i) {
    const auto& [name, list] = tensors[i];
    const auto& [other_name, other_list] = other.tensors[i];
    if (name != other_name || list.size() != other_list.size()) return false;
    for (size_t j = 0; j < list.size(); ++j) {
      if (list[j].defined() != other_list[j].defined()) return false;
      if (list[j].defined() &&
          (list[j].shape() != other_list[j].shape() || list[j].dtype() != other_list[j].dtype())) {
        return false;
      }
    }
  }
  for (size_t i = 0; i < counters.size(); ++i) {
    if (counters[i].first != other.counters[i].first) return false;
  }
  for (size_t i = 0; i < children.size(); ++i) {
    if (!children[i].same_structure(other.children[i])) return false;
  }
  return true;
}

void OptState::load(const std::vector<std::pair<std::string, Tensor>>& named_tensors,
                    const std::vector<std::pair<std::string, int64_t>>& named_counters) {
  std::map<std::string, Tensor*> tensor_slots;
  visit_tensors(*this, "", [&](const std::string& name, Tensor& t) { tensor_slots[name] = &t; });
  std::map<std::string, int64_t*> counter_slots;
  visit_counters(*this, "", [&](const std::string& name, int64_t& v) { counter_slots[name] = &v; });

  // Validate everything before touching the state.
  std::set<std::string> seen;
  for (const auto& [name, t] : named_tensors) {
    auto it = tensor_slots.find(name);
    MG_CHECK(it != tensor_slots.end(), "OptState::load: unexpected tensor '{}' for a {}", name,
             kind);
    MG_CHECK(seen.insert(name).second, "OptState::load: tensor '{}' given twice", name);
    MG_CHECK(t.defined(), "OptState::load: tensor '{}' is undefined", name);
    const Tensor& cur = *it->second;
    MG_CHECK(t.shape() == cur.shape() && t.dtype() == cur.dtype(),
             "OptState::load: tensor '{}' has shape {} and dtype {}, but the state holds shape {} "
             "and dtype {}",
             name, shape_str(t.shape()), dtype_name(t.dtype()), shape_str(cur.shape()),
             dtype_name(cur.dtype()));
  }
  for (const auto& [name, slot] : tensor_slots) {
    MG_CHECK(seen.count(name) == 1, "OptState::load: tensor '{}' of the {} is missing", name, kind);
  }
  seen.clear();
  for (const auto& [name, value] : named_counters) {
    MG_CHECK(counter_slots.count(name) == 1, "OptState::load: unexpected counter '{}' for a {}",
             name, kind);
    MG_CHECK(seen.insert(name).second, "OptState::load: counter '{}' given twice", name);
  }
  for (const auto& [name, slot] : counter_slots) {
    MG_CHECK(seen.count(name) == 1, "OptState::load: counter '{}' of the {} is missing", name,
             kind);
  }

  std::vector<Tensor> loaded;
  loaded.reserve(named_tensors.size());
  {
    NoGradGuard no_grad;
    for (const auto& [name, t] : named_tensors) {
      loaded.push_back(t.detach().to(tensor_slots[name]->device()));
    }
  }
  for (size_t i = 0; i < named_tensors.size(); ++i) {
    Tensor* slot = tensor_slots[named_tensors[i].first];
    if (slot->requires_grad()) loaded[i].set_requires_grad(true);
    *slot = loaded[i];
  }
  for (const auto& [name, value] : named_counters) *counter_slots[name] = value;
}

}  // namespace metagrad
