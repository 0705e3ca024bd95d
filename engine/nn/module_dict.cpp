// ModuleDict: submodules by key over the module's own slots (register_module / replace_module).
#include "engine/nn/module_dict.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace metagrad::nn {

ModuleDict::ModuleDict(const Items& modules) {
  for (const auto& [key, module] : modules) {
    MG_CHECK(!contains(key), "ModuleDict: the key \"{}\" is given twice", key);
    insert(key, module);
  }
}

ModuleDict& ModuleDict::insert(const std::string& key, std::shared_ptr<Module> module) {
  MG_CHECK(module != nullptr, "ModuleDict: the module for key \"{}\" is null", key);
  if (contains(key)) {
    replace_module(key, std::move(module));
  } else {
    register_module(key, std::move(module));
  }
  return *this;
}

ModuleDict& ModuleDict::update(const Items& modules) {
  for (const auto& [key, module] : modules) insert(key, module);
  return *this;
}

Module& ModuleDict::operator[](std::string_view key) const {
  const auto entries = named_children();
  for (size_t i = 0; i < entries.size(); ++i) {
    if (entries[i].first == key) return module_at(i);
  }
  MG_FAIL("ModuleDict: no module under key \"{}\"; the keys are [{}]", key,
          fmt::join(keys(), ", "));
}

bool ModuleDict::contains(std::string_view key) const {
  for (const auto& [name, module] : named_children()) {
    if (name == key) return true;
  }
  return false;
}

std::vector<std::string> ModuleDict::keys() const {
  std::vector<std::string> names;
  for (const auto& [name, module] : named_children()) names.push_back(name);
  return names;
}

Tensor ModuleDict::forward(const Tensor& /*input*/) {
  MG_FAIL(
      "ModuleDict: a module dict has no forward; call its modules (dict[\"key\"](x)) from the "
      "forward of the module that owns it");
}

}  // namespace metagrad::nn
