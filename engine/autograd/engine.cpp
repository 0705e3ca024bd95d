#include "engine/autograd/engine.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <queue>
#include <utility>
#include <vector>

#include "engine/autograd/node.hpp"
#include "engine/grad_mode.hpp"
#include "engine/ops.hpp"

namespace metagrad {
namespace {

// Note [pruning by sequence number]
// A node's edges are collected when it is created, to the grad_fns of its inputs, which existed
// before it: an edge to a node other than an AccumulateGrad always goes to a lower sequence number
// (an AccumulateGrad may be created while its first consumer collects its edges, so it can be
// younger than that consumer; it has no edges itself). So grad() skips every non-AccumulateGrad
// node older than all captured nodes: none of its paths can reach one. This keeps a MAML inner
// step's grad() to that step's graph instead of the whole unrolled history (as PyTorch's engine
// prunes by topological number). backward() accumulates into every leaf and walks everything.

// Per-node bookkeeping for one backward pass.
struct NodeTask {
  Node* node = nullptr;
  SmallVector<Tensor, 1> buffer;  // summed incoming gradients, one slot per forward output
  int dependencies = 0;           // needed parents that have not run yet
  bool needed = false;            // on a path to a target
  bool execute = false;           // must run apply() (some child is needed, or it accumulates)
  bool visited = false;           // seen by discover()
  std::vector<std::pair<uint32_t, size_t>> captures;  // (slot, index into the result)
};

// Node -> index of its NodeTask: open addressing with linear probing over a power-of-two table,
// so that a backward pass allocates per growth of the table rather than per node.
class NodeIndex {
 public:
  static constexpr uint32_t kAbsent = UINT32_MAX;

  NodeIndex() : slots_(kInitialSlots) {}

  uint32_t find(const Node* node) const {
    for (size_t i = home(node);; i = (i + 1) & (slots_.size() - 1)) {
      if (slots_[i].node == node) return slots_[i].index;
      if (slots_[i].node == nullptr) return kAbsent;
    }
  }
  /// Inserts `node` (not present yet) with `index`.
  void insert(const Node* node, uint32_t index) {
    if (2 * (size_ + 1) > slots_.size()) grow();
    place(node, index);
    ++size_;
  }

 private:
  struct Slot {
    const Node* node = nullptr;
    uint32_t index = 0;
  };
  static constexpr size_t kInitialSlots = 256;

  size_t home(const Node* node) const {
    // Fibonacci hashing of the address (the low bits are alignment).
    const auto key = reinterpret_cast<std::uintptr_t>(node) >> 4;
    return static_cast<size_t>(key * 0x9E3779B97F4A7C15ULL) >> shift_;
  }
  void place(const Node* node, uint32_t index) {
    size_t i = home(node);
    while (slots_[i].node != nullptr) i = (i + 1) & (slots_.size() - 1);
    slots_[i] = {node, index};
  }
  void grow() {
    std::vector<Slot> old(slots_.size() * 2);
    old.swap(slots_);
    --shift_;
    for (const Slot& s : old)
      if (s.node != nullptr) place(s.node, s.index);
  }

  std::vector<Slot> slots_;
  size_t size_ = 0;
  int shift_ = 64 - 8;  // log2(kInitialSlots) bits of hash
};

struct ReadyOrder {
  bool operator()(const Node* a, const Node* b) const {
    return a->sequence_nr() < b->sequence_nr();
  }
};

class GraphTask {
 public:
  GraphTask(bool accumulate, bool keep_graph, bool create_graph)
      : accumulate_(accumulate), keep_graph_(keep_graph), create_graph_(create_graph) {
    tasks_.reserve(128);
  }

  void add_capture(const Edge& edge, size_t index) {
    tasks_[task_of(edge.node.get())].captures.emplace_back(edge.input_nr, index);
    const Node& node = *edge.node;
    min_sequence_nr_ =
        std::min(min_sequence_nr_, node.is_accumulate_grad() ? uint64_t{0} : node.sequence_nr());
  }

  TensorList run(const std::vector<Edge>& roots, const TensorList& root_grads, size_t n_captures) {
    captured_.assign(n_captures, Tensor());
    discover(roots);
    std::vector<Node*> heap;
    heap.reserve(64);
    std::priority_queue<Node*, std::vector<Node*>, ReadyOrder> ready(ReadyOrder{}, std::move(heap));
    for (size_t i = 0; i < roots.size(); ++i) {
      NodeTask& task = tasks_[index_.find(roots[i].node.get())];
      if (!task.needed) continue;
      accumulate_into(task, roots[i].input_nr, root_grads[i]);
    }
    for (const Edge& root : roots) {
      NodeTask& task = tasks_[index_.find(root.node.get())];
      if (task.needed && task.dependencies == 0 && !task.buffer.empty()) {
        ready.push(root.node.get());
        task.dependencies = -1;  // queued
      }
    }
    TensorList grads;  // reused for every node: no allocation per node
    while (!ready.empty()) {
      Node* node = ready.top();
      ready.pop();
      NodeTask& task = tasks_[index_.find(node)];
      grads.clear();
      for (Tensor& g : task.buffer) grads.push_back(std::move(g));
      task.buffer.clear();
      grads.resize(node->num_outputs());
      node->run_pre_hooks(grads);
      for (const auto& [slot, index] : task.captures) captured_[index] = grads[slot];
      if (!task.execute) continue;
      TensorList input_grads = call(*node, grads);
      grads.clear();  // the gradients of this node's outputs are not needed any more
      const auto& edges = node->next_edges();
      for (size_t i = 0; i < edges.size() && i < input_grads.size(); ++i) {
        const Edge& edge = edges[i];
        if (!edge.valid()) continue;
        const uint32_t index = index_.find(edge.node.get());
        if (index == NodeIndex::kAbsent || !tasks_[index].needed) continue;
        NodeTask& child = tasks_[index];
        if (input_grads[i].defined()) accumulate_into(child, edge.input_nr, input_grads[i]);
        if (--child.dependencies == 0) ready.push(edge.node.get());
      }
    }
    return std::move(captured_);
  }

 private:
  // The index of node's NodeTask, created on first use.
  uint32_t task_of(Node* node) {
    uint32_t index = index_.find(node);
    if (index != NodeIndex::kAbsent) return index;
    index = static_cast<uint32_t>(tasks_.size());
    tasks_.emplace_back().node = node;
    index_.insert(node, index);
    return index;
  }

  // False when no path from `node` leads to a captured node (Note [pruning by sequence number]).
  bool reaches_target(const Node& node) const {
    return accumulate_ || node.is_accumulate_grad() || node.sequence_nr() >= min_sequence_nr_;
  }

  // Marks the nodes on a path from the roots to a target (an AccumulateGrad in accumulate mode,
  // a capture otherwise) and counts, for each, its needed parents. Iterative post-order DFS.
  void discover(const std::vector<Edge>& roots) {
    struct Frame {
      Node* node;
      uint32_t index;
      uint32_t next_child;
    };
    std::vector<Frame> stack;
    stack.reserve(64);
    for (const Edge& root : roots) {
      const uint32_t root_index = task_of(root.node.get());
      if (!tasks_[root_index].visited) {
        tasks_[root_index].visited = true;
        stack.push_back({root.node.get(), root_index, 0});
      }
      while (!stack.empty()) {
        Frame& frame = stack.back();
        const auto& edges = frame.node->next_edges();
        if (frame.next_child < edges.size()) {
          Node* child = edges[frame.next_child++].node.get();
          if (child && reaches_target(*child)) {
            const uint32_t child_index = task_of(child);
            if (!tasks_[child_index].visited) {
              tasks_[child_index].visited = true;
              stack.push_back({child, child_index, 0});
            }
          }
          continue;
        }
        Node* node = frame.node;
        const uint32_t index = frame.index;
        stack.pop_back();
        bool any_child_needed = false;
        for (const Edge& e : edges) {
          if (!e.valid()) continue;
          const uint32_t child = index_.find(e.node.get());
          if (child != NodeIndex::kAbsent && tasks_[child].needed) any_child_needed = true;
        }
        NodeTask& task = tasks_[index];
        const bool is_sink = accumulate_ && node->is_accumulate_grad();
        task.execute = any_child_needed || is_sink;
        task.needed = task.execute || !task.captures.empty();
      }
    }
    for (const NodeTask& task : tasks_) {
      if (!task.needed || !task.execute) continue;
      for (const Edge& e : task.node->next_edges()) {
        if (!e.valid()) continue;
        const uint32_t child = index_.find(e.node.get());
        if (child != NodeIndex::kAbsent && tasks_[child].needed) ++tasks_[child].dependencies;
      }
    }
  }

  static void accumulate_into(NodeTask& task, uint32_t slot, const Tensor& g) {
    if (task.buffer.empty())
      for (int i = 0; i < task.node->num_outputs(); ++i) task.buffer.emplace_back();
    Tensor& cell = task.buffer[slot];
    cell = cell.defined() ? cell + g : g;
  }

  TensorList call(Node& node, TensorList& grads) {
    for (int i = 0; i < node.num_outputs(); ++i) {
      if (grads[i].defined()) continue;
      const TensorMeta& meta = node.output_meta()[i];
      grads[i] = zeros(meta.shape, TensorOptions(meta.dtype, meta.device));
    }
    TensorList result;
    const bool previous = is_grad_enabled();
    if (previous == create_graph_) {
      result = node.apply(grads);
    } else {
      set_grad_enabled(create_graph_);
      try {
        result = node.apply(grads);
      } catch (...) {
        set_grad_enabled(previous);
        throw;
      }
      set_grad_enabled(previous);
    }
    validate(node, result);
    if (!keep_graph_) node.release_saved();
    return result;
  }

  static void validate(const Node& node, const TensorList& result) {
    if (node.is_accumulate_grad()) return;
    MG_CHECK(result.size() == node.next_edges().size(),
             "{}: backward returned {} gradients, but the op has {} inputs", node.name(),
             result.size(), node.next_edges().size());
    for (size_t i = 0; i < result.size(); ++i) {
      const Tensor& g = result[i];
      if (!g.defined() || !node.next_edges()[i].valid()) continue;
      const TensorMeta& meta = node.input_meta()[i];
      MG_CHECK(g.shape() == meta.shape,
               "{}: backward returned a gradient of shape {} for input {}, which has shape {}",
               node.name(), shape_str(g.shape()), i, shape_str(meta.shape));
      MG_CHECK(g.dtype() == meta.dtype,
               "{}: backward returned a {} gradient for input {}, which is {}", node.name(),
               dtype_name(g.dtype()), i, dtype_name(meta.dtype));
      MG_CHECK(g.device() == meta.device,
               "{}: backward returned a gradient on {} for input {}, which is on {}", node.name(),
               g.device().str(), i, meta.device.str());
      if (is_anomaly_enabled()) {
        NoGradGuard no_grad;
        MG_CHECK(all(isfinite(g)).item<bool>(),
                 "anomaly detected: function '{}' returned non-finite values in its {}th output "
                 "(gradient of input {} of shape {})",
                 node.name(), i, i, shape_str(g.shape()));
      }
    }
  }

  bool accumulate_;
  // The lowest sequence number of a captured node; 0 when one is an AccumulateGrad.
  uint64_t min_sequence_nr_ = UINT64_MAX;
  bool keep_graph_;
  bool create_graph_;
  std::vector<NodeTask> tasks_;
  NodeIndex index_;
  TensorList captured_;
};

// Root edges and their initial gradients (ones for scalars), validated.
void prepare_roots(const char* api, const TensorList& outputs, const TensorList& grad_outputs,
                   std::vector<Edge>& roots, TensorList& root_grads) {
  MG_CHECK(!outputs.empty(), "{}: no outputs to differentiate", api);
  MG_CHECK(grad_outputs.empty() || grad_outputs.size() == outputs.size(),
           "{}: got {} outputs but {} grad_outputs; pass one per output (or none for scalars)", api,
           outputs.size(), grad_outputs.size());
  for (size_t i = 0; i < outputs.size(); ++i) {
    const Tensor& out = outputs[i];
    MG_CHECK(out.defined(), "{}: output {} is an undefined tensor", api, i);
    MG_CHECK(out.requires_grad(),
             "{}: element {} of tensors does not require grad and does not have a grad_fn "
             "(it was computed from tensors that do not require grad, or under NoGradGuard)",
             api, i);
    Tensor g = grad_outputs.empty() ? Tensor() : grad_outputs[i];
    if (!g.defined()) {
      MG_CHECK(out.numel() == 1,
               "{}: grad can be implicitly created only for scalar outputs, but output {} has "
               "shape {}; pass grad_outputs (e.g. ones_like(output))",
               api, i, shape_str(out.shape()));
      g = ones_like(out);
    } else {
      MG_CHECK(g.shape() == out.shape(),
               "{}: grad_outputs[{}] has shape {} but output {} has shape {}", api, i,
               shape_str(g.shape()), i, shape_str(out.shape()));
      MG_CHECK(g.dtype() == out.dtype(), "{}: grad_outputs[{}] is {} but output {} is {}", api, i,
               dtype_name(g.dtype()), i, dtype_name(out.dtype()));
    }
    roots.push_back(gradient_edge(out));
    root_grads.push_back(g);
  }
}

// .grad += g for backward(inputs=...), thread-safe as AccumulateGrad (Note [leaf locks]).
void accumulate_grad(const Tensor& t, const Tensor& g, bool create_graph) {
  update_grad(*t.impl(), [&](const Tensor& current) {
    Tensor sum = current.defined() ? current + g : g;
    return create_graph ? sum : sum.detach();
  });
}

}  // namespace

TensorList grad(const TensorList& outputs, const TensorList& inputs, const TensorList& grad_outputs,
                GradOptions options) {
  std::vector<Edge> roots;
  TensorList root_grads;
  prepare_roots("grad", outputs, grad_outputs, roots, root_grads);
  GraphTask task(false, options.retain_graph.value_or(options.create_graph), options.create_graph);
  for (size_t i = 0; i < inputs.size(); ++i) {
    MG_CHECK(inputs[i].defined() && inputs[i].requires_grad(),
             "grad: input {} does not require grad; differentiate only with respect to tensors "
             "created with requires_grad (or results computed from them)",
             i);
    task.add_capture(gradient_edge(inputs[i]), i);
  }
  TensorList result = task.run(roots, root_grads, inputs.size());
  for (size_t i = 0; i < result.size(); ++i) {
    if (!result[i].defined()) {
      MG_CHECK(options.allow_unused,
               "grad: input {} (shape {}) appears to not have been used in the graph; set "
               "allow_unused=true if this is the desired behavior",
               i, shape_str(inputs[i].shape()));
    } else if (!options.create_graph) {
      result[i] = result[i].detach();
    }
  }
  return result;
}

void backward(const TensorList& outputs, const TensorList& grad_outputs, GradOptions options,
              const TensorList& inputs) {
  if (!inputs.empty()) {
    GradOptions inner = options;
    inner.allow_unused = true;
    TensorList grads = grad(outputs, inputs, grad_outputs, inner);
    for (size_t i = 0; i < inputs.size(); ++i)
      if (grads[i].defined()) accumulate_grad(inputs[i], grads[i], options.create_graph);
    return;
  }
  std::vector<Edge> roots;
  TensorList root_grads;
  prepare_roots("backward", outputs, grad_outputs, roots, root_grads);
  GraphTask task(true, options.retain_graph.value_or(options.create_graph), options.create_graph);
  task.run(roots, root_grads, 0);
}

}  // namespace metagrad
