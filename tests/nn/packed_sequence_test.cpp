// Variable-length sequences (engine/nn/packed_sequence.hpp) against PyTorch 1.13 in float64:
// pad_sequence and pack_sequence exactly, and a 2-layer bidirectional LSTM and a batch-first GRU
// over packed batches (unsorted lengths, initial states, total_length) as checksums
// sum(t * wave(t.shape, phase)) of the outputs, final states and gradients; gradcheck through
// packing and unpacking; the errors.
#include <vector>

#include "tests/nn/nn_helpers.hpp"

using namespace metagrad;
using metagrad::testing::allclose;
using metagrad::testing::check_grads;
using metagrad::testing::fill_wave_parameters;
using metagrad::testing::wave;
namespace rnn = metagrad::nn::utils::rnn;

namespace {

double checksum(const Tensor& t, double phase) {
  return sum(t.detach() * wave(t.shape(), phase)).item<double>();
}

bool near(double got, double want) { return std::abs(got - want) <= 1e-10 * (1 + std::abs(want)); }

std::vector<double> values(const Tensor& t) { return reshape(t, {-1}).to_vector<double>(); }

}  // namespace

TEST_CASE("pad_sequence and pack_sequence lay out batches as PyTorch", "[nn][packed]") {
  const TensorList seqs{wave({2, 2}, 0.1), wave({4, 2}, 0.2), wave({1, 2}, 0.3)};
  const Tensor padded = rnn::pad_sequence(seqs, true, -1.0);
  CHECK(padded.shape() == Dims{3, 4, 2});
  CHECK(allclose(padded,
                 tensor({0.14975012497024223,
                         0.6793294280686024,
                         1.116964679956289,
                         1.4034240023300788,
                         -1,
                         -1,
                         -1,
                         -1,
                         0.2980039961925918,
                         0.8094480731009539,
                         1.2113371506076713,
                         1.449277427419101,
                         1.4910648032971139,
                         1.3310435529500628,
                         0.9908718019188011,
                         0.516590200887585,
                         0.4432803099920093,
                         0.9314789805548394,
                         -1,
                         -1,
                         -1,
                         -1,
                         -1,
                         -1},
                        {3, 4, 2}, kFloat64),
                 0, 0));
  const rnn::PackedSequence packed = rnn::pack_sequence(seqs, false);
  CHECK(allclose(
      packed.data,
      tensor({0.2980039961925918, 0.8094480731009539, 0.14975012497024223, 0.6793294280686024,
              0.4432803099920093, 0.9314789805548394, 1.2113371506076713, 1.449277427419101,
              1.116964679956289, 1.4034240023300788, 1.4910648032971139, 1.3310435529500628,
              0.9908718019188011, 0.516590200887585},
             {7, 2}, kFloat64),
      0, 0));
  CHECK(values(packed.batch_sizes.to(kFloat64)) == std::vector<double>{3, 2, 1, 1});
  CHECK(values(packed.sorted_indices.to(kFloat64)) == std::vector<double>{1, 0, 2});
  CHECK(values(packed.unsorted_indices.to(kFloat64)) == std::vector<double>{1, 0, 2});
  CHECK(rnn::packed_lengths(packed) == std::vector<int64_t>{2, 4, 1});
  // Unpacking restores the padded batch (zeros as padding) and the lengths.
  const auto [unpacked, lengths] = rnn::pad_packed_sequence(packed, true, -1.0);
  CHECK(allclose(unpacked, padded, 0, 0));
  CHECK(values(lengths.to(kFloat64)) == std::vector<double>{2, 4, 1});
  // Sorted input keeps no permutation.
  const rnn::PackedSequence sorted = rnn::pack_sequence({seqs[1], seqs[0], seqs[2]});
  CHECK(!sorted.sorted_indices.defined());
  CHECK(values(sorted.batch_sizes.to(kFloat64)) == std::vector<double>{3, 2, 1, 1});
}

TEST_CASE("LSTM and GRU over packed batches match PyTorch", "[nn][packed][recurrent]") {
  const Tensor x = wave({5, 4, 3}, 0.3).requires_grad_();
  const rnn::PackedSequence packed = rnn::pack_padded_sequence(x, {3, 5, 2, 5}, false, false);
  CHECK(values(packed.sorted_indices.to(kFloat64)) == std::vector<double>{1, 3, 0, 2});
  CHECK(values(packed.batch_sizes.to(kFloat64)) == std::vector<double>{4, 4, 3, 2, 2});
  nn::LSTM lstm(3, 4, {.num_layers = 2, .bidirectional = true, .dtype = kFloat64});
  fill_wave_parameters(lstm);
  const auto [out, states] = lstm.forward(packed, {wave({4, 4, 4}, 0.7), wave({4, 4, 4}, 1.1)});
  const auto& [h_n, c_n] = states;
  const Tensor padded = std::get<0>(rnn::pad_packed_sequence(out));
  REQUIRE(padded.shape() == Dims{5, 4, 8});
  const Tensor loss = sum(padded * wave(padded.shape(), 0.9)) + sum(h_n * wave(h_n.shape(), 0.4)) +
                      sum(c_n * wave(c_n.shape(), 0.6));
  const Tensor w_hh = lstm.named_parameters()[13].second;
  REQUIRE(lstm.named_parameters()[13].first == "weight_hh_l1_reverse");
  const TensorList g = grad({loss}, {x, w_hh});
  CHECK(near(checksum(padded, 0.3), -6.7650115974342455));
  CHECK(near(checksum(h_n, 0.3), -0.2694373310389343));
  CHECK(near(checksum(c_n, 0.3), 5.004182926570573));
  CHECK(near(checksum(g[0], 1.3), -3.789711088314219));
  CHECK(near(checksum(g[1], 1.3), -8.198638222769365));
  CHECK(near(checksum(out.data, 0.5), 3.651160038676424));

  nn::GRU gru(3, 4, {.batch_first = true, .dtype = kFloat64});
  fill_wave_parameters(gru);
  const Tensor xb = wave({3, 4, 3}, 0.2).requires_grad_();
  const auto [gru_out, gru_h] = gru.forward(rnn::pack_padded_sequence(xb, {4, 3, 1}, true));
  const auto [gru_padded, gru_lengths] = rnn::pad_packed_sequence(gru_out, true, 0.0, 5);
  REQUIRE(gru_padded.shape() == Dims{3, 5, 4});
  CHECK(values(gru_lengths.to(kFloat64)) == std::vector<double>{4, 3, 1});
  const Tensor gru_loss =
      sum(gru_padded * wave(gru_padded.shape(), 0.9)) + sum(gru_h * wave(gru_h.shape(), 0.4));
  CHECK(near(checksum(gru_padded, 0.3), 2.1550239123548542));
  CHECK(near(checksum(gru_h, 0.3), -0.40292621072755563));
  CHECK(near(checksum(grad({gru_loss}, {xb})[0], 1.3), 1.7672927485055039));
}

TEST_CASE("packing and unpacking pass gradcheck and gradgradcheck", "[nn][packed]") {
  check_grads(
      [](const TensorList& in) {
        const rnn::PackedSequence packed = rnn::pack_padded_sequence(in[0], {2, 4, 3}, true, false);
        return TensorList{packed.data * 2.0,
                          std::get<0>(rnn::pad_packed_sequence(packed, false, 0.5, 6))};
      },
      {wave({3, 4, 2}, 0.4).requires_grad_()});
  check_grads(
      [](const TensorList& in) {
        return TensorList{rnn::pad_sequence({in[0], in[1]}, false, 0.25)};
      },
      {wave({3, 2}, 0.1).requires_grad_(), wave({1, 2}, 0.6).requires_grad_()});
}

TEST_CASE("packed sequences reject bad input naming the function", "[nn][packed][errors]") {
  const Tensor x = zeros({4, 3, 2});
  CHECK_THROWS_WITH(rnn::pack_padded_sequence(x, {4, 2}),
                    MG_CONTAINS("pack_padded_sequence: 2 lengths for a batch of 3 sequences"));
  CHECK_THROWS_WITH(rnn::pack_padded_sequence(x, {4, 0, 2}),
                    MG_CONTAINS("pack_padded_sequence: length 0 of sequence 1 is outside [1, 4]"));
  CHECK_THROWS_WITH(rnn::pack_padded_sequence(x, {2, 4, 1}),
                    MG_CONTAINS("with enforce_sorted the lengths must be non-increasing"));
  CHECK_THROWS_WITH(rnn::pad_sequence({zeros({2, 3}), zeros({2, 4})}),
                    MG_CONTAINS("pad_sequence: sequence 1"));
  const rnn::PackedSequence packed = rnn::pack_padded_sequence(x, {4, 2, 1});
  CHECK_THROWS_WITH(rnn::pad_packed_sequence(packed, false, 0.0, 3),
                    MG_CONTAINS("pad_packed_sequence: total_length 3 is shorter than the longest"));
  rnn::PackedSequence broken = packed;
  broken.batch_sizes = tensor({1.0, 3.0}, {2}, kInt64);
  CHECK_THROWS_WITH(rnn::pad_packed_sequence(broken),
                    MG_CONTAINS("batch_sizes must be positive and non-increasing"));
  rnn::PackedSequence unsorted = rnn::pack_padded_sequence(x, {2, 4, 1}, false, false);
  unsorted.sorted_indices = tensor({0.0, 5.0, 1.0}, {3}, kInt64);
  CHECK_THROWS_WITH(rnn::pad_packed_sequence(unsorted),
                    MG_CONTAINS("sorted_indices must be a permutation of the 3 batch indices"));
  CHECK_THROWS_WITH(rnn::pack_padded_sequence(zeros({4, 0, 2}), {}),
                    MG_CONTAINS("a batch has at least one sequence"));
}
