#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/small_vector.hpp"
#include "engine/tensor.hpp"

namespace metagrad {

class Node;

/// Where a gradient goes: input slot `input_nr` of `node` (null node: the input needs no grad).
struct Edge {
  std::shared_ptr<Node> node;
  uint32_t input_nr = 0;
  bool valid() const { return node != nullptr; }
};

/// Shape, dtype and device of a tensor, kept by nodes to validate and materialise gradients.
struct TensorMeta {
  Dims shape;
  DType dtype = kFloat32;
  Device device = kCPU;
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

  /// Creation order; the engine runs later nodes first.
  uint64_t sequence_nr() const { return sequence_nr_; }
  const EdgeList& next_edges() const { return next_edges_; }
  EdgeList& next_edges() { return next_edges_; }
  const MetaList& input_meta() const { return input_meta_; }
  MetaList& input_meta() { return input_meta_; }
  const MetaList& output_meta() const { return output_meta_; }
  MetaList& output_meta() { return output_meta_; }
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
  bool is_accumulate_grad_ = false;
};

/// The sink of a leaf that requires grad: backward() adds the incoming gradient to the leaf's
/// .grad; grad() reads its input slot instead of running it.
class AccumulateGrad final : public Node {
 public:
  explicit AccumulateGrad(std::shared_ptr<TensorImpl> leaf);
  std::string name() const override { return "AccumulateGrad"; }
  TensorList apply(const TensorList& grad_outputs) override;
  void run_pre_hooks(TensorList& grads) const override;
  /// The leaf this node accumulates into.
  Tensor variable() const { return Tensor(leaf_); }

 private:
  std::shared_ptr<TensorImpl> leaf_;
};

/// The AccumulateGrad of a leaf requiring grad (created on first use).
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
  /// The data without any history (for display); undefined after release.
  const Tensor& data() const { return data_; }

 private:
  Tensor data_;
  std::weak_ptr<Node> grad_fn_;
  uint64_t version_ = 0;
  uint32_t output_nr_ = 0;
  bool is_output_ = false;
  bool is_leaf_ = false;
  bool requires_grad_ = false;
  bool was_defined_ = false;
  bool released_ = false;
};

}  // namespace metagrad
