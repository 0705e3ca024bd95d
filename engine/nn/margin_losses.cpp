// The margin and embedding losses of torch.nn.functional: soft_margin_loss, margin_ranking_loss,
// hinge_embedding_loss, cosine_embedding_loss, triplet_margin_loss (also with a distance
// function), multilabel_soft_margin_loss, multilabel_margin_loss and multi_margin_loss, composed
// of public differentiable ops. A hinge that PyTorch writes as
// clamp_min passes its gradient at 0 (clamp's), multi_margin_loss's kernel only above 0 (a mask).
#include <vector>

#include "engine/grad_mode.hpp"
#include "engine/nn/functional.hpp"
#include "engine/nn/log1p_exp.hpp"
#include "engine/nn/loss_support.hpp"
#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"

namespace metagrad {

using detail::check_loss_operands;
using detail::reduce_loss;

namespace {

// max(0, z) with clamp's gradient (1 at z == 0, as PyTorch's clamp_min).
Tensor hinge(const Tensor& z) { return clamp(z, 0.0, std::nullopt); }

}  // namespace

Tensor soft_margin_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
  check_loss_operands(input, target, "soft_margin_loss");
  // log(1 + e^(-y x)), without overflow for large -y x
  return reduce_loss(detail::log1p_exp(-(input * target)), reduction);
}

Tensor margin_ranking_loss(const Tensor& input1, const Tensor& input2, const Tensor& target,
                           double margin, Reduction reduction) {
  check_loss_operands(input1, input2, "margin_ranking_loss");
  check_loss_operands(input1, target, "margin_ranking_loss");
  return reduce_loss(hinge(-(target * (input1 - input2)) + margin), reduction);
}

Tensor hinge_embedding_loss(const Tensor& input, const Tensor& target, double margin,
                            Reduction reduction) {
  check_loss_operands(input, target, "hinge_embedding_loss");
  Tensor not_positive, not_negative;
  {
    NoGradGuard no_grad;
    not_positive = ne(target, 1.0);
    not_negative = ne(target, -1.0);
  }
  // max(0, margin - x) where y != 1, plus x where y != -1
  const Tensor margin_part = where(not_positive, hinge(margin - input), 0.0);
  const Tensor self_part = where(not_negative, input, 0.0);
  return reduce_loss(margin_part + self_part, reduction);
}

Tensor cosine_embedding_loss(const Tensor& input1, const Tensor& input2, const Tensor& target,
                             double margin, Reduction reduction) {
  check_loss_operands(input1, input2, "cosine_embedding_loss");
  detail::check_defined(target, "cosine_embedding_loss", "target");
  detail::check_same_kind(input1, target, "cosine_embedding_loss");
  const bool batched = input1.dim() == 2;
  MG_CHECK((batched && target.dim() == 1 && target.size(0) == input1.size(0)) ||
               (input1.dim() == 1 && target.dim() == 0),
           "cosine_embedding_loss: expected inputs [N, D] with target [N], or [D] with a 0-d "
           "target; got inputs {} and target {}",
           shape_str(input1.shape()), shape_str(target.shape()));
  // cos = sum x1 x2 / sqrt((|x1|^2 + 1e-12) (|x2|^2 + 1e-12)), PyTorch's epsilon
  constexpr double kEpsilon = 1e-12;
  const int64_t dim = batched ? 1 : 0;
  const Tensor dot_product = sum(input1 * input2, {dim});
  const Tensor norms =
      sqrt((sum(square(input1), {dim}) + kEpsilon) * (sum(square(input2), {dim}) + kEpsilon));
  const Tensor cosine = dot_product / norms;
  Tensor positive, negative;
  {
    NoGradGuard no_grad;
    positive = eq(target, 1.0);
    negative = eq(target, -1.0);
  }
  const Tensor loss =
      where(positive, 1.0 - cosine, 0.0) + where(negative, hinge(cosine - margin), 0.0);
  return reduce_loss(loss, reduction);
}

Tensor triplet_margin_loss(const Tensor& anchor, const Tensor& positive, const Tensor& negative,
                           const TripletMarginLossOptions& options) {
  check_loss_operands(anchor, positive, "triplet_margin_loss");
  check_loss_operands(anchor, negative, "triplet_margin_loss");
  MG_CHECK(anchor.dim() >= 1, "triplet_margin_loss: inputs must have at least one dim, got 0-d");
  const Tensor to_positive = pairwise_distance(anchor, positive, options.p, options.eps);
  Tensor to_negative = pairwise_distance(anchor, negative, options.p, options.eps);
  if (options.swap)
    to_negative =
        minimum(to_negative, pairwise_distance(positive, negative, options.p, options.eps));
  return reduce_loss(hinge(to_positive - to_negative + options.margin), options.reduction);
}

Tensor triplet_margin_with_distance_loss(const Tensor& anchor, const Tensor& positive,
                                         const Tensor& negative,
                                         const TripletMarginWithDistanceLossOptions& options) {
  const char* op = "triplet_margin_with_distance_loss";
  detail::check_defined(anchor, op, "anchor");
  detail::check_defined(positive, op, "positive");
  detail::check_defined(negative, op, "negative");
  MG_CHECK(options.margin > 0.0, "{}: margin must be greater than 0, got {}", op, options.margin);
  const DistanceFunction distance =
      options.distance_function ? options.distance_function : [](const Tensor& a, const Tensor& b) {
        return pairwise_distance(a, b);
      };
  const Tensor to_positive = distance(anchor, positive);
  Tensor to_negative = distance(anchor, negative);
  if (options.swap) to_negative = minimum(to_negative, distance(positive, negative));
  return reduce_loss(hinge(to_positive - to_negative + options.margin), options.reduction);
}

Tensor multilabel_soft_margin_loss(const Tensor& input, const Tensor& target,
                                   const MultilabelSoftMarginLossOptions& options) {
  check_loss_operands(input, target, "multilabel_soft_margin_loss");
  MG_CHECK(input.dim() == 1 || input.dim() == 2,
           "multilabel_soft_margin_loss: expected input [N, C] or [C], got shape {}",
           shape_str(input.shape()));
  // -(t log sigmoid(x) + (1 - t) log sigmoid(-x)), weighted, averaged over the classes
  Tensor loss = -(target * log_sigmoid(input) + (1.0 - target) * log_sigmoid(-input));
  if (options.weight.defined()) {
    detail::check_same_kind(input, options.weight, "multilabel_soft_margin_loss");
    MG_CHECK(options.weight.dim() == 1 && options.weight.size(0) == input.size(-1),
             "multilabel_soft_margin_loss: weight of shape {} must be [C] = [{}]",
             shape_str(options.weight.shape()), input.size(-1));
    loss = loss * options.weight;
  }
  const double classes = static_cast<double>(input.size(-1));
  return reduce_loss(sum(loss, {-1}) / classes, options.reduction);
}

Tensor multilabel_margin_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
  const char* op = "multilabel_margin_loss";
  detail::check_floating(input, op);
  detail::check_defined(target, op, "target");
  MG_CHECK((input.dim() == 1 || input.dim() == 2) && target.shape() == input.shape() &&
               target.dtype() == kInt64,
           "multilabel_margin_loss: expected input [C] or [N, C] and an int64 target of the same "
           "shape, got input {} and {} target {}",
           shape_str(input.shape()), dtype_name(target.dtype()), shape_str(target.shape()));
  const bool batched = input.dim() == 2;
  const Tensor x = batched ? input : input.unsqueeze(0);
  const int64_t n = x.size(0), classes = x.size(1);
  // Per sample: how often each class is listed before the first -1 (the j side), and whether it
  // is unlisted (the i side).
  const std::vector<int64_t> listed = target.to_vector<int64_t>();
  std::vector<double> multiplicity(listed.size(), 0.0), unlisted(listed.size(), 1.0);
  for (int64_t row = 0; row < n; ++row) {
    for (int64_t m = 0; m < classes; ++m) {
      const int64_t label = listed[static_cast<size_t>(row * classes + m)];
      MG_CHECK(label >= -1 && label < classes,
               "multilabel_margin_loss: target {} at position {} of sample {} must lie in [-1, "
               "{}) (input shape {})",
               label, m, row, classes, shape_str(input.shape()));
      if (label < 0) break;
      multiplicity[static_cast<size_t>(row * classes + label)] += 1.0;
      unlisted[static_cast<size_t>(row * classes + label)] = 0.0;
    }
  }
  const TensorOptions options(x.dtype(), x.device());
  const Tensor weight_j = tensor(multiplicity, {n, classes, 1}, options);
  const Tensor mask_i = tensor(unlisted, {n, 1, classes}, options);
  // max(0, 1 - x_j + x_i) over listed j (with multiplicity) and unlisted i, counted where > 0
  const Tensor z = x.unsqueeze(1) - x.unsqueeze(2) + 1.0;  // [N, j, i]
  Tensor counted;
  {
    NoGradGuard no_grad;
    counted = logical_and(gt(z, 0.0), gt(weight_j * mask_i, 0.0));
  }
  Tensor loss = sum(where(counted, z, 0.0) * weight_j, {1, 2}) / static_cast<double>(classes);
  if (!batched) loss = loss.reshape({});
  return reduce_loss(loss, reduction);
}

Tensor multi_margin_loss(const Tensor& input, const Tensor& target,
                         const MultiMarginLossOptions& options) {
  const char* op = "multi_margin_loss";
  detail::check_floating(input, op);
  detail::check_defined(target, op, "target");
  MG_CHECK(options.p == 1 || options.p == 2, "multi_margin_loss: p must be 1 or 2, got {}",
           options.p);
  const bool batched = input.dim() == 2;
  MG_CHECK(
      (batched && target.dim() == 1 && target.size(0) == input.size(0)) ||
          (input.dim() == 1 && target.dim() == 0),
      "multi_margin_loss: expected input [N, C] with target [N], or [C] with a 0-d target; got "
      "input {} and target {}",
      shape_str(input.shape()), shape_str(target.shape()));
  MG_CHECK(target.dtype() == kInt64 && target.device() == input.device(),
           "multi_margin_loss: target must be an int64 tensor on {}, got {} on {}",
           input.device().str(), dtype_name(target.dtype()), target.device().str());
  const Tensor x = batched ? input : input.unsqueeze(0);
  const Tensor y = (batched ? target : target.unsqueeze(0)).unsqueeze(1);  // [N, 1]
  const int64_t classes = x.size(1);
  {
    NoGradGuard no_grad;
    MG_CHECK(y.numel() == 0 || (all(ge(y, 0.0)).item<bool>() &&
                                all(lt(y, static_cast<double>(classes))).item<bool>()),
             "multi_margin_loss: every target must lie in [0, {}) (input shape {})", classes,
             shape_str(input.shape()));
  }
  // max(0, margin - x[y] + x[j]) over j != y, squared for p = 2, weighted by weight[y]
  const Tensor z = x - gather(x, 1, y) + options.margin;
  Tensor counted;
  {
    NoGradGuard no_grad;
    counted = logical_and(gt(z, 0.0), ne(arange(classes, TensorOptions(kInt64, x.device())), y));
  }
  Tensor terms = where(counted, options.p == 2 ? square(z) : z, 0.0);
  if (options.weight.defined()) {
    detail::check_same_kind(input, options.weight, op);
    MG_CHECK(options.weight.dim() == 1 && options.weight.size(0) == classes,
             "multi_margin_loss: weight of shape {} must be [C] = [{}]",
             shape_str(options.weight.shape()), classes);
    terms = terms * index_select(options.weight, 0, y.reshape({-1})).unsqueeze(1);
  }
  Tensor loss = sum(terms, {1}) / static_cast<double>(classes);
  if (!batched) loss = loss.reshape({});
  return reduce_loss(loss, options.reduction);
}

}  // namespace metagrad
