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
