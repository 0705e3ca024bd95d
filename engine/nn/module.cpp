#include "engine/nn/module.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <typeinfo>
#include <unordered_map>
#include <unordered_set>

#include "engine/grad_mode.hpp"
#include "engine/ops.hpp"
#include "engine/small_vector.hpp"

#if __has_include(<cxxabi.h>)
#include <cxxabi.h>

#include <cstdlib>
#define MG_HAS_CXXABI 1
#endif

namespace metagrad::nn {
namespace {

std::string join_name(const std::string& prefix, const std::string& name) {
  return prefix.empty() ? name : prefix + "." + name;
}

// A new leaf holding a copy of t's values, with t's requires_grad (undefined stays undefined).
Tensor copy_as_leaf(const Tensor& t) {
  if (!t.defined()) return t;
  Tensor copy;
  {
    NoGradGuard no_grad;
    copy = t.detach().clone();
  }
  if (t.requires_grad()) copy.set_requires_grad(true);
  return copy;
}

// Indents every line of `text` but the first by two spaces (PyTorch's _addindent).
std::string add_indent(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    out += c;
    if (c == '\n') out += "  ";
  }
  return out;
}

// Throws unless `value` can replace `current` in slot `name`: same shape, dtype and device.
void check_rebind(const Tensor& current, const Tensor& value, std::string_view name,
                  const char* op) {
  if (!current.defined() || !value.defined()) return;
  MG_CHECK(current.shape() == value.shape(),
           "{}: slot \"{}\" holds a tensor of shape {}, the new tensor has shape {}; a slot can "
           "only be rebound to a tensor of the same shape",
           op, name, shape_str(current.shape()), shape_str(value.shape()));
  MG_CHECK(current.dtype() == value.dtype(),
           "{}: slot \"{}\" holds a {} tensor, the new tensor is {}; convert it with .to({})", op,
           name, dtype_name(current.dtype()), dtype_name(value.dtype()),
           dtype_name(current.dtype()));
  MG_CHECK(current.device() == value.device(),
           "{}: slot \"{}\" holds a tensor on {}, the new tensor is on {}; move it first", op, name,
           current.device().str(), value.device().str());
}

}  // namespace

namespace detail {

std::string float_repr(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  std::string s = fmt::format("{}", value);
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

}  // namespace detail

// ---- construction ------------------------------------------------------------------------------

Module::Module(const Module& other)
    : parameters_(other.parameters_),
      buffers_(other.buffers_),
      children_(other.children_),
      training_(other.training_) {
  for (TensorSlot& slot : parameters_) slot.tensor = copy_as_leaf(slot.tensor);
  for (TensorSlot& slot : buffers_) slot.tensor = copy_as_leaf(slot.tensor);
  for (ModuleSlot& slot : children_) slot.module = slot.module->clone();
}

Module& Module::operator=(const Module& other) {
  if (this != &other) {
    Module copy(other);
    *this = std::move(copy);
  }
  return *this;
}

Tensor Module::forward(const Tensor&) {
  MG_FAIL("forward: {} does not implement forward(); override Module::forward in the subclass",
          type_name());
}

std::shared_ptr<Module> Module::clone() const {
  MG_CHECK(typeid(*this) == typeid(Module),
           "clone: {0} does not override clone(); derive it from nn::Cloneable<{0}> (or override "
           "clone() to return a deep copy)",
           type_name());
  return std::make_shared<Module>(*this);
}

std::string Module::type_name() const {
  const char* mangled = typeid(*this).name();
  std::string name = mangled;
#ifdef MG_HAS_CXXABI
  int status = 0;
  char* demangled = abi::__cxa_demangle(mangled, nullptr, nullptr, &status);
  if (status == 0 && demangled != nullptr) name = demangled;
  std::free(demangled);
#endif
  // Drop namespaces (outside template arguments): "metagrad::nn::Linear" -> "Linear".
  const size_t template_start = name.find('<');
  const size_t last_colon = name.rfind("::", template_start);
  if (last_colon != std::string::npos) name = name.substr(last_colon + 2);
  return name;
}

std::string Module::to_string() const {
  const std::string extra = extra_repr();
  std::vector<std::string> lines;
  size_t extra_lines = 0;
  if (!extra.empty()) {
    size_t begin = 0;
    while (true) {
      const size_t end = extra.find('\n', begin);
      lines.push_back(extra.substr(begin, end == std::string::npos ? end : end - begin));
      ++extra_lines;
      if (end == std::string::npos) break;
      begin = end + 1;
    }
  }
  for (const ModuleSlot& child : children_) {
    lines.push_back("(" + child.name + "): " + add_indent(child.module->to_string()));
  }
  std::string out = type_name() + "(";
  if (extra_lines == 1 && children_.empty()) {
    out += lines[0];
  } else if (!lines.empty()) {
    out += "\n  ";
    for (size_t i = 0; i < lines.size(); ++i) out += (i ? "\n  " : "") + lines[i];
    out += "\n";
  }
  return out + ")";
}

// ---- registration ------------------------------------------------------------------------------

void Module::check_new_name(const std::string& name, const char* what) const {
  MG_CHECK(!name.empty(), "register_{}: {} name can't be the empty string", what, what);
  MG_CHECK(name.find('.') == std::string::npos,
           "register_{}: {} name can't contain \".\", got \"{}\" (register the submodule that "
           "holds it instead)",
           what, what, name);
  const auto taken = [&](const auto& slots) {
    return std::any_of(slots.begin(), slots.end(), [&](const auto& s) { return s.name == name; });
  };
  MG_CHECK(!taken(parameters_) && !taken(buffers_) && !taken(children_),
           "register_{}: {} already has a parameter, buffer or submodule named \"{}\"", what,
           type_name(), name);
}

size_t Module::register_parameter(std::string name, Tensor tensor, bool requires_grad) {
  check_new_name(name, "parameter");
  if (tensor.defined() && tensor.is_leaf() && tensor.requires_grad() != requires_grad) {
    tensor.set_requires_grad(requires_grad);
  }
  parameters_.push_back({std::move(name), std::move(tensor), true});
  return parameters_.size() - 1;
}

size_t Module::register_buffer(std::string name, Tensor tensor, bool persistent) {
  check_new_name(name, "buffer");
  buffers_.push_back({std::move(name), std::move(tensor), persistent});
  return buffers_.size() - 1;
}

size_t Module::register_module(std::string name, std::shared_ptr<Module> module) {
  check_new_name(name, "module");
  MG_CHECK(module != nullptr, "register_module: submodule \"{}\" of {} is null", name, type_name());
  MG_CHECK(module.get() != this, "register_module: {} cannot be its own submodule \"{}\"",
           type_name(), name);
  children_.push_back({std::move(name), std::move(module)});
  return children_.size() - 1;
}

// ---- listing -----------------------------------------------------------------------------------

void Module::collect_modules(const std::string& prefix,
                             std::vector<std::pair<std::string, Module*>>& out,
                             std::vector<const Module*>& seen) const {
  if (std::find(seen.begin(), seen.end(), this) != seen.end()) return;
  seen.push_back(this);
  out.emplace_back(prefix, const_cast<Module*>(this));
  for (const ModuleSlot& child : children_) {
    child.module->collect_modules(join_name(prefix, child.name), out, seen);
  }
}

std::vector<std::pair<std::string, Module*>> Module::named_modules() {
  std::vector<std::pair<std::string, Module*>> out;
  std::vector<const Module*> seen;
  collect_modules("", out, seen);
  return out;
}

std::vector<std::pair<std::string, const Module*>> Module::named_modules() const {
  std::vector<std::pair<std::string, Module*>> all;
  std::vector<const Module*> seen;
  collect_modules("", all, seen);
  return {all.begin(), all.end()};
}

std::vector<Module::SlotRef> Module::parameter_slots(bool recurse) const {
  std::vector<SlotRef> out;
  std::vector<std::pair<std::string, Module*>> modules;
  if (recurse) {
    std::vector<const Module*> seen;
    collect_modules("", modules, seen);
  } else {
    modules.emplace_back("", const_cast<Module*>(this));
  }
  for (auto& [prefix, module] : modules) {
    for (TensorSlot& slot : module->parameters_) {
      if (slot.tensor.defined()) out.push_back({join_name(prefix, slot.name), &slot});
    }
  }
  return out;
}

std::vector<Module::SlotRef> Module::buffer_slots(bool recurse, bool persistent_only) const {
  std::vector<SlotRef> out;
  std::vector<std::pair<std::string, Module*>> modules;
  if (recurse) {
    std::vector<const Module*> seen;
    collect_modules("", modules, seen);
  } else {
    modules.emplace_back("", const_cast<Module*>(this));
  }
  for (auto& [prefix, module] : modules) {
    for (TensorSlot& slot : module->buffers_) {
      if (slot.tensor.defined() && (slot.persistent || !persistent_only)) {
        out.push_back({join_name(prefix, slot.name), &slot});
      }
    }
  }
  return out;
}

namespace {

// The slots with their first occurrence of each tensor only (PyTorch lists a shared one once).
template <typename Ref>
std::vector<Ref> unique_tensors(std::vector<Ref> refs) {
  std::unordered_set<const TensorImpl*> seen;
  std::vector<Ref> out;
  out.reserve(refs.size());
  for (Ref& ref : refs) {
    if (seen.insert(ref.slot->tensor.impl()).second) out.push_back(std::move(ref));
  }
  return out;
}

// Note [slot walks without names]
// parameters(), buffers() and set_parameters() run several times per inner step of a meta-learning
// loop (MetaOptimizer::step lists and rebinds the parameters, meta_batch resets a replica per
// task), so they walk the slots without building dotted names, and find shared tensors by a
// linear scan while there are few. Only an error message needs names; it comes from the named
// listing (parameter_slots), so the messages are those of the named path.

// Calls f(module) for `root` and, with `recurse`, for its submodules depth first, each module once
// (collect_modules' order). `children` is &Module::children_, passed in by the member functions
// that call this: a helper outside the class cannot name the private member.
template <typename Children, typename F>
void visit_modules(const Module& root, Children Module::*children, bool recurse, F&& f) {
  SmallVector<const Module*, 16> seen;
  auto visit = [&](auto& self, const Module& module) -> void {
    if (std::find(seen.begin(), seen.end(), &module) != seen.end()) return;
    seen.push_back(&module);
    f(const_cast<Module&>(module));
    if (!recurse) return;
    for (const auto& child : module.*children) self(self, *child.module);
  };
  visit(visit, root);
}

// The distinct tensors of a listing by identity, in first-seen order: a linear scan while there
// are few of them (Note [slot walks without names]), a hash map beyond.
class TensorPositions {
 public:
  /// The position of `impl` in first-seen order, and whether it is new (then it was added).
  std::pair<size_t, bool> insert(const TensorImpl* impl) {
    if (index_.empty()) {
      for (size_t i = 0; i < order_.size(); ++i)
        if (order_[i] == impl) return {i, false};
      if (order_.size() < kLinearLimit) {
        order_.push_back(impl);
        return {order_.size() - 1, true};
      }
      for (size_t i = 0; i < order_.size(); ++i) index_.emplace(order_[i], i);
    }
    const auto [it, added] = index_.emplace(impl, order_.size());
    if (added) order_.push_back(impl);
    return {it->second, added};
  }
  size_t size() const { return order_.size(); }

 private:
  static constexpr size_t kLinearLimit = 32;
  SmallVector<const TensorImpl*, kLinearLimit> order_;
  std::unordered_map<const TensorImpl*, size_t> index_;
};

// The distinct defined tensors of each visited module's `slots` (&Module::parameters_ or
// &Module::buffers_, passed in as `children` is), in visit order.
template <typename Children, typename Slots>
TensorList distinct_slot_tensors(const Module& root, Children Module::*children,
                                 Slots Module::*slots, bool recurse) {
  SmallVector<Tensor, 32> found;  // staged, so that the result is allocated once
  TensorPositions distinct;
  visit_modules(root, children, recurse, [&](const Module& module) {
    for (const auto& slot : module.*slots)
      if (slot.tensor.defined() && distinct.insert(slot.tensor.impl()).second)
        found.push_back(slot.tensor);
  });
  return TensorList(std::make_move_iterator(found.begin()), std::make_move_iterator(found.end()));
}

}  // namespace

TensorList Module::parameters(bool recurse) const {
  return distinct_slot_tensors(*this, &Module::children_, &Module::parameters_, recurse);
}

NamedTensors Module::named_parameters(bool recurse) const {
  NamedTensors out;
  for (const SlotRef& ref : unique_tensors(parameter_slots(recurse))) {
    out.emplace_back(ref.name, ref.slot->tensor);
  }
  return out;
}

TensorList Module::buffers(bool recurse) const {
  return distinct_slot_tensors(*this, &Module::children_, &Module::buffers_, recurse);
}

NamedTensors Module::named_buffers(bool recurse) const {
  NamedTensors out;
  for (const SlotRef& ref : unique_tensors(buffer_slots(recurse, false))) {
    out.emplace_back(ref.name, ref.slot->tensor);
  }
  return out;
}

std::vector<std::shared_ptr<Module>> Module::children() const {
  std::vector<std::shared_ptr<Module>> out;
  for (const ModuleSlot& child : children_) out.push_back(child.module);
  return out;
}

std::vector<std::pair<std::string, std::shared_ptr<Module>>> Module::named_children() const {
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> out;
  for (const ModuleSlot& child : children_) out.emplace_back(child.name, child.module);
  return out;
}

Module& Module::apply(const std::function<void(Module&)>& fn) {
  for (ModuleSlot& child : children_) child.module->apply(fn);
  fn(*this);
  return *this;
}

// ---- slots by name -----------------------------------------------------------------------------

Module* Module::find_module(std::string_view path) const {
  const Module* module = this;
  while (!path.empty()) {
    const size_t dot = path.find('.');
    const std::string_view head = path.substr(0, dot);
    const auto it = std::find_if(module->children_.begin(), module->children_.end(),
                                 [&](const ModuleSlot& s) { return s.name == head; });
    if (it == module->children_.end()) return nullptr;
    module = it->module.get();
    path = dot == std::string_view::npos ? std::string_view{} : path.substr(dot + 1);
  }
  return const_cast<Module*>(module);
}

Module::TensorSlot* Module::find_slot(std::string_view name, bool buffers) const {
  const size_t dot = name.rfind('.');
  Module* owner =
      dot == std::string_view::npos ? const_cast<Module*>(this) : find_module(name.substr(0, dot));
  if (owner == nullptr) return nullptr;
  const std::string_view leaf = dot == std::string_view::npos ? name : name.substr(dot + 1);
  auto& slots = buffers ? owner->buffers_ : owner->parameters_;
  const auto it =
      std::find_if(slots.begin(), slots.end(), [&](const TensorSlot& s) { return s.name == leaf; });
  return it == slots.end() ? nullptr : &*it;
}

namespace {

// The dotted paths of every submodule of `module` (itself left out).
std::vector<std::string> submodule_names(Module& module) {
  std::vector<std::string> out;
  for (const auto& [path, inner] : module.named_modules())
    if (!path.empty()) out.push_back(path);
  return out;
}

std::string names_of(const NamedTensors& named) {
  std::string out;
  for (const auto& [name, tensor] : named) out += (out.empty() ? "" : ", ") + name;
  return out.empty() ? "(none)" : out;
}

}  // namespace

Tensor Module::get_parameter(std::string_view name) const {
  const TensorSlot* slot = find_slot(name, false);
  MG_CHECK(slot != nullptr, "get_parameter: {} has no parameter \"{}\"; its parameters are: {}",
           type_name(), name, names_of(named_parameters()));
  return slot->tensor;
}

Tensor Module::get_buffer(std::string_view name) const {
  const TensorSlot* slot = find_slot(name, true);
  MG_CHECK(slot != nullptr, "get_buffer: {} has no buffer \"{}\"; its buffers are: {}", type_name(),
           name, names_of(named_buffers()));
  return slot->tensor;
}

Module& Module::get_submodule(std::string_view name) {
  Module* module = find_module(name);
  MG_CHECK(module != nullptr, "get_submodule: {} has no submodule \"{}\"", type_name(), name);
  return *module;
}

const Module& Module::get_submodule(std::string_view name) const {
  return const_cast<Module*>(this)->get_submodule(name);
}

bool Module::has_parameter(std::string_view name) const {
  const TensorSlot* slot = find_slot(name, false);
  return slot != nullptr && slot->tensor.defined();
}

bool Module::has_buffer(std::string_view name) const {
  const TensorSlot* slot = find_slot(name, true);
  return slot != nullptr && slot->tensor.defined();
}

void Module::set_parameter(std::string_view name, const Tensor& value) {
  TensorSlot* slot = find_slot(name, false);
  MG_CHECK(slot != nullptr, "set_parameter: {} has no parameter \"{}\"; its parameters are: {}",
           type_name(), name, names_of(named_parameters()));
  check_rebind(slot->tensor, value, name, "set_parameter");
  slot->tensor = value;
}

std::shared_ptr<Module> Module::replace_module(std::string_view name,
                                               std::shared_ptr<Module> module) {
  const size_t dot = name.rfind('.');
  Module* owner = dot == std::string_view::npos ? this : find_module(name.substr(0, dot));
  const std::string_view leaf = dot == std::string_view::npos ? name : name.substr(dot + 1);
  auto it = owner == nullptr ? children_.end()
                             : std::find_if(owner->children_.begin(), owner->children_.end(),
                                            [&](const ModuleSlot& s) { return s.name == leaf; });
  MG_CHECK(owner != nullptr && it != owner->children_.end(),
           "replace_module: {} has no submodule \"{}\"; its submodules are: {}", type_name(), name,
           fmt::join(submodule_names(*this), ", "));
  MG_CHECK(module != nullptr, "replace_module: the new module for \"{}\" is null", name);
  for (const auto& [path, inner] : module->named_modules())
    MG_CHECK(inner != owner,
             "replace_module: the new module for \"{}\" contains the {} that would hold it{}; a "
             "module cannot be its own submodule",
             name, owner->type_name(), path.empty() ? "" : fmt::format(" (as \"{}\")", path));
  std::shared_ptr<Module> previous = std::move(it->module);
  it->module = std::move(module);
  return previous;
}

void Module::set_buffer(std::string_view name, const Tensor& value) {
  TensorSlot* slot = find_slot(name, true);
  MG_CHECK(slot != nullptr, "set_buffer: {} has no buffer \"{}\"; its buffers are: {}", type_name(),
           name, names_of(named_buffers()));
  check_rebind(slot->tensor, value, name, "set_buffer");
  slot->tensor = value;
}

void Module::rebind_all(bool buffers, const TensorList& values) {
  // Every defined slot in listing order, with the position of its tensor among the distinct ones
  // (Note [slot walks without names]).
  SmallVector<TensorSlot*, 32> targets;
  SmallVector<size_t, 32> positions;
  TensorPositions distinct;
  visit_modules(*this, &Module::children_, true, [&](Module& module) {
    for (TensorSlot& slot : buffers ? module.buffers_ : module.parameters_) {
      if (!slot.tensor.defined()) continue;
      targets.push_back(&slot);
      positions.push_back(distinct.insert(slot.tensor.impl()).first);
    }
  });
  bool fits = values.size() == distinct.size();
  for (size_t i = 0; fits && i < targets.size(); ++i) {
    const Tensor& current = targets[i]->tensor;
    const Tensor& value = values[positions[i]];
    fits = value.defined() && current.shape() == value.shape() &&
           current.dtype() == value.dtype() && current.device() == value.device();
  }
  if (fits) {
    for (size_t i = 0; i < targets.size(); ++i) targets[i]->tensor = values[positions[i]];
    return;
  }
  // The named listing, for the error message.
  const char* op = buffers ? "set_buffers" : "set_parameters";
  const std::vector<SlotRef> slots = buffers ? buffer_slots(true, false) : parameter_slots(true);
  // Position of each distinct tensor in the listing (parameters() / buffers() order).
  std::unordered_map<const TensorImpl*, size_t> position;
  std::vector<const SlotRef*> firsts;
  for (const SlotRef& ref : slots) {
    if (position.emplace(ref.slot->tensor.impl(), firsts.size()).second) firsts.push_back(&ref);
  }
  MG_CHECK(values.size() == firsts.size(),
           "{}: {} has {} {}, got {} tensors; pass one tensor per entry of {}()", op, type_name(),
           firsts.size(), buffers ? "buffers" : "parameters", values.size(),
           buffers ? "buffers" : "parameters");
  for (size_t i = 0; i < firsts.size(); ++i) {
    MG_CHECK(values[i].defined(), "{}: tensor {} (for \"{}\") is undefined", op, i,
             firsts[i]->name);
    check_rebind(firsts[i]->slot->tensor, values[i], firsts[i]->name, op);
  }
  for (const SlotRef& ref : slots) ref.slot->tensor = values[position.at(ref.slot->tensor.impl())];
}

void Module::set_parameters(const TensorList& values) { rebind_all(false, values); }

void Module::set_buffers(const TensorList& values) { rebind_all(true, values); }

// ---- mode, dtype, gradients --------------------------------------------------------------------

Module& Module::train(bool mode) {
  training_ = mode;
  for (ModuleSlot& child : children_) child.module->train(mode);
  return *this;
}

void Module::convert_tensors(const std::function<Tensor(const Tensor&)>& convert) {
  // Shared tensors stay shared: each distinct tensor is converted once.
  std::unordered_map<const TensorImpl*, Tensor> converted;
  const auto update = [&](Tensor& t) {
    if (!t.defined()) return;
    auto it = converted.find(t.impl());
    if (it == converted.end()) {
      Tensor next;
      {
        NoGradGuard no_grad;
        next = convert(t.detach());
      }
      if (next.dtype() == t.dtype() && next.device() == t.device()) {
        next = t;
      } else if (t.requires_grad()) {
        next.set_requires_grad(true);
      }
      it = converted.emplace(t.impl(), next).first;
    }
    t = it->second;
  };
  for (auto& [prefix, module] : named_modules()) {
    for (TensorSlot& slot : module->parameters_) update(slot.tensor);
    for (TensorSlot& slot : module->buffers_) update(slot.tensor);
  }
}

Module& Module::to(DType dtype) {
  convert_tensors([dtype](const Tensor& t) { return is_floating(t.dtype()) ? t.to(dtype) : t; });
  return *this;
}

Module& Module::to(Device device) {
  convert_tensors([device](const Tensor& t) { return t.to(device); });
  return *this;
}

void Module::zero_grad(bool set_to_none) {
  for (const Tensor& p : parameters()) {
    const Tensor g = p.grad();
    if (!g.defined()) continue;
    if (set_to_none) {
      p.set_grad(Tensor());
    } else if (g.grad_fn() != nullptr || g.requires_grad()) {
      p.set_grad(zeros_like(g));
    } else {
      NoGradGuard no_grad;
      Tensor zeroed = g;
      zeroed.zero_();
    }
  }
}

}  // namespace metagrad::nn
