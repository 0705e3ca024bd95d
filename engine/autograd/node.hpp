#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "engine/small_vector.hpp"
#include "engine/tensor.hpp"

namespace metagrad {
/// \addtogroup engine_autograd
/// @{

class Node;
struct PackedSavedTensor;
struct SavedTensorHooks;

/// Where a gradient goes: input slot `input_nr` of `node` (null node: the input needs no grad).
struct Edge {
  /// The node (null when the input needs no grad).
  std::shared_ptr<Node> node;
  /// The input slot of `node`.
  uint32_t input_nr = 0;
  /// True when the edge leads to a node.
  bool valid() const { return node != nullptr; }
};

/// Shape, dtype and device of a tensor, kept by nodes to validate and materialise gradients.
struct TensorMeta {
  /// The shape.
  Dims shape;
  /// The dtype.
  DType dtype = kFloat32;
  /// The device.
  Device device = kCPU;
  /// The metadata of `t`.
  static TensorMeta of(const Tensor& t) { return {t.shape(), t.dtype(), t.device()}; }
};

/// A backward function in the autograd graph. Slot i of its input buffer receives the gradient
/// of forward output i; apply() returns one gradient per forward input (next edge), undefined
/// where that input needs none. Nodes are created by ops through `record` (function.hpp).
class Node : public std::enable_shared_from_this<Node> {
 public:
  /// Edges and metadata live inside the node for up to two inputs and outputs (most ops), so
  /// recording allocates only the node itself.
  using EdgeList = SmallVector<Edge, 2>;
  /// \copydoc EdgeList
  using MetaList = SmallVector<TensorMeta, 2>;

  Node();
  /// Releases the chain of predecessors iteratively (no recursion on long graphs).
  virtual ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  /// The op name shown in errors and graphs ("MulBackward").
  virtual std::string name() const = 0;
  /// Gradients of the forward inputs given those of the forward outputs (never undefined here:
  /// the engine fills missing ones with zeros). Runs with grad mode = create_graph.
  virtual TensorList apply(const TensorList& grad_outputs) = 0;
  /// Drops saved tensors after a backward without retain_graph.
  virtual void release_saved() {}
  /// Saved tensors by name, for make_dot (optional).
  virtual std::vector<std::pair<std::string, Tensor>> saved_for_display() const { return {}; }
  /// The op's non-tensor arguments as (name, value) text, for make_dot's show_attrs (optional).
  virtual std::vector<std::pair<std::string, std::string>> attributes_for_display() const {
    return {};
  }
  /// The tensors a custom function saved with ctx.save_for_backward, without history (make_dot
  /// always shows them, as TorchOpt does); empty for built-in ops and once released.
  virtual TensorList custom_saved_tensors() const { return {}; }

  /// Creation order; the engine runs later nodes first.
  uint64_t sequence_nr() const { return sequence_nr_; }
  /// Where the gradient of each forward input goes, one edge per input.
  const EdgeList& next_edges() const { return next_edges_; }
  /// \overload
  EdgeList& next_edges() { return next_edges_; }
  /// Shape, dtype and device of each forward input.
  const MetaList& input_meta() const { return input_meta_; }
  /// \overload
  MetaList& input_meta() { return input_meta_; }
  /// Shape, dtype and device of each forward output (one input slot each).
  const MetaList& output_meta() const { return output_meta_; }
  /// \overload
  MetaList& output_meta() { return output_meta_; }
  /// The number of forward outputs.
  int num_outputs() const { return static_cast<int>(output_meta_.size()); }
  /// True for AccumulateGrad (the sink of a leaf).
  bool is_accumulate_grad() const { return is_accumulate_grad_; }

  /// A hook on the gradient of forward output `output_nr` (Tensor::register_hook on non-leaves).
  void add_pre_hook(uint32_t output_nr, GradHook hook) {
    pre_hooks_.emplace_back(output_nr, std::move(hook));
  }
  /// Applies the hooks of every slot to `grads` in registration order.
  virtual void run_pre_hooks(TensorList& grads) const;

 private:
  uint64_t sequence_nr_;
  EdgeList next_edges_;
  MetaList input_meta_;
  MetaList output_meta_;
  std::vector<std::pair<uint32_t, GradHook>> pre_hooks_;

 protected:
  /// Set by AccumulateGrad's constructor.
  bool is_accumulate_grad_ = false;
};

// Note [leaf locks]
// Several threads may run backward into one shared leaf at once (as in PyTorch): accumulation is
// thread-safe, only its order is unspecified. What threads share through a leaf is guarded by the
// leaf's lock, one mutex of a striped table keyed by the TensorImpl address (no mutex per tensor:
// most tensors are non-leaves that never need one):
// - the AccumulateGrad node is created once, under the lock, and kept for the leaf's lifetime; it
//   is published by AutogradMeta::has_grad_accumulator, so recording an op reads it with one
//   acquire load and no lock. The node refers back to its leaf weakly (no cycle through a
//   create_graph .grad whose history leads back to the node);
// - .grad is read and replaced under the lock (Tensor::grad, Tensor::set_grad). Accumulation
//   (update_grad) computes the new sum outside the lock and installs it only if .grad is still
//   the value it started from, else it retries with the new one. So no op, hook or allocation
//   runs while a leaf lock is held and no lock is ever taken inside another: no deadlock, even
//   when two leaves share a stripe;
// - leaf hooks are registered under the lock and run from a copy taken under it.
// retain_grad on a non-leaf fills its .grad through the same update_grad.

/// The lock guarding .grad, the leaf hooks and the AccumulateGrad of `impl` (Note [leaf locks]).
/// Never hold it while running an op or user code.
std::mutex& leaf_lock(const TensorImpl* impl);

/// Replaces the .grad of `impl` with `combine(current .grad)` (the current one may be undefined)
/// as one atomic step with respect to every other thread updating it (Note [leaf locks]).
/// `combine` runs without the lock, and runs again when another thread changed .grad meanwhile.
void update_grad(TensorImpl& impl, const std::function<Tensor(const Tensor&)>& combine);

/// The sink of a leaf that requires grad: backward() adds the incoming gradient to the leaf's
/// .grad; grad() reads its input slot instead of running it. One per leaf, owned by the leaf and
/// by the graphs that use it; it holds the leaf weakly (Note [leaf locks]).
class AccumulateGrad final : public Node {
 public:
  /// The sink of `leaf` (held weakly).
  explicit AccumulateGrad(const std::shared_ptr<TensorImpl>& leaf);
  std::string name() const override { return "AccumulateGrad"; }
  /// Adds the incoming gradient to the leaf's .grad (thread-safe); does nothing once the leaf is
  /// gone (nobody can read its .grad any more).
  TensorList apply(const TensorList& grad_outputs) override;
  void run_pre_hooks(TensorList& grads) const override;
  /// The leaf this node accumulates into; undefined once every handle to the leaf is gone.
  Tensor variable() const { return Tensor(leaf_.lock()); }

 private:
  std::weak_ptr<TensorImpl> leaf_;
};

/// The AccumulateGrad of a leaf requiring grad: created on first use, exactly once even when
/// several threads ask at the same time, and the same node for the leaf's whole lifetime.
std::shared_ptr<Node> grad_accumulator(const Tensor& leaf);

/// The edge that gradients of `t` flow into: (grad_fn, output_nr), the leaf's AccumulateGrad, or
/// an invalid edge when `t` does not require grad.
Edge gradient_edge(const Tensor& t);

/// A tensor saved for backward. Detects in-place modification (version check) and a second
/// backward after release. A saved non-leaf keeps only a weak link to its grad_fn (its owner node
/// holds the strong one through next_edges), and a saved output keeps none at all (that would be
/// a cycle): unpack() re-attaches the history when the backward itself is recorded.
class SavedTensor {
 public:
  SavedTensor() = default;
  /// Saves `t`; `is_output` when `t` is an output of the node that saves it.
  SavedTensor(const Tensor& t, bool is_output);

  /// The saved tensor. `owner` is the node that saved it. Throws when released or modified.
  Tensor unpack(const Node& owner) const;
  /// Drops the data (after backward without retain_graph).
  void release();
  /// The data without any history (for display); undefined after release, and while saved
  /// tensor hooks keep it (Note [saved tensor hooks]).
  const Tensor& data() const { return data_; }

 private:
  // Hands the saved data to the innermost saved tensor hooks (Note [saved tensor hooks]).
  void pack_with(const std::shared_ptr<const SavedTensorHooks>& hooks);
  // The data back from the hooks, checked against the packed tensor's shape, dtype and device.
  Tensor unpack_hooked(const Node& owner) const;

  Tensor data_;
  std::shared_ptr<const PackedSavedTensor> packed_;
  std::weak_ptr<Node> grad_fn_;
  uint64_t version_ = 0;
  uint32_t output_nr_ = 0;
  bool is_output_ = false;
  bool is_leaf_ = false;
  bool requires_grad_ = false;
  bool was_defined_ = false;
  bool released_ = false;
};

/// @}

}  // namespace metagrad
