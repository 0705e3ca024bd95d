#pragma once

#include <any>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/autograd/function.hpp"

// Note [custom functions]
// A CustomFunction supplies an op's forward and backward directly (torch.autograd.Function).
// apply() runs forward under NoGradGuard, then — when grad mode is on and some input requires
// grad — makes the differentiable outputs (floating, not marked non-differentiable) results of one
// node whose backward calls the user's backward with grad mode = create_graph. Backward receives
// one gradient per output (zeros where the output got none) and returns one per input (undefined
// where an input needs none); the node checks the count, the engine the shapes, dtypes and
// devices. A backward written in public differentiable ops has derivatives of every order.
// Tensors forward wants in backward go through ctx.save_for_backward (version-checked, released
// after a backward without retain_graph); an output that is an input is returned as a new alias
// so the input's own history is never overwritten.

namespace metagrad {
/// \addtogroup engine_autograd
/// @{

/// State shared by one call's forward and backward: saved tensors, non-tensor values, which
/// inputs need a gradient and which outputs are not differentiable.
class CustomFunctionContext {
 public:
  /// Saves inputs, outputs or intermediates of forward for backward (call in forward; a second
  /// call replaces the list). Saved tensors are checked for in-place modification and freed after
  /// a backward without retain_graph.
  void save_for_backward(TensorList tensors);
  /// The tensors given to save_for_backward, in order, with their history re-attached when the
  /// backward is itself recorded (create_graph). Throws after they were freed or when one was
  /// modified in place since forward.
  TensorList saved_tensors() const;

  /// Stores a non-tensor value (a scalar, a shape, a closure) for backward under `key`. Do not
  /// store an output of this function here: that would be a reference cycle; save it instead.
  void set(const std::string& key, std::any value) { data_[key] = std::move(value); }
  /// The value stored under `key` as T; throws naming the function when it is missing or of
  /// another type.
  template <typename T>
  T get(const std::string& key) const {
    const auto it = data_.find(key);
    MG_CHECK(it != data_.end(), "{}: no value saved under key '{}' in the context", name_, key);
    const T* value = std::any_cast<T>(&it->second);
    MG_CHECK(value != nullptr, "{}: the value saved under key '{}' has another type", name_, key);
    return *value;
  }

  /// True when input `i` requires grad and the call is recorded (valid in forward and backward).
  bool needs_input_grad(size_t i) const {
    return i < needs_input_grad_.size() && needs_input_grad_[i];
  }
  /// Marks outputs of forward (which must be returned by it) as not differentiable: they get no
  /// history and backward receives zeros for them. Integer and bool outputs never are.
  void mark_non_differentiable(TensorList outputs) { non_differentiable_ = std::move(outputs); }
  /// The name of the function (for messages).
  const std::string& name() const { return name_; }

 private:
  friend class CustomFunction;
  friend class CustomFunctionNode;

  std::string name_;
  std::vector<bool> needs_input_grad_;
  std::map<std::string, std::any> data_;
  TensorList to_save_;
  std::vector<SavedTensor> saved_;
  bool saved_wrapped_ = false;
  TensorList non_differentiable_;
  const Node* owner_ = nullptr;
};

/// An op defined by its forward and backward (like torch.autograd.Function). Subclass it:
///
///   struct Cube : CustomFunction {
///     std::string name() const override { return "Cube"; }
///     TensorList forward(CustomFunctionContext& ctx, const TensorList& in) override {
///       ctx.save_for_backward({in[0]});
///       return {in[0] * in[0] * in[0]};
///     }
///     TensorList backward(CustomFunctionContext& ctx, const TensorList& g) override {
///       Tensor x = ctx.saved_tensors()[0];
///       return {g[0] * 3.0 * x * x};  // d(x^3) = 3 x^2 dx
///     }
///   };
///   TensorList y = CustomFunction::apply<Cube>({x});
///
/// or use the lambda form `custom_function`. See Note [custom functions].
class CustomFunction {
 public:
  virtual ~CustomFunction() = default;
  /// Names the node ("<name>Backward") and error messages.
  virtual std::string name() const { return "CustomFunction"; }
  /// Computes the outputs (runs with grad mode off; must not modify inputs in place). May return
  /// inputs themselves and integer tensors. Must return at least one defined tensor.
  virtual TensorList forward(CustomFunctionContext& ctx, const TensorList& inputs) = 0;
  /// Gradients of the inputs (one per input; undefined where none is needed, see
  /// ctx.needs_input_grad) given those of the outputs, with each input's shape, dtype and device.
  /// Runs with grad mode = create_graph: written in differentiable ops it supports double backward.
  virtual TensorList backward(CustomFunctionContext& ctx, const TensorList& grad_outputs) = 0;

  /// Runs `fn` on `inputs` and records its backward (Note [custom functions]). The graph keeps
  /// `fn` alive until the node is freed. Returns forward's outputs, with history when recorded.
  static TensorList apply(std::shared_ptr<CustomFunction> fn, const TensorList& inputs);
  /// Shorthand for apply(std::make_shared<F>(args...), inputs).
  template <typename F, typename... Args>
  static TensorList apply(const TensorList& inputs, Args&&... args) {
    return apply(std::make_shared<F>(std::forward<Args>(args)...), inputs);
  }
};

/// Forward of a lambda-defined custom function: (ctx, inputs) -> outputs.
using CustomForwardFn = std::function<TensorList(CustomFunctionContext&, const TensorList&)>;
/// Backward of a lambda-defined custom function: (ctx, grad_outputs) -> grad_inputs.
using CustomBackwardFn = std::function<TensorList(CustomFunctionContext&, const TensorList&)>;

/// A custom function given as two lambdas, named `name`; same contract as CustomFunction::apply.
/// The lambdas live in the graph until the node is freed: capture no output of this call.
TensorList custom_function(std::string name, const TensorList& inputs, CustomForwardFn forward,
                           CustomBackwardFn backward);

/// @}

}  // namespace metagrad
