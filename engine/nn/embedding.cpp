// nn::Embedding.
#include <fmt/format.h>

#include "engine/grad_mode.hpp"
#include "engine/nn/functional.hpp"
#include "engine/nn/init.hpp"
#include "engine/nn/layers.hpp"
#include "engine/ops.hpp"

namespace metagrad::nn {

Embedding::Embedding(int64_t num_embeddings, int64_t embedding_dim, const EmbeddingOptions& options)
    : num_embeddings_(num_embeddings), embedding_dim_(embedding_dim) {
  MG_CHECK(num_embeddings >= 0 && embedding_dim >= 0,
           "Embedding: num_embeddings and embedding_dim must be non-negative, got {} and {}",
           num_embeddings, embedding_dim);
  MG_CHECK(is_floating(options.dtype), "Embedding: the weight must be float32 or float64, got {}",
           dtype_name(options.dtype));
  if (options.padding_idx) {
    const int64_t p = *options.padding_idx;
    MG_CHECK(p >= -num_embeddings && p < num_embeddings,
             "Embedding: padding_idx {} must be within num_embeddings {}", p, num_embeddings);
    padding_idx_ = p < 0 ? p + num_embeddings : p;
  }
  register_parameter("weight", empty({num_embeddings, embedding_dim}, options.dtype));
  reset_parameters(options.generator);
}

void Embedding::reset_parameters(Generator* generator) {
  init::normal_(weight(), 0.0, 1.0, generator);
  if (padding_idx_) {
    NoGradGuard no_grad;
    Tensor row = select(weight(), 0, *padding_idx_);
    row.fill_(0.0);
  }
}

Tensor Embedding::forward(const Tensor& input) { return embedding(input, weight(), padding_idx_); }

std::string Embedding::extra_repr() const {
  std::string repr = fmt::format("{}, {}", num_embeddings_, embedding_dim_);
  if (padding_idx_) repr += fmt::format(", padding_idx={}", *padding_idx_);
  return repr;
}

}  // namespace metagrad::nn
