// Padding, packing and unpacking of variable-length sequences (packed_sequence.hpp). The layout
// (which padded cell each packed row comes from) is worked out on the host from the lengths; the
// data moves by one index_select each way, whose backward is an index_add.
#include "engine/nn/packed_sequence.hpp"

#include <algorithm>
#include <numeric>

#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"

namespace metagrad::nn::utils::rnn {
namespace {

Tensor index_tensor(const std::vector<int64_t>& values, Device device) {
  // Exact: an index is below an element count, far below 2^53.
  const std::vector<double> exact(values.begin(), values.end());
  return tensor(exact, {static_cast<int64_t>(exact.size())}, TensorOptions(kInt64, device));
}

// The batch index of each sorted position of a PackedSequence (identity when it was sorted).
std::vector<int64_t> sorted_order(const PackedSequence& sequence, int64_t batch) {
  if (!sequence.sorted_indices.defined()) {
    std::vector<int64_t> order(static_cast<size_t>(batch));
    std::iota(order.begin(), order.end(), 0);
    return order;
  }
  std::vector<int64_t> order = sequence.sorted_indices.to_vector<int64_t>();
  std::vector<bool> seen(static_cast<size_t>(batch), false);
  bool permutation = static_cast<int64_t>(order.size()) == batch;
  for (const int64_t n : order) {
    permutation = permutation && n >= 0 && n < batch && !seen[static_cast<size_t>(n)];
    if (permutation) seen[static_cast<size_t>(n)] = true;
  }
  MG_CHECK(permutation,
           "PackedSequence: sorted_indices must be a permutation of the {} batch indices, got {} "
           "entries",
           batch, order.size());
  return order;
}

// The batch sizes of a PackedSequence, checked: non-empty, non-increasing, positive, and summing
// to the rows of its data.
std::vector<int64_t> checked_batch_sizes(const PackedSequence& sequence, const char* op) {
  MG_CHECK(
      sequence.data.defined() && sequence.batch_sizes.defined() &&
          sequence.batch_sizes.dtype() == kInt64 && sequence.batch_sizes.dim() == 1 &&
          sequence.batch_sizes.numel() > 0 && sequence.data.dim() >= 1,
      "{}: expected a PackedSequence with data [sum of lengths, *] and int64 batch_sizes [T]; "
      "got data of shape {} and batch_sizes of shape {}",
      op, sequence.data.defined() ? shape_str(sequence.data.shape()) : "(undefined)",
      sequence.batch_sizes.defined() ? shape_str(sequence.batch_sizes.shape()) : "(undefined)");
  const std::vector<int64_t> sizes = sequence.batch_sizes.to_vector<int64_t>();
  int64_t rows = 0;
  for (size_t t = 0; t < sizes.size(); ++t) {
    MG_CHECK(sizes[t] > 0 && (t == 0 || sizes[t] <= sizes[t - 1]),
             "{}: batch_sizes must be positive and non-increasing, got {} after {} at step {}", op,
             sizes[t], t == 0 ? 0 : sizes[t - 1], t);
    rows += sizes[t];
  }
  MG_CHECK(rows == sequence.data.size(0), "{}: batch_sizes sum to {} rows but data has shape {}",
           op, rows, shape_str(sequence.data.shape()));
  return sizes;
}

}  // namespace

Tensor pad_sequence(const TensorList& sequences, bool batch_first, double padding_value) {
  MG_CHECK(!sequences.empty(), "pad_sequence: expected at least one sequence");
  const Tensor& first = sequences.front();
  MG_CHECK(first.defined() && first.dim() >= 1, "pad_sequence: expected sequences [L, *], got {}",
           first.defined() ? shape_str(first.shape()) : std::string("an undefined tensor"));
  int64_t longest = 0;
  for (size_t i = 0; i < sequences.size(); ++i) {
    const Tensor& s = sequences[i];
    MG_CHECK(
        s.defined() && s.dim() == first.dim() && s.dtype() == first.dtype() &&
            s.device() == first.device() &&
            std::equal(s.shape().begin() + 1, s.shape().end(), first.shape().begin() + 1),
        "pad_sequence: sequence {} ({}) does not match sequence 0 ([L, *] of shape {}, {}); "
        "all must share the trailing shape, dtype and device",
        i,
        s.defined() ? shape_str(s.shape()) + " " + std::string(dtype_name(s.dtype())) : "undefined",
        shape_str(first.shape()), dtype_name(first.dtype()));
    longest = std::max(longest, s.size(0));
  }
  TensorList padded;
  for (const Tensor& s : sequences) {
    std::vector<int64_t> pads(static_cast<size_t>(2 * s.dim()), 0);
    pads.back() = longest - s.size(0);
    padded.push_back(pads.back() == 0 ? s : pad(s, pads, padding_value));
  }
  return stack(padded, batch_first ? 0 : 1);
}

PackedSequence pack_padded_sequence(const Tensor& input, const std::vector<int64_t>& lengths,
                                    bool batch_first, bool enforce_sorted) {
  metagrad::detail::check_defined(input, "pack_padded_sequence", "input");
  MG_CHECK(input.dim() >= 2,
           "pack_padded_sequence: expected a padded batch [T, N, *] ([N, T, *] with batch_first), "
           "got shape {}",
           shape_str(input.shape()));
  const Tensor steps_first = batch_first ? transpose(input, 0, 1) : input;
  const int64_t steps = steps_first.size(0), batch = steps_first.size(1);
  MG_CHECK(static_cast<int64_t>(lengths.size()) == batch && batch > 0,
           "pack_padded_sequence: {} lengths for a batch of {} sequences (input shape {}); a batch "
           "has at least one sequence and one length per sequence",
           lengths.size(), batch, shape_str(input.shape()));
  for (size_t n = 0; n < lengths.size(); ++n) {
    MG_CHECK(lengths[n] >= 1 && lengths[n] <= steps,
             "pack_padded_sequence: length {} of sequence {} is outside [1, {}] (the padded "
             "length of input shape {})",
             lengths[n], n, steps, shape_str(input.shape()));
  }
  std::vector<int64_t> order(lengths.size());
  std::iota(order.begin(), order.end(), 0);
  PackedSequence packed;
  if (enforce_sorted) {
    for (size_t n = 1; n < lengths.size(); ++n) {
      MG_CHECK(lengths[n] <= lengths[n - 1],
               "pack_padded_sequence: with enforce_sorted the lengths must be non-increasing, got "
               "{} after {} at sequence {}; sort the batch or pass enforce_sorted = false",
               lengths[n], lengths[n - 1], n);
    }
  } else {
    std::stable_sort(order.begin(), order.end(),
                     [&](int64_t a, int64_t b) { return lengths[a] > lengths[b]; });
    std::vector<int64_t> inverse(order.size());
    for (size_t b = 0; b < order.size(); ++b) inverse[static_cast<size_t>(order[b])] = b;
    packed.sorted_indices = index_tensor(order, input.device());
    packed.unsorted_indices = index_tensor(inverse, input.device());
  }
  // Step t holds the sequences longer than t, in sorted order: rows t N + order[b] of the
  // flattened steps.
  const int64_t longest = lengths[static_cast<size_t>(order.front())];
  std::vector<int64_t> rows, sizes;
  for (int64_t t = 0; t < longest; ++t) {
    int64_t running = 0;
    for (const int64_t n : order) {
      if (lengths[static_cast<size_t>(n)] <= t) break;
      rows.push_back(t * batch + n);
      ++running;
    }
    sizes.push_back(running);
  }
  Dims flat = steps_first.shape();
  flat.erase(0);
  flat[0] = steps * batch;
  packed.data = index_select(reshape(steps_first, flat), 0, index_tensor(rows, input.device()));
  packed.batch_sizes = index_tensor(sizes, kCPU);
  return packed;
}

std::vector<int64_t> packed_lengths(const PackedSequence& sequence) {
  const std::vector<int64_t> sizes = checked_batch_sizes(sequence, "packed_lengths");
  const int64_t batch = sizes.front();
  const std::vector<int64_t> order = sorted_order(sequence, batch);
  std::vector<int64_t> lengths(static_cast<size_t>(batch), 0);
  for (const int64_t running : sizes)
    for (int64_t b = 0; b < running; ++b)
      ++lengths[static_cast<size_t>(order[static_cast<size_t>(b)])];
  return lengths;
}

std::tuple<Tensor, Tensor> pad_packed_sequence(const PackedSequence& sequence, bool batch_first,
                                               double padding_value,
                                               std::optional<int64_t> total_length) {
  const std::vector<int64_t> sizes = checked_batch_sizes(sequence, "pad_packed_sequence");
  const std::vector<int64_t> lengths = packed_lengths(sequence);
  const int64_t batch = sizes.front(), longest = static_cast<int64_t>(sizes.size());
  const int64_t steps = total_length.value_or(longest);
  MG_CHECK(steps >= longest,
           "pad_packed_sequence: total_length {} is shorter than the longest sequence ({} steps)",
           steps, longest);
  const std::vector<int64_t> order = sorted_order(sequence, batch);
  // Cell (t, n) of the padded batch takes packed row r, or the padding row past the data.
  const Tensor& data = sequence.data;
  std::vector<int64_t> source(static_cast<size_t>(steps * batch), data.size(0));
  int64_t row = 0;
  for (int64_t t = 0; t < longest; ++t)
    for (int64_t b = 0; b < sizes[static_cast<size_t>(t)]; ++b)
      source[static_cast<size_t>(t * batch + order[static_cast<size_t>(b)])] = row++;
  Dims one_row = data.shape();
  one_row[0] = 1;
  const Tensor rows =
      cat({data, full(one_row, padding_value, TensorOptions(data.dtype(), data.device()))}, 0);
  Dims shape = data.shape();
  shape[0] = batch;
  shape.insert(0, steps);
  Tensor padded = reshape(index_select(rows, 0, index_tensor(source, data.device())), shape);
  if (batch_first) padded = transpose(padded, 0, 1);
  return {padded, index_tensor(lengths, kCPU)};
}

PackedSequence detail::pack_in_layout_of(const Tensor& steps_first, const PackedSequence& layout) {
  const std::vector<int64_t> sizes = checked_batch_sizes(layout, "pack_in_layout_of");
  const int64_t batch = sizes.front();
  const std::vector<int64_t> order = sorted_order(layout, batch);
  std::vector<int64_t> rows;
  for (int64_t t = 0; t < static_cast<int64_t>(sizes.size()); ++t)
    for (int64_t b = 0; b < sizes[static_cast<size_t>(t)]; ++b)
      rows.push_back(t * steps_first.size(1) + order[static_cast<size_t>(b)]);
  Dims flat = steps_first.shape();
  flat.erase(0);
  flat[0] = steps_first.size(0) * steps_first.size(1);
  PackedSequence packed = layout;
  packed.data =
      index_select(reshape(steps_first, flat), 0, index_tensor(rows, steps_first.device()));
  return packed;
}

PackedSequence pack_sequence(const TensorList& sequences, bool enforce_sorted) {
  std::vector<int64_t> lengths;
  for (const Tensor& s : sequences) lengths.push_back(s.defined() && s.dim() >= 1 ? s.size(0) : 0);
  return pack_padded_sequence(pad_sequence(sequences), lengths, false, enforce_sorted);
}

}  // namespace metagrad::nn::utils::rnn
