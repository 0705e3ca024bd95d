#include "engine/autograd/function.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>

namespace metagrad {

TensorList LambdaNode::apply(const TensorList& grad_outputs) {
  TensorList result;
  MG_CHECK(call(grad_outputs, result),
           "{}: trying to backward through the graph a second time (or to access saved tensors "
           "after they have already been freed). Saved intermediate values of the graph are freed "
           "when you call backward() or grad(). Specify retain_graph=true if you need to backward "
           "through the graph a second time",
           name_);
  return result;
}

void LambdaNode::release_saved() {
  drop_lambda();
  for (int i = 0; i < n_saved_; ++i) saved_[i] = {};
  n_saved_ = 0;
}

std::vector<std::pair<std::string, Tensor>> LambdaNode::saved_for_display() const {
  std::vector<std::pair<std::string, Tensor>> out;
  out.reserve(static_cast<size_t>(n_saved_));
  for (int i = 0; i < n_saved_; ++i)
    out.emplace_back(std::string(saved_[i].first), saved_[i].second);
  return out;
}

void LambdaNode::describe_saved(std::initializer_list<NamedSaved> saved) {
  for (const NamedSaved& s : saved)
    if (s.saved.data().defined() && n_saved_ < kMaxDisplayed)
      saved_[n_saved_++] = {s.name, s.saved.data()};
}

NodeAttr::NodeAttr(const char* name, std::span<const int64_t> values)
    : name(name), kind(Kind::dims), dims{} {
  num_dims = static_cast<uint8_t>(std::min<size_t>(values.size(), kMaxDims));
  for (int i = 0; i < num_dims; ++i)
    dims[i] = static_cast<int8_t>(std::clamp<int64_t>(values[i], -128, 127));
}

std::string NodeAttr::str() const {
  switch (kind) {
    case Kind::integer:
      return std::to_string(integer);
    case Kind::real:  // Python's repr: 2.0, 0.5, 1e-05
      return std::isfinite(real) && real == std::floor(real) && std::fabs(real) < 1e16
                 ? fmt::format("{:.1f}", real)
                 : fmt::format("{}", real);
    case Kind::flag:
      return flag ? "True" : "False";
    case Kind::dims: {
      // Python's tuple: (), (0,), (0, 2)
      std::string out = "(";
      for (int i = 0; i < num_dims; ++i) out += (i > 0 ? ", " : "") + std::to_string(dims[i]);
      return out + (num_dims == 1 ? ",)" : ")");
    }
  }
  return {};
}

std::vector<std::pair<std::string, std::string>> LambdaNode::attributes_for_display() const {
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(static_cast<size_t>(n_attrs_));
  for (int i = 0; i < n_attrs_; ++i) out.emplace_back(attrs_[i].name, attrs_[i].str());
  return out;
}

void LambdaNode::describe_attrs(std::initializer_list<NodeAttr> attrs) {
  for (const NodeAttr& a : attrs)
    if (n_attrs_ < kMaxAttrs) attrs_[n_attrs_++] = a;
}

void describe_attrs(const std::shared_ptr<Node>& node, std::initializer_list<NodeAttr> attrs) {
  if (auto* lambda = dynamic_cast<LambdaNode*>(node.get())) lambda->describe_attrs(attrs);
}

void collect_next_edges(Node& node, std::span<const Tensor> inputs) {
  node.next_edges().reserve(inputs.size());
  node.input_meta().reserve(inputs.size());
  for (const Tensor& t : inputs) {
    node.next_edges().push_back(gradient_edge(t));
    node.input_meta().push_back(t.defined() ? TensorMeta::of(t) : TensorMeta{});
  }
}

void set_history(const std::shared_ptr<Node>& node, std::span<const Tensor> outputs) {
  node->output_meta().reserve(outputs.size());
  for (size_t i = 0; i < outputs.size(); ++i) {
    const Tensor& out = outputs[i];
    node->output_meta().push_back(TensorMeta::of(out));
    if (!is_floating(out.dtype())) continue;  // integer outputs (indices) carry no gradient
    AutogradMeta& meta = out.impl()->ensure_autograd();
    meta.requires_grad = true;
    meta.grad_fn = node;
    meta.output_nr = static_cast<uint32_t>(i);
    meta.history_version = out.version();
  }
}

}  // namespace metagrad
