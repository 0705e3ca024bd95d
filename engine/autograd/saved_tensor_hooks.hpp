#pragma once

#include <any>
#include <functional>
#include <memory>

#include "engine/tensor.hpp"

// Note [saved tensor hooks]
// While a SavedTensorsHooksGuard lives, every tensor an op saves for backward on this thread is
// given to the innermost guard's `pack`, and the SavedTensor keeps what pack returns instead of
// the tensor; backward gets the tensor back from `unpack` (torch.autograd.graph.
// saved_tensors_hooks). Uses: keep saved tensors elsewhere (compressed, on another device), or
// drop them and recompute them (activation checkpointing, engine/autograd/checkpoint.hpp).
// - Every saved tensor is packed, leaves included; a leaf that requires grad (a parameter) is also
//   kept as itself, since its gradient must reach it: backward uses the leaf, not unpack's result.
// - unpack must return a tensor with the packed tensor's shape, dtype and device (checked). The
//   version check of saved tensors is skipped for packed tensors, as in PyTorch: the hooks own
//   what they keep.
// - The hooks are per thread: workers of meta_batch or a thread pool do not see a guard installed
//   on the calling thread.
// - The SavedTensor holds the hooks (shared) until it is released, so an unpack may run after the
//   guard is gone (in backward).

namespace metagrad {
/// \addtogroup engine_autograd
/// @{

/// What an op's saved tensor becomes while hooks are installed: the value `pack` returns.
using PackHook = std::function<std::any(const Tensor&)>;
/// Gives back the saved tensor from what `pack` returned (same shape, dtype and device).
using UnpackHook = std::function<Tensor(const std::any&)>;

/// A pack / unpack pair (torch.autograd.graph.saved_tensors_hooks' two functions).
struct SavedTensorHooks {
  /// Called when an op saves a tensor for backward (in forward, or in a recorded backward).
  PackHook pack;
  /// Called when backward needs the tensor.
  UnpackHook unpack;
};

/// Installs `pack` and `unpack` for the tensors saved on this thread while the guard lives
/// (torch.autograd.graph.saved_tensors_hooks); guards nest, the innermost wins. See Note [saved
/// tensor hooks]. Destroy guards in reverse order of creation (scopes do).
class SavedTensorsHooksGuard {
 public:
  /// Installs the pair; both must be callable.
  SavedTensorsHooksGuard(PackHook pack, UnpackHook unpack);
  ~SavedTensorsHooksGuard();
  SavedTensorsHooksGuard(const SavedTensorsHooksGuard&) = delete;
  SavedTensorsHooksGuard& operator=(const SavedTensorsHooksGuard&) = delete;

 private:
  std::shared_ptr<const SavedTensorHooks> hooks_;
  const std::shared_ptr<const SavedTensorHooks>* previous_;
};

/// The innermost hooks installed on this thread, or null when none are.
const std::shared_ptr<const SavedTensorHooks>* current_saved_tensor_hooks();

/// @}
}  // namespace metagrad
