// swap_state and reparametrize (torchopt.nn.stateless): every name is checked before any slot
// changes, and the tensor checks of set_parameter / set_buffer roll back the slots already swapped.
#include "engine/nn/stateless.hpp"

#include <algorithm>
#include <set>
#include <string_view>
#include <vector>

#include "engine/error.hpp"

namespace metagrad::nn {
namespace {

// Throws unless the submodule path of dotted `name` exists (TorchOpt raises for it even with
// allow_missing), then unless `allow_missing` (`name` holds no parameter or buffer).
void check_missing(const Module& module, const std::string& name, bool allow_missing) {
  const size_t dot = name.rfind('.');
  const std::string path = dot == std::string::npos ? "" : name.substr(0, dot);
  const auto modules = module.named_modules();
  MG_CHECK(std::any_of(modules.begin(), modules.end(),
                       [&](const auto& entry) { return entry.first == path; }),
           "swap_state: {} has no submodule \"{}\" (in \"{}\"); named_parameters() and "
           "named_buffers() list the names it takes",
           module.type_name(), path, name);
  MG_CHECK(allow_missing,
           "swap_state: {} has no parameter or buffer \"{}\"; named_parameters() and "
           "named_buffers() list the names it takes, and allow_missing = true skips the others",
           module.type_name(), name);
}

// Rebinds the parameter or buffer slot `name` (it holds a tensor) to `value`; returns the tensor
// it held.
Tensor rebind(Module& module, const std::string& name, const Tensor& value) {
  const bool parameter = module.has_parameter(name);
  Tensor old = parameter ? module.get_parameter(name) : module.get_buffer(name);
  if (parameter) {
    module.set_parameter(name, value);
  } else {
    module.set_buffer(name, value);
  }
  return old;
}

}  // namespace

NamedTensors swap_state(Module& module, const NamedTensors& named_tensors, bool allow_missing) {
  std::set<std::string_view> seen;
  std::vector<size_t> present;  // the entries whose slot holds a tensor
  for (size_t i = 0; i < named_tensors.size(); ++i) {
    const auto& [name, value] = named_tensors[i];
    MG_CHECK(seen.insert(name).second,
             "swap_state: \"{}\" is given twice for {}; give each name once", name,
             module.type_name());
    if (!module.has_parameter(name) && !module.has_buffer(name)) {
      check_missing(module, name, allow_missing);
      continue;
    }
    MG_CHECK(value.defined(),
             "swap_state: the tensor for \"{}\" of {} is undefined; give a tensor for every "
             "parameter or buffer named",
             name, module.type_name());
    present.push_back(i);
  }

  NamedTensors previous;  // undefined for the missing names (TorchOpt's MISSING)
  for (const auto& [name, value] : named_tensors) previous.emplace_back(name, Tensor());
  size_t swapped = 0;
  try {
    for (; swapped < present.size(); ++swapped) {
      const size_t i = present[swapped];
      previous[i].second = rebind(module, named_tensors[i].first, named_tensors[i].second);
    }
  } catch (const Error& e) {
    while (swapped-- > 0) {
      const size_t i = present[swapped];
      rebind(module, previous[i].first, previous[i].second);
    }
    MG_FAIL("swap_state: {} (nothing was swapped)", e.what());
  }
  return previous;
}

reparametrize::reparametrize(Module& module, const NamedTensors& named_tensors, bool allow_missing)
    : module_(module), previous_(swap_state(module, named_tensors, allow_missing)) {}

reparametrize::~reparametrize() {
  try {
    swap_state(module_, previous_, true);
  } catch (...) {
    // A destructor must not throw; swap_state left the module as it was.
  }
}

}  // namespace metagrad::nn
