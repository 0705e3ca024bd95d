// The two-input layers (engine/nn/pairwise_layers.hpp) and torch.nn.functional.bilinear.
#include "engine/nn/pairwise_layers.hpp"

#include <fmt/format.h>

#include <cmath>

#include "engine/nn/init.hpp"
#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"

namespace metagrad {

Tensor bilinear(const Tensor& input1, const Tensor& input2, const Tensor& weight,
                const Tensor& bias) {
  detail::check_defined(input1, "bilinear", "input1");
  detail::check_defined(input2, "bilinear", "input2");
  detail::check_defined(weight, "bilinear", "weight");
  detail::check_floating(input1, "bilinear");
  detail::check_same_kind(input1, input2, "bilinear");
  detail::check_same_kind(input1, weight, "bilinear");
  MG_CHECK(weight.dim() == 3,
           "bilinear: expected a 3-D weight [out_features, in1_features, in2_features], got shape "
           "{}",
           shape_str(weight.shape()));
  const int64_t out = weight.size(0), in1 = weight.size(1), in2 = weight.size(2);
  Dims leading = input1.shape();
  if (!leading.empty()) leading.pop_back();
  Dims leading2 = input2.shape();
  if (!leading2.empty()) leading2.pop_back();
  MG_CHECK(input1.dim() >= 1 && input2.dim() >= 1 && leading == leading2 &&
               input1.size(-1) == in1 && input2.size(-1) == in2,
           "bilinear: input1 shape {} and input2 shape {} must be [*, {}] and [*, {}] with the "
           "same leading dims, for weight shape {}",
           shape_str(input1.shape()), shape_str(input2.shape()), in1, in2,
           shape_str(weight.shape()));
  if (bias.defined()) {
    detail::check_same_kind(input1, bias, "bilinear");
    MG_CHECK(bias.shape() == Dims{out},
             "bilinear: bias must have shape [{}] for weight shape {}, got {}", out,
             shape_str(weight.shape()), shape_str(bias.shape()));
  }
  int64_t rows = 1;
  for (const int64_t size : leading) rows *= size;  // at most input1.numel() (or 0)
  // t[b, o, j] = sum_i x1[b, i] W[o, i, j] as one matrix product; y[b, o] = sum_j t[b, o, j] x2[b,
  // j].
  const Tensor x1 = reshape(input1, {rows, in1});
  const Tensor x2 = reshape(input2, {rows, 1, in2});
  const Tensor folded = reshape(permute(weight, {1, 0, 2}), {in1, out * in2});
  Tensor y = sum(reshape(matmul(x1, folded), {rows, out, in2}) * x2, {2});
  if (bias.defined()) y = y + bias;
  Dims out_shape = leading;
  out_shape.push_back(out);
  return reshape(y, out_shape);
}

namespace nn {

Tensor TwoInputModule::forward(const Tensor& /*input*/) {
  MG_FAIL("{}: the layer takes two inputs; call it as layer(input1, input2)", type_name());
}

Bilinear::Bilinear(int64_t in1_features, int64_t in2_features, int64_t out_features, bool bias)
    : Bilinear(in1_features, in2_features, out_features, LinearOptions{.bias = bias}) {}

Bilinear::Bilinear(int64_t in1_features, int64_t in2_features, int64_t out_features,
                   const LinearOptions& options)
    : in1_features_(in1_features), in2_features_(in2_features), out_features_(out_features) {
  MG_CHECK(in1_features >= 0 && in2_features >= 0 && out_features >= 0,
           "Bilinear: in1_features, in2_features and out_features must be non-negative, got {}, "
           "{} and {}",
           in1_features, in2_features, out_features);
  MG_CHECK(is_floating(options.dtype), "Bilinear: parameters must be float32 or float64, got {}",
           dtype_name(options.dtype));
  register_parameter("weight", empty({out_features, in1_features, in2_features}, options.dtype));
  register_parameter("bias", options.bias ? empty({out_features}, options.dtype) : Tensor());
  reset_parameters(options.generator);
}

void Bilinear::reset_parameters(Generator* generator) {
  // PyTorch: weight and bias U(-1/sqrt(in1), 1/sqrt(in1)).
  const double bound =
      in1_features_ > 0 ? 1.0 / std::sqrt(static_cast<double>(in1_features_)) : 0.0;
  init::uniform_(weight(), -bound, bound, generator);
  if (bias().defined()) init::uniform_(bias(), -bound, bound, generator);
}

Tensor Bilinear::forward(const Tensor& input1, const Tensor& input2) {
  return bilinear(input1, input2, weight(), bias());
}

std::string Bilinear::extra_repr() const {
  return fmt::format("in1_features={}, in2_features={}, out_features={}, bias={}", in1_features_,
                     in2_features_, out_features_, bias().defined() ? "True" : "False");
}

Tensor CosineSimilarity::forward(const Tensor& input1, const Tensor& input2) {
  return cosine_similarity(input1, input2, dim_, eps_);
}

Tensor PairwiseDistance::forward(const Tensor& input1, const Tensor& input2) {
  return pairwise_distance(input1, input2, p_, eps_, keepdim_);
}

}  // namespace nn
}  // namespace metagrad
