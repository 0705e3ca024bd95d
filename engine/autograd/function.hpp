#pragma once

#include <functional>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/autograd/node.hpp"
#include "engine/autograd/view_history.hpp"
#include "engine/grad_mode.hpp"
#include "engine/pool_allocator.hpp"

// Note [recording an op]
// A differentiable op computes its outputs without history, then, when `needs_grad(inputs)`,
// calls `record(name, inputs, outputs, backward)`. The backward lambda captures what it needs —
// tensors through SavedTensor (never a raw Tensor of an output: that would be a cycle), scalars by
// value — and computes input gradients with public, differentiable ops only (DESIGN §3), so that
// every op has derivatives of every order. It returns one gradient per input (undefined where an
// input needs none) with the input's shape: reduce broadcasts with sum_to.

namespace metagrad {
/// \addtogroup engine_autograd
/// @{

/// Signature of a backward lambda: gradients of the outputs -> gradients of the inputs. `self` is
/// the node, needed to unpack saved tensors.
using BackwardFn = std::function<TensorList(const TensorList& grad_outputs, Node& self)>;

/// A tensor saved by a backward lambda, with the name make_dot shows for it ("self", "other").
/// The name must outlive the node (a string literal).
struct NamedSaved {
  /// The name make_dot shows.
  std::string_view name;
  /// The saved tensor.
  const SavedTensor& saved;
};

/// A non-tensor argument of an op, kept by its backward node for display (make_dot's show_attrs;
/// TorchOpt shows a node's non-tensor `_saved_` attributes the same way): an integer, a real
/// number, a flag, or a short list of dimensions. Fixed size, no allocation. `name` must outlive
/// the node (a string literal).
struct NodeAttr {
  /// Which member of the union holds the value.
  enum class Kind : uint8_t { integer, real, flag, dims };

  NodeAttr() : name(""), kind(Kind::integer), integer(0) {}
  /// An integer argument.
  NodeAttr(const char* name, int64_t value) : name(name), kind(Kind::integer), integer(value) {}
  /// An integer argument.
  NodeAttr(const char* name, int value) : NodeAttr(name, static_cast<int64_t>(value)) {}
  /// A real argument.
  NodeAttr(const char* name, double value) : name(name), kind(Kind::real), real(value) {}
  /// A flag.
  NodeAttr(const char* name, bool value) : name(name), kind(Kind::flag), flag(value) {}
  /// A list of dimensions (each in [-128, 127]); a longer list shows its first kMaxDims.
  NodeAttr(const char* name, std::span<const int64_t> dims);

  /// The value as PyTorch prints it: 3, 0.5, True, (0, 2).
  std::string str() const;

  /// The most dimensions kept.
  static constexpr int kMaxDims = 7;
  /// The argument's name.
  const char* name;
  /// What the value is.
  Kind kind;
  /// The number of dimensions kept (Kind::dims).
  uint8_t num_dims = 0;
  union {
    int64_t integer;
    double real;
    bool flag;
    int8_t dims[kMaxDims];
  };
};

/// A node whose backward is a lambda (what `record` creates). The lambda's type is kept (no
/// std::function), so recording an op costs one allocation for the node and its closure.
class LambdaNode : public Node {
 public:
  /// A node named `name` ("MulBackward0").
  explicit LambdaNode(std::string name) : name_(std::move(name)) {}
  std::string name() const override { return name_; }
  TensorList apply(const TensorList& grad_outputs) final;
  /// Drops the lambda (and the tensors it captured) and the display handles.
  void release_saved() final;
  /// The tensors named through `describe_saved`, without history; empty once released.
  std::vector<std::pair<std::string, Tensor>> saved_for_display() const final;
  /// Names the tensors the backward lambda saved, for display (at most kMaxDisplayed).
  void describe_saved(std::initializer_list<NamedSaved> saved);
  /// The op's non-tensor arguments, for display.
  std::vector<std::pair<std::string, std::string>> attributes_for_display() const final;
  /// Records the op's non-tensor arguments for display (at most kMaxAttrs; see NodeAttr).
  void describe_attrs(std::initializer_list<NodeAttr> attrs);

  /// The most saved tensors shown.
  static constexpr int kMaxDisplayed = 4;
  /// The most non-tensor arguments shown.
  static constexpr int kMaxAttrs = 3;

 protected:
  /// Runs the lambda; false when it was released.
  virtual bool call(const TensorList& grad_outputs, TensorList& result) = 0;
  /// Destroys the lambda and what it captured.
  virtual void drop_lambda() = 0;

 private:
  std::string name_;
  std::pair<std::string_view, Tensor> saved_[kMaxDisplayed];
  int n_saved_ = 0;
  int n_attrs_ = 0;
  NodeAttr attrs_[kMaxAttrs];
};

/// The LambdaNode holding a closure of type F.
template <typename F>
class LambdaNodeOf final : public LambdaNode {
 public:
  /// A node named `name` whose backward is `fn`.
  LambdaNodeOf(std::string name, F fn) : LambdaNode(std::move(name)), fn_(std::move(fn)) {}

 protected:
  bool call(const TensorList& grad_outputs, TensorList& result) override {
    if (!fn_) return false;
    result = (*fn_)(grad_outputs, *this);
    return true;
  }
  /// Destroys the lambda and what it captured.
  void drop_lambda() override { fn_.reset(); }

 private:
  std::optional<F> fn_;
};

/// True when grad mode is on and some input requires grad: the op must record.
inline bool needs_grad(std::initializer_list<const Tensor*> inputs) {
  if (!is_grad_enabled()) return false;
  for (const Tensor* t : inputs)
    if (t->defined() && t->requires_grad()) return true;
  return false;
}
/// \overload
inline bool needs_grad(const Tensor& a) { return is_grad_enabled() && a.requires_grad(); }
/// \overload
inline bool needs_grad(const Tensor& a, const Tensor& b) { return needs_grad({&a, &b}); }
/// \overload
inline bool needs_grad(const TensorList& inputs) {
  if (!is_grad_enabled()) return false;
  for (const Tensor& t : inputs)
    if (t.defined() && t.requires_grad()) return true;
  return false;
}

/// Makes `node` the grad_fn of `outputs` (output i -> slot i) and records their metadata.
void set_history(const std::shared_ptr<Node>& node, std::span<const Tensor> outputs);

/// Adds edges and input metadata for `inputs` to `node`.
void collect_next_edges(Node& node, std::span<const Tensor> inputs);

/// Creates a node named `name` with `backward` (a lambda `(const TensorList& grads, Node& self) ->
/// TensorList`), edges to `inputs`, and makes it the grad_fn of `outputs` (which must be fresh
/// results without history). `saved` optionally names the tensors `backward` saved, for make_dot
/// (Note [recording an op]). Returns the node.
template <typename F>
std::shared_ptr<Node> record(std::string name, std::span<const Tensor> inputs,
                             std::span<const Tensor> outputs, F&& backward,
                             std::initializer_list<NamedSaved> saved = {}) {
  refresh_view_histories(inputs);
  auto node =
      make_pooled<LambdaNodeOf<std::decay_t<F>>>(std::move(name), std::forward<F>(backward));
  if (saved.size() > 0) node->describe_saved(saved);
  collect_next_edges(*node, inputs);
  set_history(node, outputs);
  return node;
}
/// \overload
template <typename F>
std::shared_ptr<Node> record(std::string name, std::initializer_list<Tensor> inputs,
                             std::initializer_list<Tensor> outputs, F&& backward,
                             std::initializer_list<NamedSaved> saved = {}) {
  return record(std::move(name), std::span<const Tensor>(inputs.begin(), inputs.size()),
                std::span<const Tensor>(outputs.begin(), outputs.size()), std::forward<F>(backward),
                saved);
}
/// \overload
template <typename F>
std::shared_ptr<Node> record(std::string name, const TensorList& inputs, const TensorList& outputs,
                             F&& backward, std::initializer_list<NamedSaved> saved = {}) {
  return record(std::move(name), std::span<const Tensor>(inputs), std::span<const Tensor>(outputs),
                std::forward<F>(backward), saved);
}

/// Records the op's non-tensor arguments on `node` (a node made by `record`) for make_dot's
/// show_attrs: `describe_attrs(record(...), {{"dim", dims}, {"keepdim", keepdim}})`.
void describe_attrs(const std::shared_ptr<Node>& node, std::initializer_list<NodeAttr> attrs);

/// @}

}  // namespace metagrad
