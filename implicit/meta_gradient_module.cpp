#include "implicit/meta_gradient_module.hpp"

#include <algorithm>
#include <unordered_map>
#include <utility>

#include "engine/error.hpp"

// Note [meta slots]
// A MetaGradientModule keeps its meta-parameters and meta-modules in slot lists of its own, next
// to Module's parameter, buffer and submodule slots, so everything Module does over its slots
// (parameters(), state_dict(), train(), to(), zero_grad(), deep copies) ignores them: they belong
// to the outer level and are only read here. TorchOpt decides at attribute assignment whether a
// tensor or module is "meta" by looking it up in the constructor's arguments; here the
// constructor records its meta inputs (tensors by identity, modules with all their parameters and
// submodules, in any train/eval mode) and the register_* functions of this class, which hide
// Module's, route a meta input to the meta slots. Copies share the meta slots (a copy of a task
// module still reads the same meta-network).

namespace metagrad::nn {
namespace {

std::string join_slot_name(const std::string& prefix, const std::string& name) {
  if (prefix.empty()) return name;
  return name.empty() ? prefix : prefix + "." + name;
}

void check_slot_name(const std::string& name, const char* what) {
  MG_CHECK(!name.empty(), "register_{}: {} name can't be the empty string", what, what);
  MG_CHECK(name.find('.') == std::string::npos,
           "register_{}: {} name can't contain \".\", got \"{}\"", what, what, name);
}

}  // namespace

bool MetaGradientModule::module_has_name(const std::string& name) const {
  const auto children = named_children();
  return has_parameter(name) || has_buffer(name) ||
         std::any_of(children.begin(), children.end(),
                     [&](const auto& c) { return c.first == name; });
}

MetaGradientModule::MetaGradientModule(const TensorList& meta_tensors,
                                       std::vector<std::shared_ptr<Module>> meta_modules) {
  for (size_t i = 0; i < meta_tensors.size(); ++i) {
    const Tensor& t = meta_tensors[i];
    MG_CHECK(t.defined(), "MetaGradientModule: meta tensor {} is undefined", i);
    MG_CHECK(t.requires_grad(),
             "MetaGradientModule: meta tensor {} (shape {}) does not require grad; a "
             "meta-parameter must (call requires_grad_() on it, or pass it as plain data)",
             i, shape_str(t.shape()));
    if (meta_input_tensor_set_.insert(t.impl()).second) meta_input_tensors_.push_back(t);
  }
  for (size_t i = 0; i < meta_modules.size(); ++i) {
    MG_CHECK(meta_modules[i] != nullptr, "MetaGradientModule: meta module {} is null", i);
    // Every parameter and submodule, regardless of training mode (TorchOpt issue #144).
    for (const auto& [name, module] : std::as_const(*meta_modules[i]).named_modules()) {
      meta_input_module_set_.insert(module);
    }
    for (const Tensor& p : meta_modules[i]->parameters()) {
      if (meta_input_tensor_set_.insert(p.impl()).second) meta_input_tensors_.push_back(p);
    }
    meta_input_modules_.push_back(std::move(meta_modules[i]));
  }
}

// ---- registration ------------------------------------------------------------------------------

void MetaGradientModule::check_meta_name_free(const std::string& name, const char* what) const {
  const auto taken = [&](const auto& slots) {
    return std::any_of(slots.begin(), slots.end(), [&](const auto& s) { return s.name == name; });
  };
  MG_CHECK(!taken(meta_parameters_) && !taken(meta_modules_),
           "register_{}: {} already has a meta-parameter or meta-module named \"{}\"", what,
           type_name(), name);
}

size_t MetaGradientModule::register_meta_parameter(std::string name, Tensor tensor) {
  check_slot_name(name, "meta_parameter");
  check_meta_name_free(name, "meta_parameter");
  MG_CHECK(!module_has_name(name),
           "register_meta_parameter: {} already has a parameter, buffer or submodule named \"{}\"",
           type_name(), name);
  MG_CHECK(!tensor.defined() || tensor.requires_grad(),
           "register_meta_parameter: meta-parameter \"{}\" of {} (shape {}) does not require "
           "grad; call requires_grad_() on it first",
           name, type_name(), tensor.defined() ? shape_str(tensor.shape()) : std::string("-"));
  meta_parameters_.push_back({std::move(name), std::move(tensor)});
  return meta_parameters_.size() - 1;
}

size_t MetaGradientModule::register_meta_module(std::string name, std::shared_ptr<Module> module) {
  check_slot_name(name, "meta_module");
  check_meta_name_free(name, "meta_module");
  MG_CHECK(!module_has_name(name),
           "register_meta_module: {} already has a parameter, buffer or submodule named \"{}\"",
           type_name(), name);
  MG_CHECK(module != nullptr, "register_meta_module: meta-module \"{}\" of {} is null", name,
           type_name());
  MG_CHECK(module.get() != this, "register_meta_module: {} cannot be its own meta-module \"{}\"",
           type_name(), name);
  meta_modules_.push_back({std::move(name), std::move(module)});
  return meta_modules_.size() - 1;
}

size_t MetaGradientModule::register_parameter(std::string name, Tensor tensor, bool requires_grad) {
  if (tensor.defined() && is_meta_input(tensor)) {
    return register_meta_parameter(std::move(name), std::move(tensor));
  }
  check_meta_name_free(name, "parameter");
  return Module::register_parameter(std::move(name), std::move(tensor), requires_grad);
}

size_t MetaGradientModule::register_buffer(std::string name, Tensor tensor, bool persistent) {
  check_meta_name_free(name, "buffer");
  return Module::register_buffer(std::move(name), std::move(tensor), persistent);
}

size_t MetaGradientModule::register_module(std::string name, std::shared_ptr<Module> module) {
  if (module != nullptr && is_meta_input(*module)) {
    return register_meta_module(std::move(name), std::move(module));
  }
  check_meta_name_free(name, "module");
  return Module::register_module(std::move(name), std::move(module));
}

bool MetaGradientModule::is_meta_input(const Tensor& tensor) const {
  return tensor.defined() && meta_input_tensor_set_.count(tensor.impl()) > 0;
}

bool MetaGradientModule::is_meta_input(const Module& module) const {
  return meta_input_module_set_.count(&module) > 0;
}

// ---- listing -----------------------------------------------------------------------------------

void MetaGradientModule::append_own_meta_refs(const std::string& prefix, bool recurse,
                                              std::vector<MetaRef>& out,
                                              std::unordered_set<const TensorImpl*>& seen) const {
  for (const MetaTensorSlot& slot : meta_parameters_) {
    if (!slot.tensor.defined() || !seen.insert(slot.tensor.impl()).second) continue;
    out.push_back({join_slot_name(prefix, slot.name), slot.tensor});
  }
  for (const MetaModuleSlot& slot : meta_modules_) {
    for (const auto& [name, p] : slot.module->named_parameters(recurse)) {
      if (!seen.insert(p.impl()).second) continue;
      out.push_back({join_slot_name(join_slot_name(prefix, slot.name), name), p});
    }
  }
}

std::vector<MetaGradientModule::MetaRef> MetaGradientModule::meta_refs(bool recurse) const {
  std::vector<MetaRef> out;
  std::unordered_set<const TensorImpl*> seen;
  append_own_meta_refs("", recurse, out, seen);
  if (!recurse) return out;
  for (const auto& [prefix, module] : named_modules()) {
    if (module == this) continue;
    if (const auto* meta = dynamic_cast<const MetaGradientModule*>(module)) {
      meta->append_own_meta_refs(prefix, true, out, seen);
    }
  }
  return out;
}

TensorList MetaGradientModule::meta_parameters(bool recurse) const {
  TensorList out;
  for (MetaRef& ref : meta_refs(recurse)) out.push_back(std::move(ref.tensor));
  return out;
}

NamedTensors MetaGradientModule::named_meta_parameters(bool recurse) const {
  NamedTensors out;
  for (MetaRef& ref : meta_refs(recurse)) out.emplace_back(std::move(ref.name), ref.tensor);
  return out;
}

std::vector<std::shared_ptr<Module>> MetaGradientModule::meta_children() const {
  std::vector<std::shared_ptr<Module>> out;
  for (auto& [name, module] : named_meta_children()) out.push_back(std::move(module));
  return out;
}

std::vector<std::pair<std::string, std::shared_ptr<Module>>>
MetaGradientModule::named_meta_children() const {
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> out;
  std::unordered_set<const Module*> seen;
  for (const MetaModuleSlot& slot : meta_modules_) {
    if (seen.insert(slot.module.get()).second) out.emplace_back(slot.name, slot.module);
  }
  return out;
}

std::vector<std::pair<std::string, Module*>> MetaGradientModule::named_meta_modules() const {
  std::vector<std::pair<std::string, Module*>> out;
  std::unordered_set<const Module*> seen{this};
  for (const MetaModuleSlot& slot : meta_modules_) {
    for (const auto& [name, module] : slot.module->named_modules()) {
      if (seen.insert(module).second) out.emplace_back(join_slot_name(slot.name, name), module);
    }
  }
  return out;
}

std::vector<Module*> MetaGradientModule::meta_modules() const {
  std::vector<Module*> out;
  for (const auto& [name, module] : named_meta_modules()) out.push_back(module);
  return out;
}

// ---- rebinding ---------------------------------------------------------------------------------

void MetaGradientModule::set_meta_parameters(const TensorList& values) {
  std::vector<MetaRef> refs = meta_refs(true);
  MG_CHECK(values.size() == refs.size(),
           "set_meta_parameters: {} has {} meta-parameters, got {} tensors; pass one tensor per "
           "entry of meta_parameters()",
           type_name(), refs.size(), values.size());
  for (size_t i = 0; i < refs.size(); ++i) {
    const Tensor& current = refs[i].tensor;
    const Tensor& value = values[i];
    MG_CHECK(value.defined(), "set_meta_parameters: tensor {} (for \"{}\") is undefined", i,
             refs[i].name);
    MG_CHECK(value.shape() == current.shape() && value.dtype() == current.dtype() &&
                 value.device() == current.device(),
             "set_meta_parameters: meta-parameter \"{}\" is a {} tensor of shape {} on {}, the new "
             "tensor {} is a {} tensor of shape {} on {}; pass one of the same shape, dtype and "
             "device",
             refs[i].name, dtype_name(current.dtype()), shape_str(current.shape()),
             current.device().str(), i, dtype_name(value.dtype()), shape_str(value.shape()),
             value.device().str());
  }
  // A tensor may sit in several slots (listed once): replace it everywhere.
  std::unordered_map<const TensorImpl*, Tensor> replacement;
  for (size_t i = 0; i < refs.size(); ++i) replacement.emplace(refs[i].tensor.impl(), values[i]);
  std::vector<std::pair<std::string, Module*>> modules = named_modules();
  for (auto& [prefix, module] : modules) {
    auto* meta = dynamic_cast<MetaGradientModule*>(module);
    if (meta == nullptr) continue;
    for (MetaTensorSlot& slot : meta->meta_parameters_) {
      const auto it =
          slot.tensor.defined() ? replacement.find(slot.tensor.impl()) : replacement.end();
      if (it != replacement.end()) slot.tensor = it->second;
    }
    for (MetaModuleSlot& slot : meta->meta_modules_) {
      TensorList params = slot.module->parameters();
      bool changed = false;
      for (Tensor& p : params) {
        const auto it = replacement.find(p.impl());
        if (it == replacement.end() || it->second.is_same(p)) continue;
        p = it->second;
        changed = true;
      }
      if (changed) slot.module->set_parameters(params);
    }
  }
}

}  // namespace metagrad::nn
