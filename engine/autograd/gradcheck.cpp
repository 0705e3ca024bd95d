#include "engine/autograd/gradcheck.hpp"

#include <algorithm>
#include <cmath>

#include "engine/autograd/engine.hpp"
#include "engine/grad_mode.hpp"
#include "engine/ops.hpp"

namespace metagrad {
namespace {

// Float outputs of fn, as float64 values. Runs with grad mode on: fn may itself differentiate
// (gradgradcheck checks a function that calls grad()).
std::vector<std::vector<double>> evaluate(const CheckedFunction& fn, const TensorList& inputs) {
  std::vector<std::vector<double>> values;
  for (const Tensor& out : fn(inputs))
    if (out.defined() && is_floating(out.dtype())) values.push_back(out.to_vector<double>());
  return values;
}

// A leaf copy of t with element `index` moved by `delta`, requiring grad like t.
Tensor perturbed(const Tensor& t, int64_t index, double delta) {
  std::vector<double> values = t.to_vector<double>();
  values[static_cast<size_t>(index)] += delta;
  return tensor(values, t.shape(), TensorOptions(t.dtype(), t.device(), t.requires_grad()));
}

}  // namespace

bool gradcheck(const CheckedFunction& fn, const TensorList& inputs, GradcheckOptions options) {
  // Analytic Jacobian rows: for each float output element, grad of that element.
  TensorList outputs = fn(inputs);
  std::vector<size_t> wrt;
  for (size_t i = 0; i < inputs.size(); ++i)
    if (inputs[i].defined() && inputs[i].requires_grad()) wrt.push_back(i);
  MG_CHECK(
      !wrt.empty(),
      "gradcheck: no input requires grad; call requires_grad_() on the float64 inputs to check");
  TensorList wrt_tensors;
  for (size_t i : wrt) wrt_tensors.push_back(inputs[i]);

  std::vector<Tensor> float_outputs;
  for (const Tensor& out : outputs)
    if (out.defined() && is_floating(out.dtype())) float_outputs.push_back(out);

  for (size_t w = 0; w < wrt.size(); ++w) {
    const Tensor& x = inputs[wrt[w]];
    const int64_t n = x.numel();
    // numeric[k][j][r] = d out_k[r] / d x[j]
    std::vector<std::vector<std::vector<double>>> numeric(float_outputs.size());
    for (int64_t j = 0; j < n; ++j) {
      TensorList plus = inputs, minus = inputs;
      plus[wrt[w]] = perturbed(x, j, options.eps);
      minus[wrt[w]] = perturbed(x, j, -options.eps);
      auto fp = evaluate(fn, plus), fm = evaluate(fn, minus);
      for (size_t k = 0; k < float_outputs.size(); ++k) {
        std::vector<double> column(fp[k].size());
        for (size_t r = 0; r < column.size(); ++r)
          column[r] = (fp[k][r] - fm[k][r]) / (2 * options.eps);
        numeric[k].push_back(std::move(column));
      }
    }
    for (size_t k = 0; k < float_outputs.size(); ++k) {
      const Tensor& out = float_outputs[k];
      const int64_t m = out.numel();
      for (int64_t r = 0; r < m; ++r) {
        std::vector<double> onehot(static_cast<size_t>(m), 0.0);
        onehot[static_cast<size_t>(r)] = 1.0;
        Tensor v = tensor(onehot, out.shape(), TensorOptions(out.dtype(), out.device()));
        Tensor g;
        if (out.requires_grad()) {
          g = grad({out}, {x}, {v}, GradOptions{true, false, true})[0];
        }
        const std::vector<double> analytic =
            g.defined() ? g.to_vector<double>() : std::vector<double>(static_cast<size_t>(n), 0.0);
        for (int64_t j = 0; j < n; ++j) {
          const double a = analytic[static_cast<size_t>(j)];
          const double num = numeric[k][static_cast<size_t>(j)][static_cast<size_t>(r)];
          const bool ok = std::abs(a - num) <= options.atol + options.rtol * std::abs(num) ||
                          (std::isnan(a) && std::isnan(num));
          if (!ok) {
            if (!options.raise_exception) return false;
            MG_FAIL(
                "gradcheck: Jacobian mismatch for output {} with respect to input {}: d out[{}] / "
                "d in[{}] numerical {} vs analytical {} (atol {}, rtol {}); output shape {}, input "
                "shape {}",
                k, wrt[w], r, j, num, a, options.atol, options.rtol, shape_str(out.shape()),
                shape_str(x.shape()));
          }
        }
      }
    }
  }
  return true;
}

bool gradgradcheck(const CheckedFunction& fn, const TensorList& inputs,
                   const TensorList& grad_outputs, GradcheckOptions options) {
  MG_CHECK(std::any_of(inputs.begin(), inputs.end(),
                       [](const Tensor& t) { return t.defined() && t.requires_grad(); }),
           "gradgradcheck: no input requires grad; call requires_grad_() on the float64 inputs to "
           "check");
  TensorList outputs;
  {
    NoGradGuard no_grad;
    outputs = fn(inputs);
  }
  TensorList vs;
  Generator gen(1234);
  size_t float_index = 0;
  for (const Tensor& out : outputs) {
    if (!out.defined() || !is_floating(out.dtype())) continue;
    Tensor v = float_index < grad_outputs.size() && grad_outputs[float_index].defined()
                   ? grad_outputs[float_index].detach().clone()
                   : randn(out.shape(), TensorOptions(out.dtype(), out.device()), &gen);
    ++float_index;
    vs.push_back(v.requires_grad_(true));
  }
  const size_t n_inputs = inputs.size();
  CheckedFunction first_derivative = [&fn, n_inputs](const TensorList& all) -> TensorList {
    const TensorList xs(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n_inputs));
    const TensorList v(all.begin() + static_cast<std::ptrdiff_t>(n_inputs), all.end());
    TensorList outs;
    for (const Tensor& o : fn(xs))
      if (o.defined() && is_floating(o.dtype())) outs.push_back(o);
    TensorList wrt, used_v, used_outs;
    for (const Tensor& x : xs)
      if (x.defined() && x.requires_grad()) wrt.push_back(x);
    for (size_t k = 0; k < outs.size(); ++k) {
      if (!outs[k].requires_grad()) continue;
      used_outs.push_back(outs[k]);
      used_v.push_back(v[k]);
    }
    if (used_outs.empty()) return {};
    TensorList grads = grad(used_outs, wrt, used_v, GradOptions{true, true, true});
    for (size_t i = 0; i < grads.size(); ++i)
      if (!grads[i].defined()) grads[i] = zeros_like(wrt[i]);
    return grads;
  };
  TensorList all = inputs;
  all.insert(all.end(), vs.begin(), vs.end());
  return gradcheck(first_derivative, all, options);
}

}  // namespace metagrad
