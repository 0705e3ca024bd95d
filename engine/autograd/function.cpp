#include "engine/autograd/function.hpp"

namespace metagrad {

TensorList LambdaNode::apply(const TensorList& grad_outputs) {
  MG_CHECK(fn_ != nullptr,
           "{}: trying to backward through the graph a second time (or to access saved tensors "
           "after they have already been freed). Saved intermediate values of the graph are freed "
           "when you call backward() or grad(). Specify retain_graph=true if you need to backward "
           "through the graph a second time",
           name_);
  return fn_(grad_outputs, *this);
}

void LambdaNode::release_saved() {
  fn_ = nullptr;
  saved_.clear();
}

void LambdaNode::describe_saved(std::initializer_list<NamedSaved> saved) {
  saved_.reserve(saved_.size() + saved.size());
  for (const NamedSaved& s : saved)
    if (s.saved.data().defined()) saved_.emplace_back(std::string(s.name), s.saved.data());
}

void collect_next_edges(Node& node, const TensorList& inputs) {
  node.next_edges().reserve(inputs.size());
  node.input_meta().reserve(inputs.size());
  for (const Tensor& t : inputs) {
    node.next_edges().push_back(gradient_edge(t));
    node.input_meta().push_back(t.defined() ? TensorMeta::of(t) : TensorMeta{});
  }
}

void set_history(const std::shared_ptr<Node>& node, const TensorList& outputs) {
  node->output_meta().reserve(outputs.size());
  for (size_t i = 0; i < outputs.size(); ++i) {
    const Tensor& out = outputs[i];
    node->output_meta().push_back(TensorMeta::of(out));
    if (!is_floating(out.dtype())) continue;  // integer outputs (indices) carry no gradient
    AutogradMeta& meta = out.impl()->ensure_autograd();
    meta.requires_grad = true;
    meta.grad_fn = node;
    meta.output_nr = static_cast<uint32_t>(i);
  }
}

std::shared_ptr<Node> record(std::string name, const TensorList& inputs,
                             const TensorList& outputs, BackwardFn backward,
                             std::initializer_list<NamedSaved> saved) {
  auto node = std::make_shared<LambdaNode>(std::move(name), std::move(backward));
  if (saved.size() > 0) node->describe_saved(saved);
  collect_next_edges(*node, inputs);
  set_history(node, outputs);
  return node;
}

}  // namespace metagrad
