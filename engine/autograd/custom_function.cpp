#include "engine/autograd/custom_function.hpp"

#include "engine/grad_mode.hpp"

namespace metagrad {

void CustomFunctionContext::save_for_backward(TensorList tensors) {
  MG_CHECK(!saved_wrapped_,
           "{}: save_for_backward can only be called in forward (the tensors are already saved)",
           name_);
  to_save_ = std::move(tensors);
}

TensorList CustomFunctionContext::saved_tensors() const {
  if (!saved_wrapped_) return to_save_;
  TensorList out;
  out.reserve(saved_.size());
  for (const SavedTensor& s : saved_) out.push_back(s.unpack(*owner_));
  return out;
}

/// The node of a recorded CustomFunction call: its backward is the function's backward.
class CustomFunctionNode final : public Node {
 public:
  CustomFunctionNode(std::shared_ptr<CustomFunction> fn, CustomFunctionContext ctx)
      : fn_(std::move(fn)), ctx_(std::move(ctx)) {}

  std::string name() const override { return ctx_.name_ + "Backward"; }

  TensorList apply(const TensorList& grad_outputs) override {
    TensorList grads = fn_->backward(ctx_, grad_outputs);
    MG_CHECK(grads.size() == next_edges().size(),
             "{}.backward returned {} gradient(s) but forward had {} input(s); return one per "
             "input (an undefined Tensor where an input needs no gradient)",
             ctx_.name_, grads.size(), next_edges().size());
    return grads;
  }

  void release_saved() override {
    for (SavedTensor& s : ctx_.saved_) s.release();
  }

  TensorList custom_saved_tensors() const override {
    TensorList out;
    out.reserve(ctx_.saved_.size());
    for (const SavedTensor& saved : ctx_.saved_) out.push_back(saved.data());
    return out;
  }

  CustomFunctionContext& ctx() { return ctx_; }

 private:
  std::shared_ptr<CustomFunction> fn_;
  CustomFunctionContext ctx_;
};

namespace {

bool contains(const TensorList& list, const Tensor& t) {
  for (const Tensor& x : list)
    if (x.is_same(t)) return true;
  return false;
}

// A new handle on t's data with no autograd state.
Tensor alias(const Tensor& t) { return make_view(t, t.shape(), t.strides(), t.storage_offset()); }

}  // namespace

TensorList CustomFunction::apply(std::shared_ptr<CustomFunction> fn, const TensorList& inputs) {
  MG_CHECK(fn != nullptr, "CustomFunction::apply: the function is null");
  CustomFunctionContext ctx;
  ctx.name_ = fn->name();
  const bool record = needs_grad(inputs);
  ctx.needs_input_grad_.reserve(inputs.size());
  for (const Tensor& t : inputs)
    ctx.needs_input_grad_.push_back(record && t.defined() && t.requires_grad());

  TensorList raw;
  {
    NoGradGuard no_grad;
    raw = fn->forward(ctx, inputs);
  }
  MG_CHECK(!raw.empty(), "{}.forward returned no outputs; return at least one tensor", ctx.name_);
  for (size_t i = 0; i < raw.size(); ++i)
    MG_CHECK(raw[i].defined(), "{}.forward returned an undefined tensor as output {}", ctx.name_,
             i);
  if (!record) return raw;

  // Differentiable outputs become fresh aliases (so an input or a tensor returned twice never has
  // its own history overwritten) owned by the node; so do non-differentiable outputs that are
  // inputs, which must not keep the input's requires_grad.
  std::vector<bool> differentiable(raw.size());
  TensorList outputs(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    differentiable[i] = is_floating(raw[i].dtype()) && !contains(ctx.non_differentiable_, raw[i]);
    outputs[i] = differentiable[i] || contains(inputs, raw[i]) ? alias(raw[i]) : raw[i];
  }
  for (const Tensor& t : ctx.non_differentiable_)
    MG_CHECK(contains(raw, t),
             "{}: mark_non_differentiable was given a tensor that forward does not return",
             ctx.name_);

  refresh_view_histories(inputs);
  auto node = std::make_shared<CustomFunctionNode>(std::move(fn), std::move(ctx));
  collect_next_edges(*node, inputs);
  node->output_meta().reserve(outputs.size());
  for (size_t i = 0; i < outputs.size(); ++i) {
    node->output_meta().push_back(TensorMeta::of(outputs[i]));
    if (!differentiable[i]) continue;
    AutogradMeta& meta = outputs[i].impl()->ensure_autograd();
    meta.requires_grad = true;
    meta.grad_fn = node;
    meta.output_nr = static_cast<uint32_t>(i);
  }

  // Saved tensors that are outputs are saved as this node's outputs (no reference cycle).
  CustomFunctionContext& saved_ctx = node->ctx();
  saved_ctx.saved_.reserve(saved_ctx.to_save_.size());
  for (const Tensor& t : saved_ctx.to_save_) {
    size_t j = 0;
    while (j < raw.size() && !(t.defined() && raw[j].is_same(t))) ++j;
    if (j < raw.size()) {
      saved_ctx.saved_.emplace_back(outputs[j], differentiable[j]);
    } else {
      saved_ctx.saved_.emplace_back(t, false);
    }
  }
  saved_ctx.to_save_.clear();
  saved_ctx.non_differentiable_.clear();
  saved_ctx.saved_wrapped_ = true;
  saved_ctx.owner_ = node.get();
  return outputs;
}

namespace {

class LambdaFunction final : public CustomFunction {
 public:
  LambdaFunction(std::string name, CustomForwardFn forward, CustomBackwardFn backward)
      : name_(std::move(name)), forward_(std::move(forward)), backward_(std::move(backward)) {}
  std::string name() const override { return name_; }
  TensorList forward(CustomFunctionContext& ctx, const TensorList& inputs) override {
    return forward_(ctx, inputs);
  }
  TensorList backward(CustomFunctionContext& ctx, const TensorList& grad_outputs) override {
    return backward_(ctx, grad_outputs);
  }

 private:
  std::string name_;
  CustomForwardFn forward_;
  CustomBackwardFn backward_;
};

}  // namespace

TensorList custom_function(std::string name, const TensorList& inputs, CustomForwardFn forward,
                           CustomBackwardFn backward) {
  MG_CHECK(forward && backward, "custom_function '{}': forward and backward must both be given",
           name);
  return CustomFunction::apply(
      std::make_shared<LambdaFunction>(std::move(name), std::move(forward), std::move(backward)),
      inputs);
}

}  // namespace metagrad
