// L2R's example weights against their closed form: after a look-ahead MetaSGD step of rate lr on
// sum_i eps_i loss_i, -d L_val / d eps_i at eps = 0 is lr * <grad L_val, grad loss_i>; the
// weights are its positive part, normalised. Also: the network and the look-ahead optimizer are
// restored, all-negative alignments give zero weights, and wrong loss shapes are named.
#include "examples/common/l2r_weights.hpp"

#include <vector>

#include "metagrad.hpp"
#include "tests/support/catch.hpp"

using namespace metagrad;
using namespace metagrad::examples;

namespace {

nn::Sequential small_net() {
  return nn::Sequential(nn::Linear(3, 4, {.dtype = kFloat64}), nn::Tanh(),
                        nn::Linear(4, 1, {.dtype = kFloat64}));
}

Tensor bce_losses(nn::Module& net, const Tensor& x, const Tensor& y) {
  return binary_cross_entropy_with_logits(reshape(net(x), {-1}), y, {.reduction = Reduction::None});
}

// lr * <grad mean(val losses), grad loss_i> for each training example i.
std::vector<double> alignments(nn::Sequential& net, double lr, const Tensor& x, const Tensor& y,
                               const Tensor& val_x, const Tensor& val_y) {
  const TensorList params = net.parameters();
  const TensorList g_val = grad({bce_losses(net, val_x, val_y).mean()}, params);
  const Tensor losses = bce_losses(net, x, y);
  std::vector<double> out;
  for (int64_t i = 0; i < x.size(0); ++i) {
    const TensorList g_i = grad({losses.select(0, i)}, params, {}, {.retain_graph = true});
    double dot = 0.0;
    for (size_t p = 0; p < params.size(); ++p) dot += (g_val[p] * g_i[p]).sum().item<double>();
    out.push_back(lr * dot);
  }
  return out;
}

}  // namespace

TEST_CASE("l2r_weights are the normalised positive alignments with the validation gradient",
          "[examples][l2r]") {
  manual_seed(5);
  nn::Sequential net = small_net();
  const double lr = 0.3;
  // Momentum gives the look-ahead optimizer a state to restore (its first step is still -lr g).
  MetaSGD lookahead(net, {.lr = lr, .momentum = 0.9});
  const Tensor x = randn({8, 3}, kFloat64), val_x = randn({6, 3}, kFloat64);
  const Tensor y = tensor({1, 0, 1, 1, 0, 0, 1, 0}, kFloat64);
  const Tensor val_y = tensor({0, 1, 0, 1, 1, 0}, kFloat64);
  const TensorList before = net.parameters();

  const std::vector<double> align = alignments(net, lr, x, y, val_x, val_y);
  double positive_sum = 0.0;
  int positives = 0;
  for (double a : align) positive_sum += a > 0 ? a : 0.0, positives += a > 0;
  REQUIRE(positives > 0);
  REQUIRE(positives < 8);  // some examples disagree with the validation set and get weight 0

  const Tensor w = l2r_weights(net, lookahead, bce_losses, x, y, val_x, val_y);
  REQUIRE(w.shape() == Dims{8});
  CHECK(w.dtype() == kFloat64);
  CHECK_FALSE(w.requires_grad());
  const std::vector<double> values = w.to_vector<double>();
  for (size_t i = 0; i < align.size(); ++i)
    CHECK(values[i] == Approx(align[i] > 0 ? align[i] / positive_sum : 0.0).margin(1e-12));
  CHECK(w.sum().item<double>() == Approx(1.0));

  // The network holds its original leaf parameters again, and the optimizer its initial state:
  // a second call gives the same weights.
  const TensorList after = net.parameters();
  REQUIRE(after.size() == before.size());
  for (size_t p = 0; p < after.size(); ++p) {
    CHECK(after[p].is_leaf());
    CHECK(after[p].data_ptr<double>() == before[p].data_ptr<double>());
  }
  CHECK(l2r_weights(net, lookahead, bce_losses, x, y, val_x, val_y).to_vector<double>() == values);
}

TEST_CASE("l2r_weights are zero when no example helps the validation loss", "[examples][l2r]") {
  manual_seed(6);
  nn::Sequential net = small_net();
  MetaSGD lookahead(net, {.lr = 0.1});
  // The validation set holds the training inputs with the opposite labels.
  const Tensor x = randn({3, 3}, kFloat64);
  const Tensor w = l2r_weights(net, lookahead, bce_losses, x, tensor({1, 1, 1}, kFloat64), x,
                               tensor({0, 0, 0}, kFloat64));
  CHECK(w.to_vector<double>() == std::vector<double>{0.0, 0.0, 0.0});
}

TEST_CASE("l2r_weights names losses of the wrong shape and restores the network",
          "[examples][l2r]") {
  nn::Sequential net = small_net();
  MetaSGD lookahead(net, {.lr = 0.1});
  const TensorList before = net.parameters();
  const Tensor x = randn({4, 3}, kFloat64), y = zeros({4}, kFloat64);
  const auto mean_loss = [](nn::Module& m, const Tensor& a, const Tensor& b) {
    return bce_losses(m, a, b).mean();
  };
  CHECK_THROWS_WITH(l2r_weights(net, lookahead, mean_loss, x, y, x, y),
                    MG_CONTAINS("must have shape [4] (one per example of x [4, 3]), got []"));
  // A failure after the look-ahead step (validation targets of the wrong size) restores too.
  CHECK_THROWS(l2r_weights(net, lookahead, bce_losses, x, y, x, zeros({3}, kFloat64)));
  const TensorList after = net.parameters();
  for (size_t p = 0; p < after.size(); ++p) CHECK(after[p].is_leaf());
  CHECK(after[0].data_ptr<double>() == before[0].data_ptr<double>());
}
