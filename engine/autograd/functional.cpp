#include "engine/autograd/functional.hpp"

#include <string_view>

#include "engine/autograd/engine.hpp"
#include "engine/grad_mode.hpp"
#include "engine/ops.hpp"

namespace metagrad::autograd::functional {
namespace {

// Which derivative came out undefined (or constant), for strict mode's messages.
enum class Stage {
  first,            // d outputs / d inputs
  first_by_trick,   // J v through d/du <Jᵀ u, v>
  second,           // d gradient / d inputs
  second_by_trick,  // H v through d/du <H u, v>
};

// Fresh tensors standing for `inputs` (PyTorch's _grad_preprocess): a differentiable alias of an
// input that requires grad when the caller wants a graph back to it, a detached leaf otherwise
// (requiring grad when we differentiate with respect to it). Fresh objects let the engine tell the
// arguments from the same tensors captured by the user's function.
TensorList fresh_inputs(const TensorList& inputs, bool create_graph, bool need_graph,
                        std::string_view op, std::string_view name) {
  TensorList fresh;
  fresh.reserve(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& t = inputs[i];
    MG_CHECK(t.defined(), "{}: {}[{}] is undefined; pass a float32 or float64 tensor", op, name, i);
    MG_CHECK(is_floating(t.dtype()),
             "{}: {}[{}] has dtype {}; only float32 and float64 tensors can be differentiated "
             "(convert it with .to(kFloat64))",
             op, name, i, dtype_name(t.dtype()));
    if (create_graph && t.requires_grad())
      fresh.push_back(t.view(t.shape()));
    else
      fresh.push_back(t.detach().requires_grad_(need_graph));
  }
  return fresh;
}

// Checks that `v` matches `refs` (the function's outputs or inputs: `what`) tensor for tensor,
// then prepares it like an input that needs no graph. An empty `v` is ones when refs is a single
// one-element tensor.
TensorList prepared_vectors(const TensorList& v, const TensorList& refs, bool create_graph,
                            std::string_view op, std::string_view what) {
  if (v.empty()) {
    MG_CHECK(refs.size() == 1 && refs[0].numel() == 1,
             "{}: v can be omitted only for a single {} with a single element; here there are {} "
             "{}s, the first with shape {}; pass one v per {}",
             op, what, refs.size(), what, refs.empty() ? "-" : shape_str(refs[0].shape()), what);
    return {ones_like(refs[0]).detach()};
  }
  MG_CHECK(v.size() == refs.size(), "{}: got {} tensors in v for {} {}s; pass one v per {}", op,
           v.size(), refs.size(), what, what);
  for (size_t i = 0; i < v.size(); ++i) {
    MG_CHECK(v[i].defined(), "{}: v[{}] is undefined; pass a tensor shaped like {} {}", op, i, what,
             i);
    MG_CHECK(v[i].shape() == refs[i].shape(),
             "{}: v[{}] has shape {} but {} {} has shape {}; pass a v shaped like it", op, i,
             shape_str(v[i].shape()), what, i, shape_str(refs[i].shape()));
    MG_CHECK(v[i].dtype() == refs[i].dtype() && v[i].device() == refs[i].device(),
             "{}: v[{}] is {} on {} but {} {} is {} on {}; convert v with .to()", op, i,
             dtype_name(v[i].dtype()), v[i].device().str(), what, i, dtype_name(refs[i].dtype()),
             refs[i].device().str());
  }
  return fresh_inputs(v, create_graph, false, op, "v");
}

// The user's function's outputs, checked: defined, and in strict mode differentiable.
void check_outputs(const TensorList& outputs, bool strict, std::string_view op) {
  for (size_t i = 0; i < outputs.size(); ++i) {
    MG_CHECK(outputs[i].defined(),
             "{}: output {} of the user-provided function is undefined; return defined tensors", op,
             i);
    MG_CHECK(!strict || outputs[i].requires_grad(),
             "{}: output {} of the user-provided function does not require grad; in strict mode "
             "the outputs must be computed in a differentiable manner from the inputs",
             op, i);
  }
}

// A scalar function's single output, checked.
Tensor checked_scalar(const Tensor& out, bool strict, std::string_view op) {
  check_outputs({out}, strict, op);
  MG_CHECK(out.numel() == 1,
           "{}: the function should return a tensor with a single element, got shape {}; reduce "
           "it (e.g. .sum())",
           op, shape_str(out.shape()));
  return out;
}

// grad() of the outputs that require grad (PyTorch's _autograd_grad): undefined for every input
// when none does, and undefined for inputs the outputs do not depend on.
TensorList grad_of_differentiable(const TensorList& outputs, const TensorList& inputs,
                                  const TensorList& grad_outputs, bool create_graph,
                                  bool retain_graph) {
  TensorList used_outputs, used_grad_outputs;
  for (size_t i = 0; i < outputs.size(); ++i) {
    if (!outputs[i].defined() || !outputs[i].requires_grad()) continue;
    used_outputs.push_back(outputs[i]);
    if (!grad_outputs.empty()) used_grad_outputs.push_back(grad_outputs[i]);
  }
  if (used_outputs.empty()) return TensorList(inputs.size());
  GradOptions options;
  // Without retain_graph, grad()'s default: keep the graph when recording (create_graph).
  if (retain_graph) options.retain_graph = true;
  options.create_graph = create_graph;
  options.allow_unused = true;
  return grad(used_outputs, inputs, used_grad_outputs, options);
}

// Undefined gradients become zeros shaped like `refs` (PyTorch's _fill_in_zeros), or errors in
// strict mode; with create_graph, strict mode also rejects a gradient without history.
TensorList filled_with_zeros(TensorList grads, const TensorList& refs, FunctionalOptions options,
                             Stage stage, std::string_view op) {
  for (size_t i = 0; i < grads.size(); ++i) {
    if (!grads[i].defined()) {
      if (options.strict) {
        switch (stage) {
          case Stage::first:
            MG_FAIL(
                "{}: the output of the user-provided function is independent of input {}; this "
                "is not allowed in strict mode",
                op, i);
          case Stage::first_by_trick:
            MG_FAIL(
                "{}: the gradient with respect to the inputs is independent of entry {} of the "
                "dummy grad_outputs of the double backward trick; this is not allowed in strict "
                "mode",
                op, i);
          case Stage::second:
            MG_FAIL(
                "{}: the jacobian of the user-provided function is independent of input {}; this "
                "is not allowed in strict mode",
                op, i);
          case Stage::second_by_trick:
            MG_FAIL(
                "{}: the hessian of the user-provided function is independent of entry {} of the "
                "dummy grad_jacobian of the double backward trick; this is not allowed in strict "
                "mode",
                op, i);
        }
      }
      grads[i] = zeros_like(refs[i]);
    } else if (options.strict && options.create_graph && !grads[i].requires_grad()) {
      const bool second_order = stage == Stage::second || stage == Stage::second_by_trick;
      MG_FAIL(
          "{}: the {} of the user-provided function is independent of input {}; this is not "
          "allowed in strict mode with create_graph",
          op, second_order ? "hessian" : "jacobian", i);
    }
  }
  return grads;
}

// The tensors as returned to the caller: detached unless they asked for a graph.
TensorList returned(TensorList tensors, bool create_graph) {
  if (!create_graph)
    for (Tensor& t : tensors) t = t.detach();
  return tensors;
}

// outputs[i].shape + inputs[j].shape, checked against the dims limit.
Dims jacobian_shape(const Tensor& output, const Tensor& input, std::string_view op, size_t i,
                    size_t j) {
  MG_CHECK(output.dim() + input.dim() <= kMaxDims,
           "{}: the block for output {} (shape {}) and input {} (shape {}) would have {} dims, "
           "more than the {} a tensor can have; flatten the output or the input first",
           op, i, shape_str(output.shape()), j, shape_str(input.shape()),
           output.dim() + input.dim(), kMaxDims);
  Dims shape = output.shape();
  for (int64_t size : input.shape()) shape.push_back(size);
  return shape;
}

// The one-hot tensor shaped like `like` with a 1 at flat position `index`.
Tensor one_hot_like(const Tensor& like, int64_t index) {
  Tensor hot = zeros_like(like);
  NoGradGuard no_grad;
  hot.view({hot.numel()}).select(0, index).fill_(1.0);
  return hot;
}

// result[i][j] = d outputs[i] / d inputs[j] (shaped outputs[i].shape + inputs[j].shape), from one
// backward pass per output element with a one-hot grad_output (the Jacobian's rows).
std::vector<TensorList> jacobian_blocks(const TensorList& outputs, const TensorList& inputs,
                                        FunctionalOptions options, Stage stage,
                                        std::string_view op) {
  std::vector<TensorList> blocks;
  for (size_t i = 0; i < outputs.size(); ++i) {
    const Tensor& out = outputs[i];
    std::vector<TensorList> rows(inputs.size());
    // An output without history keeps no rows: its blocks are zeros (strict mode rejected it
    // before: check_outputs, check_gradients_have_history).
    const int64_t row_count = out.requires_grad() ? out.numel() : 0;
    for (int64_t r = 0; r < row_count; ++r) {
      TensorList row = filled_with_zeros(
          grad_of_differentiable({out}, inputs, {one_hot_like(out, r)}, options.create_graph, true),
          inputs, options, stage, op);
      for (size_t j = 0; j < inputs.size(); ++j) rows[j].push_back(std::move(row[j]));
    }
    TensorList block;
    for (size_t j = 0; j < inputs.size(); ++j) {
      const Dims shape = jacobian_shape(out, inputs[j], op, i, j);
      block.push_back(rows[j].empty()
                          ? zeros(shape, TensorOptions(inputs[j].dtype(), inputs[j].device()))
                          : stack(rows[j], 0).reshape(shape));
    }
    blocks.push_back(returned(std::move(block), options.create_graph));
  }
  return blocks;
}

// Zero dummies u for the double backward trick, one per output that requires grad: Jᵀ u is linear
// in u, so d <Jᵀ u, v> / d u = J v at any u, and u = 0 keeps inf and nan out of the double
// backward. Outputs without history get none (their products are zero).
struct TrickDummies {
  std::vector<size_t> output_index;  // the output each dummy stands for
  TensorList outputs;                // those outputs
  TensorList dummies;
};
TrickDummies trick_dummies(const TensorList& outputs) {
  TrickDummies trick;
  for (size_t i = 0; i < outputs.size(); ++i) {
    if (!outputs[i].requires_grad()) continue;
    trick.output_index.push_back(i);
    trick.outputs.push_back(outputs[i]);
    trick.dummies.push_back(zeros_like(outputs[i]).requires_grad_(true));
  }
  return trick;
}

// result[i][j] as jacobian_blocks', from the columns: with u a dummy per output, Jᵀ u is recorded
// once, and column k of input j is d (Jᵀ u)[j][k] / d u, one pass per input element.
std::vector<TensorList> jacobian_blocks_by_columns(const TensorList& outputs,
                                                   const TensorList& inputs,
                                                   FunctionalOptions options, std::string_view op) {
  const TrickDummies trick = trick_dummies(outputs);
  const TensorList transposed =
      trick.outputs.empty()
          ? TensorList(inputs.size())
          : grad_of_differentiable(trick.outputs, inputs, trick.dummies, true, true);
  // columns[i][j]: the columns of block (i, j), one per element of input j.
  std::vector<std::vector<TensorList>> columns(outputs.size(),
                                               std::vector<TensorList>(inputs.size()));
  for (size_t j = 0; j < inputs.size(); ++j) {
    if (!transposed[j].defined() || !transposed[j].requires_grad()) {
      MG_CHECK(!options.strict,
               "{}: the output of the user-provided function is independent of input {}; this "
               "is not allowed in strict mode",
               op, j);
      continue;
    }
    for (int64_t k = 0; k < inputs[j].numel(); ++k) {
      const TensorList column =
          grad_of_differentiable({transposed[j]}, trick.dummies, {one_hot_like(transposed[j], k)},
                                 options.create_graph, true);
      for (size_t d = 0; d < trick.dummies.size(); ++d) {
        const size_t i = trick.output_index[d];
        columns[i][j].push_back(column[d].defined() ? column[d] : zeros_like(outputs[i]));
      }
    }
  }
  std::vector<TensorList> blocks;
  for (size_t i = 0; i < outputs.size(); ++i) {
    TensorList block;
    for (size_t j = 0; j < inputs.size(); ++j) {
      const Dims shape = jacobian_shape(outputs[i], inputs[j], op, i, j);
      block.push_back(columns[i][j].empty()
                          ? zeros(shape, TensorOptions(inputs[j].dtype(), inputs[j].device()))
                          : stack(columns[i][j], outputs[i].dim()).reshape(shape));
    }
    blocks.push_back(returned(std::move(block), options.create_graph));
  }
  return blocks;
}

// Strict mode's check that each gradient has history (the function is differentiable once more).
void check_gradients_have_history(const TensorList& grads, bool strict, std::string_view what,
                                  std::string_view op) {
  for (size_t i = 0; i < grads.size(); ++i)
    MG_CHECK(!strict || (grads[i].defined() && grads[i].requires_grad()),
             "{}: the {} of the user-provided function with respect to input {} is independent "
             "of the inputs; this is not allowed in strict mode (the function must be "
             "differentiable once more, which a linear function is not)",
             op, what, i);
}

// The single-tensor forms unwrap the list forms.
Function as_function(const UnaryFunction& fn) {
  return [&fn](const TensorList& xs) -> TensorList { return {fn(xs[0])}; };
}
ScalarFunction as_scalar_function(const UnaryFunction& fn) {
  return [&fn](const TensorList& xs) { return fn(xs[0]); };
}
TensorList optional_list(const Tensor& v) { return v.defined() ? TensorList{v} : TensorList{}; }

// What vhp and hvp start from: fresh inputs, the checked vectors, the checked scalar output and
// its gradient, recorded so that it can be differentiated again.
struct SecondOrderStart {
  TensorList xs, vs;
  Tensor out;
  TensorList gradient;
};
SecondOrderStart second_order_start(const ScalarFunction& fn, const TensorList& inputs,
                                    const TensorList& v, FunctionalOptions options,
                                    std::string_view op) {
  SecondOrderStart start;
  start.xs = fresh_inputs(inputs, options.create_graph, true, op, "inputs");
  start.vs = prepared_vectors(v, start.xs, options.create_graph, op, "input");
  start.out = checked_scalar(fn(start.xs), options.strict, op);
  start.gradient = grad_of_differentiable({start.out}, start.xs, {}, true, true);
  check_gradients_have_history(start.gradient, options.strict, "jacobian", op);
  return start;
}

}  // namespace

std::vector<TensorList> jacobian(const Function& fn, const TensorList& inputs,
                                 FunctionalOptions options) {
  EnableGradGuard enable_grad;
  const TensorList xs = fresh_inputs(inputs, options.create_graph, true, "jacobian", "inputs");
  const TensorList outputs = fn(xs);
  check_outputs(outputs, options.strict, "jacobian");
  if (options.strategy == JacobianStrategy::forward_mode)
    return jacobian_blocks_by_columns(outputs, xs, options, "jacobian");
  return jacobian_blocks(outputs, xs, options, Stage::first, "jacobian");
}

Tensor jacobian(const UnaryFunction& fn, const Tensor& input, FunctionalOptions options) {
  return jacobian(as_function(fn), TensorList{input}, options)[0][0];
}

std::vector<TensorList> hessian(const ScalarFunction& fn, const TensorList& inputs,
                                FunctionalOptions options) {
  EnableGradGuard enable_grad;
  const TensorList xs = fresh_inputs(inputs, options.create_graph, true, "hessian", "inputs");
  const Tensor out = checked_scalar(fn(xs), options.strict, "hessian");
  // The gradient, with its graph, is the function whose Jacobian is the Hessian.
  const TensorList gradient = filled_with_zeros(grad_of_differentiable({out}, xs, {}, true, true),
                                                xs, {}, Stage::first, "hessian");
  check_gradients_have_history(gradient, options.strict, "jacobian", "hessian");
  return jacobian_blocks(gradient, xs, options, Stage::second, "hessian");
}

Tensor hessian(const UnaryFunction& fn, const Tensor& input, FunctionalOptions options) {
  return hessian(as_scalar_function(fn), TensorList{input}, options)[0][0];
}

std::pair<TensorList, TensorList> vjp(const Function& fn, const TensorList& inputs,
                                      const TensorList& v, FunctionalOptions options) {
  EnableGradGuard enable_grad;
  const TensorList xs = fresh_inputs(inputs, options.create_graph, true, "vjp", "inputs");
  const TensorList outputs = fn(xs);
  check_outputs(outputs, options.strict, "vjp");
  const TensorList vs = prepared_vectors(v, outputs, options.create_graph, "vjp", "output");
  // vᵀ J = d <outputs, v> / d inputs.
  TensorList products =
      filled_with_zeros(grad_of_differentiable(outputs, xs, vs, options.create_graph, false), xs,
                        options, Stage::first, "vjp");
  return {returned(outputs, options.create_graph),
          returned(std::move(products), options.create_graph)};
}

std::pair<Tensor, Tensor> vjp(const UnaryFunction& fn, const Tensor& input, const Tensor& v,
                              FunctionalOptions options) {
  auto [outputs, products] = vjp(as_function(fn), TensorList{input}, optional_list(v), options);
  return {outputs[0], products[0]};
}

std::pair<TensorList, TensorList> jvp(const Function& fn, const TensorList& inputs,
                                      const TensorList& v, FunctionalOptions options) {
  EnableGradGuard enable_grad;
  const TensorList xs = fresh_inputs(inputs, options.create_graph, true, "jvp", "inputs");
  const TensorList vs = prepared_vectors(v, xs, options.create_graph, "jvp", "input");
  const TensorList outputs = fn(xs);
  check_outputs(outputs, options.strict, "jvp");
  // J v = d <Jᵀ u, v> / d u (TrickDummies).
  const TrickDummies trick = trick_dummies(outputs);
  TensorList products(outputs.size());
  if (!trick.outputs.empty()) {
    const TensorList transposed =
        grad_of_differentiable(trick.outputs, xs, trick.dummies, true, true);
    check_gradients_have_history(transposed, options.strict, "gradient", "jvp");
    const TensorList by_trick =
        grad_of_differentiable(transposed, trick.dummies, vs, options.create_graph, false);
    for (size_t d = 0; d < by_trick.size(); ++d) products[trick.output_index[d]] = by_trick[d];
  }
  products = filled_with_zeros(std::move(products), outputs, options, Stage::first_by_trick, "jvp");
  return {returned(outputs, options.create_graph),
          returned(std::move(products), options.create_graph)};
}

std::pair<Tensor, Tensor> jvp(const UnaryFunction& fn, const Tensor& input, const Tensor& v,
                              FunctionalOptions options) {
  auto [outputs, products] = jvp(as_function(fn), TensorList{input}, optional_list(v), options);
  return {outputs[0], products[0]};
}

std::pair<Tensor, TensorList> vhp(const ScalarFunction& fn, const TensorList& inputs,
                                  const TensorList& v, FunctionalOptions options) {
  EnableGradGuard enable_grad;
  const auto [xs, vs, out, gradient] = second_order_start(fn, inputs, v, options, "vhp");
  // vᵀ H = d <∇f, v> / d inputs.
  TensorList products =
      filled_with_zeros(grad_of_differentiable(gradient, xs, vs, options.create_graph, false), xs,
                        options, Stage::second, "vhp");
  return {returned({out}, options.create_graph)[0],
          returned(std::move(products), options.create_graph)};
}

std::pair<Tensor, Tensor> vhp(const UnaryFunction& fn, const Tensor& input, const Tensor& v,
                              FunctionalOptions options) {
  auto [output, products] =
      vhp(as_scalar_function(fn), TensorList{input}, optional_list(v), options);
  return {output, products[0]};
}

std::pair<Tensor, TensorList> hvp(const ScalarFunction& fn, const TensorList& inputs,
                                  const TensorList& v, FunctionalOptions options) {
  EnableGradGuard enable_grad;
  const auto [xs, vs, out, gradient] = second_order_start(fn, inputs, v, options, "hvp");
  // H u = d <∇f, u> / d inputs is linear in the dummy u, and d <H u, v> / d u = Hᵀ v, which is
  // H v wherever the second derivatives are continuous (H symmetric).
  TensorList dummies;
  for (const Tensor& x : xs) dummies.push_back(zeros_like(x).requires_grad_(true));
  const TensorList hessian_dummy = grad_of_differentiable(gradient, xs, dummies, true, true);
  check_gradients_have_history(hessian_dummy, options.strict, "hessian", "hvp");
  TensorList products = filled_with_zeros(
      grad_of_differentiable(hessian_dummy, dummies, vs, options.create_graph, false), xs, options,
      Stage::second_by_trick, "hvp");
  return {returned({out}, options.create_graph)[0],
          returned(std::move(products), options.create_graph)};
}

std::pair<Tensor, Tensor> hvp(const UnaryFunction& fn, const Tensor& input, const Tensor& v,
                              FunctionalOptions options) {
  auto [output, products] =
      hvp(as_scalar_function(fn), TensorList{input}, optional_list(v), options);
  return {output, products[0]};
}

}  // namespace metagrad::autograd::functional
