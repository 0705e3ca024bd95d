// TransformerEncoder, TransformerDecoder and Transformer (engine/nn/transformer.hpp).
#include "engine/nn/transformer.hpp"

#include "engine/nn/init.hpp"
#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"

namespace metagrad::nn {
namespace {

// Submodule slots of the stacks: `layers`, then `norm` when given.
constexpr size_t kLayers = 0, kNorm = 1;

// `layer` deep-copied `count` times into a ModuleList (torch's _get_clones).
ModuleList clones(const Module& layer, int64_t count, const char* stack) {
  MG_CHECK(count >= 1, "{}: num_layers must be at least 1, got {}", stack, count);
  ModuleList layers;
  for (int64_t i = 0; i < count; ++i) layers.push_back(layer.clone());
  return layers;
}

// Layer `index` of a stack's `layers` list as a Layer.
template <typename Layer>
Layer& layer_at(const Module& stack, const Module& layers, size_t index, const char* layer_class) {
  const auto children = layers.named_children();
  MG_CHECK(index < children.size(), "{}: layer {} is out of range for {} layers", stack.type_name(),
           index, children.size());
  return detail::submodule_as<Layer>(stack, *children[index].second,
                                     "layers." + children[index].first, layer_class);
}

}  // namespace

// ---- encoder ------------------------------------------------------------------------------------

TransformerEncoder::TransformerEncoder(const TransformerEncoderLayer& encoder_layer,
                                       int64_t num_layers, std::optional<LayerNorm> norm) {
  register_module("layers", clones(encoder_layer, num_layers, "TransformerEncoder"));
  if (norm) register_module("norm", std::move(*norm));
}

Tensor TransformerEncoder::forward(const Tensor& src) { return forward(src, EncoderMasks{}); }

Tensor TransformerEncoder::forward(const Tensor& src, const EncoderMasks& masks) {
  Tensor x = src;
  for (size_t i = 0; i < num_layers(); ++i) x = layer(i).forward(x, masks);
  return num_children() > kNorm ? module_at(kNorm)(x) : x;
}

size_t TransformerEncoder::num_layers() const { return module_at(kLayers).children().size(); }

TransformerEncoderLayer& TransformerEncoder::layer(size_t index) const {
  return layer_at<TransformerEncoderLayer>(*this, module_at(kLayers), index,
                                           "TransformerEncoderLayer");
}

// ---- decoder ------------------------------------------------------------------------------------

TransformerDecoder::TransformerDecoder(const TransformerDecoderLayer& decoder_layer,
                                       int64_t num_layers, std::optional<LayerNorm> norm) {
  register_module("layers", clones(decoder_layer, num_layers, "TransformerDecoder"));
  if (norm) register_module("norm", std::move(*norm));
}

Tensor TransformerDecoder::forward(const Tensor& /*tgt*/) {
  MG_FAIL(
      "TransformerDecoder: the decoder attends to an encoder's memory; call "
      "forward(tgt, memory, masks)");
}

Tensor TransformerDecoder::forward(const Tensor& tgt, const Tensor& memory,
                                   const DecoderMasks& masks) {
  Tensor x = tgt;
  for (size_t i = 0; i < num_layers(); ++i) x = layer(i).forward(x, memory, masks);
  return num_children() > kNorm ? module_at(kNorm)(x) : x;
}

size_t TransformerDecoder::num_layers() const { return module_at(kLayers).children().size(); }

TransformerDecoderLayer& TransformerDecoder::layer(size_t index) const {
  return layer_at<TransformerDecoderLayer>(*this, module_at(kLayers), index,
                                           "TransformerDecoderLayer");
}

// ---- transformer --------------------------------------------------------------------------------

Transformer::Transformer(const TransformerOptions& options) : options_(options) {
  const TransformerLayerOptions& layer = options.layer;
  const LayerNormOptions norm{
      .eps = layer.layer_norm_eps, .bias = layer.bias, .dtype = layer.dtype};
  register_module("encoder", TransformerEncoder(
                                 TransformerEncoderLayer(options.d_model, options.nhead, layer),
                                 options.num_encoder_layers, LayerNorm({options.d_model}, norm)));
  register_module("decoder", TransformerDecoder(
                                 TransformerDecoderLayer(options.d_model, options.nhead, layer),
                                 options.num_decoder_layers, LayerNorm({options.d_model}, norm)));
  // PyTorch's _reset_parameters: Xavier-uniform for every matrix.
  for (const Tensor& p : parameters())
    if (p.dim() > 1) init::xavier_uniform_(p, 1.0, layer.generator);
}

Tensor Transformer::forward(const Tensor& /*src*/) {
  MG_FAIL("Transformer: the model takes a source and a target; call forward(src, tgt, masks)");
}

Tensor Transformer::forward(const Tensor& src, const Tensor& tgt, const EncoderMasks& src_masks,
                            const DecoderMasks& tgt_masks) {
  metagrad::detail::check_defined(src, "Transformer", "src");
  metagrad::detail::check_defined(tgt, "Transformer", "tgt");
  const bool batched = src.dim() == 3;
  const int batch_dim = options_.layer.batch_first ? 0 : 1;
  MG_CHECK(src.dim() == tgt.dim() && (src.dim() == 2 || batched) &&
               (!batched || src.size(batch_dim) == tgt.size(batch_dim)),
           "Transformer: the batch size of src and tgt must be equal ({}), got shapes {} and {}",
           options_.layer.batch_first ? "[N, S, E] and [N, T, E]" : "[S, N, E] and [T, N, E]",
           shape_str(src.shape()), shape_str(tgt.shape()));
  MG_CHECK(src.size(-1) == options_.d_model && tgt.size(-1) == options_.d_model,
           "Transformer: the feature number of src and tgt must be equal to d_model ({}), got "
           "shapes {} and {}",
           options_.d_model, shape_str(src.shape()), shape_str(tgt.shape()));
  const Tensor memory = encoder().forward(src, src_masks);
  return decoder().forward(tgt, memory, tgt_masks);
}

TransformerEncoder& Transformer::encoder() const {
  return detail::submodule_as<TransformerEncoder>(*this, module_at(0), "encoder",
                                                  "TransformerEncoder");
}

TransformerDecoder& Transformer::decoder() const {
  return detail::submodule_as<TransformerDecoder>(*this, module_at(1), "decoder",
                                                  "TransformerDecoder");
}

}  // namespace metagrad::nn
