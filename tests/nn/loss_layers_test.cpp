// The loss modules (engine/nn/losses.hpp): each equals its functional loss with the same options
// (bit for bit), keeps its class weights as PyTorch's buffers, prints and clones like PyTorch's.
#include <string>
#include <vector>

#include "tests/nn/nn_helpers.hpp"

using namespace metagrad;
using metagrad::testing::bit_equal;
using metagrad::testing::names;
using metagrad::testing::wave;

TEST_CASE("loss modules equal their functional losses", "[nn][loss]") {
  const Tensor x = wave({4, 3}, 0.2), y = wave({4, 3}, 1.1);
  const Tensor labels = tensor({0, 2, 1, 2}, kInt64);
  const Tensor class_weight = tensor({0.5, 1.0, 2.0}, kFloat64);
  const Tensor probabilities = sigmoid(x), targets = sigmoid(y);
  CHECK(bit_equal(nn::MSELoss()(x, y), mse_loss(x, y)));
  CHECK(bit_equal(nn::MSELoss(Reduction::None)(x, y), mse_loss(x, y, Reduction::None)));
  CHECK(bit_equal(nn::L1Loss(Reduction::Sum)(x, y), l1_loss(x, y, Reduction::Sum)));
  const CrossEntropyOptions ce{.label_smoothing = 0.1, .ignore_index = 1, .weight = class_weight};
  CHECK(bit_equal(nn::CrossEntropyLoss(ce)(x, labels), cross_entropy(x, labels, ce)));
  const NllLossOptions nll{.reduction = Reduction::Sum, .weight = class_weight};
  CHECK(bit_equal(nn::NLLLoss(nll)(log_softmax(x, 1), labels),
                  nll_loss(log_softmax(x, 1), labels, nll)));
  const BinaryCrossEntropyOptions bce{.weight = class_weight};
  CHECK(bit_equal(nn::BCELoss(bce)(probabilities, targets),
                  binary_cross_entropy(probabilities, targets, bce)));
  const BceWithLogitsOptions logits{.pos_weight = class_weight, .weight = wave({4, 1}, 0.5)};
  CHECK(bit_equal(nn::BCEWithLogitsLoss(logits)(x, targets),
                  binary_cross_entropy_with_logits(x, targets, logits)));
  CHECK(
      bit_equal(nn::HuberLoss(Reduction::Mean, 0.5)(x, y), huber_loss(x, y, Reduction::Mean, 0.5)));
  CHECK(bit_equal(nn::SmoothL1Loss(Reduction::Sum, 0.3)(x, y),
                  smooth_l1_loss(x, y, Reduction::Sum, 0.3)));
  CHECK(bit_equal(
      nn::KLDivLoss(KlDivReduction::BatchMean, true)(log_softmax(x, 1), log_softmax(y, 1)),
      kl_div(log_softmax(x, 1), log_softmax(y, 1), KlDivReduction::BatchMean, true)));
}

TEST_CASE("loss modules keep class weights as buffers and print like PyTorch", "[nn][loss]") {
  const Tensor class_weight = tensor({0.5, 1.0, 2.0});
  nn::BCEWithLogitsLoss with_weights({.pos_weight = class_weight, .weight = class_weight * 2.0});
  CHECK(names(with_weights.state_dict()) == std::vector<std::string>{"weight", "pos_weight"});
  CHECK(names(nn::BCEWithLogitsLoss().state_dict()).empty());
  CHECK(nn::CrossEntropyLoss().to_string() == "CrossEntropyLoss()");
  CHECK(nn::MSELoss().parameters().empty());
  // .to() converts the weights, which the next call uses.
  nn::CrossEntropyLoss ce({.weight = class_weight});
  ce.to(kFloat64);
  const Tensor x = wave({4, 3}, 0.2), labels = tensor({0, 2, 1, 2}, kInt64);
  CHECK(ce.get_buffer("weight").dtype() == kFloat64);
  CHECK(bit_equal(ce(x, labels), cross_entropy(x, labels, {.weight = class_weight.to(kFloat64)})));
  // A clone is deep; loading a state dict replaces the weights.
  const auto copy = ce.clone();
  ce.load_state_dict({{"weight", tensor({1.0, 1.0, 1.0}, kFloat64)}});
  CHECK(bit_equal(ce(x, labels), cross_entropy(x, labels)));
  CHECK(!bit_equal(dynamic_cast<nn::CrossEntropyLoss&>(*copy)(x, labels), ce(x, labels)));
  CHECK_THROWS_WITH(ce.forward(x), Catch::Contains("call it as loss(input, target)"));
}

TEST_CASE("margin, likelihood and three-input loss modules equal their functional losses",
          "[nn][loss]") {
  const Tensor x = wave({4, 3}, 0.2), y = wave({4, 3}, 1.1), z = wave({4, 3}, 2.3);
  const Tensor signs = tensor({1, -1, -1, 1}, kFloat64);
  const Tensor sign_grid = where(gt(y, 0.0), ones_like(y), -1.0);
  const Tensor labels = tensor({0, 2, 1, 2}, kInt64);
  const Tensor class_weight = tensor({0.5, 1.0, 2.0}, kFloat64);
  CHECK(bit_equal(nn::SoftMarginLoss(Reduction::Sum)(x, sign_grid),
                  soft_margin_loss(x, sign_grid, Reduction::Sum)));
  CHECK(bit_equal(nn::HingeEmbeddingLoss(0.7)(x, sign_grid),
                  hinge_embedding_loss(x, sign_grid, 0.7)));
  const MultilabelSoftMarginLossOptions multilabel{.weight = class_weight};
  CHECK(bit_equal(nn::MultiLabelSoftMarginLoss(multilabel)(x, gt(y, 0.0).to(kFloat64)),
                  multilabel_soft_margin_loss(x, gt(y, 0.0).to(kFloat64), multilabel)));
  const MultiMarginLossOptions multi{.p = 2, .margin = 0.5, .weight = class_weight};
  CHECK(bit_equal(nn::MultiMarginLoss(multi)(x, labels), multi_margin_loss(x, labels, multi)));
  const PoissonNllLossOptions poisson{.log_input = false, .full = true};
  CHECK(bit_equal(nn::PoissonNLLLoss(poisson)(exp(x), exp(y)),
                  poisson_nll_loss(exp(x), exp(y), poisson)));
  const Tensor a = x.select(1, 0), b = y.select(1, 0);
  CHECK(bit_equal(nn::MarginRankingLoss(0.3)(a, b, signs), margin_ranking_loss(a, b, signs, 0.3)));
  CHECK(bit_equal(nn::CosineEmbeddingLoss(0.2, Reduction::None)(x, y, signs),
                  cosine_embedding_loss(x, y, signs, 0.2, Reduction::None)));
  const TripletMarginLossOptions triplet{.margin = 0.5, .p = 1.0, .swap = true};
  CHECK(bit_equal(nn::TripletMarginLoss(triplet)(x, y, z), triplet_margin_loss(x, y, z, triplet)));
  const GaussianNllLossOptions gaussian{.full = true};
  CHECK(bit_equal(nn::GaussianNLLLoss(gaussian)(x, y, exp(z)),
                  gaussian_nll_loss(x, y, exp(z), gaussian)));
  // Gradients flow through the modules as through the functions.
  const Tensor anchor = wave({4, 3}, 0.2).requires_grad_();
  const Tensor via_module = grad({nn::TripletMarginLoss(triplet)(anchor, y, z)}, {anchor})[0];
  const Tensor via_function = grad({triplet_margin_loss(anchor, y, z, triplet)}, {anchor})[0];
  CHECK(bit_equal(via_module, via_function));
}

TEST_CASE("the margin loss modules keep weights as buffers and print like PyTorch", "[nn][loss]") {
  const Tensor class_weight = tensor({0.5, 1.0, 2.0});
  nn::MultiMarginLoss multi({.weight = class_weight});
  CHECK(names(multi.state_dict()) == std::vector<std::string>{"weight"});
  multi.to(kFloat64);
  const Tensor x = wave({4, 3}, 0.2), labels = tensor({0, 2, 1, 2}, kInt64);
  CHECK(bit_equal(multi(x, labels),
                  multi_margin_loss(x, labels, {.weight = class_weight.to(kFloat64)})));
  nn::MultiLabelSoftMarginLoss multilabel({.weight = class_weight});
  CHECK(names(multilabel.state_dict()) == std::vector<std::string>{"weight"});
  CHECK(names(nn::PoissonNLLLoss().state_dict()).empty());
  CHECK(nn::TripletMarginLoss().to_string() == "TripletMarginLoss()");
  CHECK(nn::GaussianNLLLoss().to_string() == "GaussianNLLLoss()");
  CHECK(nn::MarginRankingLoss().to_string() == "MarginRankingLoss()");
  const auto copy = nn::CosineEmbeddingLoss(0.4).clone();
  const Tensor signs = tensor({1, -1, -1, 1}, kFloat64);
  auto& cosine = dynamic_cast<nn::CosineEmbeddingLoss&>(*copy);
  CHECK(bit_equal(cosine(x, wave({4, 3}, 1.1), signs),
                  cosine_embedding_loss(x, wave({4, 3}, 1.1), signs, 0.4)));
  nn::TripletMarginLoss triplet;
  CHECK_THROWS_WITH(triplet.forward(x), Catch::Contains("call it as loss(a, b, c)"));
}
