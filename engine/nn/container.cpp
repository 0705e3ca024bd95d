// Sequential and ModuleList.
#include <string>

#include "engine/nn/layers.hpp"

namespace metagrad::nn {

ModuleSequence& ModuleSequence::push_back(std::shared_ptr<Module> module) {
  register_module(std::to_string(num_children()), std::move(module));
  return *this;
}

Module& ModuleSequence::operator[](size_t index) const {
  MG_CHECK(index < num_children(), "{}: index {} is out of range for {} layers", type_name(), index,
           num_children());
  return module_at(index);
}

Tensor Sequential::forward(const Tensor& input) {
  Tensor x = input;
  for (size_t i = 0; i < num_children(); ++i) x = module_at(i)(x);
  return x;
}

Tensor ModuleList::forward(const Tensor& /*input*/) {
  MG_FAIL(
      "ModuleList: a module list has no forward; call its layers (list[i](x)) from the forward "
      "of the module that owns it");
}

}  // namespace metagrad::nn
