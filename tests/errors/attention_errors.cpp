// Error-input table of attention and the transformer layers (engine/nn/attention.hpp,
// engine/nn/transformer.hpp), the loss modules (engine/nn/losses.hpp) and the module containers.
#include "tests/errors/error_table.hpp"

namespace metagrad::testing {

ErrorTable attention_error_cases() {
  return {
      {"scaled_dot_product_attention",
       "key with another feature size",
       [] {
         (void)scaled_dot_product_attention(f32({2, 3, 4}), f32({2, 5, 3}), f32({2, 5, 3}));
       },
       {"scaled_dot_product_attention", "must agree on E and S", "[2, 3, 4], [2, 5, 3]"}},
      {"scaled_dot_product_attention",
       "mask that does not broadcast to the scores",
       [] {
         (void)scaled_dot_product_attention(f32({2, 3, 4}), f32({2, 5, 4}), f32({2, 5, 4}),
                                            {.attn_mask = ones({3, 4}, kBool)});
       },
       {"attn_mask of shape [3, 4] does not broadcast to the scores' shape [2, 3, 5]"}},
      {"scaled_dot_product_attention",
       "int64 mask",
       [] {
         (void)scaled_dot_product_attention(f32({3, 4}), f32({5, 4}), f32({5, 4}),
                                            {.attn_mask = zeros({3, 5}, kInt64)});
       },
       {"attn_mask must be bool or of the operands' dtype float32, got int64"}},
      {"scaled_dot_product_attention",
       "both a mask and is_causal",
       [] {
         (void)scaled_dot_product_attention(f32({3, 4}), f32({3, 4}), f32({3, 4}),
                                            {.attn_mask = ones({3, 3}, kBool), .is_causal = true});
       },
       {"either attn_mask or is_causal"}},
      {"scaled_dot_product_attention",
       "grouped heads that do not divide",
       [] {
         (void)scaled_dot_product_attention(f32({3, 2, 4}), f32({2, 2, 4}), f32({2, 2, 4}),
                                            {.enable_gqa = true});
       },
       {"query's heads (3) must be a multiple of the key's and value's"}},
      {"scaled_dot_product_attention",
       "float64 key for a float32 query",
       [] {
         (void)scaled_dot_product_attention(f32({3, 4}), f64({3, 4}), f32({3, 4}));
       },
       {"scaled_dot_product_attention", "float64"}},
      {"generate_square_subsequent_mask",
       "negative size",
       [] { (void)nn::generate_square_subsequent_mask(-1); },
       {"generate_square_subsequent_mask: size must be non-negative, got -1"}},
      {"generate_square_subsequent_mask",
       "bool dtype",
       [] { (void)nn::generate_square_subsequent_mask(3, kBool); },
       {"must be float32 or float64, got bool"}},
      {"MultiheadAttention",
       "heads that do not divide embed_dim",
       [] { nn::MultiheadAttention layer(10, 3); },
       {"embed_dim (10) must be divisible by num_heads (3)"}},
      {"MultiheadAttention",
       "query of another embed_dim",
       [] {
         nn::MultiheadAttention layer(8, 2);
         (void)layer(f32({3, 2, 6}), f32({3, 2, 6}), f32({3, 2, 6}));
       },
       {"MultiheadAttention: with embed_dim 8, kdim 8 and vdim 8 the query, key and value must be "
        "[L, N, E]",
        "got shapes [3, 2, 6]"}},
      {"MultiheadAttention",
       "float64 input to a float32 layer",
       [] {
         nn::MultiheadAttention layer(4, 2);
         (void)layer.forward(f64({3, 1, 4}));
       },
       {"must have the layer's dtype float32", "got float64", ".to()"}},
      {"MultiheadAttention",
       "attn_mask of the wrong shape",
       [] {
         nn::MultiheadAttention layer(4, 2);
         (void)layer(f32({3, 2, 4}), f32({5, 2, 4}), f32({5, 2, 4}),
                     {.attn_mask = ones({3, 3}, kBool)});
       },
       {"attn_mask must be [L, S] = [3, 5] or [N num_heads, L, S] = [4, 3, 5], got shape [3, 3]"}},
      {"MultiheadAttention",
       "key_padding_mask of the wrong shape",
       [] {
         nn::MultiheadAttention layer(4, 2);
         (void)layer(f32({3, 2, 4}), f32({5, 2, 4}), f32({5, 2, 4}),
                     {.key_padding_mask = ones({5, 2}, kBool)});
       },
       {"key_padding_mask must be [N, S] = [2, 5], got shape [5, 2]"}},
      {"TransformerEncoderLayer",
       "zero dim_feedforward",
       [] { nn::TransformerEncoderLayer layer(8, 2, {.dim_feedforward = 0}); },
       {"TransformerEncoderLayer: dim_feedforward must be positive, got 0"}},
      {"TransformerDecoderLayer",
       "called without the memory",
       [] {
         nn::TransformerDecoderLayer layer(8, 2, {.dim_feedforward = 4});
         (void)layer.forward(f32({3, 2, 8}));
       },
       {"TransformerDecoderLayer", "forward(tgt, memory, masks)"}},
      {"TransformerEncoder",
       "no layers",
       [] {
         nn::TransformerEncoder stack(nn::TransformerEncoderLayer(8, 2, {.dim_feedforward = 4}), 0);
       },
       {"TransformerEncoder: num_layers must be at least 1, got 0"}},
      {"TransformerDecoder",
       "called without the memory",
       [] {
         nn::TransformerDecoder stack(nn::TransformerDecoderLayer(8, 2, {.dim_feedforward = 4}), 1);
         (void)stack.forward(f32({3, 2, 8}));
       },
       {"TransformerDecoder", "forward(tgt, memory, masks)"}},
      {"Transformer",
       "source and target of different batch sizes",
       [] {
         nn::Transformer model({.d_model = 8,
                                .nhead = 2,
                                .num_encoder_layers = 1,
                                .num_decoder_layers = 1,
                                .layer = {.dim_feedforward = 4}});
         (void)model(f32({4, 2, 8}), f32({3, 3, 8}));
       },
       {"Transformer: the batch size of src and tgt must be equal", "[4, 2, 8] and [3, 3, 8]"}},
      {"ModuleList",
       "called like a layer",
       [] {
         (void)nn::ModuleList(nn::Linear(2, 2)).forward(f32({1, 2}));
       },
       {"ModuleList: a module list has no forward", "list[i](x)"}},
      {"Loss",
       "called with the input only",
       [] {
         nn::MSELoss mse;
         nn::Loss& loss = mse;
         (void)loss.forward(f32({2}));
       },
       {"MSELoss: a loss compares an input with a target", "loss(input, target)"}},
      {"MSELoss",
       "target of another shape",
       [] {
         (void)nn::MSELoss()(f32({2, 3}), f32({3, 2}));
       },
       {"mse_loss", "[3, 2]", "[2, 3]"}},
      {"L1Loss",
       "target of another dtype",
       [] { (void)nn::L1Loss()(f32({2}), f64({2})); },
       {"l1_loss", "float64"}},
      {"CrossEntropyLoss",
       "label smoothing above 1",
       [] {
         (void)nn::CrossEntropyLoss({.label_smoothing = 1.5})(f32({2, 3}), i64({0, 1}));
       },
       {"cross_entropy: label_smoothing must be between 0.0 and 1.0, got 1.5"}},
      {"NLLLoss",
       "class index out of range",
       [] {
         (void)nn::NLLLoss()(f32({2, 3}), i64({0, 3}));
       },
       {"nll_loss", "3"}},
      {"BCELoss",
       "probabilities above 1",
       [] {
         (void)nn::BCELoss()(tensor({0.5, 2.0}), tensor({1.0, 0.0}));
       },
       {"binary_cross_entropy: all elements of input (shape [2]) should be between 0 and 1"}},
      {"BCEWithLogitsLoss",
       "target of another shape",
       [] {
         (void)nn::BCEWithLogitsLoss()(f32({2, 3}), f32({3}));
       },
       {"binary_cross_entropy_with_logits", "[3]", "[2, 3]"}},
      {"HuberLoss",
       "zero delta",
       [] { (void)nn::HuberLoss(Reduction::Mean, 0.0)(f32({2}), f32({2})); },
       {"huber_loss: delta must be positive, got 0"}},
      {"SmoothL1Loss",
       "negative beta",
       [] { (void)nn::SmoothL1Loss(Reduction::Mean, -1.0)(f32({2}), f32({2})); },
       {"smooth_l1_loss: beta must be non-negative, got -1"}},
      {"KLDivLoss",
       "target of another shape",
       [] {
         (void)nn::KLDivLoss()(f32({2, 3}), f32({3}));
       },
       {"kl_div: target shape [3] differs from input shape [2, 3]"}},
      {"ModuleSequence",
       "index out of range",
       [] { (void)nn::ModuleList(nn::Linear(2, 2))[3]; },
       {"ModuleList: index 3 is out of range for 1 layers"}},
  };
}

}  // namespace metagrad::testing
