#include "engine/autograd/node.hpp"

#include <atomic>
#include <cstdint>
#include <string>

#include "engine/autograd/saved_tensor_hooks.hpp"
#include "engine/autograd/view_history.hpp"
#include "engine/grad_mode.hpp"
#include "engine/ops.hpp"
#include "engine/tensor.hpp"

namespace metagrad {
namespace {
std::atomic<uint64_t> next_sequence_nr{0};
}  // namespace

Node::Node() : sequence_nr_(next_sequence_nr.fetch_add(1, std::memory_order_relaxed)) {}

namespace {
// The per-thread stack of nodes waiting to be dismantled (see ~Node). Trivially constructible and
// destructible, so that reaching it costs one TLS lookup and no guard: the stack's vector is
// created on first use and freed at thread exit by a TeardownReleaser; nodes freed after that
// (static tensors) fall back to a local stack.
struct TeardownStack {
  enum State : unsigned char { kUnused, kLive, kGone };
  std::vector<std::shared_ptr<Node>>* pending;
  bool draining;
  State state;
};
thread_local TeardownStack teardown;

struct TeardownReleaser {
  ~TeardownReleaser() {
    TeardownStack& stack = teardown;
    stack.state = TeardownStack::kGone;
    delete stack.pending;
    stack.pending = nullptr;
  }
};
thread_local TeardownReleaser teardown_releaser;

// This thread's teardown stack, or null once it was released at thread exit.
TeardownStack* live_teardown_stack() {
  TeardownStack* stack = &teardown;
  // One TLS lookup: without this barrier GCC repeats the __tls_get_addr call at every use.
  asm("" : "+r"(stack));
  if (stack->state == TeardownStack::kLive) [[likely]]
    return stack;
  if (stack->state == TeardownStack::kGone) return nullptr;
  (void)&teardown_releaser;  // constructs it, so that its destructor runs at thread exit
  stack->pending = new std::vector<std::shared_ptr<Node>>();
  stack->state = TeardownStack::kLive;
  return stack;
}

void drain(std::vector<std::shared_ptr<Node>>& pending) {
  while (!pending.empty()) {
    std::shared_ptr<Node> node = std::move(pending.back());
    pending.pop_back();
    node.reset();  // its destructor pushes its own uniquely owned predecessors
  }
}

// True when this node is the last owner of some predecessor.
bool owns_a_predecessor(const Node::EdgeList& edges) {
  for (const Edge& e : edges)
    if (e.node && e.node.use_count() == 1) return true;
  return false;
}
}  // namespace

Node::~Node() {
  // Predecessors whose last owner we are are dismantled by the outermost destructor's loop, so
  // that a chain of 10^6 nodes is freed iteratively rather than by 10^6 nested destructors. The
  // stack is per thread and reused: no allocation per node.
  if (!owns_a_predecessor(next_edges_)) return;
  TeardownStack* stack = live_teardown_stack();
  if (stack == nullptr) {
    std::vector<std::shared_ptr<Node>> local;
    for (Edge& e : next_edges_)
      if (e.node && e.node.use_count() == 1) local.push_back(std::move(e.node));
    while (!local.empty()) {
      std::shared_ptr<Node> node = std::move(local.back());
      local.pop_back();
      for (Edge& e : node->next_edges_)
        if (e.node && e.node.use_count() == 1) local.push_back(std::move(e.node));
    }
    return;
  }
  for (Edge& e : next_edges_)
    if (e.node && e.node.use_count() == 1) stack->pending->push_back(std::move(e.node));
  if (stack->draining) return;
  stack->draining = true;
  drain(*stack->pending);
  stack->draining = false;
}

namespace {
// A hook may replace a gradient only by one of the same shape, dtype and device (as PyTorch):
// anything else would reach the next node, or a leaf's .grad, silently wrong.
// `node` is null for a leaf's hook.
void check_hook_result(const Tensor& original, const Tensor& replaced, const Node* node,
                       uint32_t slot) {
  if (replaced.shape() == original.shape() && replaced.dtype() == original.dtype() &&
      replaced.device() == original.device())
    return;
  const std::string where =
      node ? fmt::format("output {} of {}", slot, node->name()) : std::string("a leaf tensor");
  MG_FAIL(
      "register_hook: the hook on {} returned a {} tensor of shape {} on {}, expected {} {} "
      "on {} (the gradient it replaces); a hook must return a tensor of the gradient's "
      "shape, dtype and device, or an undefined Tensor to keep the gradient",
      where, dtype_name(replaced.dtype()), shape_str(replaced.shape()), replaced.device().str(),
      dtype_name(original.dtype()), shape_str(original.shape()), original.device().str());
}
}  // namespace

void Node::run_pre_hooks(TensorList& grads) const {
  for (const auto& [slot, hook] : pre_hooks_) {
    if (slot >= grads.size() || !grads[slot].defined()) continue;
    Tensor replaced = hook(grads[slot]);
    if (!replaced.defined()) continue;
    check_hook_result(grads[slot], replaced, this, slot);
    grads[slot] = replaced;
  }
}

namespace {
// Stripes of Note [leaf locks], each on its own cache line.
constexpr int kLeafLockBits = 6;
constexpr size_t kLeafLockStripes = size_t{1} << kLeafLockBits;
struct alignas(64) LeafLockStripe {
  std::mutex mutex;
};
LeafLockStripe leaf_lock_stripes[kLeafLockStripes];
}  // namespace

std::mutex& leaf_lock(const TensorImpl* impl) {
  // Fibonacci hashing of the address (the low bits are alignment).
  const auto key = reinterpret_cast<std::uintptr_t>(impl) >> 4;
  const auto stripe = static_cast<size_t>((key * 0x9E3779B97F4A7C15ULL) >> (64 - kLeafLockBits));
  return leaf_lock_stripes[stripe].mutex;
}

void update_grad(TensorImpl& impl, const std::function<Tensor(const Tensor&)>& combine) {
  std::mutex& mutex = leaf_lock(&impl);
  AutogradMeta* meta = nullptr;
  Tensor current;
  {
    std::lock_guard lock(mutex);
    meta = &impl.ensure_autograd();
    current = meta->grad;
  }
  for (;;) {
    Tensor updated = combine(current);
    Tensor replaced;  // the old .grad is released after the lock
    {
      std::lock_guard lock(mutex);
      if (meta->grad.is_same(current)) {
        replaced = std::move(meta->grad);
        meta->grad = std::move(updated);
        return;
      }
      current = meta->grad;
    }
  }
}

AccumulateGrad::AccumulateGrad(const std::shared_ptr<TensorImpl>& leaf) : leaf_(leaf) {
  is_accumulate_grad_ = true;
  output_meta().push_back(TensorMeta::of(Tensor(leaf)));
}

// d(leaf.grad)/d(incoming) = identity: .grad += incoming, out of place so history is kept.
TensorList AccumulateGrad::apply(const TensorList& grad_outputs) {
  const std::shared_ptr<TensorImpl> leaf = leaf_.lock();
  if (!leaf) return {};
  const Tensor& incoming = grad_outputs[0];
  const bool record = is_grad_enabled();
  update_grad(*leaf, [&](const Tensor& current) {
    if (!current.defined()) return record ? incoming : incoming.detach();
    return record ? current + incoming : (current + incoming).detach();
  });
  return {};
}

void AccumulateGrad::run_pre_hooks(TensorList& grads) const {
  if (!grads[0].defined()) return;
  const std::shared_ptr<TensorImpl> leaf = leaf_.lock();
  const AutogradMeta* meta = leaf ? leaf->autograd() : nullptr;
  if (!meta) return;
  std::vector<GradHook> hooks;
  {
    std::lock_guard lock(leaf_lock(leaf.get()));
    if (meta->hooks.empty()) return;
    hooks = meta->hooks;
  }
  for (const GradHook& hook : hooks) {
    Tensor replaced = hook(grads[0]);
    if (!replaced.defined()) continue;
    check_hook_result(grads[0], replaced, nullptr, 0);
    grads[0] = replaced;
  }
}

std::shared_ptr<Node> grad_accumulator(const Tensor& leaf) {
  AutogradMeta& meta = leaf.impl()->ensure_autograd();
  if (meta.has_grad_accumulator.load(std::memory_order_acquire)) return meta.grad_accumulator;
  std::lock_guard lock(leaf_lock(leaf.impl()));
  if (!meta.grad_accumulator) {
    meta.grad_accumulator = std::make_shared<AccumulateGrad>(leaf.impl_ptr());
    meta.has_grad_accumulator.store(true, std::memory_order_release);
  }
  return meta.grad_accumulator;
}

Edge gradient_edge(const Tensor& t) {
  if (!t.defined() || !t.requires_grad()) return {};
  refresh_view_history(t);
  const AutogradMeta* meta = t.impl()->autograd();
  if (meta->grad_fn) return {meta->grad_fn, meta->output_nr};
  return {grad_accumulator(t), 0};
}

SavedTensor::SavedTensor(const Tensor& t, bool is_output) : is_output_(is_output) {
  if (!t.defined()) return;
  if (!is_output) refresh_view_history(t);
  was_defined_ = true;
  version_ = t.version();
  // An output is saved before its node is attached: it will require grad and have a grad_fn.
  requires_grad_ = is_output || t.requires_grad();
  is_leaf_ = !is_output && t.is_leaf();
  output_nr_ = t.output_nr();
  if (!is_output && is_leaf_) {
    data_ = t;  // a leaf's identity matters: its AccumulateGrad must stay the same
  } else {
    data_ = t.detach();
    if (!is_output) grad_fn_ = t.grad_fn();
  }
  if (const auto* hooks = current_saved_tensor_hooks()) pack_with(*hooks);
}

// What a SavedTensor keeps while saved tensor hooks hold its data.
struct PackedSavedTensor {
  std::shared_ptr<const SavedTensorHooks> hooks;
  std::any value;
  Dims shape;
  DType dtype;
  Device device;
};

void SavedTensor::pack_with(const std::shared_ptr<const SavedTensorHooks>& hooks) {
  packed_ = std::make_shared<const PackedSavedTensor>(
      PackedSavedTensor{hooks, hooks->pack(data_), data_.shape(), data_.dtype(), data_.device()});
  // A leaf requiring grad stays itself (its gradient must reach it); the rest lives in the hooks.
  if (!(is_leaf_ && requires_grad_)) data_ = Tensor();
}

Tensor SavedTensor::unpack_hooked(const Node& owner) const {
  const PackedSavedTensor& packed = *packed_;
  Tensor data = packed.hooks->unpack(packed.value);
  MG_CHECK(data.defined() && data.shape() == packed.shape && data.dtype() == packed.dtype &&
               data.device() == packed.device,
           "{}: the unpack hook of saved tensor hooks returned {}; the packed tensor was {} {} on "
           "{}. Remedy: return a tensor with the packed tensor's shape, dtype and device",
           owner.name(),
           data.defined() ? fmt::format("{} {} on {}", dtype_name(data.dtype()),
                                        shape_str(data.shape()), data.device().str())
                          : std::string("an undefined tensor"),
           dtype_name(packed.dtype), shape_str(packed.shape), packed.device.str());
  return data.detach();
}

Tensor SavedTensor::unpack(const Node& owner) const {
  if (!was_defined_) return {};
  MG_CHECK(!released_,
           "{}: trying to backward through the graph a second time (or to access saved tensors "
           "after they have already been freed). Saved intermediate values of the graph are freed "
           "when you call backward() or grad(). Specify retain_graph=true if you need to backward "
           "through the graph a second time",
           owner.name());
  // Packed data: the hooks own it, so there is no version to check (as in PyTorch).
  const Tensor data = data_.defined() ? data_ : unpack_hooked(owner);
  MG_CHECK(!data_.defined() || data_.version() == version_,
           "{}: one of the tensors needed for gradient computation has been modified by an "
           "inplace operation: a {} tensor of shape {} is at version {}; expected version {} "
           "instead. Remedy: clone() the tensor before modifying it in place, or do the in-place "
           "operation after backward",
           owner.name(), dtype_name(data.dtype()), shape_str(data.shape()), data.version(),
           version_);
  if (!requires_grad_ || !is_grad_enabled() || (is_leaf_ && !is_output_)) return data;
  // Re-attach the history so that a recorded backward (create_graph) can flow through it.
  Tensor attached = make_view(data, data.shape(), data.strides(), data.storage_offset());
  AutogradMeta& meta = attached.impl()->ensure_autograd();
  meta.requires_grad = true;
  meta.output_nr = output_nr_;
  meta.grad_fn =
      is_output_ ? std::const_pointer_cast<Node>(owner.shared_from_this()) : grad_fn_.lock();
  return attached;
}

void SavedTensor::release() {
  if (!was_defined_) return;
  data_ = Tensor();
  packed_.reset();
  released_ = true;
}

}  // namespace metagrad
