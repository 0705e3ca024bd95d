#pragma once

// torchopt.nn.stateless: calling a module with other tensors in its parameter and buffer slots.
#include "engine/nn/module.hpp"

namespace metagrad::nn {
/// \addtogroup nn
/// @{

/// torchopt.nn.swap_state: rebinds the parameter or buffer slot of each dotted name in
/// `named_tensors` ("0.weight", as named_parameters() and named_buffers() give them) to its tensor
/// and returns the tensors the slots held, under the same names in the same order, so that
/// `swap_state(module, returned, allow_missing)` swaps them back. The new tensors may have
/// history: the module's next forward computes with them and gradients flow to them (a functional
/// call of the module).
///
/// Throws metagrad::Error naming the module and the name when a name is given twice, when its
/// submodule path does not exist, or when a present slot would get an undefined tensor or one of
/// another shape, dtype or device (set_parameter's checks). A name whose submodule exists but
/// holds no such parameter or buffer (an empty slot, PyTorch's None, counts as missing) throws
/// too unless `allow_missing`; then it is skipped and its returned tensor is undefined (TorchOpt's
/// MISSING), and an undefined tensor given for a missing name is skipped as well. On a throw the
/// module is unchanged.
NamedTensors swap_state(Module& module, const NamedTensors& named_tensors,
                        bool allow_missing = false);

/// torchopt.nn.reparametrize (a context manager in Python): a scope guard that swaps
/// `named_tensors` into `module` on construction (swap_state, with its checks and errors) and the
/// previous tensors back when it is destroyed, also when an exception leaves the scope. The module
/// must outlive the guard.
/// ```cpp
/// {
///   nn::reparametrize scope(net, {{"0.weight", w}, {"0.bias", b}});
///   Tensor loss = mse_loss(net(x), y);   // computed with w and b: grad({loss}, {w, b})
/// }                                      // net holds its own tensors again
/// ```
class reparametrize {
 public:
  /// Swaps `named_tensors` into `module` (swap_state(module, named_tensors, allow_missing)).
  reparametrize(Module& module, const NamedTensors& named_tensors, bool allow_missing = false);
  /// Swaps the previous tensors back. Never throws: a slot that can no longer take its previous
  /// tensor (emptied inside the scope) is left as it is.
  ~reparametrize();
  reparametrize(const reparametrize&) = delete;
  reparametrize& operator=(const reparametrize&) = delete;

  /// The module, with the swapped-in tensors while the guard lives (what Python's `with` yields).
  Module& module() const { return module_; }

 private:
  Module& module_;
  NamedTensors previous_;
};

/// torchopt.nn.reparameterize (the other spelling of reparametrize).
using reparameterize = reparametrize;

/// @}

}  // namespace metagrad::nn
