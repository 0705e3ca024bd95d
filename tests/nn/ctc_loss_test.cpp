// ctc_loss and nn::CTCLoss against PyTorch 1.13 in float64 (every reduction, the gradient through
// log_softmax, another blank, concatenated targets, and targets no alignment fits), gradcheck and
// gradgradcheck of the true gradient, and the errors.
#include <cmath>
#include <limits>

#include "tests/nn/nn_helpers.hpp"

using namespace metagrad;
using metagrad::testing::allclose;
using metagrad::testing::bit_equal;
using metagrad::testing::check_grads;
using metagrad::testing::wave;

namespace {

Tensor lengths(std::initializer_list<double> values) {
  return tensor(std::vector<double>(values), kInt64);
}

}  // namespace

TEST_CASE("ctc_loss matches PyTorch", "[nn][loss][ctc]") {
  const Tensor logits = wave({6, 3, 5}, 0.2).requires_grad_();
  const Tensor log_probs = log_softmax(logits, 2);
  const Tensor targets = tensor({1, 2, 2, 3, 1, 0, 4, 0, 0}, {3, 3}, kInt64);
  const Tensor input_lengths = lengths({6, 5, 4}), target_lengths = lengths({3, 2, 1});
  const Tensor per_sample =
      ctc_loss(log_probs, targets, input_lengths, target_lengths, {.reduction = Reduction::None});
  CHECK(allclose(per_sample,
                 tensor({7.813625017822425, 5.7414786857241955, 3.645585780045726}, {3}, kFloat64),
                 1e-12));
  CHECK(allclose(
      ctc_loss(log_probs, targets, input_lengths, target_lengths, {.reduction = Reduction::Sum}),
      tensor({17.200689483592345}, {}, kFloat64), 1e-12));
  CHECK(allclose(ctc_loss(log_probs, targets, input_lengths, target_lengths),
                 tensor({3.040288931838433}, {}, kFloat64), 1e-12));
  // Through log_softmax our true gradient and PyTorch's agree.
  const Tensor g = grad({sum(per_sample * tensor({0.3, -0.7, 1.1}, kFloat64))}, {logits})[0];
  CHECK(allclose(g,
                 tensor({-0.014183090342517588,
                         -0.2169416346233823,
                         0.06435499697329725,
                         0.08164290014431351,
                         0.08512682784828916,
                         0.29940590442800274,
                         -0.19449728477408115,
                         -0.12104188005863431,
                         0.057047333538625046,
                         -0.040914073133912314,
                         -0.12356311309187713,
                         0.20482428220956123,
                         0.177981238151187,
                         0.1893676004998579,
                         -0.448610007768729,
                         -0.01808507218561912,
                         -0.0707244733253703,
                         -0.11630543074628855,
                         0.08234953923834078,
                         0.12276543701893718,
                         0.18207328473497114,
                         -0.1594745622280307,
                         -0.15688559476868,
                         0.20343139415164962,
                         -0.06914452188991006,
                         -0.3330848289854161,
                         0.2617857389236238,
                         0.16500905067313387,
                         0.11971384103929349,
                         -0.21342380165063507,
                         -0.07315684710542221,
                         0.013758615118489371,
                         -0.1445840418975564,
                         0.07455351287163828,
                         0.12942876101285092,
                         0.04819449972242049,
                         -0.02068001170753088,
                         -0.16518016667203778,
                         0.2822866959268424,
                         -0.14462101726969423,
                         -0.4806344501110974,
                         0.2937789069455508,
                         0.17027779545604171,
                         0.09933896003915181,
                         -0.08276121232964688,
                         -0.12274210017424547,
                         0.044568994700524646,
                         -0.07856365210273905,
                         0.062132016196217964,
                         0.09460474138024193,
                         0.04982675515855046,
                         0.2182589869085657,
                         -0.13221404487388372,
                         0.11034412600386809,
                         -0.24621582319710053,
                         -0.5753385265039149,
                         0.3071748938322904,
                         0.2166826426757665,
                         0.13408639330658811,
                         -0.08260540331073007,
                         -0.06633427205775792,
                         0.06463919155545067,
                         -0.08435754727109993,
                         0.041452068494539376,
                         0.04460055927886781,
                         0.09998007605406714,
                         0.49582799724680854,
                         -0.10614453741515271,
                         -0.18422330964544562,
                         -0.3054402262402773,
                         0.0,
                         0.0,
                         0.0,
                         0.0,
                         0.0,
                         0.0015638668487331481,
                         0.07587977625894413,
                         -0.1261638915129461,
                         0.02812562901784005,
                         0.020594619387428778,
                         0.0,
                         0.0,
                         0.0,
                         0.0,
                         0.0,
                         0.0,
                         0.0,
                         0.0,
                         0.0,
                         0.0},
                        {6, 3, 5}, kFloat64),
                 1e-10, 1e-12));

  // Another blank and concatenated targets; unbatched equals the batch's first sample.
  const Tensor lp2 = log_softmax(wave({5, 2, 4}, 0.7), 2);
  CHECK(allclose(ctc_loss(lp2, lengths({1, 1, 3, 0}), lengths({5, 5}), lengths({2, 2}),
                          {.blank = 2, .reduction = Reduction::None}),
                 tensor({4.4608073224369225, 3.8432185887063572}, {2}, kFloat64), 1e-12));
  CHECK(allclose(
      ctc_loss(log_probs.select(1, 0), targets.select(0, 0), tensor({6}, kInt64).reshape({}),
               tensor({3}, kInt64).reshape({}), {.reduction = Reduction::None}),
      per_sample.select(0, 0), 1e-14));

  // Two equal labels need a blank between them: 3 frames; with 2 the loss is infinite.
  const Tensor lp3 = log_softmax(wave({2, 1, 3}, 0.1), 2).requires_grad_();
  const Tensor infinite = ctc_loss(lp3, tensor({1, 1}, {1, 2}, kInt64), lengths({2}), lengths({2}),
                                   {.reduction = Reduction::None});
  CHECK(infinite.to_vector<double>()[0] == std::numeric_limits<double>::infinity());
  const Tensor zeroed = ctc_loss(lp3, tensor({1, 1}, {1, 2}, kInt64), lengths({2}), lengths({2}),
                                 {.reduction = Reduction::None, .zero_infinity = true});
  CHECK(zeroed.to_vector<double>()[0] == 0.0);
  CHECK(bit_equal(grad({sum(zeroed)}, {lp3})[0], zeros_like(lp3)));

  nn::CTCLoss layer({.reduction = Reduction::Sum});
  CHECK(bit_equal(
      layer(log_probs, targets, input_lengths, target_lengths),
      ctc_loss(log_probs, targets, input_lengths, target_lengths, {.reduction = Reduction::Sum})));
  CHECK(layer.to_string() == "CTCLoss()");
  CHECK_THROWS_WITH(layer(log_probs), Catch::Contains("call it as loss(log_probs, targets"));
}

TEST_CASE("ctc_loss: gradcheck and gradgradcheck in the log-probabilities", "[nn][loss][ctc]") {
  const Tensor targets = tensor({1, 2, 2, 0}, {2, 2}, kInt64);
  check_grads(
      [&](const TensorList& in) {
        return TensorList{ctc_loss(in[0], targets, lengths({4, 3}), lengths({2, 1}),
                                   {.reduction = Reduction::None})};
      },
      {(wave({4, 2, 3}, 0.3) * 0.5 - 1.2).requires_grad_()});
}

TEST_CASE("ctc_loss rejects bad inputs by name", "[nn][loss][ctc]") {
  const Tensor lp = log_softmax(wave({4, 2, 3}, 0.3), 2);
  const Tensor targets = tensor({1, 2, 2, 0}, {2, 2}, kInt64);
  CHECK_THROWS_WITH(ctc_loss(lp, targets, lengths({5, 3}), lengths({2, 1})),
                    Catch::Contains("input_lengths[0] = 5 must lie in [0, 4]"));
  CHECK_THROWS_WITH(ctc_loss(lp, targets, lengths({4, 3}), lengths({3, 1})),
                    Catch::Contains("target_lengths[0] = 3 exceeds the 2 columns"));
  CHECK_THROWS_WITH(
      ctc_loss(lp, tensor({0, 2, 2, 0}, {2, 2}, kInt64), lengths({4, 3}), lengths({2, 1})),
      Catch::Contains("target 0 of sample 0 is 0; targets must be classes in [0, 3) "
                      "other than blank = 0"));
  CHECK_THROWS_WITH(ctc_loss(lp, targets, lengths({4}), lengths({2, 1})),
                    Catch::Contains("input_lengths must be an int64 tensor of 2 length(s)"));
  CHECK_THROWS_WITH(ctc_loss(lp, targets, lengths({4, 3}), lengths({2, 1}), {.blank = 3}),
                    Catch::Contains("blank (3) must be a class"));
}
