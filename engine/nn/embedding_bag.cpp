// embedding_bag: the bags' rows picked by index_select and reduced per bag with differentiable ops
// (sum and mean as one index_add into the bags; max as max over the bags laid out densely, a
// missing entry a row of -inf), so every derivative order exists in weight and
// per_sample_weights. The bag of every entry is worked out on the host from the offsets.
#include <limits>
#include <vector>

#include "engine/grad_mode.hpp"
#include "engine/nn/functional.hpp"
#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"

namespace metagrad {
namespace {

constexpr const char* kEmbeddingBag = "embedding_bag";

// The entries of each bag: bag b holds the flattened input positions [starts[b], starts[b + 1]).
std::vector<int64_t> bag_starts(const Tensor& input, const Tensor& offsets,
                                bool include_last_offset) {
  const int64_t entries = input.numel();
  if (input.dim() == 2) {
    MG_CHECK(!offsets.defined(),
             "embedding_bag: a 2-D input [B, L] is B bags of L entries; offsets must be undefined, "
             "got offsets of shape {}",
             shape_str(offsets.shape()));
    std::vector<int64_t> starts;
    for (int64_t b = 0; b <= input.size(0); ++b) starts.push_back(b * input.size(1));
    return starts;
  }
  MG_CHECK(offsets.defined() && offsets.dim() == 1 && offsets.dtype() == kInt64,
           "embedding_bag: a 1-D input needs int64 offsets [B] (the start of each bag), got {}",
           offsets.defined() ? fmt::format("{} offsets of shape {}", dtype_name(offsets.dtype()),
                                           shape_str(offsets.shape()))
                             : std::string("undefined offsets"));
  MG_CHECK(offsets.device() == input.device(), "embedding_bag: input on {} but offsets on {}",
           input.device().str(), offsets.device().str());
  std::vector<int64_t> starts = offsets.to_vector<int64_t>();
  MG_CHECK(!include_last_offset || !starts.empty(),
           "embedding_bag: include_last_offset needs at least one offset (the end)");
  if (!include_last_offset) starts.push_back(entries);
  MG_CHECK(starts.size() < 2 || starts.front() == 0,
           "embedding_bag: offsets[0] must be 0 (the first bag starts at the first entry), got {}",
           starts.front());
  for (size_t b = 0; b + 1 < starts.size(); ++b) {
    MG_CHECK(starts[b] <= starts[b + 1] && starts[b + 1] <= entries,
             "embedding_bag: offsets must be non-decreasing and at most the input length {}, got "
             "{} then {} at bag {}",
             entries, starts[b], starts[b + 1], b);
  }
  return starts;
}

}  // namespace

std::string_view embedding_bag_mode_name(EmbeddingBagMode mode) {
  switch (mode) {
    case EmbeddingBagMode::Sum:
      return "sum";
    case EmbeddingBagMode::Mean:
      return "mean";
    case EmbeddingBagMode::Max:
      return "max";
  }
  return "mean";
}

Tensor embedding_bag(const Tensor& input, const Tensor& weight, const Tensor& offsets,
                     EmbeddingBagMode mode, const Tensor& per_sample_weights,
                     bool include_last_offset, std::optional<int64_t> padding_idx) {
  detail::check_defined(input, kEmbeddingBag, "input");
  detail::check_defined(weight, kEmbeddingBag, "weight");
  MG_CHECK(input.dtype() == kInt64 && (input.dim() == 1 || input.dim() == 2),
           "embedding_bag: input must be int64 indices [L] (with offsets) or [B, L], got {} of "
           "shape {}",
           dtype_name(input.dtype()), shape_str(input.shape()));
  MG_CHECK(weight.dim() == 2 && is_floating(weight.dtype()),
           "embedding_bag: weight must be a float [num_embeddings, embedding_dim], got {} of shape "
           "{}",
           dtype_name(weight.dtype()), shape_str(weight.shape()));
  MG_CHECK(input.device() == weight.device(), "embedding_bag: input on {} but weight on {}",
           input.device().str(), weight.device().str());
  if (per_sample_weights.defined()) {
    MG_CHECK(mode == EmbeddingBagMode::Sum,
             "embedding_bag: per_sample_weights are only supported with mode sum, got mode {}",
             embedding_bag_mode_name(mode));
    detail::check_same_kind(weight, per_sample_weights, kEmbeddingBag);
    MG_CHECK(per_sample_weights.shape() == input.shape(),
             "embedding_bag: per_sample_weights must have the input's shape {}, got {}",
             shape_str(input.shape()), shape_str(per_sample_weights.shape()));
  }
  const int64_t count = weight.size(0), dim = weight.size(1);
  if (padding_idx) {
    MG_CHECK(*padding_idx >= -count && *padding_idx < count,
             "embedding_bag: padding_idx {} must be within num_embeddings {}", *padding_idx, count);
    if (*padding_idx < 0) *padding_idx += count;
  }
  const std::vector<int64_t> starts = bag_starts(input, offsets, include_last_offset);
  const auto bags = static_cast<int64_t>(starts.size()) - 1;
  const std::vector<int64_t> index = reshape(input, {-1}).to_vector<int64_t>();
  // The entries that count (not padding), their bag, and each bag's size.
  std::vector<int64_t> positions, rows, bag_of;
  std::vector<int64_t> sizes(static_cast<size_t>(std::max<int64_t>(bags, 0)), 0);
  for (int64_t b = 0; b < bags; ++b) {
    for (int64_t p = starts[static_cast<size_t>(b)]; p < starts[static_cast<size_t>(b) + 1]; ++p) {
      const int64_t row = index[static_cast<size_t>(p)];
      MG_CHECK(row >= 0 && row < count,
               "embedding_bag: index {} at position {} is out of range for a weight of {} rows "
               "(shape {})",
               row, p, count, shape_str(weight.shape()));
      if (padding_idx && row == *padding_idx) continue;
      positions.push_back(p);
      rows.push_back(row);
      bag_of.push_back(b);
      ++sizes[static_cast<size_t>(b)];
    }
  }
  const TensorOptions float_options(weight.dtype(), weight.device());
  const TensorOptions index_options(kInt64, weight.device());
  const Tensor zeros_out = zeros({bags, dim}, float_options);
  if (rows.empty()) return zeros_out;
  const auto as_index = [&](const std::vector<int64_t>& values) {
    // Exact: an index is below the element count of a tensor, far below 2^53.
    const std::vector<double> exact(values.begin(), values.end());
    return tensor(exact, {static_cast<int64_t>(exact.size())}, index_options);
  };
  Tensor picked = index_select(weight, 0, as_index(rows));  // [entries, D]
  if (per_sample_weights.defined()) {
    const Tensor scale = index_select(reshape(per_sample_weights, {-1}), 0, as_index(positions));
    picked = picked * unsqueeze(scale, 1);
  }
  if (mode != EmbeddingBagMode::Max) {
    // sum_b = sum of the bag's rows (backward: index_select of the bags' gradients).
    const Tensor sums = index_add(zeros_out, 0, as_index(bag_of), picked);
    if (mode == EmbeddingBagMode::Sum) return sums;
    std::vector<double> inverse(sizes.size());
    for (size_t b = 0; b < sizes.size(); ++b)
      inverse[b] = sizes[b] > 0 ? 1.0 / static_cast<double>(sizes[b]) : 0.0;
    return sums * tensor(inverse, {bags, 1}, float_options);
  }
  // max_b = max over the bag's rows, laid out as [B, longest, D] with -inf rows for missing
  // entries (backward: to the first entry holding each maximum); an empty bag is 0.
  const int64_t longest = *std::max_element(sizes.begin(), sizes.end());
  const auto sentinel = static_cast<int64_t>(rows.size());
  std::vector<int64_t> layout(static_cast<size_t>(bags * longest), sentinel);
  std::vector<int64_t> filled(sizes.size(), 0);
  for (size_t e = 0; e < rows.size(); ++e) {
    const auto b = static_cast<size_t>(bag_of[e]);
    layout[b * static_cast<size_t>(longest) + static_cast<size_t>(filled[b]++)] =
        static_cast<int64_t>(e);
  }
  const Tensor padded =
      cat({picked, full({1, dim}, -std::numeric_limits<double>::infinity(), float_options)}, 0);
  const Tensor dense = reshape(index_select(padded, 0, as_index(layout)), {bags, longest, dim});
  std::vector<double> nonempty(sizes.size());
  for (size_t b = 0; b < sizes.size(); ++b) nonempty[b] = sizes[b] > 0 ? 1.0 : 0.0;
  const Tensor maxima = std::get<0>(max(dense, 1));
  return where(gt(tensor(nonempty, {bags, 1}, float_options), 0.0), maxima, 0.0);
}

}  // namespace metagrad
