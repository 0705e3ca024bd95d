#pragma once

#include <memory>

#include "engine/nn/module.hpp"
#include "implicit/zero_order.hpp"

// The object API of zero-order gradients (torchopt.nn.ZeroOrderGradientModule).

namespace metagrad::nn {
/// \addtogroup implicit
/// @{

/// A module whose scalar objective is differentiated by zero-order estimation: calling it runs
/// objective(inputs) and returns the value as the output of one node whose backward estimates the
/// gradient of every parameter (parameters()) with options().method from perturbed evaluations of
/// objective (see zero_order and Note [zero-order estimators]).
///
/// TorchOpt wraps a subclass's `forward` by a metaclass; C++ cannot rewrite a method, so here the
/// subclass overrides the protected `objective(inputs)` (TorchOpt's `forward`: the loss from the
/// module's current parameters and the inputs) and optionally `sample(shape, generator)`
/// (TorchOpt's `sample`; the default draws from options().distribution), and callers use the public
/// `forward(inputs)` / `operator()(inputs)`. The options (TorchOpt's class keywords method,
/// num_samples, sigma, plus distribution, seed and num_threads; argnums is unused) are given to
/// the constructor.
///
/// The perturbed evaluations run on deep copies of the module, one per worker thread, whose
/// parameters are rebound to θ ± σz (so objective must read its parameters from its slots, as
/// every layer does). Copies are made by clone(): derive through Cloneable,
///   class Net : public nn::Cloneable<Net, nn::ZeroOrderGradientModule> { ... };
/// objective and sample must be safe to run concurrently on different copies. The module must
/// outlive the backward of every result it returned.
///
///   class Net : public nn::Cloneable<Net, nn::ZeroOrderGradientModule> {
///    public:
///     explicit Net(int64_t dim)
///         : Cloneable({.method = ZeroOrderMethod::forward, .num_samples = 100, .sigma = 0.01}),
///           fc_(register_module("fc", nn::Linear(dim, 1))) {}
///    protected:
///     Tensor objective(const TensorList& in) override {
///       return mse_loss(module_at(fc_)(in[0]), in[1]);
///     }
///    private:
///     size_t fc_;
///   };
///   Tensor loss = net({x, y});
///   loss.backward();  // net.parameters() get the estimated gradient
class ZeroOrderGradientModule : public Module {
 public:
  /// Checks the options (num_samples >= 1, sigma finite and > 0, num_threads >= 0).
  explicit ZeroOrderGradientModule(ZeroOrderOptions options = {});

  /// objective(inputs) with zero-order gradients to parameters(). Throws when the module has no
  /// parameters or objective does not return a floating 0-d tensor.
  Tensor forward(const TensorList& inputs);
  /// forward({input}).
  Tensor forward(const Tensor& input) override;
  /// forward(inputs).
  Tensor operator()(const TensorList& inputs) { return forward(inputs); }
  using Module::operator();

  /// The options given to the constructor.
  const ZeroOrderOptions& options() const { return options_; }

 protected:
  /// The scalar loss of the module at its current parameters (TorchOpt's forward). Must return a
  /// floating 0-d tensor; is called without recording.
  virtual Tensor objective(const TensorList& inputs) = 0;
  /// One draw of z for a parameter of `shape` (TorchOpt's sample): mean 0, variance 1 per element,
  /// from `generator` for reproducibility (see SampleFn). The default draws from
  /// options().distribution. Called concurrently from the worker threads.
  virtual Tensor sample(const Dims& shape, Generator& generator) const;

 private:
  ZeroOrderOptions options_;
  std::shared_ptr<Generator> generator_;
};

/// @}

}  // namespace metagrad::nn
