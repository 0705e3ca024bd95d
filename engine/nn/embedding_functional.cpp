// embedding: index_select of the weight's rows (whose backward is index_add), with PyTorch's
// padding_idx.
#include "engine/grad_mode.hpp"
#include "engine/nn/functional.hpp"
#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"

namespace metagrad {

Tensor embedding(const Tensor& input, const Tensor& weight, std::optional<int64_t> padding_idx) {
  detail::check_defined(input, "embedding", "input");
  detail::check_defined(weight, "embedding", "weight");
  MG_CHECK(input.dtype() == kInt64,
           "embedding: input must be an int64 tensor of indices, got {} of shape {} (convert "
           "with .to(kInt64))",
           dtype_name(input.dtype()), shape_str(input.shape()));
  MG_CHECK(weight.dim() == 2,
           "embedding: weight must be [num_embeddings, embedding_dim], got shape {}",
           shape_str(weight.shape()));
  MG_CHECK(input.device() == weight.device(), "embedding: input on {} but weight on {}",
           input.device().str(), weight.device().str());
  const int64_t count = weight.size(0);
  if (padding_idx) {
    MG_CHECK(*padding_idx >= -count && *padding_idx < count,
             "embedding: padding_idx {} must be within num_embeddings {}", *padding_idx, count);
    if (*padding_idx < 0) *padding_idx += count;
  }
  const Tensor indices = reshape(input, {-1});
  if (indices.numel() > 0) {
    NoGradGuard no_grad;
    const int64_t low = min(indices).item<int64_t>(), high = max(indices).item<int64_t>();
    MG_CHECK(low >= 0 && high < count,
             "embedding: index {} is out of range for a weight of {} rows (shape {})",
             low < 0 ? low : high, count, shape_str(weight.shape()));
  }
  Tensor rows = index_select(weight, 0, indices);
  if (padding_idx) {
    // The padding entries keep their value, detached: no gradient reaches their row from them.
    const Tensor live = unsqueeze(ne(indices, static_cast<double>(*padding_idx)), 1);
    rows = where(live, rows, rows.detach());
  }
  Dims shape = input.shape();
  shape.push_back(weight.size(1));
  return reshape(rows, shape);
}

}  // namespace metagrad
