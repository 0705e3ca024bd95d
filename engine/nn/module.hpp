#pragma once

#include <concepts>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "engine/tensor.hpp"

namespace metagrad::nn {
/// \addtogroup nn
/// @{

/// Ordered (name, tensor) pairs: a state dict, or the named parameters / buffers of a module.
/// The same type as the safetensors reader's and writer's named tensors.
using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

/// What load_state_dict(state, strict = false) skipped: module entries the state lacked and state
/// entries the module does not have (both empty after a strict load, which throws instead).
struct LoadResult {
  /// Entries of the module that the state lacked.
  std::vector<std::string> missing_keys;
  /// Entries of the state that the module does not have.
  std::vector<std::string> unexpected_keys;
};

// Note [module slots]
// A Module owns three ordered lists of named slots: parameters, buffers and submodules. Layers
// read their tensors from the slots at every forward (parameter_at(i), buffer_at(i)) and never
// keep a Tensor copy elsewhere, so rebinding a slot (set_parameter, set_parameters, set_buffer)
// changes what the next forward computes with. A slot may hold any tensor: a leaf created by the
// layer, or a non-leaf with history, such as `w - lr * g` computed by a differentiable optimizer
// step; gradients of a later forward then flow through that history to whatever it was computed
// from. An undefined slot is PyTorch's `None` (Linear without bias, BatchNorm without affine
// parameters): it is kept for its position but skipped by every listing and by the state dict.
// Slots are addressed by index or by name, never by pointer, so modules stay movable and
// copyable; a copy is deep (see Module(const Module&)).

/// The base class of every layer and network: ordered named parameters, buffers and submodules
/// with PyTorch's registration order and dotted names (`0.weight`, `features.1.running_mean`),
/// train/eval mode, dtype conversion, state dicts and safetensors files.
///
/// Modules are values: moving one transfers its slots; copying one is a DEEP copy (parameters and
/// buffers become new leaves holding the same values, with the same requires_grad; submodules are
/// cloned). clone() returns such a copy behind a shared_ptr<Module>.
///
/// Writing a custom module: derive from `Cloneable<YourModule>` (which provides clone()), register
/// slots in the constructor and read them in forward() through the indices registration returns.
/// Keep no Tensor or Module pointer of your own: copies and clones would not see them, and
/// rebinding would bypass them.
/// ```cpp
/// class ScaledMlp : public nn::Cloneable<ScaledMlp> {
///  public:
///   ScaledMlp(int64_t in, int64_t hidden, int64_t out)
///       : fc1_(register_module("fc1", nn::Linear(in, hidden))),
///         fc2_(register_module("fc2", nn::Linear(hidden, out))),
///         scale_(register_parameter("scale", ones({out}))) {}
///   std::string type_name() const override { return "ScaledMlp"; }
///   Tensor forward(const Tensor& x) override {
///     Tensor h = relu(module_at(fc1_)(x));
///     return module_at(fc2_)(h) * parameter_at(scale_);
///   }
///  private:
///   size_t fc1_, fc2_, scale_;  // slot indices: the tensors and modules stay in the slots
/// };
/// // named_parameters(): scale, fc1.weight, fc1.bias, fc2.weight, fc2.bias
/// ```
class Module {
 public:
  Module() = default;
  virtual ~Module() = default;
  /// Deep copy: parameters and buffers are copied into new leaves (same values, dtype and
  /// requires_grad; gradients are not copied) and submodules are clone()d. A submodule registered
  /// twice becomes two independent copies.
  Module(const Module& other);
  /// Deep copy, as the copy constructor.
  Module& operator=(const Module& other);
  /// Moves the slots.
  Module(Module&&) noexcept = default;
  /// Moves the slots.
  Module& operator=(Module&&) noexcept = default;

  // ---- computing ------------------------------------------------------------------------------
  /// The module's computation. The base class throws: layers and subclasses override it.
  virtual Tensor forward(const Tensor& input);
  /// Same as forward(input).
  Tensor operator()(const Tensor& input) { return forward(input); }

  /// A deep copy of this module behind a shared_ptr (see the copy constructor). Layers and
  /// Cloneable<T> subclasses provide it; a plain Module copies itself; any other subclass that does
  /// not override it throws, naming the type.
  virtual std::shared_ptr<Module> clone() const;

  /// The class name printed by to_string(), e.g. "Linear" (the demangled C++ class name unless a
  /// class overrides it).
  virtual std::string type_name() const;
  /// The arguments printed inside the parentheses, e.g. "in_features=2, out_features=3, bias=True".
  virtual std::string extra_repr() const { return {}; }
  /// The module printed as PyTorch prints it: "Linear(in_features=2, out_features=3, bias=True)",
  /// or "Sequential(\n  (0): Linear(...)\n  (1): ReLU()\n)" for a module with submodules.
  std::string to_string() const;

  // ---- listing (PyTorch order: own entries first, then each submodule's, depth first) ---------
  /// The parameters (undefined slots skipped; a tensor registered twice is listed once).
  TensorList parameters(bool recurse = true) const;
  /// The parameters with dotted names ("0.weight", "features.3.bias").
  NamedTensors named_parameters(bool recurse = true) const;
  /// The buffers (running statistics, counters), persistent or not.
  TensorList buffers(bool recurse = true) const;
  /// The buffers with dotted names ("1.running_mean").
  NamedTensors named_buffers(bool recurse = true) const;
  /// The direct submodules, in registration order.
  std::vector<std::shared_ptr<Module>> children() const;
  /// The direct submodules with their names.
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> named_children() const;
  /// This module (named "") and every submodule, depth first, each listed once. The pointers are
  /// valid while this module and its structure live.
  std::vector<std::pair<std::string, Module*>> named_modules();
  /// \overload
  std::vector<std::pair<std::string, const Module*>> named_modules() const;
  /// Calls fn on every submodule (depth first, children before parents) and then on this module,
  /// as torch.nn.Module.apply. Returns *this.
  Module& apply(const std::function<void(Module&)>& fn);

  // ---- slots by dotted name (Note [module slots]) ----------------------------------------------
  /// The tensor in parameter slot `name` ("0.weight"); throws when there is no such slot.
  Tensor get_parameter(std::string_view name) const;
  /// The tensor in buffer slot `name` ("1.running_mean"); throws when there is no such slot.
  Tensor get_buffer(std::string_view name) const;
  /// The submodule at dotted path `name` ("features.0"; "" is this module); throws when absent.
  Module& get_submodule(std::string_view name);
  /// \overload
  const Module& get_submodule(std::string_view name) const;
  /// True when a parameter / buffer slot of that dotted name exists and holds a tensor.
  bool has_parameter(std::string_view name) const;
  /// \copydoc has_parameter
  bool has_buffer(std::string_view name) const;

  /// Rebinds parameter slot `name` to `value`, which may be any tensor, including a non-leaf with
  /// history: the next forward computes with it and gradients flow through it to what it was
  /// computed from. When the slot holds a tensor, `value` must have the same shape, dtype and
  /// device (throws otherwise, naming the slot); an undefined `value` empties the slot.
  /// This is how MetaOptimizer::step and recover_state_dict swap tensors into a network.
  void set_parameter(std::string_view name, const Tensor& value);
  /// Puts `module` in the submodule slot at dotted path `name` ("fc", "features.3") in place of
  /// the module there, keeping the slot's name and position (PyTorch's `model.fc = new_head`,
  /// LibTorch's replace_module), and returns the module it replaced. Throws when there is no such
  /// slot, when `module` is null, or when it contains the slot's owner (a cycle). A layer that
  /// reads a submodule as a particular class (MultiheadAttention's masks path, a Transformer's
  /// encoder) names the class it needs when it meets another one.
  std::shared_ptr<Module> replace_module(std::string_view name, std::shared_ptr<Module> module);
  /// Rebinds buffer slot `name` to `value`, with the checks of set_parameter.
  void set_buffer(std::string_view name, const Tensor& value);
  /// Rebinds every parameter slot at once: values[i] replaces parameters()[i] (so a tensor shared
  /// by several slots is replaced in all of them). values.size() must equal parameters().size();
  /// each value is checked as in set_parameter before any slot changes.
  void set_parameters(const TensorList& values);
  /// Rebinds every buffer slot at once: values[i] replaces buffers()[i], checked likewise.
  void set_buffers(const TensorList& values);

  // ---- mode, dtype, gradients -----------------------------------------------------------------
  /// Sets training mode on this module and every submodule (BatchNorm uses batch statistics and
  /// Dropout drops only in training). Returns *this.
  virtual Module& train(bool mode = true);
  /// train(false).
  Module& eval() { return train(false); }
  /// True in training mode (train()), false in eval mode.
  bool is_training() const { return training_; }
  /// Converts every floating parameter and buffer to `dtype` (integer buffers such as
  /// num_batches_tracked stay), as new leaves with the same requires_grad; slots that already
  /// have that dtype are kept. Gradients are dropped. Returns *this.
  Module& to(DType dtype);
  /// Moves every parameter and buffer to `device`, likewise.
  Module& to(Device device);
  /// Clears the .grad of every parameter (set_to_none), or zeroes it in place (history cut, as
  /// PyTorch).
  void zero_grad(bool set_to_none = true);

  // ---- state ----------------------------------------------------------------------------------
  /// The parameters and persistent buffers with dotted names in PyTorch's order (each module's
  /// parameters, then its buffers, then its submodules'), detached (sharing storage, no grad).
  NamedTensors state_dict() const;
  /// Copies `state` into the slots, in place and without recording. Everything is checked first,
  /// and on any problem the module is left unchanged and an Error lists them all, as PyTorch:
  /// missing keys and unexpected keys (only when strict), duplicate keys, undefined tensors, and
  /// "size mismatch for 0.weight: copying a param with shape [3, 2] from checkpoint, the shape in
  /// current model is [4, 2]." (likewise for dtypes; always). A slot holding a leaf keeps its
  /// tensor (its values are overwritten); a slot holding a non-leaf is rebound to a new leaf with
  /// the loaded values and the old tensor's requires_grad. Returns the skipped keys (non-strict).
  LoadResult load_state_dict(const NamedTensors& state, bool strict = true);
  /// Writes state_dict() to a safetensors file (atomically) with PyTorch's names, so that
  /// `model.load_state_dict(safetensors.torch.load_file(path))` works in Python.
  void save(const std::string& path) const;
  /// Reads a safetensors file and load_state_dict()s it strictly. A corrupt file, a missing or
  /// unexpected name, or a shape or dtype mismatch throws and leaves the module unchanged.
  void load(const std::string& path);

 protected:
  /// Adds parameter slot `name` holding `tensor` (undefined for PyTorch's None). A defined leaf is
  /// marked requires_grad(requires_grad). Names must be non-empty, contain no '.', and be unused
  /// by this module's parameters, buffers and submodules. Returns the slot index for
  /// parameter_at().
  size_t register_parameter(std::string name, Tensor tensor, bool requires_grad = true);
  /// Adds buffer slot `name` (state that is not trained, e.g. running statistics). Non-persistent
  /// buffers are left out of state_dict(). Returns the slot index for buffer_at().
  size_t register_buffer(std::string name, Tensor tensor, bool persistent = true);
  /// Adds submodule slot `name` holding `module` (shared: the caller may keep using it). Returns
  /// the slot index for module_at().
  size_t register_module(std::string name, std::shared_ptr<Module> module);
  /// Adds a submodule given by value (moved or copied in).
  template <typename M>
  requires std::derived_from<std::remove_cvref_t<M>, Module> size_t
  register_module(std::string name, M&& module) {
    return register_module(std::move(name),
                           std::static_pointer_cast<Module>(
                               std::make_shared<std::remove_cvref_t<M>>(std::forward<M>(module))));
  }

  /// The tensor in this module's parameter slot `index` (undefined for an empty slot).
  const Tensor& parameter_at(size_t index) const { return parameters_[index].tensor; }
  /// The tensor in this module's buffer slot `index`.
  const Tensor& buffer_at(size_t index) const { return buffers_[index].tensor; }
  /// The submodule in slot `index`.
  Module& module_at(size_t index) const { return *children_[index].module; }
  /// Number of submodule slots of this module.
  size_t num_children() const { return children_.size(); }

 private:
  struct TensorSlot {
    std::string name;
    Tensor tensor;
    bool persistent = true;
  };
  struct ModuleSlot {
    std::string name;
    std::shared_ptr<Module> module;
  };
  // A slot reached from this module, with its dotted name.
  struct SlotRef {
    std::string name;
    TensorSlot* slot;
  };

  void check_new_name(const std::string& name, const char* what) const;
  // Appends this module (as `prefix`) and its submodules, depth first, skipping ones in `seen`.
  void collect_modules(const std::string& prefix, std::vector<std::pair<std::string, Module*>>& out,
                       std::vector<const Module*>& seen) const;
  // Appends this module's state slots (parameters, persistent buffers) and its submodules'.
  void collect_state(const std::string& prefix, std::vector<SlotRef>& out) const;
  // The submodule at dotted `path` ("" is this module), or null.
  Module* find_module(std::string_view path) const;
  // Every defined parameter (buffer) slot in listing order, including repeats of shared tensors.
  std::vector<SlotRef> parameter_slots(bool recurse) const;
  std::vector<SlotRef> buffer_slots(bool recurse, bool persistent_only) const;
  // The persistent state slots in state_dict() order.
  std::vector<SlotRef> state_slots() const;
  // The slot of dotted `name` in the parameter (buffers = false) or buffer list; null if none.
  TensorSlot* find_slot(std::string_view name, bool buffers) const;
  void rebind_all(bool buffers, const TensorList& values);
  void convert_tensors(const std::function<Tensor(const Tensor&)>& convert);

  std::vector<TensorSlot> parameters_;
  std::vector<TensorSlot> buffers_;
  std::vector<ModuleSlot> children_;
  bool training_ = true;
};

/// Base for modules that can clone themselves: derive `class MyNet : public Cloneable<MyNet>` and
/// clone() returns a deep copy made by MyNet's copy constructor (which deep-copies the slots
/// through Module's). `Base` lets a layer family share a base class (BatchNorm1d/2d).
template <typename Derived, typename Base = Module>
class Cloneable : public Base {
 public:
  using Base::Base;
  /// A deep copy of this Derived (see Module::clone).
  std::shared_ptr<Module> clone() const override {
    return std::make_shared<Derived>(static_cast<const Derived&>(*this));
  }
};

namespace detail {
/// `child` (owner's submodule `slot`) as a T; throws naming the owner, the slot, the child's
/// class and `needed` (T's name) when it is another class (after replace_module).
template <typename T>
T& submodule_as(const Module& owner, Module& child, std::string_view slot,
                std::string_view needed) {
  T* typed = dynamic_cast<T*>(&child);
  if (typed == nullptr)
    throw Error(fmt::format("{}: submodule \"{}\" is a {}, but this call needs a {}",
                            owner.type_name(), slot, child.type_name(), needed));
  return *typed;
}

/// `value` printed as Python's repr prints a float ("0.1", "1.0", "1e-05", "inf").
std::string float_repr(double value);
}  // namespace detail

/// @}

}  // namespace metagrad::nn
