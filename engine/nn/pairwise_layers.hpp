#pragma once

#include <cstdint>
#include <string>

#include "engine/nn/functional.hpp"
#include "engine/nn/layers.hpp"
#include "engine/nn/module.hpp"
#include "engine/tensor.hpp"

// The torch.nn layers that combine two inputs: Bilinear, CosineSimilarity and PairwiseDistance.
// They are called as layer(input1, input2).
namespace metagrad::nn {
/// \addtogroup nn
/// @{

/// The base of the layers called on two inputs: forward(input1, input2). The one-input forward
/// throws.
class TwoInputModule : public Module {
 public:
  /// Throws: the layer takes (input1, input2).
  Tensor forward(const Tensor& input) override;
  /// The layer applied to the two inputs.
  virtual Tensor forward(const Tensor& input1, const Tensor& input2) = 0;
  using Module::operator();
  /// forward(input1, input2).
  Tensor operator()(const Tensor& input1, const Tensor& input2) { return forward(input1, input2); }
};

/// y_o = x1^T A_o x2 + b_o (torch.nn.Bilinear). Parameters `weight` [out, in1, in2] and `bias`
/// [out], both U(-1/sqrt(in1), 1/sqrt(in1)) as PyTorch. input1 [*, in1] and input2 [*, in2] ->
/// [*, out]; see metagrad::bilinear.
class Bilinear : public Cloneable<Bilinear, TwoInputModule> {
 public:
  /// torch.nn.Bilinear(in1_features, in2_features, out_features, bias), float32.
  Bilinear(int64_t in1_features, int64_t in2_features, int64_t out_features, bool bias = true);
  /// With bias, dtype and generator from `options`.
  Bilinear(int64_t in1_features, int64_t in2_features, int64_t out_features,
           const LinearOptions& options);
  using TwoInputModule::forward;
  Tensor forward(const Tensor& input1, const Tensor& input2) override;
  std::string extra_repr() const override;
  /// Redraws weight and bias in place with the default initialisation.
  void reset_parameters(Generator* generator = nullptr);
  /// The tensors currently in the `weight` / `bias` slots (bias undefined without bias).
  const Tensor& weight() const { return parameter_at(0); }
  /// \copydoc weight
  const Tensor& bias() const { return parameter_at(1); }

 private:
  int64_t in1_features_, in2_features_, out_features_;
};

/// Cosine similarity along `dim` (torch.nn.CosineSimilarity); see metagrad::cosine_similarity.
class CosineSimilarity : public Cloneable<CosineSimilarity, TwoInputModule> {
 public:
  /// torch.nn.CosineSimilarity(dim, eps).
  explicit CosineSimilarity(int64_t dim = 1, double eps = 1e-8) : dim_(dim), eps_(eps) {}
  using TwoInputModule::forward;
  Tensor forward(const Tensor& input1, const Tensor& input2) override;

 private:
  int64_t dim_;
  double eps_;
};

/// The p-norm distance of the rows (torch.nn.PairwiseDistance); see metagrad::pairwise_distance.
class PairwiseDistance : public Cloneable<PairwiseDistance, TwoInputModule> {
 public:
  /// torch.nn.PairwiseDistance(p, eps, keepdim).
  explicit PairwiseDistance(double p = 2.0, double eps = 1e-6, bool keepdim = false)
      : p_(p), eps_(eps), keepdim_(keepdim) {}
  using TwoInputModule::forward;
  Tensor forward(const Tensor& input1, const Tensor& input2) override;

 private:
  double p_, eps_;
  bool keepdim_;
};

/// @}
}  // namespace metagrad::nn
