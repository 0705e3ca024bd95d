#include "optim/utils.hpp"

#include <string>
#include <utility>

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
             "recover_state_dict: {} {} is named '{}' in the state but '{}' in the module", what,
             i, saved[i].first, current[i].first);
    values.push_back(saved[i].second);
  }
  return values;
}

}  // namespace

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
  if (state.with_buffers) buffers = values_checked(module.named_buffers(), state.buffers, "buffers");
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
