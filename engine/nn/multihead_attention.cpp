// MultiheadAttention (engine/nn/attention.hpp): torch.nn.MultiheadAttention's projections, masks
// and head split around the shared attention kernel.
#include <fmt/format.h>

#include <cmath>
#include <iterator>

#include "engine/nn/attention.hpp"
#include "engine/nn/attention_core.hpp"
#include "engine/nn/functional.hpp"
#include "engine/nn/init.hpp"
#include "engine/nn/layers.hpp"
#include "engine/nn/module.hpp"
#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"

namespace metagrad::nn {
namespace {

using namespace metagrad::detail::mha_slots;

constexpr const char* kMultiheadAttention = "MultiheadAttention";

}  // namespace

MultiheadAttention::MultiheadAttention(int64_t embed_dim, int64_t num_heads,
                                       const MultiheadAttentionOptions& options)
    : embed_dim_(embed_dim),
      num_heads_(num_heads),
      kdim_(options.kdim.value_or(embed_dim)),
      vdim_(options.vdim.value_or(embed_dim)),
      options_(options) {
  MG_CHECK(embed_dim > 0 && num_heads > 0,
           "{}: embed_dim and num_heads must be positive, got {} and {}", kMultiheadAttention,
           embed_dim, num_heads);
  MG_CHECK(embed_dim % num_heads == 0,
           "{}: embed_dim ({}) must be divisible by num_heads ({}); each head gets embed_dim / "
           "num_heads features",
           kMultiheadAttention, embed_dim, num_heads);
  MG_CHECK(kdim_ > 0 && vdim_ > 0, "{}: kdim and vdim must be positive, got {} and {}",
           kMultiheadAttention, kdim_, vdim_);
  MG_CHECK(options.dropout >= 0.0 && options.dropout < 1.0, "{}: dropout must be in [0, 1), got {}",
           kMultiheadAttention, options.dropout);
  MG_CHECK(is_floating(options.dtype), "{}: parameters must be float32 or float64, got {}",
           kMultiheadAttention, dtype_name(options.dtype));
  const DType dtype = options.dtype;
  const bool packed = kdim_ == embed_dim && vdim_ == embed_dim;
  register_parameter("in_proj_weight",
                     packed ? empty({3 * embed_dim, embed_dim}, dtype) : Tensor());
  register_parameter("q_proj_weight", packed ? Tensor() : empty({embed_dim, embed_dim}, dtype));
  register_parameter("k_proj_weight", packed ? Tensor() : empty({embed_dim, kdim_}, dtype));
  register_parameter("v_proj_weight", packed ? Tensor() : empty({embed_dim, vdim_}, dtype));
  register_parameter("in_proj_bias", options.bias ? empty({3 * embed_dim}, dtype) : Tensor());
  register_parameter("bias_k", options.add_bias_kv ? empty({1, 1, embed_dim}, dtype) : Tensor());
  register_parameter("bias_v", options.add_bias_kv ? empty({1, 1, embed_dim}, dtype) : Tensor());
  register_module("out_proj",
                  Linear(embed_dim, embed_dim,
                         {.bias = options.bias, .dtype = dtype, .generator = options.generator}));
  reset_parameters(options.generator);
}

void MultiheadAttention::reset_parameters(Generator* generator) {
  // PyTorch's _reset_parameters: Xavier-uniform projections, zero biases, Xavier-normal
  // bias_k/bias_v; out_proj.weight keeps Linear's initialisation.
  for (size_t slot : {kInProjWeight, kQProjWeight, kKProjWeight, kVProjWeight})
    if (parameter_at(slot).defined()) init::xavier_uniform_(parameter_at(slot), 1.0, generator);
  if (parameter_at(kInProjBias).defined()) init::zeros_(parameter_at(kInProjBias));
  if (auto* out_proj = dynamic_cast<Linear*>(&module_at(kOutProj))) {
    out_proj->reset_parameters(generator);
    if (out_proj->bias().defined()) init::zeros_(out_proj->bias());
  }
  for (size_t slot : {kBiasK, kBiasV})
    if (parameter_at(slot).defined()) init::xavier_normal_(parameter_at(slot), 1.0, generator);
}

Tensor MultiheadAttention::forward(const Tensor& input) {
  return std::get<0>(forward(input, input, input, {.need_weights = false}));
}

std::tuple<Tensor, Tensor> MultiheadAttention::forward(const Tensor& query, const Tensor& key,
                                                       const Tensor& value,
                                                       const MultiheadAttentionArgs& args) {
  metagrad::detail::check_defined(query, kMultiheadAttention, "query");
  metagrad::detail::check_defined(key, kMultiheadAttention, "key");
  metagrad::detail::check_defined(value, kMultiheadAttention, "value");
  const Tensor& out_weight = parameter_at(kInProjWeight).defined() ? parameter_at(kInProjWeight)
                                                                   : parameter_at(kQProjWeight);
  for (const Tensor* operand : {&query, &key, &value})
    MG_CHECK(operand->dtype() == out_weight.dtype() && operand->device() == out_weight.device(),
             "{}: query, key and value must have the layer's dtype {} on its device {}, got {} on "
             "{}; convert them (or the layer) with .to()",
             kMultiheadAttention, dtype_name(out_weight.dtype()), out_weight.device().str(),
             dtype_name(operand->dtype()), operand->device().str());
  const bool batched = query.dim() == 3;
  MG_CHECK((query.dim() == 2 || batched) && key.dim() == query.dim() && value.dim() == query.dim(),
           "{}: query, key and value must all be batched ([L, N, E], or [N, L, E] with "
           "batch_first) or all unbatched ([L, E]), got shapes {}, {} and {}",
           kMultiheadAttention, shape_str(query.shape()), shape_str(key.shape()),
           shape_str(value.shape()));
  // Sequence-first, batched: q [L, N, E], k [S, N, kdim], v [S, N, vdim].
  auto sequence_first = [&](const Tensor& x) {
    if (!batched) return unsqueeze(x, 1);
    return options_.batch_first ? transpose(x, 0, 1) : x;
  };
  const Tensor q_in = sequence_first(query), k_in = sequence_first(key),
               v_in = sequence_first(value);
  const int64_t L = q_in.size(0), N = q_in.size(1), S = k_in.size(0);
  const int64_t E = embed_dim_, H = num_heads_;
  MG_CHECK(q_in.size(2) == E && k_in.size(2) == kdim_ && v_in.size(2) == vdim_ &&
               k_in.size(1) == N && v_in.size(1) == N && v_in.size(0) == S,
           "{}: with embed_dim {}, kdim {} and vdim {}{} the query, key and value must be "
           "{}, {} and {}, got shapes {}, {} and {}",
           kMultiheadAttention, E, kdim_, vdim_, options_.batch_first ? " and batch_first" : "",
           !batched               ? "[L, E]"
           : options_.batch_first ? "[N, L, E]"
                                  : "[L, N, E]",
           !batched               ? "[S, kdim]"
           : options_.batch_first ? "[N, S, kdim]"
                                  : "[S, N, kdim]",
           !batched               ? "[S, vdim]"
           : options_.batch_first ? "[N, S, vdim]"
                                  : "[S, N, vdim]",
           shape_str(query.shape()), shape_str(key.shape()), shape_str(value.shape()));

  // Masks as biases added to the scores: attn_mask [L, S] or [N H, L, S]; key_padding_mask
  // [N, S] (or [S] unbatched) spread over the heads as [N H, 1, S].
  Tensor attn_bias =
      metagrad::detail::mask_to_bias(args.attn_mask, false, q_in, kMultiheadAttention, "attn_mask");
  if (attn_bias.defined()) {
    const bool fits = (attn_bias.dim() == 2 && attn_bias.size(0) == L && attn_bias.size(1) == S) ||
                      (attn_bias.dim() == 3 && attn_bias.size(0) == N * H &&
                       attn_bias.size(1) == L && attn_bias.size(2) == S);
    MG_CHECK(fits,
             "{}: attn_mask must be [L, S] = [{}, {}] or [N num_heads, L, S] = [{}, {}, {}], got "
             "shape {}",
             kMultiheadAttention, L, S, N * H, L, S, shape_str(args.attn_mask.shape()));
    if (attn_bias.dim() == 2) attn_bias = unsqueeze(attn_bias, 0);
  } else if (args.is_causal) {
    attn_bias = unsqueeze(metagrad::detail::causal_bias(L, S, q_in), 0);
  }
  Tensor padding_bias = metagrad::detail::mask_to_bias(args.key_padding_mask, false, q_in,
                                                       kMultiheadAttention, "key_padding_mask");
  if (padding_bias.defined()) {
    MG_CHECK(
        batched ? padding_bias.dim() == 2 && padding_bias.size(0) == N && padding_bias.size(1) == S
                : padding_bias.dim() == 1 && padding_bias.size(0) == S,
        "{}: key_padding_mask must be {} = [{}], got shape {}", kMultiheadAttention,
        batched ? "[N, S]" : "[S]", batched ? fmt::format("{}, {}", N, S) : fmt::format("{}", S),
        shape_str(args.key_padding_mask.shape()));
    padding_bias = reshape(padding_bias, {N, 1, 1, S});
  }

  Tensor bias = attn_bias;
  if (padding_bias.defined()) {
    const Tensor spread = reshape(expand(padding_bias, {N, H, 1, S}), {N * H, 1, S});
    bias = bias.defined() ? bias + spread : spread;
  }
  // The built causal mask alone leaves every query key 0, so no row is wholly masked.
  const bool only_causal = args.is_causal && !args.attn_mask.defined() && !padding_bias.defined();
  const metagrad::detail::AttentionResult attended = metagrad::detail::multi_head_attention(
      parts(), q_in, k_in, v_in, bias, !(only_causal && S >= 1));
  Tensor out = attended.output;  // [L, N, E]
  if (!batched) {
    out = squeeze(out, 1);
  } else if (options_.batch_first) {
    out = transpose(out, 0, 1);
  }
  Tensor attention;
  if (args.need_weights) {
    attention = reshape(attended.weights, {N, H, L, attended.weights.size(-1)});
    if (args.average_attn_weights) attention = mean(attention, Dims{1});
    if (!batched) attention = squeeze(attention, 0);
  }
  return {out, attention};
}

metagrad::detail::MultiheadAttentionParts MultiheadAttention::parts() {
  Tensor slots[std::size(metagrad::detail::mha_slots::kNames)];
  for (size_t i = 0; i < std::size(slots); ++i) slots[i] = parameter_at(i);
  return metagrad::detail::attention_parts(slots, module_at(kOutProj), embed_dim_, num_heads_,
                                           options_.add_zero_attn, options_.dropout, is_training(),
                                           options_.generator);
}

}  // namespace metagrad::nn

namespace metagrad::detail {

MultiheadAttentionParts attention_parts(const Tensor* slots, nn::Module& out_proj,
                                        int64_t embed_dim, int64_t num_heads, bool add_zero_attn,
                                        double dropout, bool training, Generator* generator) {
  using namespace mha_slots;
  return {.in_proj_weight = slots[kInProjWeight],
          .q_proj_weight = slots[kQProjWeight],
          .k_proj_weight = slots[kKProjWeight],
          .v_proj_weight = slots[kVProjWeight],
          .in_proj_bias = slots[kInProjBias],
          .bias_k = slots[kBiasK],
          .bias_v = slots[kBiasV],
          .out_proj = &out_proj,
          .embed_dim = embed_dim,
          .num_heads = num_heads,
          .add_zero_attn = add_zero_attn,
          .dropout_p = training ? dropout : 0.0,
          .generator = generator};
}

AttentionResult multi_head_attention(const MultiheadAttentionParts& parts, const Tensor& query,
                                     const Tensor& key, const Tensor& value, const Tensor& bias,
                                     bool bias_masks_whole_rows) {
  // Per-task parameters carry a leading task dim T; the inputs are then [T, L, N, E] ... and the
  // tasks fold into the batch for the attention itself.
  const bool per_task = query.dim() == 4;
  const int64_t E = parts.embed_dim, L = query.size(-3), N = query.size(-2);
  const int64_t T = per_task ? query.size(0) : 1;
  auto project = [&](const Tensor& x, const Tensor& weight, const Tensor& bias_row) {
    if (!per_task) return linear(x, weight, bias_row);
    const Tensor rows = reshape(x, {T, -1, x.size(-1)});
    return reshape(linear(rows, weight, bias_row), {T, x.size(1), N, E});
  };
  // In-projections (in_proj's rows hold W_q, W_k, W_v in turn).
  const TensorList biases = parts.in_proj_bias.defined() ? chunk(parts.in_proj_bias, 3, -1)
                                                         : TensorList{Tensor(), Tensor(), Tensor()};
  const TensorList weights =
      parts.in_proj_weight.defined()
          ? chunk(parts.in_proj_weight, 3, -2)
          : TensorList{parts.q_proj_weight, parts.k_proj_weight, parts.v_proj_weight};
  // Sequence-first with the tasks folded into the batch: [L, T N, E].
  auto fold = [&](const Tensor& x) {
    return per_task ? reshape(permute(x, {1, 0, 2, 3}), {x.size(1), T * N, E}) : x;
  };
  const Tensor q = fold(project(query, weights[0], biases[0]));
  Tensor k = fold(project(key, weights[1], biases[1]));
  Tensor v = fold(project(value, weights[2], biases[2]));
  Tensor padded_bias = bias;
  if (parts.bias_k.defined()) {
    // bias_k, bias_v [1, 1, E] (or [T, 1, 1, E]): one more key for every batch entry.
    auto extra_key = [&](const Tensor& b) {
      return per_task ? reshape(permute(expand(b, {T, 1, N, E}), {1, 0, 2, 3}), {1, T * N, E})
                      : expand(b, {1, N, E});
    };
    k = cat({k, extra_key(parts.bias_k)}, 0);
    v = cat({v, extra_key(parts.bias_v)}, 0);
    padded_bias = metagrad::detail::pad_key(padded_bias);
  }
  AttentionResult attended =
      attend_heads(q, k, v, parts.num_heads, padded_bias, parts.add_zero_attn, parts.dropout_p,
                   parts.generator, bias_masks_whole_rows);
  Tensor out = attended.output;  // [L, T N, E]
  if (per_task) out = permute(reshape(out, {L, T, N, E}), {1, 0, 2, 3});
  attended.output = (*parts.out_proj)(out);
  return attended;
}

}  // namespace metagrad::detail
