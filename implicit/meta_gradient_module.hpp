#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "engine/nn/module.hpp"

// A module that tells meta-parameters apart from its own parameters
// (torchopt.nn.MetaGradientModule). See Note [meta slots] in meta_gradient_module.cpp.

namespace metagrad::nn {
/// \addtogroup implicit
/// @{

/// A module with two kinds of trainable tensors: its own (inner) parameters, listed by
/// parameters(), and meta-parameters, listed by meta_parameters(), which belong to an outer level
/// (a meta-network, a regularisation strength) and are only read by this module.
///
/// Meta-parameters are registered explicitly (register_meta_parameter, register_meta_module), or
/// recognised: the tensors and modules given to the constructor are the module's *meta inputs*,
/// together with every parameter and submodule of those modules, whatever their train/eval mode
/// (TorchOpt issue #144). Registering a meta input with register_parameter or register_module
/// makes it a meta-parameter or meta-module instead (TorchOpt's attribute assignment does the
/// same). A meta-module is not a submodule: its parameters are meta_parameters(), not
/// parameters(), and train(), to(), zero_grad(), state_dict() and copies leave it alone.
///
/// Copies (and Cloneable clones) deep-copy the inner parameters, buffers and submodules as
/// Module's copy does, and share the meta-parameters and meta-modules with the original.
/// ```cpp
/// class Task : public nn::Cloneable<Task, nn::MetaGradientModule> {
///  public:
///   Task(std::shared_ptr<nn::Module> meta_net, Tensor log_lambda)
///       : Cloneable({log_lambda}, {meta_net}),
///         lambda_(register_parameter("log_lambda", log_lambda)),  // a meta input: meta-parameter
///         meta_(register_module("meta_net", meta_net)),            // a meta input: meta-module
///         net_(register_module("net", meta_net->clone())) {}       // a fresh copy: a submodule
///  private:
///   size_t lambda_, meta_, net_;  // meta_parameter_at(lambda_), meta_module_at(meta_),
///   module_at(net_)
/// };
/// ```
class MetaGradientModule : public Module {
 public:
  /// A module without meta inputs (meta-parameters can still be registered explicitly).
  MetaGradientModule() = default;
  /// A module whose meta inputs are `meta_tensors` (each defined and requiring grad) and
  /// `meta_modules` (non-null) with all their parameters and submodules.
  explicit MetaGradientModule(const TensorList& meta_tensors,
                              std::vector<std::shared_ptr<Module>> meta_modules = {});

  // ---- listing (own meta-parameter slots first, then each meta-module's parameters) -----------
  /// The meta-parameters: this module's meta-parameter slots, then the parameters of its
  /// meta-modules (recursively when `recurse`), then (when `recurse`) the meta-parameters of its
  /// submodules that are MetaGradientModules. A tensor is listed once; undefined slots are skipped.
  TensorList meta_parameters(bool recurse = true) const;
  /// The meta-parameters with dotted names ("log_lambda", "meta_net.0.weight").
  NamedTensors named_meta_parameters(bool recurse = true) const;
  /// The direct meta-modules, in registration order, each listed once.
  std::vector<std::shared_ptr<Module>> meta_children() const;
  /// The direct meta-modules with their names.
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> named_meta_children() const;
  /// Every meta-module and its submodules, depth first, each listed once, with dotted names
  /// ("meta_net", "meta_net.0"). The pointers are valid while the meta-modules live.
  std::vector<std::pair<std::string, Module*>> named_meta_modules() const;
  /// The modules of named_meta_modules().
  std::vector<Module*> meta_modules() const;

  /// True when `tensor` (the same tensor, not an equal one) is a meta input of this module.
  bool is_meta_input(const Tensor& tensor) const;
  /// True when `module` (the same object) is a meta input of this module.
  bool is_meta_input(const Module& module) const;

  /// Rebinds every meta-parameter slot at once: values[i] replaces meta_parameters()[i] (in this
  /// module's slots, or in a meta-module's parameter slot through Module::set_parameter). Each
  /// value must be defined with the shape, dtype and device of the tensor it replaces (all checked
  /// before any slot changes). A meta-module is shared with the outer level, so rebinding its
  /// parameters changes what the outer network computes with too.
  void set_meta_parameters(const TensorList& values);

 protected:
  /// Adds meta-parameter slot `name` holding `tensor`: defined and requiring grad, or undefined
  /// (PyTorch's None). `name` follows register_parameter's rules and must be unused by this
  /// module's parameters, buffers, submodules, meta-parameters and meta-modules. Returns the slot
  /// index for meta_parameter_at().
  size_t register_meta_parameter(std::string name, Tensor tensor);
  /// Adds meta-module slot `name` holding `module` (non-null, shared with the caller). Returns the
  /// slot index for meta_module_at().
  size_t register_meta_module(std::string name, std::shared_ptr<Module> module);
  /// Same as register_meta_module (TorchOpt's add_meta_module).
  size_t add_meta_module(std::string name, std::shared_ptr<Module> module) {
    return register_meta_module(std::move(name), std::move(module));
  }

  /// Module::register_parameter, except that a meta input becomes a meta-parameter: then the
  /// returned index is for meta_parameter_at() (and `requires_grad` is not applied).
  size_t register_parameter(std::string name, Tensor tensor, bool requires_grad = true);
  /// Module::register_buffer, with the meta slots' names taken into account.
  size_t register_buffer(std::string name, Tensor tensor, bool persistent = true);
  /// Module::register_module, except that a meta input becomes a meta-module: then the returned
  /// index is for meta_module_at().
  size_t register_module(std::string name, std::shared_ptr<Module> module);
  /// Adds a submodule given by value (a new object, so never a meta input).
  template <typename M>
  requires std::derived_from<std::remove_cvref_t<M>, Module> size_t
  register_module(std::string name, M&& module) {
    check_meta_name_free(name, "module");
    return Module::register_module(std::move(name), std::forward<M>(module));
  }

  /// The tensor in this module's meta-parameter slot `index`.
  const Tensor& meta_parameter_at(size_t index) const { return meta_parameters_[index].tensor; }
  /// The meta-module in slot `index`.
  Module& meta_module_at(size_t index) const { return *meta_modules_[index].module; }

 private:
  struct MetaTensorSlot {
    std::string name;
    Tensor tensor;
  };
  struct MetaModuleSlot {
    std::string name;
    std::shared_ptr<Module> module;
  };
  // One meta-parameter with its dotted name.
  struct MetaRef {
    std::string name;
    Tensor tensor;
  };

  // True when Module has a parameter, buffer or submodule named `name`.
  bool module_has_name(const std::string& name) const;
  // Throws when `name` is taken by a meta-parameter or meta-module slot of this module.
  void check_meta_name_free(const std::string& name, const char* what) const;
  // Every meta-parameter occurrence in listing order, first occurrences only.
  std::vector<MetaRef> meta_refs(bool recurse) const;
  // Appends this module's own meta occurrences with `prefix` (no descent into submodules).
  void append_own_meta_refs(const std::string& prefix, bool recurse, std::vector<MetaRef>& out,
                            std::unordered_set<const TensorImpl*>& seen) const;

  std::vector<MetaTensorSlot> meta_parameters_;
  std::vector<MetaModuleSlot> meta_modules_;
  // The meta inputs: tensors (kept alive) and modules (kept alive; their submodules by address).
  TensorList meta_input_tensors_;
  std::vector<std::shared_ptr<Module>> meta_input_modules_;
  std::unordered_set<const TensorImpl*> meta_input_tensor_set_;
  std::unordered_set<const Module*> meta_input_module_set_;
};

/// @}

}  // namespace metagrad::nn
