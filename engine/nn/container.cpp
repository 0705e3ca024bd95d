// Sequential.
#include <string>

#include "engine/nn/layers.hpp"

namespace metagrad::nn {

Sequential& Sequential::push_back(std::shared_ptr<Module> module) {
  register_module(std::to_string(num_children()), std::move(module));
  return *this;
}

Tensor Sequential::forward(const Tensor& input) {
  Tensor x = input;
  for (size_t i = 0; i < num_children(); ++i) x = module_at(i)(x);
  return x;
}

Module& Sequential::operator[](size_t index) const {
  MG_CHECK(index < num_children(), "Sequential: index {} is out of range for {} layers", index,
           num_children());
  return module_at(index);
}

}  // namespace metagrad::nn
