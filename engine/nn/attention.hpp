#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <tuple>

#include "engine/device.hpp"
#include "engine/nn/module.hpp"
#include "engine/random/generator.hpp"
#include "engine/tensor.hpp"

// Attention with torch.nn's semantics: the scaled dot-product attention function and the
// multi-head attention layer that transformers are built from. Both are composed of
// differentiable ops (matmul, softmax, where, dropout), so they differentiate to every order:
// MAML and implicit differentiation reach through them like through any other layer.
namespace metagrad {
/// \addtogroup nn
/// @{

/// Options of scaled_dot_product_attention beyond the three operands
/// (`scaled_dot_product_attention(q, k, v, {.is_causal = true})`).
struct ScaledDotProductAttentionOptions {
  /// Broadcastable to [..., L, S]. A bool mask says which query-key pairs take part (true =
  /// attend); a float mask (the operands' dtype) is added to the scores, -inf removing a pair.
  /// Undefined: every pair takes part.
  Tensor attn_mask;
  /// Probability of dropping an attention weight (applied whenever > 0, as torch's function
  /// does: pass 0 in evaluation).
  double dropout_p = 0.0;
  /// Query i attends to keys j <= i only (the top-left aligned lower triangle of [L, S]).
  /// Exclusive with attn_mask.
  bool is_causal = false;
  /// The scores' factor; 1 / sqrt(E) when unset.
  std::optional<double> scale;
  /// Grouped-query attention: query [..., Hq, L, E] against key and value with Hk heads, Hq a
  /// multiple of Hk; key/value head h serves query heads h Hq/Hk ... (h + 1) Hq/Hk - 1.
  bool enable_gqa = false;
  /// Draws the dropout masks (the default generator when null).
  Generator* generator = nullptr;
};

/// softmax(Q K^T scale + mask) V (torch.nn.functional.scaled_dot_product_attention). query
/// [..., L, E], key [..., S, E], value [..., S, Ev], with broadcasting batch dims; result
/// [..., L, Ev]. Floating operands of one dtype and device. A query whose every key is masked out
/// gets zero weights and a zero output (as PyTorch 2.5+, where 1.13 gave NaN), with finite
/// gradients. Differentiable in query, key, value and a float mask, to every order.
Tensor scaled_dot_product_attention(const Tensor& query, const Tensor& key, const Tensor& value,
                                    const ScaledDotProductAttentionOptions& options = {});

/// @}
}  // namespace metagrad

namespace metagrad::detail {
struct MultiheadAttentionParts;
}  // namespace metagrad::detail

namespace metagrad::nn {
/// \addtogroup nn
/// @{

/// The causal mask of a sequence of `size` steps
/// (torch.nn.Transformer.generate_square_subsequent_mask): [size, size] of `dtype` with 0 on and
/// below the diagonal and -inf above, so step i attends to steps 0..i. Throws unless size >= 0 and
/// dtype is floating.
Tensor generate_square_subsequent_mask(int64_t size, DType dtype = kFloat32,
                                       Device device = Device());

/// Options of MultiheadAttention beyond embed_dim and num_heads
/// (`MultiheadAttention(64, 8, {.dropout = 0.1, .batch_first = true})`).
struct MultiheadAttentionOptions {
  /// Dropout on the attention weights (training mode only).
  double dropout = 0.0;
  /// Whether the input and output projections have biases (`in_proj_bias`, `out_proj.bias`).
  bool bias = true;
  /// Adds learnable `bias_k`, `bias_v` [1, 1, E] as one more key and value.
  bool add_bias_kv = false;
  /// Adds a zero key and value after the others.
  bool add_zero_attn = false;
  /// Size of the keys' features (embed_dim when unset); with kdim or vdim != embed_dim the
  /// projections are `q_proj_weight`, `k_proj_weight`, `v_proj_weight` instead of `in_proj_weight`.
  std::optional<int64_t> kdim;
  /// Size of the values' features (embed_dim when unset).
  std::optional<int64_t> vdim;
  /// Inputs and outputs are [N, L, E] instead of [L, N, E].
  bool batch_first = false;
  /// dtype of the parameters.
  DType dtype = kFloat32;
  /// Draws the initial parameters and the dropout masks (the default generator when null; a given
  /// one must outlive the layer).
  Generator* generator = nullptr;
};

/// What MultiheadAttention::forward takes besides query, key and value (torch's keyword
/// arguments, `attention(q, k, v, {.key_padding_mask = pad, .need_weights = false})`).
struct MultiheadAttentionArgs {
  /// [N, S] (or [S] for unbatched inputs): bool true, or a float added to the scores, marks keys
  /// to ignore (padding).
  Tensor key_padding_mask;
  /// Whether forward also returns the attention weights.
  bool need_weights = true;
  /// [L, S] or [N num_heads, L, S]: bool true marks pairs that may NOT attend (torch's
  /// convention for this layer, the opposite of scaled_dot_product_attention's); a float mask is
  /// added to the scores.
  Tensor attn_mask;
  /// Whether the returned weights are averaged over the heads ([N, L, S]) or per head
  /// ([N, num_heads, L, S]).
  bool average_attn_weights = true;
  /// Applies the causal mask. A given attn_mask must then be the causal one (it is used as given);
  /// without attn_mask the causal mask is built (where torch requires one).
  bool is_causal = false;
};

/// Multi-head attention (torch.nn.MultiheadAttention): the query, key and value are projected,
/// split into num_heads heads of embed_dim / num_heads features, attended per head with scaled
/// dot products, concatenated and projected by `out_proj`. Parameters in PyTorch's order and
/// names: `in_proj_weight` [3E, E] (or `q_proj_weight` [E, E], `k_proj_weight` [E, kdim],
/// `v_proj_weight` [E, vdim]), `in_proj_bias` [3E], `bias_k`, `bias_v` [1, 1, E], then
/// `out_proj.weight` [E, E], `out_proj.bias` [E]; initialised as PyTorch (Xavier-uniform input
/// projections, zero biases, Xavier-normal bias_k/bias_v, Linear's default out_proj.weight), so
/// a PyTorch state dict loads as is. Inputs: query [L, N, E], key [S, N, kdim], value [S, N, vdim]
/// ([N, L, E] ... with batch_first; [L, E] ... unbatched). Fully masked queries give zero
/// outputs (PyTorch 1.13 gave NaN).
class MultiheadAttention : public Cloneable<MultiheadAttention> {
 public:
  /// torch.nn.MultiheadAttention(embed_dim, num_heads, ...). Throws unless embed_dim and num_heads
  /// are positive and num_heads divides embed_dim, and for a dropout outside [0, 1).
  MultiheadAttention(int64_t embed_dim, int64_t num_heads,
                     const MultiheadAttentionOptions& options = {});
  /// Self-attention with no mask: forward(x, x, x) without the weights.
  Tensor forward(const Tensor& input) override;
  using Module::operator();
  /// The attention output [L, N, E] (layout as the query) and, when args.need_weights, the
  /// attention weights (averaged over the heads unless args.average_attn_weights; undefined
  /// otherwise). Throws naming the operand for shapes, dtypes or devices that do not fit.
  std::tuple<Tensor, Tensor> forward(const Tensor& query, const Tensor& key, const Tensor& value,
                                     const MultiheadAttentionArgs& args = {});
  /// \copydoc forward(const Tensor&, const Tensor&, const Tensor&, const MultiheadAttentionArgs&)
  std::tuple<Tensor, Tensor> operator()(const Tensor& query, const Tensor& key, const Tensor& value,
                                        const MultiheadAttentionArgs& args = {}) {
    return forward(query, key, value, args);
  }
  /// Redraws the parameters in place as the constructor does.
  void reset_parameters(Generator* generator = nullptr);
  /// The model size E.
  int64_t embed_dim() const { return embed_dim_; }
  /// The number of heads.
  int64_t num_heads() const { return num_heads_; }
  /// E / num_heads.
  int64_t head_dim() const { return embed_dim_ / num_heads_; }
  /// The options the layer was made with.
  const MultiheadAttentionOptions& options() const { return options_; }

 private:
  // The slots' tensors and the options, for detail::multi_head_attention.
  metagrad::detail::MultiheadAttentionParts parts();
  int64_t embed_dim_, num_heads_, kdim_, vdim_;
  MultiheadAttentionOptions options_;
};

/// @}
}  // namespace metagrad::nn
