// The margin and embedding losses of torch.nn.functional: soft_margin_loss, margin_ranking_loss,
// hinge_embedding_loss, cosine_embedding_loss, triplet_margin_loss, multilabel_soft_margin_loss
// and multi_margin_loss, composed of public differentiable ops. A hinge that PyTorch writes as
// clamp_min passes its gradient at 0 (clamp's), multi_margin_loss's kernel only above 0 (a mask).
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
