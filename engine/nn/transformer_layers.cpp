// TransformerEncoderLayer and TransformerDecoderLayer (engine/nn/transformer.hpp).
#include "engine/nn/functional.hpp"
#include "engine/nn/transformer.hpp"
#include "engine/ops.hpp"

namespace metagrad::nn {
namespace {

// Submodule slots, in PyTorch's order.
namespace encoder {
constexpr size_t kSelfAttn = 0, kLinear1 = 1, kDropout = 2, kLinear2 = 3, kNorm1 = 4, kNorm2 = 5,
                 kDropout1 = 6, kDropout2 = 7;
}  // namespace encoder
namespace decoder {
constexpr size_t kSelfAttn = 0, kCrossAttn = 1, kLinear1 = 2, kDropout = 3, kLinear2 = 4,
                 kNorm1 = 5, kNorm2 = 6, kNorm3 = 7, kDropout1 = 8, kDropout2 = 9, kDropout3 = 10;
}  // namespace decoder

// The attention layer shared by both layers' constructors.
MultiheadAttention make_attention(int64_t d_model, int64_t nhead,
                                  const TransformerLayerOptions& options) {
  return MultiheadAttention(d_model, nhead,
                            {.dropout = options.dropout,
                             .bias = options.bias,
                             .batch_first = options.batch_first,
                             .dtype = options.dtype,
                             .generator = options.generator});
}

void check_feedforward(const char* layer, const TransformerLayerOptions& options) {
  MG_CHECK(options.dim_feedforward > 0, "{}: dim_feedforward must be positive, got {}", layer,
           options.dim_feedforward);
}

// The feed-forward block: dropout_out(linear2(dropout(activation(linear1(x))))).
Tensor feedforward(TransformerActivation activation, Module& linear1, Module& dropout,
                   Module& linear2, Module& dropout_out, const Tensor& x) {
  const Tensor pre = linear1(x);
  const Tensor hidden = activation == TransformerActivation::Gelu ? gelu(pre) : relu(pre);
  return dropout_out(linear2(dropout(hidden)));
}

// The feed-forward block's Linear options.
LinearOptions linear_options(const TransformerLayerOptions& options) {
  return {.bias = options.bias, .dtype = options.dtype, .generator = options.generator};
}

LayerNorm make_norm(int64_t d_model, const TransformerLayerOptions& options) {
  return LayerNorm({d_model},
                   {.eps = options.layer_norm_eps, .bias = options.bias, .dtype = options.dtype});
}

// Self-attention without the weights: attention(x, x, x). Without masks any module serves
// (a task-batched attention in task_batched's copy of the layer); masks need a MultiheadAttention.
Tensor self_attend(const Module& layer, Module& attention, const Tensor& x, const Tensor& mask,
                   const Tensor& key_padding_mask, bool is_causal) {
  if (!mask.defined() && !key_padding_mask.defined() && !is_causal &&
      dynamic_cast<MultiheadAttention*>(&attention) == nullptr)
    return attention(x);
  auto& mha =
      detail::submodule_as<MultiheadAttention>(layer, attention, "self_attn", "MultiheadAttention");
  return std::get<0>(mha.forward(x, x, x,
                                 {.key_padding_mask = key_padding_mask,
                                  .need_weights = false,
                                  .attn_mask = mask,
                                  .is_causal = is_causal}));
}

}  // namespace

// ---- encoder layer ------------------------------------------------------------------------------

TransformerEncoderLayer::TransformerEncoderLayer(int64_t d_model, int64_t nhead,
                                                 const TransformerLayerOptions& options)
    : options_(options) {
  check_feedforward("TransformerEncoderLayer", options);
  register_module("self_attn", make_attention(d_model, nhead, options));
  register_module("linear1", Linear(d_model, options.dim_feedforward, linear_options(options)));
  register_module("dropout", Dropout(options.dropout, options.generator));
  register_module("linear2", Linear(options.dim_feedforward, d_model, linear_options(options)));
  register_module("norm1", make_norm(d_model, options));
  register_module("norm2", make_norm(d_model, options));
  register_module("dropout1", Dropout(options.dropout, options.generator));
  register_module("dropout2", Dropout(options.dropout, options.generator));
}

Tensor TransformerEncoderLayer::forward(const Tensor& src) { return forward(src, EncoderMasks{}); }

Tensor TransformerEncoderLayer::forward(const Tensor& src, const EncoderMasks& masks) {
  using namespace encoder;
  // x + dropout1(self_attn(x)), and x + dropout2(linear2(dropout(act(linear1(x))))).
  auto attention_block = [&](const Tensor& x) {
    return module_at(kDropout1)(self_attend(*this, module_at(kSelfAttn), x, masks.mask,
                                            masks.key_padding_mask, masks.is_causal));
  };
  auto feedforward_block = [&](const Tensor& x) {
    return feedforward(options_.activation, module_at(kLinear1), module_at(kDropout),
                       module_at(kLinear2), module_at(kDropout2), x);
  };
  Tensor x = src;
  if (options_.norm_first) {
    x = x + attention_block(module_at(kNorm1)(x));
    return x + feedforward_block(module_at(kNorm2)(x));
  }
  x = module_at(kNorm1)(x + attention_block(x));
  return module_at(kNorm2)(x + feedforward_block(x));
}

// ---- decoder layer ------------------------------------------------------------------------------

TransformerDecoderLayer::TransformerDecoderLayer(int64_t d_model, int64_t nhead,
                                                 const TransformerLayerOptions& options)
    : options_(options) {
  check_feedforward("TransformerDecoderLayer", options);
  register_module("self_attn", make_attention(d_model, nhead, options));
  register_module("multihead_attn", make_attention(d_model, nhead, options));
  register_module("linear1", Linear(d_model, options.dim_feedforward, linear_options(options)));
  register_module("dropout", Dropout(options.dropout, options.generator));
  register_module("linear2", Linear(options.dim_feedforward, d_model, linear_options(options)));
  register_module("norm1", make_norm(d_model, options));
  register_module("norm2", make_norm(d_model, options));
  register_module("norm3", make_norm(d_model, options));
  register_module("dropout1", Dropout(options.dropout, options.generator));
  register_module("dropout2", Dropout(options.dropout, options.generator));
  register_module("dropout3", Dropout(options.dropout, options.generator));
}

Tensor TransformerDecoderLayer::forward(const Tensor& /*tgt*/) {
  MG_FAIL(
      "TransformerDecoderLayer: the layer attends to an encoder's memory; call "
      "forward(tgt, memory, masks)");
}

Tensor TransformerDecoderLayer::forward(const Tensor& tgt, const Tensor& memory,
                                        const DecoderMasks& masks) {
  using namespace decoder;
  auto self_block = [&](const Tensor& x) {
    return module_at(kDropout1)(self_attend(*this, module_at(kSelfAttn), x, masks.tgt_mask,
                                            masks.tgt_key_padding_mask, masks.tgt_is_causal));
  };
  auto cross_block = [&](const Tensor& x) {
    auto& cross = detail::submodule_as<MultiheadAttention>(*this, module_at(kCrossAttn),
                                                           "multihead_attn", "MultiheadAttention");
    return module_at(kDropout2)(
        std::get<0>(cross.forward(x, memory, memory,
                                  {.key_padding_mask = masks.memory_key_padding_mask,
                                   .need_weights = false,
                                   .attn_mask = masks.memory_mask,
                                   .is_causal = masks.memory_is_causal})));
  };
  auto feedforward_block = [&](const Tensor& x) {
    return feedforward(options_.activation, module_at(kLinear1), module_at(kDropout),
                       module_at(kLinear2), module_at(kDropout3), x);
  };
  Tensor x = tgt;
  if (options_.norm_first) {
    x = x + self_block(module_at(kNorm1)(x));
    x = x + cross_block(module_at(kNorm2)(x));
    return x + feedforward_block(module_at(kNorm3)(x));
  }
  x = module_at(kNorm1)(x + self_block(x));
  x = module_at(kNorm2)(x + cross_block(x));
  return module_at(kNorm3)(x + feedforward_block(x));
}

}  // namespace metagrad::nn
