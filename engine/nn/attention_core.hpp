#pragma once

// The attention kernel shared by scaled_dot_product_attention and MultiheadAttention, and their
// mask conversion. Internal, not part of the public API.
#include <cstdint>

#include "engine/random/generator.hpp"
#include "engine/tensor.hpp"

namespace metagrad::nn {
class Module;
}

namespace metagrad::detail {

/// An attention output [..., L, Ev] and its weights [..., L, S] (after dropout).
struct AttentionResult {
  Tensor output;
  Tensor weights;
};

/// softmax(q k^T scale + bias) v with dropout_p dropout on the weights. q [..., L, E], k [..., S,
/// E], v [..., S, Ev]; bias (undefined for none) broadcasts to [..., L, S]. Rows whose every score
/// is -inf get zero weights (no NaN in values or gradients); `bias_masks_whole_rows` = false says
/// the bias leaves every row a finite score (the causal mask with S >= 1), which skips that guard.
AttentionResult attend(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& bias,
                       double scale, double dropout_p, Generator* generator,
                       bool bias_masks_whole_rows = true);

/// Multi-head attention on projected q [L, B, E], k and v [S, B, E]: split into `heads` heads
/// ([B heads, L, E / heads]), a zero key and value appended when add_zero_attn, attend(), and the
/// heads merged back. bias: undefined or [B heads or 1, L or 1, S] (a zero column is appended for
/// the zero key). Returns the output [L, B, E] and the weights [B heads, L, S'].
AttentionResult attend_heads(const Tensor& q, const Tensor& k, const Tensor& v, int64_t heads,
                             const Tensor& bias, bool add_zero_attn, double dropout_p,
                             Generator* generator, bool bias_masks_whole_rows);

/// A bias [..., S] with one zero column appended (for an extra key); undefined stays undefined.
Tensor pad_key(const Tensor& bias);

/// MultiheadAttention's parameter slots, in PyTorch's order (the task-batched form keeps them).
namespace mha_slots {
inline constexpr size_t kInProjWeight = 0, kQProjWeight = 1, kKProjWeight = 2, kVProjWeight = 3,
                        kInProjBias = 4, kBiasK = 5, kBiasV = 6;
/// The submodule slot of out_proj.
inline constexpr size_t kOutProj = 0;
/// The parameter names, by slot.
inline constexpr const char* kNames[] = {"in_proj_weight", "q_proj_weight", "k_proj_weight",
                                         "v_proj_weight",  "in_proj_bias",  "bias_k",
                                         "bias_v"};
}  // namespace mha_slots

/// What multi_head_attention computes with: the tensors of MultiheadAttention's slots (undefined
/// where PyTorch has None), each with a leading task dim T in the task-batched form, and the rest.
struct MultiheadAttentionParts {
  Tensor in_proj_weight, q_proj_weight, k_proj_weight, v_proj_weight, in_proj_bias, bias_k, bias_v;
  nn::Module* out_proj = nullptr;
  int64_t embed_dim = 0, num_heads = 1;
  bool add_zero_attn = false;
  double dropout_p = 0.0;
  Generator* generator = nullptr;
};

/// The parts of a MultiheadAttention (or its task-batched form) from its seven parameter slots in
/// mha_slots order, its out_proj and its options (dropout only in training).
MultiheadAttentionParts attention_parts(const Tensor* slots, nn::Module& out_proj,
                                        int64_t embed_dim, int64_t num_heads, bool add_zero_attn,
                                        double dropout, bool training, Generator* generator);

/// torch's multi_head_attention_forward after the masks: in-projections, bias_k/bias_v,
/// attend_heads, out_proj. query [L, N, E], key [S, N, kdim], value [S, N, vdim] (or, with
/// per-task parameters, [T, L, N, E] ..., the tasks folded into the batch for the attention);
/// bias as attend_heads' for B = N (T N). Returns the output (the query's layout) and the
/// weights [B heads, L, S'].
AttentionResult multi_head_attention(const MultiheadAttentionParts& parts, const Tensor& query,
                                     const Tensor& key, const Tensor& value, const Tensor& bias,
                                     bool bias_masks_whole_rows);

/// A mask as the float bias added to the scores, of `like`'s dtype and device: a bool mask maps to
/// 0 / -inf (true marking the pairs that attend when true_attends, the blocked ones otherwise); a
/// float mask of like's dtype is returned as is; undefined stays undefined. Throws naming `op` and
/// `what` for any other dtype or another device.
Tensor mask_to_bias(const Tensor& mask, bool true_attends, const Tensor& like, const char* op,
                    const char* what);

/// The lower-triangular causal mask [rows, cols] as a bias of like's dtype and device (0 where
/// column <= row, -inf above).
Tensor causal_bias(int64_t rows, int64_t cols, const Tensor& like);

}  // namespace metagrad::detail
