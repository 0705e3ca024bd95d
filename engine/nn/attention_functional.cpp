// scaled_dot_product_attention, the causal mask, and the attention kernel shared with
// MultiheadAttention (engine/nn/attention.hpp, engine/nn/attention_core.hpp).
#include <cmath>
#include <limits>

#include "engine/nn/attention.hpp"
#include "engine/nn/attention_core.hpp"
#include "engine/nn/functional.hpp"
#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"

namespace metagrad {
namespace detail {

namespace {
constexpr double kMinusInf = -std::numeric_limits<double>::infinity();
}  // namespace

AttentionResult attend(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& bias,
                       double scale, double dropout_p, Generator* generator,
                       bool bias_masks_whole_rows) {
  Tensor scores = matmul(q * scale, transpose(k, -2, -1));
  if (bias.defined()) scores = scores + bias;
  Tensor weights;
  if (bias.defined() && bias_masks_whole_rows) {
    // A query with every key masked has only -inf scores: its softmax would be 0/0. Such rows
    // take scores 0 (finite, so the softmax and its derivatives stay finite) and weights 0.
    Tensor dead_rows;
    {
      NoGradGuard no_grad;
      dead_rows = eq(amax(scores.detach(), Dims{-1}, true), kMinusInf);
    }
    weights = where(dead_rows, 0.0, softmax(where(dead_rows, 0.0, scores), -1));
  } else {
    weights = softmax(scores, -1);
  }
  if (dropout_p > 0.0) weights = dropout(weights, dropout_p, true, generator);
  return {matmul(weights, v), weights};
}

AttentionResult attend_heads(const Tensor& q, const Tensor& k, const Tensor& v, int64_t heads,
                             const Tensor& bias, bool add_zero_attn, double dropout_p,
                             Generator* generator, bool bias_masks_whole_rows) {
  const int64_t L = q.size(0), B = q.size(1), E = q.size(2), head = E / heads;
  // [L, B, E] -> [B heads, L, head].
  auto split = [&](const Tensor& x) {
    return transpose(reshape(x, {x.size(0), B * heads, head}), 0, 1);
  };
  Tensor keys = split(k), values = split(v), padded_bias = bias;
  if (add_zero_attn) {
    const Tensor zero = zeros({B * heads, 1, head}, TensorOptions(q.dtype(), q.device()));
    keys = cat({keys, zero}, 1);
    values = cat({values, zero}, 1);
    padded_bias = pad_key(padded_bias);
  }
  AttentionResult attended =
      attend(split(q), keys, values, padded_bias, 1.0 / std::sqrt(static_cast<double>(head)),
             dropout_p, generator, bias_masks_whole_rows);
  // [B heads, L, head] -> [L, B, E].
  attended.output = reshape(transpose(attended.output, 0, 1), {L, B, E});
  return attended;
}

Tensor pad_key(const Tensor& bias) { return bias.defined() ? pad(bias, {0, 1}) : bias; }

Tensor mask_to_bias(const Tensor& mask, bool true_attends, const Tensor& like, const char* op,
                    const char* what) {
  if (!mask.defined()) return mask;
  MG_CHECK(mask.device() == like.device(),
           "{}: {} is on {} but the operands are on {}; move it with .to()", op, what,
           mask.device().str(), like.device().str());
  if (mask.dtype() == kBool) {
    const TensorOptions options(like.dtype(), like.device());
    const Tensor zero = scalar_tensor(0.0, options), blocked = scalar_tensor(kMinusInf, options);
    return true_attends ? where(mask, zero, blocked) : where(mask, blocked, zero);
  }
  MG_CHECK(mask.dtype() == like.dtype(),
           "{}: {} must be bool or of the operands' dtype {}, got {}; convert it with .to()", op,
           what, dtype_name(like.dtype()), dtype_name(mask.dtype()));
  return mask;
}

Tensor causal_bias(int64_t rows, int64_t cols, const Tensor& like) {
  const TensorOptions index_options(kInt64, like.device());
  const Tensor row = unsqueeze(arange(static_cast<double>(rows), index_options), 1);
  const Tensor col = unsqueeze(arange(static_cast<double>(cols), index_options), 0);
  return mask_to_bias(le(col, row), true, like, "causal mask", "the mask");
}

}  // namespace detail

namespace {

// Key and value heads [..., Hk, S, E] repeated to the query's Hq heads (each Hq / Hk times in a
// row, as repeat_interleave along dim -3).
Tensor repeat_heads(const Tensor& x, int64_t query_heads) {
  Dims grouped = x.shape();
  const int heads_dim = grouped.size() - 3;
  const int64_t heads = grouped[heads_dim];
  grouped.insert(heads_dim + 1, 1);
  Dims expanded = grouped;
  expanded[heads_dim + 1] = query_heads / heads;
  Dims merged = x.shape();
  merged[heads_dim] = query_heads;
  return reshape(expand(reshape(x, grouped), expanded), merged);
}

// True when `shape` broadcasts to `target` without changing it.
bool broadcasts_to(const Dims& shape, const Dims& target) {
  if (shape.size() > target.size()) return false;
  const int offset = target.size() - shape.size();
  for (int i = 0; i < shape.size(); ++i)
    if (shape[i] != 1 && shape[i] != target[offset + i]) return false;
  return true;
}

}  // namespace

Tensor scaled_dot_product_attention(const Tensor& query, const Tensor& key, const Tensor& value,
                                    const ScaledDotProductAttentionOptions& options) {
  const char* op = "scaled_dot_product_attention";
  detail::check_defined(query, op, "query");
  detail::check_defined(key, op, "key");
  detail::check_defined(value, op, "value");
  detail::check_floating(query, op);
  detail::check_same_kind(query, key, op);
  detail::check_same_kind(query, value, op);
  MG_CHECK(query.dim() >= 2 && key.dim() >= 2 && value.dim() >= 2,
           "{}: query, key and value must be [..., L, E], [..., S, E] and [..., S, Ev], got shapes "
           "{}, {} and {}",
           op, shape_str(query.shape()), shape_str(key.shape()), shape_str(value.shape()));
  MG_CHECK(query.size(-1) == key.size(-1) && key.size(-2) == value.size(-2),
           "{}: query [..., L, E], key [..., S, E] and value [..., S, Ev] must agree on E and S, "
           "got shapes {}, {} and {}",
           op, shape_str(query.shape()), shape_str(key.shape()), shape_str(value.shape()));
  MG_CHECK(options.dropout_p >= 0.0 && options.dropout_p <= 1.0,
           "{}: dropout_p must be in [0, 1], got {}", op, options.dropout_p);
  MG_CHECK(!(options.is_causal && options.attn_mask.defined()),
           "{}: pass either attn_mask or is_causal = true, not both (is_causal builds the causal "
           "mask)",
           op);
  Tensor k = key, v = value;
  if (options.enable_gqa && query.dim() >= 3 && key.dim() >= 3 && key.size(-3) != query.size(-3)) {
    const int64_t query_heads = query.size(-3), kv_heads = key.size(-3);
    MG_CHECK(value.dim() >= 3 && value.size(-3) == kv_heads && query_heads % kv_heads == 0,
             "{}: with enable_gqa the query's heads ({}) must be a multiple of the key's and "
             "value's (shapes {}, {} and {})",
             op, query_heads, shape_str(query.shape()), shape_str(key.shape()),
             shape_str(value.shape()));
    k = repeat_heads(key, query_heads);
    v = repeat_heads(value, query_heads);
  }
  const int64_t rows = query.size(-2), cols = k.size(-2);
  Tensor bias;
  if (options.is_causal) {
    bias = detail::causal_bias(rows, cols, query);
  } else if (options.attn_mask.defined()) {
    bias = detail::mask_to_bias(options.attn_mask, true, query, op, "attn_mask");
    Dims q_batch = query.shape(), k_batch = k.shape();
    q_batch.resize(q_batch.size() - 2);
    k_batch.resize(k_batch.size() - 2);
    Dims scores = broadcast_shapes(q_batch, k_batch, op);
    scores.push_back(rows);
    scores.push_back(cols);
    MG_CHECK(broadcasts_to(bias.shape(), scores),
             "{}: attn_mask of shape {} does not broadcast to the scores' shape {} ([..., L, S])",
             op, shape_str(options.attn_mask.shape()), shape_str(scores));
  }
  const double scale = options.scale.value_or(1.0 / std::sqrt(static_cast<double>(query.size(-1))));
  // The causal mask leaves every query key 0 (cols >= 1), so no row is wholly masked.
  const bool whole_rows_masked = !(options.is_causal && cols >= 1);
  return detail::attend(query, k, v, bias, scale, options.dropout_p, options.generator,
                        whole_rows_masked)
      .output;
}

namespace nn {

Tensor generate_square_subsequent_mask(int64_t size, DType dtype, Device device) {
  MG_CHECK(size >= 0, "generate_square_subsequent_mask: size must be non-negative, got {}", size);
  MG_CHECK(is_floating(dtype),
           "generate_square_subsequent_mask: the mask's dtype must be float32 or float64, got {}",
           dtype_name(dtype));
  return metagrad::detail::causal_bias(size, size, empty({0}, TensorOptions(dtype, device)));
}

}  // namespace nn
}  // namespace metagrad
