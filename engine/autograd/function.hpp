#pragma once

#include <functional>
#include <initializer_list>
#include <string>
#include <utility>

#include "engine/autograd/node.hpp"
#include "engine/grad_mode.hpp"

// Note [recording an op]
// A differentiable op computes its outputs without history, then, when `needs_grad(inputs)`,
// calls `record(name, inputs, outputs, backward)`. The backward lambda captures what it needs —
// tensors through SavedTensor (never a raw Tensor of an output: that would be a cycle), scalars by
// value — and computes input gradients with public, differentiable ops only (DESIGN §3), so that
// every op has derivatives of every order. It returns one gradient per input (undefined where an
// input needs none) with the input's shape: reduce broadcasts with sum_to.

namespace metagrad {

/// Signature of a backward lambda: gradients of the outputs -> gradients of the inputs. `self` is
/// the node, needed to unpack saved tensors.
using BackwardFn = std::function<TensorList(const TensorList& grad_outputs, Node& self)>;

/// A node whose backward is a lambda (what `record` creates).
class LambdaNode final : public Node {
 public:
  LambdaNode(std::string name, BackwardFn fn) : name_(std::move(name)), fn_(std::move(fn)) {}
  std::string name() const override { return name_; }
  TensorList apply(const TensorList& grad_outputs) override;
  void release_saved() override { fn_ = nullptr; }

 private:
  std::string name_;
  BackwardFn fn_;
};

/// True when grad mode is on and some input requires grad: the op must record.
inline bool needs_grad(std::initializer_list<const Tensor*> inputs) {
  if (!is_grad_enabled()) return false;
  for (const Tensor* t : inputs)
    if (t->defined() && t->requires_grad()) return true;
  return false;
}
inline bool needs_grad(const Tensor& a) { return is_grad_enabled() && a.requires_grad(); }
inline bool needs_grad(const Tensor& a, const Tensor& b) { return needs_grad({&a, &b}); }
inline bool needs_grad(const TensorList& inputs) {
  if (!is_grad_enabled()) return false;
  for (const Tensor& t : inputs)
    if (t.defined() && t.requires_grad()) return true;
  return false;
}

/// Creates a node named `name` with `backward`, edges to `inputs`, and makes it the grad_fn of
/// `outputs` (which must be fresh results without history). Returns the node.
std::shared_ptr<Node> record(std::string name, const TensorList& inputs,
                             const TensorList& outputs, BackwardFn backward);

/// Makes `node` the grad_fn of `outputs` (output i -> slot i) and records their metadata.
void set_history(const std::shared_ptr<Node>& node, const TensorList& outputs);

/// Adds edges and input metadata for `inputs` to `node`.
void collect_next_edges(Node& node, const TensorList& inputs);

}  // namespace metagrad
