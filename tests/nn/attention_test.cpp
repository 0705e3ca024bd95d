// Attention and transformers (engine/nn/attention.hpp, engine/nn/transformer.hpp): values and
// gradients against PyTorch 1.13 in float64 (attention_reference.hpp, made from the same
// testing::wave inputs and parameters), the masks' semantics, gradcheck and gradgradcheck,
// PyTorch's parameter names, and ModuleList.
#include <cmath>
#include <string>
#include <vector>

#include "tests/nn/attention_reference.hpp"
#include "tests/nn/nn_helpers.hpp"

using namespace metagrad;
using attention_reference::kTorch;
using metagrad::testing::allclose;
using metagrad::testing::check_grads;
using metagrad::testing::fill_wave_parameters;
using metagrad::testing::names;
using metagrad::testing::wave;

namespace {

constexpr double kRtol = 1e-10, kAtol = 1e-12;

// The reference values of `key`, shaped like `like`.
Tensor reference(const std::string& key, const Tensor& like) {
  const auto found = kTorch.find(key);
  REQUIRE(found != kTorch.end());
  REQUIRE(static_cast<int64_t>(found->second.size()) == like.numel());
  return tensor(found->second, like.shape(), kFloat64);
}

// Leaves requiring grad with the values of `values`.
TensorList leaves(const TensorList& values) {
  TensorList out;
  for (const Tensor& v : values) out.push_back(v.detach().clone().requires_grad_(true));
  return out;
}

// Checks y = fn(inputs) and the gradients of sum(y * wave(y.shape, 0.9)) with respect to the
// inputs (and, with a module, each parameter's <g, wave(g.shape, 0.3)> and <g, g>) against
// reference case `name`.
void check_case(const std::string& name, const std::function<Tensor(const TensorList&)>& fn,
                const TensorList& input_values, nn::Module* module = nullptr) {
  INFO("case " << name);
  if (module != nullptr) fill_wave_parameters(*module);
  const TensorList inputs = leaves(input_values);
  const Tensor y = fn(inputs);
  CHECK(allclose(y, reference(name, y), kRtol, kAtol));
  TensorList wrt = inputs;
  const TensorList params = module != nullptr ? module->parameters() : TensorList{};
  wrt.insert(wrt.end(), params.begin(), params.end());
  const TensorList grads = grad({sum(y * wave(y.shape(), 0.9))}, wrt, {}, {.allow_unused = true});
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Tensor g = grads[i].defined() ? grads[i] : zeros_like(inputs[i]);
    INFO("gradient of input " << i);
    CHECK(allclose(g, reference(name + ".grad" + std::to_string(i), g), kRtol, kAtol));
  }
  if (module == nullptr) return;
  std::vector<double> summary;
  for (size_t i = 0; i < params.size(); ++i) {
    const Tensor& raw = grads[inputs.size() + i];
    const Tensor g = raw.defined() ? raw : zeros_like(params[i]);  // unused (out_proj for weights)
    summary.push_back(sum(g * wave(g.shape(), 0.3)).item<double>());
    summary.push_back(sum(g * g).item<double>());
  }
  const Tensor got = tensor(summary, {static_cast<int64_t>(summary.size())}, kFloat64);
  CHECK(allclose(got, reference(name + ".param_grads", got), kRtol, kAtol));
}

Tensor bools(const std::vector<double>& values, const Dims& shape) {
  return tensor(values, shape, kBool);
}

const nn::TransformerLayerOptions kSmallLayer{
    .dim_feedforward = 16, .dropout = 0.0, .dtype = kFloat64};

}  // namespace

TEST_CASE("scaled_dot_product_attention matches the attention formula", "[nn][attention]") {
  const Tensor q = wave({2, 2, 3, 4}, 0.3), k = wave({2, 2, 5, 4}, 0.8),
               v = wave({2, 2, 5, 3}, 1.4);
  // Wave > -0.6 with the first key always allowed, as the reference script builds it.
  Tensor allowed = gt(wave({3, 5}, 2.1), -0.6);
  {
    NoGradGuard no_grad;
    allowed = logical_or(allowed, eq(unsqueeze(arange(5.0), 0), 0.0));
  }
  const Tensor float_mask = wave({2, 1, 3, 5}, 0.2) * 0.7;
  check_case("sdpa",
             [](const TensorList& x) { return scaled_dot_product_attention(x[0], x[1], x[2]); },
             {q, k, v});
  check_case("sdpa_bool_mask",
             [&](const TensorList& x) {
               return scaled_dot_product_attention(x[0], x[1], x[2], {.attn_mask = allowed});
             },
             {q, k, v});
  check_case("sdpa_float_mask",
             [](const TensorList& x) {
               return scaled_dot_product_attention(x[0], x[1], x[2], {.attn_mask = x[3]});
             },
             {q, k, v, float_mask});
  check_case("sdpa_causal",
             [](const TensorList& x) {
               return scaled_dot_product_attention(x[0], x[1], x[2], {.is_causal = true});
             },
             {q, k, v});
  check_case("sdpa_scale",
             [](const TensorList& x) {
               return scaled_dot_product_attention(x[0], x[1], x[2], {.scale = 0.3});
             },
             {q, k, v});
  check_case("sdpa_gqa",
             [](const TensorList& x) {
               return scaled_dot_product_attention(x[0], x[1], x[2], {.enable_gqa = true});
             },
             {wave({1, 4, 3, 4}, 0.5), slice(k, 0, 0, 1), slice(v, 0, 0, 1)});
}

TEST_CASE("scaled_dot_product_attention: masks, fully masked queries and derivatives",
          "[nn][attention]") {
  const Tensor q = wave({3, 4}, 0.3), k = wave({5, 4}, 0.8), v = wave({5, 2}, 1.4);
  SECTION("is_causal is the lower-triangular bool mask and the -inf float mask") {
    const Tensor causal = scaled_dot_product_attention(q, k, v, {.is_causal = true});
    const Tensor lower = le(unsqueeze(arange(5.0), 0), unsqueeze(arange(3.0), 1));
    CHECK(allclose(causal, scaled_dot_product_attention(q, k, v, {.attn_mask = lower}), 0, 0));
    const Tensor square = nn::generate_square_subsequent_mask(3, kFloat64);
    CHECK(allclose(
        scaled_dot_product_attention(q, slice(k, 0, 0, 3), slice(v, 0, 0, 3),
                                     {.attn_mask = square}),
        scaled_dot_product_attention(q, slice(k, 0, 0, 3), slice(v, 0, 0, 3), {.is_causal = true}),
        0, 0));
    CHECK(square.to_vector<double>() ==
          std::vector<double>{0, -INFINITY, -INFINITY, 0, 0, -INFINITY, 0, 0, 0});
  }
  SECTION("a query with every key masked gets zeros, with finite gradients") {
    const Tensor allowed =
        bools({1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1}, {3, 5});  // row 1 masked out
    const TensorList x = leaves({q, k, v});
    const Tensor y = scaled_dot_product_attention(x[0], x[1], x[2], {.attn_mask = allowed});
    CHECK(select(y, 0, 1).to_vector<double>() == std::vector<double>{0.0, 0.0});
    CHECK(all(isfinite(y)).item<bool>());
    const TensorList g = grad({sum(y * wave(y.shape(), 0.9))}, x);
    for (const Tensor& gi : g) CHECK(all(isfinite(gi)).item<bool>());
    CHECK(all(eq(select(g[0], 0, 1), 0.0)).item<bool>());
    // The other rows are what their own keys give: row 0 attends to keys 0, 1 and 4.
    const Tensor keys = tensor({0, 1, 4}, kInt64);
    const Tensor row0 = scaled_dot_product_attention(slice(q, 0, 0, 1), index_select(k, 0, keys),
                                                     index_select(v, 0, keys));
    CHECK(allclose(slice(y, 0, 0, 1), row0, 1e-14, 1e-15));
  }
  SECTION("gradcheck and gradgradcheck in every operand and a float mask") {
    check_grads(
        [](const TensorList& x) {
          return TensorList{scaled_dot_product_attention(x[0], x[1], x[2], {.attn_mask = x[3]})};
        },
        leaves({q, k, v, wave({3, 5}, 1.1) * 0.5}));
    const Tensor allowed = bools({1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1}, {3, 5});
    check_grads(
        [&](const TensorList& x) {
          return TensorList{
              scaled_dot_product_attention(x[0], x[1], x[2], {.attn_mask = allowed, .scale = 0.7})};
        },
        leaves({q, k, v}));
  }
  SECTION("dropout drops weights only when asked, reproducibly with a generator") {
    Generator a(7), b(7);
    const Tensor dropped_a =
        scaled_dot_product_attention(q, k, v, {.dropout_p = 0.5, .generator = &a});
    const Tensor dropped_b =
        scaled_dot_product_attention(q, k, v, {.dropout_p = 0.5, .generator = &b});
    CHECK(allclose(dropped_a, dropped_b, 0, 0));
    CHECK(!allclose(dropped_a, scaled_dot_product_attention(q, k, v), 1e-6, 1e-6));
  }
  SECTION("float32") {
    const Tensor y = scaled_dot_product_attention(q.to(kFloat32), k.to(kFloat32), v.to(kFloat32),
                                                  {.is_causal = true});
    CHECK(y.dtype() == kFloat32);
    CHECK(allclose(y, scaled_dot_product_attention(q, k, v, {.is_causal = true}), 1e-5, 1e-6));
  }
}

TEST_CASE("MultiheadAttention matches PyTorch", "[nn][attention]") {
  SECTION("self-attention: output and head-averaged weights") {
    nn::MultiheadAttention mha(8, 2, {.dtype = kFloat64});
    CHECK(names(mha.named_parameters()) ==
          std::vector<std::string>{"in_proj_weight", "in_proj_bias", "out_proj.weight",
                                   "out_proj.bias"});
    const Tensor x = wave({3, 2, 8}, 0.4);
    check_case(
        "mha_self", [&](const TensorList& in) { return std::get<0>(mha(in[0], in[0], in[0])); },
        {x}, &mha);
    check_case(
        "mha_self_weights",
        [&](const TensorList& in) { return std::get<1>(mha(in[0], in[0], in[0])); }, {x}, &mha);
    // forward(x) is the output of forward(x, x, x), without the weights.
    const auto [out, weights] = mha(x, x, x, {.need_weights = false});
    CHECK(!weights.defined());
    CHECK(allclose(mha.forward(x), out, 0, 0));
  }
  SECTION("cross-attention: kdim, vdim, batch_first, bias_kv, zero attention, both masks") {
    nn::MultiheadAttention mha(8, 2,
                               {.add_bias_kv = true,
                                .add_zero_attn = true,
                                .kdim = 5,
                                .vdim = 6,
                                .batch_first = true,
                                .dtype = kFloat64});
    CHECK(names(mha.named_parameters()) ==
          std::vector<std::string>{"q_proj_weight", "k_proj_weight", "v_proj_weight",
                                   "in_proj_bias", "bias_k", "bias_v", "out_proj.weight",
                                   "out_proj.bias"});
    const Tensor padding = bools({0, 0, 0, 1, 0, 0, 1, 1}, {2, 4});
    const Tensor blocked = bools({0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0}, {3, 4});
    const nn::MultiheadAttentionArgs args{
        .key_padding_mask = padding, .attn_mask = blocked, .average_attn_weights = false};
    const TensorList inputs{wave({2, 3, 8}, 0.6), wave({2, 4, 5}, 1.2), wave({2, 4, 6}, 1.9)};
    check_case(
        "mha_cross",
        [&](const TensorList& in) { return std::get<0>(mha(in[0], in[1], in[2], args)); }, inputs,
        &mha);
    check_case(
        "mha_cross_weights",
        [&](const TensorList& in) { return std::get<1>(mha(in[0], in[1], in[2], args)); }, inputs,
        &mha);
    CHECK(std::get<1>(mha(inputs[0], inputs[1], inputs[2], args)).shape() == Dims{2, 2, 3, 6});
  }
  SECTION("unbatched, no biases, a per-head float mask and a padding mask") {
    nn::MultiheadAttention mha(8, 2, {.bias = false, .dtype = kFloat64});
    CHECK(names(mha.named_parameters()) ==
          std::vector<std::string>{"in_proj_weight", "out_proj.weight"});
    const Tensor padding = bools({0, 0, 1, 0}, {4});
    check_case(
        "mha_unbatched",
        [&](const TensorList& in) {
          return std::get<0>(
              mha(in[0], in[1], in[1], {.key_padding_mask = padding, .attn_mask = in[2]}));
        },
        {wave({3, 8}, 0.7), wave({4, 8}, 1.5), wave({2, 3, 4}, 0.9) * 0.5}, &mha);
  }
}

TEST_CASE("MultiheadAttention: masks, dropout, derivatives and state", "[nn][attention]") {
  nn::MultiheadAttention mha(4, 2, {.dropout = 0.5, .dtype = kFloat64});
  fill_wave_parameters(mha);
  const Tensor x = wave({3, 2, 4}, 0.4);
  SECTION("is_causal builds the mask that generate_square_subsequent_mask gives") {
    mha.eval();
    const auto [causal, causal_weights] = mha(x, x, x, {.is_causal = true});
    const auto [masked, masked_weights] =
        mha(x, x, x, {.attn_mask = nn::generate_square_subsequent_mask(3, kFloat64)});
    CHECK(allclose(causal, masked, 0, 0));
    CHECK(allclose(causal_weights, masked_weights, 0, 0));
    CHECK(select(select(causal_weights, 0, 0), 0, 0).to_vector<double>() ==
          std::vector<double>{1.0, 0.0, 0.0});
    // A bool mask (true = blocked) is the -inf float mask.
    const Tensor blocked = gt(unsqueeze(arange(3.0), 0), unsqueeze(arange(3.0), 1));
    CHECK(allclose(std::get<0>(mha(x, x, x, {.attn_mask = blocked})), causal, 0, 0));
  }
  SECTION("dropout on the weights in training only") {
    mha.train();
    const Tensor a = mha.forward(x), b = mha.forward(x);
    CHECK(!allclose(a, b, 1e-9, 1e-12));
    mha.eval();
    CHECK(allclose(mha.forward(x), mha.forward(x), 0, 0));
  }
  SECTION("gradcheck and gradgradcheck through the input and a rebound weight") {
    mha.eval();
    const Tensor weight = mha.get_parameter("in_proj_weight");
    const Tensor padding = bools({0, 0, 1, 0, 0, 0}, {2, 3});
    check_grads(
        [&](const TensorList& in) {
          mha.set_parameter("in_proj_weight", in[1]);
          return TensorList{std::get<0>(mha(in[0], in[0], in[0], {.key_padding_mask = padding}))};
        },
        leaves({x, weight}));
  }
  SECTION("a PyTorch-named state dict round trip and a deep clone") {
    nn::MultiheadAttention other(4, 2, {.dropout = 0.5, .dtype = kFloat64});
    other.load_state_dict(mha.state_dict());
    mha.eval();
    other.eval();
    CHECK(allclose(other.forward(x), mha.forward(x), 0, 0));
    const auto copy = mha.clone();
    {
      NoGradGuard no_grad;
      copy->get_parameter("out_proj.weight").mul_(2.0);
    }
    CHECK(allclose(other.forward(x), mha.forward(x), 0, 0));
    CHECK(mha.to_string() ==
          "MultiheadAttention(\n  (out_proj): Linear(in_features=4, out_features=4, bias=True)\n)");
  }
  SECTION("PyTorch's initialisation: zero biases, Xavier-uniform projections") {
    Generator gen(3);
    nn::MultiheadAttention fresh(16, 4, {.add_bias_kv = true, .generator = &gen});
    CHECK(all(eq(fresh.get_parameter("in_proj_bias"), 0.0)).item<bool>());
    CHECK(all(eq(fresh.get_parameter("out_proj.bias"), 0.0)).item<bool>());
    const double bound = std::sqrt(6.0 / (16.0 + 48.0));
    CHECK(amax(abs(fresh.get_parameter("in_proj_weight"))).item<double>() <= bound);
    CHECK(amax(abs(fresh.get_parameter("in_proj_weight"))).item<double>() > 0.9 * bound);
    CHECK(fresh.get_parameter("bias_k").shape() == Dims{1, 1, 16});
  }
}

TEST_CASE("transformer layers, stacks and the Transformer match PyTorch", "[nn][transformer]") {
  const Tensor src = wave({4, 2, 8}, 0.25), tgt = wave({3, 2, 8}, 1.05);
  const Tensor src_padding = bools({0, 0, 0, 0, 0, 0, 0, 1}, {2, 4});
  const Tensor causal3 = nn::generate_square_subsequent_mask(3, kFloat64);
  const Tensor causal4 = nn::generate_square_subsequent_mask(4, kFloat64);
  SECTION("encoder layer, post-norm with masks") {
    nn::TransformerEncoderLayer layer(8, 2, kSmallLayer);
    CHECK(names(layer.named_parameters()) ==
          std::vector<std::string>{
              "self_attn.in_proj_weight", "self_attn.in_proj_bias", "self_attn.out_proj.weight",
              "self_attn.out_proj.bias", "linear1.weight", "linear1.bias", "linear2.weight",
              "linear2.bias", "norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias"});
    check_case(
        "encoder_layer",
        [&](const TensorList& in) {
          return layer(in[0], {.mask = causal4, .key_padding_mask = src_padding});
        },
        {src}, &layer);
  }
  SECTION("encoder layer, pre-norm, GELU, batch_first") {
    nn::TransformerLayerOptions options = kSmallLayer;
    options.activation = nn::TransformerActivation::Gelu;
    options.layer_norm_eps = 1e-3;
    options.batch_first = true;
    options.norm_first = true;
    nn::TransformerEncoderLayer layer(8, 2, options);
    check_case(
        "encoder_layer_pre", [&](const TensorList& in) { return layer(in[0]); },
        {transpose(src, 0, 1).contiguous()}, &layer);
  }
  SECTION("encoder stack with a final norm") {
    nn::TransformerEncoder encoder(nn::TransformerEncoderLayer(8, 2, kSmallLayer), 2,
                                   nn::LayerNorm({8}, {.dtype = kFloat64}));
    CHECK(encoder.num_layers() == 2);
    CHECK(encoder.named_parameters()[12].first == "layers.1.self_attn.in_proj_weight");
    CHECK(encoder.named_parameters().back().first == "norm.bias");
    check_case(
        "encoder",
        [&](const TensorList& in) { return encoder(in[0], {.key_padding_mask = src_padding}); },
        {src}, &encoder);
  }
  SECTION("decoder layers, post-norm and pre-norm") {
    nn::TransformerDecoderLayer layer(8, 2, kSmallLayer);
    check_case(
        "decoder_layer",
        [&](const TensorList& in) {
          return layer(in[0], in[1], {.tgt_mask = causal3, .memory_key_padding_mask = src_padding});
        },
        {tgt, src}, &layer);
    nn::TransformerLayerOptions options = kSmallLayer;
    options.activation = nn::TransformerActivation::Gelu;
    options.norm_first = true;
    nn::TransformerDecoderLayer pre(8, 2, options);
    check_case(
        "decoder_layer_pre",
        [&](const TensorList& in) { return pre(in[0], in[1], {.tgt_mask = causal3}); }, {tgt, src},
        &pre);
    // tgt_is_causal builds the same mask.
    CHECK(allclose(pre(tgt, src, {.tgt_is_causal = true}), pre(tgt, src, {.tgt_mask = causal3}), 0,
                   0));
  }
  SECTION("the encoder-decoder Transformer") {
    nn::Transformer model({.d_model = 8,
                           .nhead = 2,
                           .num_encoder_layers = 2,
                           .num_decoder_layers = 2,
                           .layer = kSmallLayer});
    CHECK(names(model.named_parameters()) == attention_reference::kTransformerNames);
    check_case(
        "transformer",
        [&](const TensorList& in) {
          return model(in[0], in[1], {.key_padding_mask = src_padding},
                       {.tgt_mask = causal3, .memory_key_padding_mask = src_padding});
        },
        {src, tgt}, &model);
  }
}

TEST_CASE("transformer layers: derivatives of every order, dropout and clones",
          "[nn][transformer]") {
  nn::TransformerLayerOptions options = kSmallLayer;
  options.dim_feedforward = 6;
  nn::TransformerEncoderLayer layer(4, 2, options);
  fill_wave_parameters(layer);
  const Tensor src = wave({3, 2, 4}, 0.25);
  SECTION("gradcheck and gradgradcheck in the input and a rebound parameter") {
    const Tensor w = layer.get_parameter("linear1.weight");
    check_grads(
        [&](const TensorList& in) {
          layer.set_parameter("linear1.weight", in[1]);
          return TensorList{layer(in[0], {.is_causal = true})};
        },
        leaves({src, w}));
  }
  SECTION("dropout in training mode, none in eval mode") {
    nn::TransformerEncoderLayer noisy(4, 2, {.dim_feedforward = 6, .dtype = kFloat64});
    const Tensor a = noisy(src), b = noisy(src);
    CHECK(!allclose(a, b, 1e-9, 1e-12));
    noisy.eval();
    CHECK(allclose(noisy(src), noisy(src), 0, 0));
  }
  SECTION("a stack's layers are independent deep copies") {
    nn::TransformerEncoder encoder(layer, 2);
    {
      NoGradGuard no_grad;
      encoder.layer(0).get_parameter("linear1.bias").add_(1.0);
    }
    CHECK(!allclose(encoder.layer(0).get_parameter("linear1.bias"),
                    encoder.layer(1).get_parameter("linear1.bias"), 0, 0));
    CHECK(allclose(encoder.layer(1).get_parameter("linear1.bias"),
                   layer.get_parameter("linear1.bias"), 0, 0));
    CHECK(allclose(encoder(src), layer(encoder.layer(0)(src)), 0, 0));
  }
  SECTION("bias = false leaves out every bias") {
    nn::TransformerLayerOptions no_bias = options;
    no_bias.bias = false;
    for (const auto& [name, p] : nn::TransformerDecoderLayer(4, 2, no_bias).named_parameters())
      CHECK(name.find("bias") == std::string::npos);
  }
}

TEST_CASE("ModuleList registers, lists, indexes and clones its modules", "[nn][container]") {
  nn::ModuleList list(nn::Linear(2, 3), nn::ReLU());
  list.push_back(nn::Linear(3, 1));
  CHECK(list.size() == 3);
  CHECK(names(list.named_parameters()) ==
        std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias"});
  CHECK(list.at<nn::Linear>(2).in_features() == 3);
  CHECK_THROWS_WITH(list.at<nn::Linear>(1), Catch::Contains("layer 1 is a ReLU"));
  const Tensor x = ones({4, 2});
  CHECK(list[2](list[1](list[0](x))).shape() == Dims{4, 1});
  const auto copy = list.clone();
  {
    NoGradGuard no_grad;
    copy->get_parameter("0.weight").zero_();
  }
  CHECK(!all(eq(list.get_parameter("0.weight"), 0.0)).item<bool>());
  CHECK(list.to_string().rfind("ModuleList(\n  (0): Linear(", 0) == 0);
}

TEST_CASE("a MAML meta-gradient through a transformer encoder layer", "[nn][transformer][meta]") {
  // One inner SGD step on a regression loss, then the outer loss at the adapted parameters: its
  // gradient with respect to the initial parameters goes through the inner gradient (second
  // order through attention, softmax and layer norm), checked against finite differences.
  nn::TransformerEncoderLayer layer(4, 2,
                                    {.dim_feedforward = 6, .dropout = 0.0, .dtype = kFloat64});
  fill_wave_parameters(layer);
  const Tensor support = wave({3, 2, 4}, 0.3), query = wave({3, 2, 4}, 1.3);
  const Tensor target = wave({3, 2, 4}, 2.1) * 0.5;
  const TensorList initial = layer.parameters();
  const auto outer_loss = [&](const TensorList& params) {
    layer.set_parameters(params);
    const Tensor inner = mean(square(layer(support) - target));
    const TensorList g = grad({inner}, params, {}, {.create_graph = true});
    TensorList adapted;
    for (size_t i = 0; i < params.size(); ++i) adapted.push_back(params[i] - 0.3 * g[i]);
    layer.set_parameters(adapted);
    return TensorList{mean(square(layer(query) - target))};
  };
  check_grads(outer_loss, leaves(initial), false);
}
