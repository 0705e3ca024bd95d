#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "engine/nn/attention.hpp"
#include "engine/nn/layers.hpp"
#include "engine/nn/module.hpp"
#include "engine/random/generator.hpp"
#include "engine/tensor.hpp"

// Transformer layers with torch.nn's equations, submodule names, initialisation and options:
// encoder and decoder layers, their stacks, and the whole encoder-decoder Transformer. Built from
// MultiheadAttention, Linear, LayerNorm and Dropout, so a PyTorch state dict loads as is and every
// derivative order exists (a transformer can be the learner of MAML, or the model inside an
// implicit-differentiation solve).
namespace metagrad::nn {
/// \addtogroup nn
/// @{

/// The feed-forward block's activation (torch's activation="relu" / "gelu").
enum class TransformerActivation : uint8_t {
  Relu,  ///< max(x, 0) (the default)
  Gelu,  ///< the exact GELU
};

/// Options of the transformer layers beyond d_model and nhead
/// (`TransformerEncoderLayer(64, 4, {.dim_feedforward = 256, .norm_first = true})`).
struct TransformerLayerOptions {
  /// Hidden size of the feed-forward block.
  int64_t dim_feedforward = 2048;
  /// Dropout after the attention blocks, inside and after the feed-forward block, and on the
  /// attention weights (training mode only).
  double dropout = 0.1;
  /// The feed-forward block's activation.
  TransformerActivation activation = TransformerActivation::Relu;
  /// The layer norms' epsilon.
  double layer_norm_eps = 1e-5;
  /// Inputs and outputs are [N, L, E] instead of [L, N, E].
  bool batch_first = false;
  /// Pre-norm (x + block(norm(x))) instead of post-norm (norm(x + block(x))).
  bool norm_first = false;
  /// Whether the linear layers, the attention projections and the layer norms have biases.
  bool bias = true;
  /// dtype of the parameters.
  DType dtype = kFloat32;
  /// Draws the initial parameters and the dropout masks (the default generator when null; a given
  /// one must outlive the layer).
  Generator* generator = nullptr;
};

/// The masks of an encoder (TransformerEncoderLayer::forward's keyword arguments).
struct EncoderMasks {
  /// [L, L] or [N nhead, L, L]: bool true blocks a pair, a float mask is added to the scores.
  Tensor mask;
  /// [N, L]: bool true (or a float added to the scores) marks padding positions of the source.
  Tensor key_padding_mask;
  /// Applies the causal mask (with `mask` undefined, it is built).
  bool is_causal = false;
};

/// The masks of a decoder (TransformerDecoderLayer::forward's keyword arguments).
struct DecoderMasks {
  /// Self-attention mask [T, T] or [N nhead, T, T] over the target.
  Tensor tgt_mask;
  /// Cross-attention mask [T, S] or [N nhead, T, S] from the target to the memory.
  Tensor memory_mask;
  /// [N, T]: padding positions of the target.
  Tensor tgt_key_padding_mask;
  /// [N, S]: padding positions of the memory.
  Tensor memory_key_padding_mask;
  /// Applies the causal mask in the self-attention (with tgt_mask undefined, it is built).
  bool tgt_is_causal = false;
  /// Applies the causal mask in the cross-attention (with memory_mask undefined, it is built).
  bool memory_is_causal = false;
};

/// One encoder layer (torch.nn.TransformerEncoderLayer): self-attention and a feed-forward block
/// (linear2(dropout(activation(linear1(x))))), each with a residual connection and a layer norm,
/// post-norm by default. Submodules in PyTorch's order and names: self_attn, linear1, dropout,
/// linear2, norm1, norm2, dropout1, dropout2.
class TransformerEncoderLayer : public Cloneable<TransformerEncoderLayer> {
 public:
  /// torch.nn.TransformerEncoderLayer(d_model, nhead, ...). Throws for sizes MultiheadAttention
  /// rejects or a non-positive dim_feedforward.
  TransformerEncoderLayer(int64_t d_model, int64_t nhead,
                          const TransformerLayerOptions& options = {});
  /// forward(src, {}).
  Tensor forward(const Tensor& src) override;
  /// The layer on src [L, N, E] ([N, L, E] with batch_first, [L, E] unbatched).
  Tensor forward(const Tensor& src, const EncoderMasks& masks);
  using Module::operator();
  /// \copydoc forward(const Tensor&, const EncoderMasks&)
  Tensor operator()(const Tensor& src, const EncoderMasks& masks) { return forward(src, masks); }
  /// The options the layer was made with.
  const TransformerLayerOptions& options() const { return options_; }

 private:
  TransformerLayerOptions options_;
};

/// One decoder layer (torch.nn.TransformerDecoderLayer): self-attention over the target,
/// cross-attention to the memory, and a feed-forward block, each with a residual connection and a
/// layer norm. Submodules: self_attn, multihead_attn, linear1, dropout, linear2, norm1, norm2,
/// norm3, dropout1, dropout2, dropout3.
class TransformerDecoderLayer : public Cloneable<TransformerDecoderLayer> {
 public:
  /// torch.nn.TransformerDecoderLayer(d_model, nhead, ...).
  TransformerDecoderLayer(int64_t d_model, int64_t nhead,
                          const TransformerLayerOptions& options = {});
  /// Throws: a decoder layer needs the memory (forward(tgt, memory, masks)).
  Tensor forward(const Tensor& tgt) override;
  /// The layer on tgt [T, N, E] attending to memory [S, N, E] (batch_first / unbatched as the
  /// encoder layer).
  Tensor forward(const Tensor& tgt, const Tensor& memory, const DecoderMasks& masks = {});
  using Module::operator();
  /// \copydoc forward(const Tensor&, const Tensor&, const DecoderMasks&)
  Tensor operator()(const Tensor& tgt, const Tensor& memory, const DecoderMasks& masks = {}) {
    return forward(tgt, memory, masks);
  }
  /// The options the layer was made with.
  const TransformerLayerOptions& options() const { return options_; }

 private:
  TransformerLayerOptions options_;
};

/// A stack of encoder layers (torch.nn.TransformerEncoder): num_layers deep copies of
/// `encoder_layer` in `layers` ("layers.0.self_attn.in_proj_weight", ...), then the optional final
/// `norm`.
class TransformerEncoder : public Cloneable<TransformerEncoder> {
 public:
  /// torch.nn.TransformerEncoder(encoder_layer, num_layers, norm). Throws unless num_layers >= 1.
  TransformerEncoder(const TransformerEncoderLayer& encoder_layer, int64_t num_layers,
                     std::optional<LayerNorm> norm = std::nullopt);
  /// forward(src, {}).
  Tensor forward(const Tensor& src) override;
  /// Every layer in turn with the same masks, then the norm.
  Tensor forward(const Tensor& src, const EncoderMasks& masks);
  using Module::operator();
  /// \copydoc forward(const Tensor&, const EncoderMasks&)
  Tensor operator()(const Tensor& src, const EncoderMasks& masks) { return forward(src, masks); }
  /// The number of layers.
  size_t num_layers() const;
  /// Layer i (throws when out of range).
  TransformerEncoderLayer& layer(size_t index) const;
};

/// A stack of decoder layers (torch.nn.TransformerDecoder): `layers` then the optional `norm`.
class TransformerDecoder : public Cloneable<TransformerDecoder> {
 public:
  /// torch.nn.TransformerDecoder(decoder_layer, num_layers, norm). Throws unless num_layers >= 1.
  TransformerDecoder(const TransformerDecoderLayer& decoder_layer, int64_t num_layers,
                     std::optional<LayerNorm> norm = std::nullopt);
  /// Throws: a decoder needs the memory.
  Tensor forward(const Tensor& tgt) override;
  /// Every layer in turn on (its input, memory) with the same masks, then the norm.
  Tensor forward(const Tensor& tgt, const Tensor& memory, const DecoderMasks& masks = {});
  using Module::operator();
  /// \copydoc forward(const Tensor&, const Tensor&, const DecoderMasks&)
  Tensor operator()(const Tensor& tgt, const Tensor& memory, const DecoderMasks& masks = {}) {
    return forward(tgt, memory, masks);
  }
  /// The number of layers.
  size_t num_layers() const;
  /// Layer i (throws when out of range).
  TransformerDecoderLayer& layer(size_t index) const;
};

/// Options of Transformer beyond the layer options (`Transformer({.d_model = 64, .nhead = 4})`).
struct TransformerOptions {
  /// The model size E.
  int64_t d_model = 512;
  /// Heads of every attention.
  int64_t nhead = 8;
  /// Layers of the encoder.
  int64_t num_encoder_layers = 6;
  /// Layers of the decoder.
  int64_t num_decoder_layers = 6;
  /// Everything else, shared by every layer (its defaults are torch's).
  TransformerLayerOptions layer;
};

/// The encoder-decoder transformer of "Attention Is All You Need" (torch.nn.Transformer): an
/// `encoder` (TransformerEncoder with a final LayerNorm) and a `decoder` (likewise). As PyTorch,
/// every parameter with more than one dim is redrawn Xavier-uniform after construction.
class Transformer : public Cloneable<Transformer> {
 public:
  /// torch.nn.Transformer(d_model, nhead, num_encoder_layers, num_decoder_layers, ...).
  explicit Transformer(const TransformerOptions& options = {});
  /// Throws: a transformer takes a source and a target.
  Tensor forward(const Tensor& src) override;
  /// decoder(tgt, encoder(src, src masks), target and memory masks). src [S, N, E], tgt [T, N, E]
  /// ([N, S, E], [N, T, E] with batch_first); result of tgt's shape. Throws when the batch sizes
  /// or feature sizes differ.
  Tensor forward(const Tensor& src, const Tensor& tgt, const EncoderMasks& src_masks = {},
                 const DecoderMasks& tgt_masks = {});
  using Module::operator();
  /// \copydoc forward(const Tensor&, const Tensor&, const EncoderMasks&, const DecoderMasks&)
  Tensor operator()(const Tensor& src, const Tensor& tgt, const EncoderMasks& src_masks = {},
                    const DecoderMasks& tgt_masks = {}) {
    return forward(src, tgt, src_masks, tgt_masks);
  }
  /// The encoder.
  TransformerEncoder& encoder() const;
  /// The decoder.
  TransformerDecoder& decoder() const;

 private:
  TransformerOptions options_;
};

/// @}
}  // namespace metagrad::nn
