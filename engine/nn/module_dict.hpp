#pragma once

#include <concepts>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "engine/nn/module.hpp"

namespace metagrad::nn {
/// \addtogroup nn
/// @{

/// Holds submodules by name, in insertion order (torch.nn.ModuleDict): they are registered under
/// their keys, so parameters read "encoder.weight", and are listed, saved, converted and cloned
/// with the owner, whose forward picks the ones it needs. A ModuleDict has no forward itself.
/// ```cpp
/// nn::ModuleDict heads({{"digits", std::make_shared<nn::Linear>(64, 10)},
///                       {"letters", std::make_shared<nn::Linear>(64, 26)}});
/// Tensor logits = heads["digits"](features);
/// ```
class ModuleDict : public Cloneable<ModuleDict> {
 public:
  /// The entries of one key and module.
  using Items = std::vector<std::pair<std::string, std::shared_ptr<Module>>>;

  ModuleDict() = default;
  /// The modules under their keys, in order (shared, not copied). Throws on an invalid key (empty,
  /// or with a '.'), a repeated key or a null module.
  explicit ModuleDict(const Items& modules);

  /// Puts `module` under `key` (PyTorch's `dict[key] = module`): appended for a new key, in place
  /// of the old module (keeping its position) for an existing one. Shared, not copied. Throws on
  /// an invalid key or a null module.
  ModuleDict& insert(const std::string& key, std::shared_ptr<Module> module);
  /// Puts a module given by value (moved or deep-copied in) under `key`.
  template <typename M>
  requires std::derived_from<std::remove_cvref_t<M>, Module> ModuleDict& insert(
      const std::string& key, M&& module) {
    return insert(key, std::static_pointer_cast<Module>(
                           std::make_shared<std::remove_cvref_t<M>>(std::forward<M>(module))));
  }
  /// insert() of each entry, in order (PyTorch's update).
  ModuleDict& update(const Items& modules);

  /// The module under `key`; throws listing the keys when there is none.
  Module& operator[](std::string_view key) const;
  /// The module under `key` as its concrete type; throws when absent or of another type.
  template <typename M>
  M& at(std::string_view key) const {
    Module& module = (*this)[key];
    M* typed = dynamic_cast<M*>(&module);
    MG_CHECK(typed != nullptr,
             "ModuleDict::at: the module under \"{}\" is a {}, not the requested "
             "type",
             key, module.type_name());
    return *typed;
  }
  /// True when a module is stored under `key`.
  bool contains(std::string_view key) const;
  /// The number of entries.
  size_t size() const { return num_children(); }
  /// The keys in insertion order.
  std::vector<std::string> keys() const;
  /// The modules in insertion order.
  std::vector<std::shared_ptr<Module>> values() const { return children(); }
  /// The (key, module) entries in insertion order.
  Items items() const { return named_children(); }

  /// Throws: a ModuleDict is a container, its owner runs the modules.
  Tensor forward(const Tensor& input) override;
};

/// @}
}  // namespace metagrad::nn
