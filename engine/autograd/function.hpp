#pragma once

#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

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

/// A tensor saved by a backward lambda, with the name make_dot shows for it ("self", "other").
struct NamedSaved {
  std::string_view name;
  const SavedTensor& saved;
};

/// A node whose backward is a lambda (what `record` creates).
class LambdaNode final : public Node {
 public:
  LambdaNode(std::string name, BackwardFn fn) : name_(std::move(name)), fn_(std::move(fn)) {}
  std::string name() const override { return name_; }
  TensorList apply(const TensorList& grad_outputs) override;
  /// Drops the lambda (and the tensors it captured) and the display handles.
  void release_saved() override;
  /// The tensors named through `describe_saved`, without history; empty once released.
  std::vector<std::pair<std::string, Tensor>> saved_for_display() const override {
    return saved_;
  }
  /// Names the tensors the backward lambda saved, for display (see Note [recording an op]).
  void describe_saved(std::initializer_list<NamedSaved> saved);

 private:
  std::string name_;
  BackwardFn fn_;
  std::vector<std::pair<std::string, Tensor>> saved_;
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
/// `outputs` (which must be fresh results without history). `saved` optionally names the tensors
/// `backward` saved, for make_dot (Note [recording an op]). Returns the node.
std::shared_ptr<Node> record(std::string name, const TensorList& inputs,
                             const TensorList& outputs, BackwardFn backward,
                             std::initializer_list<NamedSaved> saved = {});

/// Makes `node` the grad_fn of `outputs` (output i -> slot i) and records their metadata.
void set_history(const std::shared_ptr<Node>& node, const TensorList& outputs);

/// Adds edges and input metadata for `inputs` to `node`.
void collect_next_edges(Node& node, const TensorList& inputs);

}  // namespace metagrad
