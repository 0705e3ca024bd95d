#pragma once

#include <cstdint>
#include <optional>
#include <tuple>
#include <vector>

#include "engine/tensor.hpp"

// Batches of variable-length sequences (torch.nn.utils.rnn): padding them to one length, packing
// the padded batch step by step with the longest sequences first (what RNN, LSTM and GRU take to
// skip the padding), and unpacking again. Packing and unpacking are index_selects, so gradients
// flow through both, to every order.
namespace metagrad::nn::utils::rnn {
/// \addtogroup nn
/// @{

/// torch.nn.utils.rnn.PackedSequence: the steps of a batch of sequences, step t holding the
/// entries of the batch_sizes[t] sequences still running, longest sequence first.
struct PackedSequence {
  /// [sum of the lengths, *]: step 0's entries, then step 1's, ... (sorted order within a step).
  Tensor data;
  /// int64 [T] on the CPU: the number of sequences still running at each step (non-increasing).
  Tensor batch_sizes;
  /// int64 [N]: the batch index of each sorted position (undefined when the input was sorted).
  Tensor sorted_indices;
  /// int64 [N]: the sorted position of each batch index (undefined when the input was sorted).
  Tensor unsorted_indices;
};

/// torch.nn.utils.rnn.pad_sequence: sequences [L_i, *] (one trailing shape and dtype) ->
/// [max L, N, *] (or [N, max L, *] with batch_first), each padded at its end with padding_value.
/// Differentiable. Throws for an empty list or mismatched sequences.
Tensor pad_sequence(const TensorList& sequences, bool batch_first = false,
                    double padding_value = 0.0);

/// torch.nn.utils.rnn.pack_padded_sequence: a padded batch input [T, N, *] (or [N, T, *] with
/// batch_first) whose sequence n has lengths[n] steps -> PackedSequence. With enforce_sorted the
/// lengths must be non-increasing; otherwise the batch is sorted by length (stably, longest
/// first) and the permutation kept. Differentiable in input. Throws for a length outside
/// [1, T], a lengths list of another size, or unsorted lengths with enforce_sorted.
PackedSequence pack_padded_sequence(const Tensor& input, const std::vector<int64_t>& lengths,
                                    bool batch_first = false, bool enforce_sorted = true);

/// torch.nn.utils.rnn.pad_packed_sequence: PackedSequence -> (padded [T, N, *] or [N, T, *] with
/// batch_first, in the original batch order, padding_value after each sequence's end; int64 CPU
/// lengths [N]). total_length (at least the longest sequence) pads to that many steps.
/// Differentiable in sequence.data. Throws for inconsistent batch sizes or a short total_length.
std::tuple<Tensor, Tensor> pad_packed_sequence(const PackedSequence& sequence,
                                               bool batch_first = false, double padding_value = 0.0,
                                               std::optional<int64_t> total_length = std::nullopt);

/// torch.nn.utils.rnn.pack_sequence: pack_padded_sequence(pad_sequence(sequences), their
/// lengths, false, enforce_sorted).
PackedSequence pack_sequence(const TensorList& sequences, bool enforce_sorted = true);

/// The lengths of the sequences of a PackedSequence in the original batch order (host values).
std::vector<int64_t> packed_lengths(const PackedSequence& sequence);

/// @}

namespace detail {

/// The padded steps_first [T, N, *] (T at least the longest sequence) packed with the batch
/// sizes and order of `layout` (what a recurrent layer returns for a packed input).
PackedSequence pack_in_layout_of(const Tensor& steps_first, const PackedSequence& layout);

}  // namespace detail
}  // namespace metagrad::nn::utils::rnn
