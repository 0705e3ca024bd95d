// nn::Embedding and nn::EmbeddingBag.
#include <fmt/format.h>

#include "engine/grad_mode.hpp"
#include "engine/nn/functional.hpp"
#include "engine/nn/init.hpp"
#include "engine/nn/layers.hpp"
#include "engine/ops.hpp"

namespace metagrad::nn {

namespace {

// The checks Embedding and EmbeddingBag make of their sizes, dtype and padding row; returns the
// padding row counted from the start.
std::optional<int64_t> checked_padding_row(const char* layer, int64_t num_embeddings,
                                           int64_t embedding_dim, DType dtype,
                                           std::optional<int64_t> padding_idx) {
  MG_CHECK(num_embeddings >= 0 && embedding_dim >= 0,
           "{}: num_embeddings and embedding_dim must be non-negative, got {} and {}", layer,
           num_embeddings, embedding_dim);
  MG_CHECK(is_floating(dtype), "{}: the weight must be float32 or float64, got {}", layer,
           dtype_name(dtype));
  if (!padding_idx) return std::nullopt;
  const int64_t p = *padding_idx;
  MG_CHECK(p >= -num_embeddings && p < num_embeddings,
           "{}: padding_idx {} must be within num_embeddings {}", layer, p, num_embeddings);
  return p < 0 ? p + num_embeddings : p;
}

// N(0, 1) rows, the padding row zeros (in place).
void reset_table(const Tensor& weight, std::optional<int64_t> padding_row, Generator* generator) {
  init::normal_(weight, 0.0, 1.0, generator);
  if (padding_row) {
    NoGradGuard no_grad;
    Tensor row = select(weight, 0, *padding_row);
    row.fill_(0.0);
  }
}

}  // namespace

Embedding::Embedding(int64_t num_embeddings, int64_t embedding_dim, const EmbeddingOptions& options)
    : num_embeddings_(num_embeddings),
      embedding_dim_(embedding_dim),
      padding_idx_(checked_padding_row("Embedding", num_embeddings, embedding_dim, options.dtype,
                                       options.padding_idx)) {
  register_parameter("weight", empty({num_embeddings, embedding_dim}, options.dtype));
  reset_parameters(options.generator);
}

void Embedding::reset_parameters(Generator* generator) {
  reset_table(weight(), padding_idx_, generator);
}

Tensor Embedding::forward(const Tensor& input) { return embedding(input, weight(), padding_idx_); }

std::string Embedding::extra_repr() const {
  std::string repr = fmt::format("{}, {}", num_embeddings_, embedding_dim_);
  if (padding_idx_) repr += fmt::format(", padding_idx={}", *padding_idx_);
  return repr;
}

EmbeddingBag::EmbeddingBag(int64_t num_embeddings, int64_t embedding_dim,
                           const EmbeddingBagOptions& options)
    : num_embeddings_(num_embeddings), embedding_dim_(embedding_dim), options_(options) {
  options_.padding_idx = checked_padding_row("EmbeddingBag", num_embeddings, embedding_dim,
                                             options.dtype, options.padding_idx);
  options_.generator = nullptr;  // used once, here; a copy of the layer must not keep it
  register_parameter("weight", empty({num_embeddings, embedding_dim}, options.dtype));
  reset_parameters(options.generator);
}

void EmbeddingBag::reset_parameters(Generator* generator) {
  reset_table(weight(), options_.padding_idx, generator);
}

Tensor EmbeddingBag::forward(const Tensor& input) { return forward(input, Tensor()); }

Tensor EmbeddingBag::forward(const Tensor& input, const Tensor& offsets,
                             const Tensor& per_sample_weights) {
  return embedding_bag(input, weight(), offsets, options_.mode, per_sample_weights,
                       options_.include_last_offset, options_.padding_idx);
}

std::string EmbeddingBag::extra_repr() const {
  std::string repr = fmt::format("{}, {}, mode={}", num_embeddings_, embedding_dim_,
                                 embedding_bag_mode_name(options_.mode));
  if (options_.padding_idx) repr += fmt::format(", padding_idx={}", *options_.padding_idx);
  return repr;
}

}  // namespace metagrad::nn
