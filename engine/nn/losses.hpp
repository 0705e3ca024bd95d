#pragma once

#include <string>

#include "engine/nn/functional.hpp"
#include "engine/nn/module.hpp"
#include "engine/tensor.hpp"

// The loss modules of torch.nn (MSELoss, CrossEntropyLoss, ...): each holds its options, keeps
// its class weights as buffers (PyTorch's `weight` and `pos_weight`, so they follow .to() and
// appear in the state dict), and calls the functional loss of engine/nn/functional.hpp.
namespace metagrad::nn {
/// \addtogroup nn
/// @{

/// The base of the loss modules: forward(input, target). The one-input forward throws (a loss
/// needs its target).
class Loss : public Module {
 public:
  /// Throws: a loss takes (input, target).
  Tensor forward(const Tensor& input) override;
  /// The loss of `input` against `target`.
  virtual Tensor forward(const Tensor& input, const Tensor& target) = 0;
  using Module::operator();
  /// forward(input, target).
  Tensor operator()(const Tensor& input, const Tensor& target) { return forward(input, target); }
};

namespace detail {
/// A loss whose only option is its reduction: `Fn(input, target, reduction)`.
template <typename Derived, Tensor (*Fn)(const Tensor&, const Tensor&, Reduction)>
class ReducedLoss : public Cloneable<Derived, Loss> {
 public:
  /// The loss with `reduction`.
  explicit ReducedLoss(Reduction reduction) : reduction_(reduction) {}
  using Loss::forward;
  /// Fn(input, target, reduction).
  Tensor forward(const Tensor& input, const Tensor& target) override {
    return Fn(input, target, reduction_);
  }

 private:
  Reduction reduction_;
};

/// A loss with an options struct whose optional class `weight` becomes the buffer `weight` (so
/// that .to() converts it and the state dict holds it): `Fn(input, target, options)` with the
/// buffer's current tensor as the weight.
template <typename Derived, typename Options,
          Tensor (*Fn)(const Tensor&, const Tensor&, const Options&)>
class WeightedLoss : public Cloneable<Derived, Loss> {
 public:
  /// The loss with `options` (options.weight moved into the buffer).
  explicit WeightedLoss(const Options& options) : options_(options) {
    this->register_buffer("weight", options.weight);
    options_.weight = Tensor();
  }
  using Loss::forward;
  /// Fn(input, target, options with the `weight` buffer).
  Tensor forward(const Tensor& input, const Tensor& target) override {
    Options options = options_;
    options.weight = this->buffer_at(0);
    return Fn(input, target, options);
  }

 private:
  Options options_;
};
}  // namespace detail

/// Mean squared error (torch.nn.MSELoss); see metagrad::mse_loss.
class MSELoss : public detail::ReducedLoss<MSELoss, &mse_loss> {
 public:
  /// torch.nn.MSELoss(reduction).
  explicit MSELoss(Reduction reduction = Reduction::Mean) : ReducedLoss(reduction) {}
};

/// Mean absolute error (torch.nn.L1Loss); see metagrad::l1_loss.
class L1Loss : public detail::ReducedLoss<L1Loss, &l1_loss> {
 public:
  /// torch.nn.L1Loss(reduction).
  explicit L1Loss(Reduction reduction = Reduction::Mean) : ReducedLoss(reduction) {}
};

/// Cross entropy of logits against class indices (torch.nn.CrossEntropyLoss); see
/// metagrad::cross_entropy. options.weight becomes the buffer `weight`.
class CrossEntropyLoss
    : public detail::WeightedLoss<CrossEntropyLoss, CrossEntropyOptions, &cross_entropy> {
 public:
  /// torch.nn.CrossEntropyLoss(weight, ignore_index, reduction, label_smoothing).
  explicit CrossEntropyLoss(const CrossEntropyOptions& options = {}) : WeightedLoss(options) {}
};

/// Negative log-likelihood of log-probabilities (torch.nn.NLLLoss); see metagrad::nll_loss.
/// options.weight becomes the buffer `weight`.
class NLLLoss : public detail::WeightedLoss<NLLLoss, NllLossOptions, &nll_loss> {
 public:
  /// torch.nn.NLLLoss(weight, ignore_index, reduction).
  explicit NLLLoss(const NllLossOptions& options = {}) : WeightedLoss(options) {}
};

/// Binary cross entropy of probabilities (torch.nn.BCELoss); see metagrad::binary_cross_entropy.
/// options.weight becomes the buffer `weight`.
class BCELoss
    : public detail::WeightedLoss<BCELoss, BinaryCrossEntropyOptions, &binary_cross_entropy> {
 public:
  /// torch.nn.BCELoss(weight, reduction).
  explicit BCELoss(const BinaryCrossEntropyOptions& options = {}) : WeightedLoss(options) {}
};

/// Binary cross entropy of logits (torch.nn.BCEWithLogitsLoss); see
/// metagrad::binary_cross_entropy_with_logits. options.weight and options.pos_weight become the
/// buffers `weight` and `pos_weight`.
class BCEWithLogitsLoss : public Cloneable<BCEWithLogitsLoss, Loss> {
 public:
  /// torch.nn.BCEWithLogitsLoss(weight, reduction, pos_weight).
  explicit BCEWithLogitsLoss(const BceWithLogitsOptions& options = {});
  using Loss::forward;
  Tensor forward(const Tensor& input, const Tensor& target) override;

 private:
  BceWithLogitsOptions options_;
};

/// Huber loss (torch.nn.HuberLoss); see metagrad::huber_loss.
class HuberLoss : public Cloneable<HuberLoss, Loss> {
 public:
  /// torch.nn.HuberLoss(reduction, delta).
  explicit HuberLoss(Reduction reduction = Reduction::Mean, double delta = 1.0)
      : reduction_(reduction), delta_(delta) {}
  using Loss::forward;
  Tensor forward(const Tensor& input, const Tensor& target) override;

 private:
  Reduction reduction_;
  double delta_;
};

/// Smooth L1 loss (torch.nn.SmoothL1Loss); see metagrad::smooth_l1_loss.
class SmoothL1Loss : public Cloneable<SmoothL1Loss, Loss> {
 public:
  /// torch.nn.SmoothL1Loss(reduction, beta).
  explicit SmoothL1Loss(Reduction reduction = Reduction::Mean, double beta = 1.0)
      : reduction_(reduction), beta_(beta) {}
  using Loss::forward;
  Tensor forward(const Tensor& input, const Tensor& target) override;

 private:
  Reduction reduction_;
  double beta_;
};

/// Kullback-Leibler divergence (torch.nn.KLDivLoss); see metagrad::kl_div.
class KLDivLoss : public Cloneable<KLDivLoss, Loss> {
 public:
  /// torch.nn.KLDivLoss(reduction, log_target).
  explicit KLDivLoss(KlDivReduction reduction = KlDivReduction::Mean, bool log_target = false)
      : reduction_(reduction), log_target_(log_target) {}
  using Loss::forward;
  Tensor forward(const Tensor& input, const Tensor& target) override;

 private:
  KlDivReduction reduction_;
  bool log_target_;
};

/// The base of the losses of three tensors (torch.nn.MarginRankingLoss, TripletMarginLoss,
/// GaussianNLLLoss, ...): forward(a, b, c) in PyTorch's argument order. The one-input forward
/// throws.
class ThreeInputLoss : public Module {
 public:
  /// Throws: the loss takes three tensors.
  Tensor forward(const Tensor& input) override;
  /// The loss of the three tensors.
  virtual Tensor forward(const Tensor& a, const Tensor& b, const Tensor& c) = 0;
  using Module::operator();
  /// forward(a, b, c).
  Tensor operator()(const Tensor& a, const Tensor& b, const Tensor& c) { return forward(a, b, c); }
};

namespace detail {
/// A loss of (input, target) with an options struct and no class weight:
/// `Fn(input, target, options)`.
template <typename Derived, typename Options,
          Tensor (*Fn)(const Tensor&, const Tensor&, const Options&)>
class OptionsLoss : public Cloneable<Derived, Loss> {
 public:
  /// The loss with `options`.
  explicit OptionsLoss(const Options& options) : options_(options) {}
  using Loss::forward;
  /// Fn(input, target, options).
  Tensor forward(const Tensor& input, const Tensor& target) override {
    return Fn(input, target, options_);
  }

 private:
  Options options_;
};

/// A loss of three tensors with a margin and a reduction: `Fn(a, b, c, margin, reduction)`.
template <typename Derived,
          Tensor (*Fn)(const Tensor&, const Tensor&, const Tensor&, double, Reduction)>
class MarginLoss3 : public Cloneable<Derived, ThreeInputLoss> {
 public:
  /// The loss with `margin` and `reduction`.
  MarginLoss3(double margin, Reduction reduction) : margin_(margin), reduction_(reduction) {}
  using ThreeInputLoss::forward;
  /// Fn(a, b, c, margin, reduction).
  Tensor forward(const Tensor& a, const Tensor& b, const Tensor& c) override {
    return Fn(a, b, c, margin_, reduction_);
  }

 private:
  double margin_;
  Reduction reduction_;
};

/// A loss of three tensors with an options struct: `Fn(a, b, c, options)`.
template <typename Derived, typename Options,
          Tensor (*Fn)(const Tensor&, const Tensor&, const Tensor&, const Options&)>
class OptionsLoss3 : public Cloneable<Derived, ThreeInputLoss> {
 public:
  /// The loss with `options`.
  explicit OptionsLoss3(const Options& options) : options_(options) {}
  using ThreeInputLoss::forward;
  /// Fn(a, b, c, options).
  Tensor forward(const Tensor& a, const Tensor& b, const Tensor& c) override {
    return Fn(a, b, c, options_);
  }

 private:
  Options options_;
};
}  // namespace detail

/// Logistic loss of ±1 targets (torch.nn.SoftMarginLoss); see metagrad::soft_margin_loss.
class SoftMarginLoss : public detail::ReducedLoss<SoftMarginLoss, &soft_margin_loss> {
 public:
  /// torch.nn.SoftMarginLoss(reduction).
  explicit SoftMarginLoss(Reduction reduction = Reduction::Mean) : ReducedLoss(reduction) {}
};

/// Hinge loss of distances against ±1 targets (torch.nn.HingeEmbeddingLoss); see
/// metagrad::hinge_embedding_loss.
class HingeEmbeddingLoss : public Cloneable<HingeEmbeddingLoss, Loss> {
 public:
  /// torch.nn.HingeEmbeddingLoss(margin, reduction).
  explicit HingeEmbeddingLoss(double margin = 1.0, Reduction reduction = Reduction::Mean)
      : margin_(margin), reduction_(reduction) {}
  using Loss::forward;
  Tensor forward(const Tensor& input, const Tensor& target) override;

 private:
  double margin_;
  Reduction reduction_;
};

/// Multi-label one-versus-all logistic loss (torch.nn.MultiLabelSoftMarginLoss); see
/// metagrad::multilabel_soft_margin_loss. options.weight becomes the buffer `weight`.
class MultiLabelSoftMarginLoss
    : public detail::WeightedLoss<MultiLabelSoftMarginLoss, MultilabelSoftMarginLossOptions,
                                  &multilabel_soft_margin_loss> {
 public:
  /// torch.nn.MultiLabelSoftMarginLoss(weight, reduction).
  explicit MultiLabelSoftMarginLoss(const MultilabelSoftMarginLossOptions& options = {})
      : WeightedLoss(options) {}
};

/// Multi-class hinge loss (torch.nn.MultiMarginLoss); see metagrad::multi_margin_loss.
/// options.weight becomes the buffer `weight`.
class MultiMarginLoss
    : public detail::WeightedLoss<MultiMarginLoss, MultiMarginLossOptions, &multi_margin_loss> {
 public:
  /// torch.nn.MultiMarginLoss(p, margin, weight, reduction).
  explicit MultiMarginLoss(const MultiMarginLossOptions& options = {}) : WeightedLoss(options) {}
};

/// Poisson negative log-likelihood (torch.nn.PoissonNLLLoss); see metagrad::poisson_nll_loss.
class PoissonNLLLoss
    : public detail::OptionsLoss<PoissonNLLLoss, PoissonNllLossOptions, &poisson_nll_loss> {
 public:
  /// torch.nn.PoissonNLLLoss(log_input, full, eps, reduction).
  explicit PoissonNLLLoss(const PoissonNllLossOptions& options = {}) : OptionsLoss(options) {}
};

/// Ranking hinge loss of two inputs (torch.nn.MarginRankingLoss), called as
/// loss(input1, input2, target); see metagrad::margin_ranking_loss.
class MarginRankingLoss : public detail::MarginLoss3<MarginRankingLoss, &margin_ranking_loss> {
 public:
  /// torch.nn.MarginRankingLoss(margin, reduction).
  explicit MarginRankingLoss(double margin = 0.0, Reduction reduction = Reduction::Mean)
      : MarginLoss3(margin, reduction) {}
};

/// Cosine similarity loss of two inputs (torch.nn.CosineEmbeddingLoss), called as
/// loss(input1, input2, target); see metagrad::cosine_embedding_loss.
class CosineEmbeddingLoss
    : public detail::MarginLoss3<CosineEmbeddingLoss, &cosine_embedding_loss> {
 public:
  /// torch.nn.CosineEmbeddingLoss(margin, reduction).
  explicit CosineEmbeddingLoss(double margin = 0.0, Reduction reduction = Reduction::Mean)
      : MarginLoss3(margin, reduction) {}
};

/// Triplet loss (torch.nn.TripletMarginLoss), called as loss(anchor, positive, negative); see
/// metagrad::triplet_margin_loss.
class TripletMarginLoss : public detail::OptionsLoss3<TripletMarginLoss, TripletMarginLossOptions,
                                                      &triplet_margin_loss> {
 public:
  /// torch.nn.TripletMarginLoss(margin, p, eps, swap, reduction).
  explicit TripletMarginLoss(const TripletMarginLossOptions& options = {})
      : OptionsLoss3(options) {}
};

/// Gaussian negative log-likelihood (torch.nn.GaussianNLLLoss), called as
/// loss(input, target, var); see metagrad::gaussian_nll_loss.
class GaussianNLLLoss
    : public detail::OptionsLoss3<GaussianNLLLoss, GaussianNllLossOptions, &gaussian_nll_loss> {
 public:
  /// torch.nn.GaussianNLLLoss(full, eps, reduction).
  explicit GaussianNLLLoss(const GaussianNllLossOptions& options = {}) : OptionsLoss3(options) {}
};

/// Multi-label hinge loss over listed classes (torch.nn.MultiLabelMarginLoss); see
/// metagrad::multilabel_margin_loss.
class MultiLabelMarginLoss
    : public detail::ReducedLoss<MultiLabelMarginLoss, &multilabel_margin_loss> {
 public:
  /// torch.nn.MultiLabelMarginLoss(reduction).
  explicit MultiLabelMarginLoss(Reduction reduction = Reduction::Mean) : ReducedLoss(reduction) {}
};

/// Triplet loss with a distance function (torch.nn.TripletMarginWithDistanceLoss), called as
/// loss(anchor, positive, negative); see metagrad::triplet_margin_with_distance_loss. Without a
/// distance function it holds PyTorch's default, a PairwiseDistance submodule named
/// `distance_function`.
class TripletMarginWithDistanceLoss
    : public Cloneable<TripletMarginWithDistanceLoss, ThreeInputLoss> {
 public:
  /// torch.nn.TripletMarginWithDistanceLoss(distance_function, margin, swap, reduction). Throws
  /// unless margin > 0.
  explicit TripletMarginWithDistanceLoss(const TripletMarginWithDistanceLossOptions& options = {});
  using ThreeInputLoss::forward;
  Tensor forward(const Tensor& anchor, const Tensor& positive, const Tensor& negative) override;

 private:
  TripletMarginWithDistanceLossOptions options_;
};

/// The connectionist temporal classification loss (torch.nn.CTCLoss), called as
/// loss(log_probs, targets, input_lengths, target_lengths); see metagrad::ctc_loss.
class CTCLoss : public Cloneable<CTCLoss> {
 public:
  /// torch.nn.CTCLoss(blank, reduction, zero_infinity).
  explicit CTCLoss(const CtcLossOptions& options = {}) : options_(options) {}
  /// Throws: the loss takes log_probs, targets and both lengths.
  Tensor forward(const Tensor& input) override;
  /// ctc_loss(log_probs, targets, input_lengths, target_lengths, options).
  Tensor forward(const Tensor& log_probs, const Tensor& targets, const Tensor& input_lengths,
                 const Tensor& target_lengths);
  using Module::operator();
  /// forward(log_probs, targets, input_lengths, target_lengths).
  Tensor operator()(const Tensor& log_probs, const Tensor& targets, const Tensor& input_lengths,
                    const Tensor& target_lengths) {
    return forward(log_probs, targets, input_lengths, target_lengths);
  }

 private:
  CtcLossOptions options_;
};

/// @}
}  // namespace metagrad::nn
