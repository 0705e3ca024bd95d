// The loss modules (engine/nn/losses.hpp): options and weight buffers around the functional
// losses.
#include "engine/nn/losses.hpp"
#include "engine/nn/pairwise_layers.hpp"

namespace metagrad::nn {

Tensor Loss::forward(const Tensor& /*input*/) {
  MG_FAIL("{}: a loss compares an input with a target; call it as loss(input, target)",
          type_name());
}

Tensor ThreeInputLoss::forward(const Tensor& /*input*/) {
  MG_FAIL("{}: the loss takes three tensors; call it as loss(a, b, c) in PyTorch's order",
          type_name());
}

// The weights live in buffers (slot 0 `weight`, slot 1 `pos_weight`), so that .to() moves them;
// each forward passes the buffers' current tensors.
BCEWithLogitsLoss::BCEWithLogitsLoss(const BceWithLogitsOptions& options) : options_(options) {
  register_buffer("weight", options.weight);
  register_buffer("pos_weight", options.pos_weight);
  options_.weight = Tensor();
  options_.pos_weight = Tensor();
}

Tensor BCEWithLogitsLoss::forward(const Tensor& input, const Tensor& target) {
  BceWithLogitsOptions options = options_;
  options.weight = buffer_at(0);
  options.pos_weight = buffer_at(1);
  return binary_cross_entropy_with_logits(input, target, options);
}

Tensor HuberLoss::forward(const Tensor& input, const Tensor& target) {
  return huber_loss(input, target, reduction_, delta_);
}

Tensor SmoothL1Loss::forward(const Tensor& input, const Tensor& target) {
  return smooth_l1_loss(input, target, reduction_, beta_);
}

Tensor KLDivLoss::forward(const Tensor& input, const Tensor& target) {
  return kl_div(input, target, reduction_, log_target_);
}

Tensor HingeEmbeddingLoss::forward(const Tensor& input, const Tensor& target) {
  return hinge_embedding_loss(input, target, margin_, reduction_);
}

TripletMarginWithDistanceLoss::TripletMarginWithDistanceLoss(
    const TripletMarginWithDistanceLossOptions& options)
    : options_(options) {
  MG_CHECK(options.margin > 0.0,
           "TripletMarginWithDistanceLoss: margin must be greater than 0, got {}", options.margin);
  if (!options.distance_function) register_module("distance_function", PairwiseDistance());
}

Tensor TripletMarginWithDistanceLoss::forward(const Tensor& anchor, const Tensor& positive,
                                              const Tensor& negative) {
  TripletMarginWithDistanceLossOptions options = options_;
  if (!options.distance_function) {
    // PyTorch's default distance, held as the submodule `distance_function`.
    auto& distance = detail::submodule_as<TwoInputModule>(*this, module_at(0), "distance_function",
                                                          "TwoInputModule");
    options.distance_function = [&distance](const Tensor& a, const Tensor& b) {
      return distance(a, b);
    };
  }
  return triplet_margin_with_distance_loss(anchor, positive, negative, options);
}

Tensor CTCLoss::forward(const Tensor& /*input*/) {
  MG_FAIL(
      "CTCLoss: the loss takes four tensors; call it as loss(log_probs, targets, input_lengths, "
      "target_lengths)");
}

Tensor CTCLoss::forward(const Tensor& log_probs, const Tensor& targets, const Tensor& input_lengths,
                        const Tensor& target_lengths) {
  return ctc_loss(log_probs, targets, input_lengths, target_lengths, options_);
}

}  // namespace metagrad::nn
