// linear, softmax, log_softmax, dropout and one_hot, composed of public ops (no backward here).
#include <algorithm>
#include <vector>

#include "engine/grad_mode.hpp"
#include "engine/nn/functional.hpp"
#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"

namespace metagrad {

Tensor linear(const Tensor& input, const Tensor& weight, const Tensor& bias) {
  detail::check_defined(input, "linear");
  detail::check_defined(weight, "linear", "weight");
  detail::check_floating(input, "linear");
  detail::check_same_kind(input, weight, "linear");
  MG_CHECK(weight.dim() >= 2, "linear: weight must be [out_features, in_features], got shape {}",
           shape_str(weight.shape()));
  MG_CHECK(input.dim() >= 1,
           "linear: input must have at least 1 dimension [*, in_features], got a "
           "0-d tensor");
  const int64_t in_features = weight.size(-1);
  const int64_t out_features = weight.size(-2);
  MG_CHECK(input.size(-1) == in_features,
           "linear: input shape {} does not match weight shape {}: the input's last dimension "
           "must equal in_features = {}",
           shape_str(input.shape()), shape_str(weight.shape()), in_features);
  if (bias.defined()) {
    detail::check_same_kind(input, bias, "linear");
    Dims expected = weight.shape();
    expected.pop_back();
    MG_CHECK(bias.shape() == expected,
             "linear: bias must have shape {} for weight shape {}, got {}", shape_str(expected),
             shape_str(weight.shape()), shape_str(bias.shape()));
  }
  if (weight.dim() == 2) {
    Tensor y;
    if (input.dim() <= 2) {
      y = matmul(input, t(weight));
    } else {
      // Fold the leading dims into one matrix product instead of a broadcast batched one.
      Dims out_shape = input.shape();
      out_shape.back() = out_features;
      int64_t rows = 1;
      for (int d = 0; d + 1 < input.dim(); ++d) rows *= input.size(d);
      y = reshape(matmul(reshape(input, {rows, in_features}), t(weight)), out_shape);
    }
    return bias.defined() ? y + bias : y;
  }
  // Per-task weights [T..., out, in]: a batched product; bias [T..., out] gets a row dim.
  Tensor y = matmul(input, transpose(weight, -2, -1));
  if (!bias.defined()) return y;
  return input.dim() == 1 ? y + bias : y + unsqueeze(bias, -2);
}

Tensor softmax(const Tensor& x, int64_t dim) {
  detail::check_defined(x, "softmax");
  detail::check_floating(x, "softmax");
  const int d = normalize_dim(dim, std::max(x.dim(), 1), "softmax");
  if (x.dim() == 0) return exp(x - x);  // one element: softmax is 1, with zero gradient
  if (x.numel() == 0) return clone(x);
  // softmax is invariant to a shift, so the (detached) max only guards exp against overflow.
  Tensor shift;
  {
    NoGradGuard no_grad;
    const Tensor m = amax(x.detach(), {d}, true);
    shift = where(isfinite(m), m, 0.0);
  }
  const Tensor e = exp(x - shift);
  return e / sum(e, {d}, true);
}

Tensor log_softmax(const Tensor& x, int64_t dim) {
  detail::check_defined(x, "log_softmax");
  detail::check_floating(x, "log_softmax");
  const int d = normalize_dim(dim, std::max(x.dim(), 1), "log_softmax");
  if (x.dim() == 0) return x - x;  // log(1), with zero gradient
  if (x.numel() == 0) return clone(x);
  return x - logsumexp(x, {d}, true);
}

Tensor one_hot(const Tensor& labels, int64_t num_classes) {
  detail::check_defined(labels, "one_hot", "labels");
  MG_CHECK(labels.dtype() == kInt64,
           "one_hot: labels must be an int64 tensor of class indices, got {} of shape {}",
           dtype_name(labels.dtype()), shape_str(labels.shape()));
  MG_CHECK(num_classes >= -1, "one_hot: num_classes must be -1 (infer) or non-negative, got {}",
           num_classes);
  const std::vector<int64_t> values = labels.to_vector<int64_t>();
  if (num_classes == -1) {
    MG_CHECK(!values.empty(),
             "one_hot: cannot infer the number of classes from an empty tensor of shape {}; pass "
             "num_classes",
             shape_str(labels.shape()));
    num_classes = checked_add(*std::max_element(values.begin(), values.end()), 1, "one_hot",
                              "the number of classes");
  }
  checked_mul(labels.numel(), num_classes, "one_hot", "the output size");
  for (const int64_t v : values) {
    MG_CHECK(v >= 0, "one_hot: class values must be non-negative, got {}", v);
    MG_CHECK(v < num_classes, "one_hot: class value {} is out of range for {} classes", v,
             num_classes);
  }
  const Tensor classes =
      arange(static_cast<double>(num_classes), TensorOptions(kInt64, labels.device()));
  return to_dtype(eq(unsqueeze(labels, -1), classes), kInt64);
}

}  // namespace metagrad
