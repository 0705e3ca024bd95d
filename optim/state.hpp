#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/tensor.hpp"

namespace metagrad {
/// \addtogroup optim
/// @{

// Note [optimizer state]
// An OptState is a plain value: a kind name (the TorchOpt state class it mirrors, e.g.
// "ScaleByAdamState"), named tensor lists with one tensor per parameter ("mu", "nu"), named int64
// counters ("count"), and child states for combinators (chain, masked, multi_transform). Nothing
// lives in closures, so a state can be listed, cloned, detached, saved and loaded, and
// re-initialising really resets it. Flat names are "<child index>.<field>.<param index>", e.g.
// "1.mu.0" for the first moment of parameter 0 in the second transformation of a chain; counters
// are "<child index>.<name>", e.g. "1.count". Copying an OptState copies tensor handles (cheap):
// an out-of-place update replaces the state's tensors, so a copy taken before it keeps the old
// values; an in-place update writes into them, so use clone() to keep a snapshot.

/// The state of a gradient transformation (Note [optimizer state]).
struct OptState {
  /// The TorchOpt state class this mirrors ("EmptyState", "ScaleByAdamState", "ChainState", ...).
  std::string kind = "EmptyState";
  /// Named per-parameter tensor lists, in insertion order.
  std::vector<std::pair<std::string, TensorList>> tensors;
  /// Named integer counters (step counts), in insertion order.
  std::vector<std::pair<std::string, int64_t>> counters;
  /// Sub-states of combinators, in order.
  std::vector<OptState> children;

  /// The tensor list `name`; throws naming the kind when absent.
  TensorList& tensor_list(std::string_view name);
  /// \overload
  const TensorList& tensor_list(std::string_view name) const;
  /// The counter `name`; throws naming the kind when absent.
  int64_t& counter(std::string_view name);
  /// \overload
  int64_t counter(std::string_view name) const;

  /// Every tensor with its flat name ("1.mu.0"), depth first (undefined tensors are skipped).
  std::vector<std::pair<std::string, Tensor>> named_tensors() const;
  /// Every counter with its flat name ("1.count"), depth first.
  std::vector<std::pair<std::string, int64_t>> named_counters() const;
  /// A deep copy: tensors with history are cloned into the graph (clone() keeps history), leaves
  /// are copied into new leaves with the same requires_grad; counters copied.
  OptState clone() const;
  /// A copy whose tensors are detached (sharing storage): cuts the meta-graph. Like TorchOpt's
  /// stop_gradient, a tensor that required grad becomes a leaf that still requires grad.
  OptState detached() const;
  /// Detaches every tensor of this state in place (Tensor::detach_, requires_grad kept): every
  /// handle to these tensors, such as the optimizer's own state, sees the cut.
  void detach_();
  /// A copy with every tensor moved to `device` (leaves stay leaves with their requires_grad;
  /// tensors with history are copied differentiably).
  OptState to(Device device) const;
  /// True when both have the same kinds, names, list lengths, tensor shapes/dtypes and children.
  bool same_structure(const OptState& other) const;
  /// Replaces this state's tensors and counters by the entries with the same flat names (as
  /// named_tensors() / named_counters() list them). Every name of this state must be present,
  /// with the same shape and dtype, and no unknown name may appear; otherwise it throws naming
  /// the offending entry and changes nothing. Loaded tensors are detached, moved to the device of
  /// the tensor they replace and require grad when it did.
  void load(const std::vector<std::pair<std::string, Tensor>>& named_tensors,
            const std::vector<std::pair<std::string, int64_t>>& named_counters);
};

/// @}

}  // namespace metagrad
