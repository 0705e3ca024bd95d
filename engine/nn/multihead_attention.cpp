// MultiheadAttention (engine/nn/attention.hpp): torch.nn.MultiheadAttention's projections, masks
// and head split around the shared attention kernel.
#include <fmt/format.h>

#include <cmath>

#include "engine/nn/attention.hpp"
#include "engine/nn/attention_core.hpp"
#include "engine/nn/functional.hpp"
#include "engine/nn/init.hpp"
#include "engine/nn/layers.hpp"
#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"

namespace metagrad::nn {
namespace {

// Slots, in PyTorch's order.
constexpr size_t kInProjWeight = 0, kQProjWeight = 1, kKProjWeight = 2, kVProjWeight = 3,
                 kInProjBias = 4, kBiasK = 5, kBiasV = 6;
constexpr size_t kOutProj = 0;

constexpr const char* kOp = "MultiheadAttention";

// Appends one zero column to a bias [..., S] (for the extra key of bias_k or add_zero_attn).
Tensor pad_key(const Tensor& bias) { return bias.defined() ? pad(bias, {0, 1}) : bias; }

}  // namespace

MultiheadAttention::MultiheadAttention(int64_t embed_dim, int64_t num_heads,
                                       const MultiheadAttentionOptions& options)
    : embed_dim_(embed_dim),
      num_heads_(num_heads),
      kdim_(options.kdim.value_or(embed_dim)),
      vdim_(options.vdim.value_or(embed_dim)),
      options_(options) {
  MG_CHECK(embed_dim > 0 && num_heads > 0,
           "{}: embed_dim and num_heads must be positive, got {} and {}", kOp, embed_dim,
           num_heads);
  MG_CHECK(embed_dim % num_heads == 0,
           "{}: embed_dim ({}) must be divisible by num_heads ({}); each head gets embed_dim / "
           "num_heads features",
           kOp, embed_dim, num_heads);
  MG_CHECK(kdim_ > 0 && vdim_ > 0, "{}: kdim and vdim must be positive, got {} and {}", kOp, kdim_,
           vdim_);
  MG_CHECK(options.dropout >= 0.0 && options.dropout < 1.0, "{}: dropout must be in [0, 1), got {}",
           kOp, options.dropout);
  MG_CHECK(is_floating(options.dtype), "{}: parameters must be float32 or float64, got {}", kOp,
           dtype_name(options.dtype));
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
  auto& out_proj = static_cast<Linear&>(module_at(kOutProj));
  out_proj.reset_parameters(generator);
  if (parameter_at(kInProjBias).defined()) {
    init::zeros_(parameter_at(kInProjBias));
    init::zeros_(out_proj.bias());
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
  metagrad::detail::check_defined(query, kOp, "query");
  metagrad::detail::check_defined(key, kOp, "key");
  metagrad::detail::check_defined(value, kOp, "value");
  const Tensor& out_weight = static_cast<const Linear&>(module_at(kOutProj)).weight();
  for (const Tensor* operand : {&query, &key, &value})
    MG_CHECK(operand->dtype() == out_weight.dtype() && operand->device() == out_weight.device(),
             "{}: query, key and value must have the layer's dtype {} on its device {}, got {} on "
             "{}; convert them (or the layer) with .to()",
             kOp, dtype_name(out_weight.dtype()), out_weight.device().str(),
             dtype_name(operand->dtype()), operand->device().str());
  const bool batched = query.dim() == 3;
  MG_CHECK((query.dim() == 2 || batched) && key.dim() == query.dim() && value.dim() == query.dim(),
           "{}: query, key and value must all be batched ([L, N, E], or [N, L, E] with "
           "batch_first) or all unbatched ([L, E]), got shapes {}, {} and {}",
           kOp, shape_str(query.shape()), shape_str(key.shape()), shape_str(value.shape()));
  // Sequence-first, batched: q [L, N, E], k [S, N, kdim], v [S, N, vdim].
  auto sequence_first = [&](const Tensor& x) {
    if (!batched) return unsqueeze(x, 1);
    return options_.batch_first ? transpose(x, 0, 1) : x;
  };
  const Tensor q_in = sequence_first(query), k_in = sequence_first(key),
               v_in = sequence_first(value);
  const int64_t L = q_in.size(0), N = q_in.size(1), S = k_in.size(0);
  const int64_t E = embed_dim_, H = num_heads_, head = E / H;
  MG_CHECK(q_in.size(2) == E && k_in.size(2) == kdim_ && v_in.size(2) == vdim_ &&
               k_in.size(1) == N && v_in.size(1) == N && v_in.size(0) == S,
           "{}: with embed_dim {}, kdim {} and vdim {}{} the query, key and value must be "
           "{}, {} and {}, got shapes {}, {} and {}",
           kOp, E, kdim_, vdim_, options_.batch_first ? " and batch_first" : "",
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
  Tensor attn_bias = metagrad::detail::mask_to_bias(args.attn_mask, false, q_in, kOp, "attn_mask");
  if (attn_bias.defined()) {
    const bool fits = (attn_bias.dim() == 2 && attn_bias.size(0) == L && attn_bias.size(1) == S) ||
                      (attn_bias.dim() == 3 && attn_bias.size(0) == N * H &&
                       attn_bias.size(1) == L && attn_bias.size(2) == S);
    MG_CHECK(fits,
             "{}: attn_mask must be [L, S] = [{}, {}] or [N num_heads, L, S] = [{}, {}, {}], got "
             "shape {}",
             kOp, L, S, N * H, L, S, shape_str(args.attn_mask.shape()));
    if (attn_bias.dim() == 2) attn_bias = unsqueeze(attn_bias, 0);
  } else if (args.is_causal) {
    attn_bias = unsqueeze(metagrad::detail::causal_bias(L, S, q_in), 0);
  }
  Tensor padding_bias =
      metagrad::detail::mask_to_bias(args.key_padding_mask, false, q_in, kOp, "key_padding_mask");
  if (padding_bias.defined()) {
    MG_CHECK(
        batched ? padding_bias.dim() == 2 && padding_bias.size(0) == N && padding_bias.size(1) == S
                : padding_bias.dim() == 1 && padding_bias.size(0) == S,
        "{}: key_padding_mask must be {} = [{}], got shape {}", kOp, batched ? "[N, S]" : "[S]",
        batched ? fmt::format("{}, {}", N, S) : fmt::format("{}", S),
        shape_str(args.key_padding_mask.shape()));
    padding_bias = reshape(padding_bias, {N, 1, 1, S});
  }

  // Projections (in_proj's rows hold W_q, W_k, W_v in turn).
  const Tensor& packed = parameter_at(kInProjWeight);
  const TensorList biases = parameter_at(kInProjBias).defined()
                                ? chunk(parameter_at(kInProjBias), 3)
                                : TensorList{Tensor(), Tensor(), Tensor()};
  const TensorList weights =
      packed.defined() ? chunk(packed, 3)
                       : TensorList{parameter_at(kQProjWeight), parameter_at(kKProjWeight),
                                    parameter_at(kVProjWeight)};
  Tensor q = linear(q_in, weights[0], biases[0]);
  Tensor k = linear(k_in, weights[1], biases[1]);
  Tensor v = linear(v_in, weights[2], biases[2]);
  int64_t keys = S;
  if (parameter_at(kBiasK).defined()) {
    k = cat({k, expand(parameter_at(kBiasK), {1, N, E})}, 0);
    v = cat({v, expand(parameter_at(kBiasV), {1, N, E})}, 0);
    attn_bias = pad_key(attn_bias);
    padding_bias = pad_key(padding_bias);
    ++keys;
  }
  // Heads: [L, N, E] -> [N H, L, head].
  q = transpose(reshape(q, {L, N * H, head}), 0, 1);
  k = transpose(reshape(k, {keys, N * H, head}), 0, 1);
  v = transpose(reshape(v, {keys, N * H, head}), 0, 1);
  if (options_.add_zero_attn) {
    const Tensor zero = zeros({N * H, 1, head}, TensorOptions(q.dtype(), q.device()));
    k = cat({k, zero}, 1);
    v = cat({v, zero}, 1);
    attn_bias = pad_key(attn_bias);
    padding_bias = pad_key(padding_bias);
    ++keys;
  }
  Tensor bias = attn_bias;
  if (padding_bias.defined()) {
    const Tensor spread = reshape(expand(padding_bias, {N, H, 1, keys}), {N * H, 1, keys});
    bias = bias.defined() ? bias + spread : spread;
  }

  const double dropout_p = is_training() ? options_.dropout : 0.0;
  // The built causal mask alone leaves every query key 0, so no row is wholly masked.
  const bool only_causal = args.is_causal && !args.attn_mask.defined() && !padding_bias.defined();
  const metagrad::detail::AttentionResult attended =
      metagrad::detail::attend(q, k, v, bias, 1.0 / std::sqrt(static_cast<double>(head)), dropout_p,
                               options_.generator, !(only_causal && S >= 1));
  // [N H, L, head] -> [L, N, E], then the output projection.
  Tensor out = module_at(kOutProj)(reshape(transpose(attended.output, 0, 1), {L, N, E}));
  if (!batched) {
    out = squeeze(out, 1);
  } else if (options_.batch_first) {
    out = transpose(out, 0, 1);
  }
  Tensor attention;
  if (args.need_weights) {
    attention = reshape(attended.weights, {N, H, L, keys});
    if (args.average_attn_weights) attention = mean(attention, Dims{1});
    if (!batched) attention = squeeze(attention, 0);
  }
  return {out, attention};
}

}  // namespace metagrad::nn
