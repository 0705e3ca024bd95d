#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <vector>

#include "engine/ops/conv.hpp"
#include "engine/random/generator.hpp"
#include "engine/tensor.hpp"

// Functional neural-network ops with torch.nn.functional's semantics. Every op here is a
// composite of public differentiable ops (DESIGN §3), so it has derivatives of every order
// without a backward of its own. Floating operands of one call share dtype and device.
namespace metagrad {
/// \addtogroup nn
/// @{

/// How a loss reduces its per-element values: keep them, average them or add them up.
enum class Reduction { None, Mean, Sum };

// ---- layers and activations ----------------------------------------------------------------

/// input @ weight^T + bias (torch.nn.functional.linear). input [*, in]; weight [out, in]; bias
/// [out] or undefined. Result [*, out]. Per-task weights are allowed: weight [T..., out, in] and
/// bias [T..., out] batch against input [T..., *, in] with broadcasting (as batched matmul).
/// Differentiable in all three.
Tensor linear(const Tensor& input, const Tensor& weight, const Tensor& bias = {});

/// y_o = x1^T A_o x2 + b_o (torch.nn.functional.bilinear): input1 [*, in1] and input2 [*, in2]
/// with the same leading dims, weight [out, in1, in2], bias [out] or undefined -> [*, out].
/// Differentiable in all four, to every order.
Tensor bilinear(const Tensor& input1, const Tensor& input2, const Tensor& weight,
                const Tensor& bias = {});

/// exp(x) / sum(exp(x)) along `dim`, computed with the max subtracted (stable). Same shape as x;
/// a 0-d x is treated as one element. Float dtypes only.
Tensor softmax(const Tensor& x, int64_t dim);

/// x - logsumexp(x, dim): the log of softmax, stable for large |x|. Same shape as x.
Tensor log_softmax(const Tensor& x, int64_t dim);

/// Inverted dropout: in training, zeroes each element with probability `p` (mask from rand() of
/// `generator`, the default one when null) and scales the kept ones by 1 / (1 - p); p = 1 gives
/// zeros. Returns x itself when !training or p == 0. Differentiable through the mask product.
/// Throws unless 0 <= p <= 1.
Tensor dropout(const Tensor& x, double p = 0.5, bool training = true,
               Generator* generator = nullptr);

/// Channel-wise dropout (torch.nn.functional.dropout1d): in training, zeroes whole channels of
/// input [N, C, L] (or unbatched [C, L]) with probability `p`, one draw per (n, c), and scales
/// the kept ones by 1 / (1 - p). Returns x itself when !training or p == 0. Throws unless
/// 0 <= p <= 1 and the input is 2-D or 3-D.
Tensor dropout1d(const Tensor& x, double p = 0.5, bool training = true,
                 Generator* generator = nullptr);

/// Channel-wise dropout of images (torch.nn.functional.dropout2d): as dropout1d over [N, C, H, W].
/// A 3-D input is taken as [N, C, L], as PyTorch's dropout2d does (dropout1d is the clear name
/// for that). Throws unless 0 <= p <= 1 and the input is 3-D or 4-D.
Tensor dropout2d(const Tensor& x, double p = 0.5, bool training = true,
                 Generator* generator = nullptr);

/// Channel-wise dropout of volumes (torch.nn.functional.dropout3d): as dropout1d over
/// [N, C, D, H, W] (or unbatched [C, D, H, W]). Throws unless 0 <= p <= 1 and the input is 4-D or
/// 5-D.
Tensor dropout3d(const Tensor& x, double p = 0.5, bool training = true,
                 Generator* generator = nullptr);

/// Alpha dropout for SELU networks (torch.nn.functional.alpha_dropout): in training, each element
/// is kept with probability 1 - p and otherwise set to SELU's negative saturation, then an affine
/// map restores zero mean and unit variance: a (x m + alpha' (1 - m)) + b with PyTorch's a and b.
/// Returns x itself when !training or p == 0. Throws unless 0 <= p <= 1.
Tensor alpha_dropout(const Tensor& x, double p = 0.5, bool training = false,
                     Generator* generator = nullptr);

/// Channel-wise alpha dropout (torch.nn.functional.feature_alpha_dropout): as alpha_dropout with
/// one draw per (n, c) of an input [N, C, *] (at least 2-D).
Tensor feature_alpha_dropout(const Tensor& x, double p = 0.5, bool training = false,
                             Generator* generator = nullptr);

/// One-hot encoding of int64 `labels` (any shape) as int64 [*labels.shape, num_classes]; with
/// num_classes = -1 the count is max(labels) + 1. Throws for negative labels or labels >=
/// num_classes. Not differentiable.
Tensor one_hot(const Tensor& labels, int64_t num_classes = -1);

/// Rows of `weight` [num_embeddings, embedding_dim] picked by the int64 indices `input` (any
/// shape): result [*input.shape, embedding_dim] (torch.nn.functional.embedding). Entries equal to
/// padding_idx (negative counts from the end) take their row's value but send it no gradient.
/// Throws naming the index when one is outside [0, num_embeddings). Differentiable in weight.
Tensor embedding(const Tensor& input, const Tensor& weight,
                 std::optional<int64_t> padding_idx = std::nullopt);

/// How embedding_bag reduces the rows of a bag.
enum class EmbeddingBagMode : uint8_t {
  Sum,   ///< "sum": the (weighted) sum
  Mean,  ///< "mean": the mean over the bag's entries
  Max,   ///< "max": the elementwise max; the gradient goes to the entry that holds it
};

/// PyTorch's name of a bag mode: "sum", "mean" or "max".
std::string_view embedding_bag_mode_name(EmbeddingBagMode mode);

/// torch.nn.functional.embedding_bag: the rows of `weight` [num_embeddings, D] picked by the int64
/// `input`, reduced per bag -> [bags, D]. A 2-D input [B, L] is B bags of L entries (offsets
/// undefined); a 1-D input is split into bags at `offsets` (int64 [B], the first 0, non-decreasing;
/// with include_last_offset [B + 1], the last the end). per_sample_weights (input's shape, the
/// weight's dtype; mode Sum only) scales each row. Entries equal to padding_idx (negative counts
/// from the end) are left out of their bag; an empty bag gives zeros. Differentiable in weight and
/// per_sample_weights, to every order. Throws for an index out of range, bad offsets, or
/// per_sample_weights with another mode.
Tensor embedding_bag(const Tensor& input, const Tensor& weight, const Tensor& offsets = {},
                     EmbeddingBagMode mode = EmbeddingBagMode::Mean,
                     const Tensor& per_sample_weights = {}, bool include_last_offset = false,
                     std::optional<int64_t> padding_idx = std::nullopt);

// ---- elementwise activations (see Note [saturated branches]) -----------------------------------
// Each takes a float32/float64 tensor and keeps its shape; every derivative order is exact,
// and none is NaN where the value is finite (the saturated regions included).

/// Which formula gelu uses: the exact one, or the tanh approximation (PyTorch's approximate =
/// "none" / "tanh").
enum class GeluApproximate { None, Tanh };

/// x Phi(x) = 0.5 x (1 + erf(x / sqrt 2)) (torch.nn.functional.gelu); with
/// GeluApproximate::Tanh, 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))).
Tensor gelu(const Tensor& x, GeluApproximate approximate = GeluApproximate::None);

/// x sigmoid(x), the swish (torch.nn.functional.silu).
Tensor silu(const Tensor& x);

/// x tanh(softplus(x)) (torch.nn.functional.mish).
Tensor mish(const Tensor& x);

/// log(1 + exp(beta x)) / beta, and x where beta x > threshold (torch.nn.functional.softplus).
/// Throws for beta 0 or non-finite.
Tensor softplus(const Tensor& x, double beta = 1.0, double threshold = 20.0);

/// log(sigmoid(x)), finite for every finite x (torch.nn.functional.logsigmoid).
Tensor log_sigmoid(const Tensor& x);

/// x for x > 0, alpha (exp(x) - 1) otherwise (torch.nn.functional.elu); gradient alpha at 0.
Tensor elu(const Tensor& x, double alpha = 1.0);

/// scale * elu(x, alpha) with Klambauer et al.'s alpha = 1.6732632423543772 and
/// scale = 1.0507009873554805 (torch.nn.functional.selu).
Tensor selu(const Tensor& x);

/// x for x > 0, negative_slope x otherwise (torch.nn.functional.leaky_relu); gradient
/// negative_slope at 0.
Tensor leaky_relu(const Tensor& x, double negative_slope = 0.01);

/// Randomized leaky ReLU (torch.nn.functional.rrelu): x where x >= 0, a x below, with a drawn
/// uniformly from [lower, upper] per element in training and a = (lower + upper) / 2 otherwise.
/// The gradient is 1 or a. Throws unless lower <= upper.
Tensor rrelu(const Tensor& x, double lower = 1.0 / 8.0, double upper = 1.0 / 3.0,
             bool training = false, Generator* generator = nullptr);

/// clamp(x, min_val, max_val) (torch.nn.functional.hardtanh); gradient 1 strictly inside
/// (min_val, max_val), 0 elsewhere (PyTorch's, also at the bounds). min_val must be <= max_val.
Tensor hardtanh(const Tensor& x, double min_val = -1.0, double max_val = 1.0);
/// min(max(x, 0), 6) (torch.nn.functional.relu6): hardtanh(x, 0, 6).
Tensor relu6(const Tensor& x);
/// 0 for x <= -3, 1 for x >= 3, x / 6 + 1/2 between (torch.nn.functional.hardsigmoid);
/// gradient 1/6 strictly inside (-3, 3).
Tensor hardsigmoid(const Tensor& x);
/// x hardsigmoid(x): 0 for x < -3, x for x > 3, x (x + 3) / 6 between
/// (torch.nn.functional.hardswish); gradient x / 3 + 1/2 on [-3, 3], as PyTorch's.
Tensor hardswish(const Tensor& x);
/// x / (1 + |x|) (torch.nn.functional.softsign).
Tensor softsign(const Tensor& x);
/// x - tanh(x) (torch.nn.functional.tanhshrink).
Tensor tanhshrink(const Tensor& x);
/// x - lambd for x > lambd, x + lambd for x < -lambd, 0 between
/// (torch.nn.functional.softshrink); lambd >= 0.
Tensor softshrink(const Tensor& x, double lambd = 0.5);
/// x where |x| > lambd, 0 elsewhere (torch.nn.functional.hardshrink).
Tensor hardshrink(const Tensor& x, double lambd = 0.5);
/// x where x > threshold, value elsewhere (torch.nn.functional.threshold).
Tensor threshold(const Tensor& x, double threshold, double value);
/// max(0, x) + min(0, alpha (exp(x / alpha) - 1)) (torch.nn.functional.celu); alpha != 0.
Tensor celu(const Tensor& x, double alpha = 1.0);
/// a sigmoid(b) for the halves a, b of x along dim (torch.nn.functional.glu); dim's size must be
/// even.
Tensor glu(const Tensor& x, int64_t dim = -1);
/// softmax(-x, dim) (torch.nn.functional.softmin).
Tensor softmin(const Tensor& x, int64_t dim);
/// torch.nn.functional.gumbel_softmax: a relaxed categorical sample softmax((logits + g) / tau,
/// dim) with Gumbel noise g = -log(E), E ~ Exp(1) drawn from `generator` (the default one when
/// null). hard = true gives the one-hot of that sample's argmax along dim, differentiated as the
/// soft sample (one_hot - soft.detach() + soft, the straight-through estimator); its argmax is a
/// draw from softmax(logits, dim). Float logits; every derivative order in the logits. Throws for
/// tau not positive and finite, an integer dtype or a dim out of range.
Tensor gumbel_softmax(const Tensor& logits, double tau = 1.0, bool hard = false, int64_t dim = -1,
                      Generator* generator = nullptr);
/// x for x > 0, weight x otherwise (torch.nn.functional.prelu). weight holds one slope, or one
/// per channel (dim 1 of x, which then has at least 2 dims); gradients to x and weight.
Tensor prelu(const Tensor& x, const Tensor& weight);

// ---- normalisation ---------------------------------------------------------------------------

/// Batch normalisation over every dim but 1 of input [N, C, *] (torch.nn.functional.batch_norm).
/// training: normalises with the batch mean and biased variance and, when running_mean /
/// running_var ([C], both or neither) are given, updates them in place without recording:
/// running = (1 - momentum) * running + momentum * batch_stat, with the unbiased batch variance
/// for running_var (momentum = 1 stores the last batch's statistics). Needs more than one value
/// per channel. Eval (!training): normalises with the running statistics, which must be given.
/// weight and bias ([C]) are optional. y = (x - mean) / sqrt(var + eps) * weight + bias;
/// differentiable to every order in input, weight and bias (and, in eval, the running stats).
Tensor batch_norm(const Tensor& input, const Tensor& running_mean, const Tensor& running_var,
                  const Tensor& weight = {}, const Tensor& bias = {}, bool training = false,
                  double momentum = 0.1, double eps = 1e-5);

/// Layer normalisation over the trailing dims `normalized_shape` of input [*, normalized_shape]
/// (torch.nn.functional.layer_norm): y = (x - mean) / sqrt(var + eps) * weight + bias, with the
/// mean and the biased variance over those dims for each leading index. weight and bias are
/// optional and have shape normalized_shape. Differentiable to every order in all three.
Tensor layer_norm(const Tensor& input, const Dims& normalized_shape, const Tensor& weight = {},
                  const Tensor& bias = {}, double eps = 1e-5);

/// Group normalisation of input [N, C, *] (torch.nn.functional.group_norm): the C channels form
/// num_groups groups of C / num_groups, and each sample's group is normalised over its channels
/// and positions with the mean and biased variance: y = (x - mean) / sqrt(var + eps) * weight +
/// bias, weight and bias [C] optional. Uses no batch statistics, so tasks and samples never mix.
/// Differentiable to every order.
Tensor group_norm(const Tensor& input, int64_t num_groups, const Tensor& weight = {},
                  const Tensor& bias = {}, double eps = 1e-5);

/// Instance normalisation of input [N, C, *] (at least one spatial dim;
/// torch.nn.functional.instance_norm): each sample's channel is normalised over its positions,
/// y = (x - mean) / sqrt(var + eps) * weight + bias (biased variance; weight, bias [C] optional).
/// With use_input_stats and running_mean / running_var ([C], both or neither) given, these are
/// updated in place without recording, as PyTorch does: each sample's statistics update a copy
/// (running = (1 - momentum) running + momentum stat, unbiased variance) and the copies are
/// averaged over the batch. Without use_input_stats, normalises with the running statistics
/// (which must be given). Needs more than one position per channel with use_input_stats.
/// Differentiable to every order in input, weight and bias.
Tensor instance_norm(const Tensor& input, const Tensor& running_mean = {},
                     const Tensor& running_var = {}, const Tensor& weight = {},
                     const Tensor& bias = {}, bool use_input_stats = true, double momentum = 0.1,
                     double eps = 1e-5);

// ---- distances -------------------------------------------------------------------------------

/// torch.nn.functional.normalize: input / max(||input||_p, eps) along `dim` (any p of
/// metagrad::norm). Float dtypes, derivatives of every order.
Tensor normalize(const Tensor& input, double p = 2.0, int64_t dim = 1, double eps = 1e-12);

/// torch.nn.functional.local_response_norm: input [N, C, *] (at least 3-D) divided by
/// (k + alpha * mean of x^2 over `size` neighbouring channels, zero-padded)^beta. Differentiable
/// to every order.
Tensor local_response_norm(const Tensor& input, int64_t size, double alpha = 1e-4,
                           double beta = 0.75, double k = 1.0);

/// torch.nn.functional.cosine_similarity: Σ (x1 / max(||x1||, eps)) (x2 / max(||x2||, eps))
/// along `dim` of the broadcast inputs (each divided by its own 2-norm first, as PyTorch, so the
/// result stays within [-1, 1]); `dim` is removed.
Tensor cosine_similarity(const Tensor& x1, const Tensor& x2, int64_t dim = 1, double eps = 1e-8);

/// torch.nn.functional.pairwise_distance: ||x1 - x2 + eps||_p along the last dim of the
/// broadcast inputs (removed unless keepdim).
Tensor pairwise_distance(const Tensor& x1, const Tensor& x2, double p = 2.0, double eps = 1e-6,
                         bool keepdim = false);

/// How cdist computes Euclidean (p = 2) distances (PyTorch's compute_mode).
enum class CdistComputeMode : uint8_t {
  /// The matrix-product form when either input has more than 25 rows (PyTorch's default).
  UseMmForEuclidDistIfNecessary,
  /// Always the matrix-product form: ||a||^2 + ||b||^2 - 2 a.b, clamped at 0, square-rooted.
  UseMmForEuclidDist,
  /// Always the direct form ||a - b||_2.
  DonotUseMmForEuclidDist,
};

/// torch.cdist: the p-norm distance between each row of x1 [*, P, M] and each row of x2
/// [*, R, M] -> [*, P, R] (batch dims broadcast), any p >= 0 of metagrad::norm. For p = 2,
/// compute_mode picks the direct form or the faster matrix-product form as PyTorch does.
/// Derivatives of every order (the direct form's gradient is 0 at zero distance).
Tensor cdist(const Tensor& x1, const Tensor& x2, double p = 2.0,
             CdistComputeMode compute_mode = CdistComputeMode::UseMmForEuclidDistIfNecessary);

// ---- resampling ------------------------------------------------------------------------------

/// How interpolate computes each output cell (torch.nn.functional.interpolate's `mode`).
enum class InterpolateMode : uint8_t {
  Nearest,       ///< "nearest": the cell at floor(i * scale) (PyTorch's legacy rule, as OpenCV)
  NearestExact,  ///< "nearest-exact": the cell at floor((i + 0.5) * scale) (as Pillow and SciPy)
  Linear,        ///< "linear": two cells along the one spatial dim of a 3-D input
  Bilinear,      ///< "bilinear": linear along both spatial dims of a 4-D input
  Bicubic,       ///< "bicubic": Keys' cubic kernel (A = -0.75) over 4 x 4 cells, edges clamped
  Trilinear,     ///< "trilinear": linear along the three spatial dims of a 5-D input
  Area,          ///< "area": adaptive average pooling to the output size
};

/// Options of interpolate and nn::Upsample: give exactly one of size and scale_factor
/// (`interpolate(x, {.scale_factor = {2.0}, .mode = InterpolateMode::Bilinear})`).
struct InterpolateOptions {
  /// The output's spatial size: one value for every spatial dim, or one per spatial dim.
  std::vector<int64_t> size;
  /// The factor of each spatial size (one for all, or one per dim): out = floor(in * factor).
  std::vector<double> scale_factor;
  /// How output cells are computed.
  InterpolateMode mode = InterpolateMode::Nearest;
  /// Interpolating modes only: true maps the corner cells' centres onto each other (source
  /// position i (in - 1) / (out - 1)); false (unset) maps the edges ((i + 0.5) scale - 0.5).
  std::optional<bool> align_corners;
  /// With scale_factor: true takes the scale as in / out of the rounded output size; false
  /// (unset) as 1 / scale_factor, as PyTorch.
  std::optional<bool> recompute_scale_factor;
};

/// torch.nn.functional.interpolate: input [N, C, *spatial] with 1 to 3 spatial dims resampled to
/// the output size of `options`. Linear needs 3-D input, bilinear and bicubic 4-D, trilinear
/// 5-D; nearest, nearest-exact and area take any of them. Source cells and weights are
/// PyTorch's (computed in float for float32 as ATen does). Differentiable to every order in
/// input. Throws for a mode that does not fit the input's rank, align_corners with a
/// non-interpolating mode, both or neither of size and scale_factor, a count of sizes or factors
/// that is neither 1 nor the number of spatial dims, and empty input or output sizes.
Tensor interpolate(const Tensor& input, const InterpolateOptions& options);

/// torch.nn.functional.pixel_shuffle: input [*, C r^2, H, W] -> [*, C, H r, W r], output cell
/// (c, h r + i, w r + j) taken from channel c r^2 + i r + j at (h, w). Differentiable to every
/// order. Throws unless r > 0 and r^2 divides the channels.
Tensor pixel_shuffle(const Tensor& input, int64_t upscale_factor);

/// torch.nn.functional.pixel_unshuffle, the inverse of pixel_shuffle: input [*, C, H r, W r] ->
/// [*, C r^2, H, W]. Throws unless r > 0 divides both spatial sizes.
Tensor pixel_unshuffle(const Tensor& input, int64_t downscale_factor);

/// torch.nn.functional.channel_shuffle: input [N, C, *] with C = g * m -> the channels in the
/// order (0, m, 2m, ..., 1, m + 1, ...): [N, g, m, *] transposed to [N, m, g, *]. Throws unless
/// `groups` is positive and divides C.
Tensor channel_shuffle(const Tensor& input, int64_t groups);

/// torch.nn.functional.lp_pool2d: the p-norm of each window, (sum x^p)^(1/p), computed as PyTorch
/// (avg_pool2d of x^p times the window size, to the power 1/p), stride defaulting to the kernel.
Tensor lp_pool2d(const Tensor& input, double norm_type, IntPair kernel_size,
                 std::optional<IntPair> stride = std::nullopt, bool ceil_mode = false);

/// torch.nn.functional.lp_pool1d: lp_pool2d along L of [N, C, L] or [C, L].
Tensor lp_pool1d(const Tensor& input, double norm_type, int64_t kernel_size,
                 std::optional<int64_t> stride = std::nullopt, bool ceil_mode = false);

/// How grid_sample weighs the input cells around a grid point (torch's `mode`).
enum class GridSampleMode : uint8_t {
  Bilinear,  ///< "bilinear": the 4 surrounding cells
  Nearest,   ///< "nearest": the nearest cell (ties to even); no gradient to the grid
  Bicubic,   ///< "bicubic": the 4 x 4 surrounding cells, Keys' kernel with A = -0.75
};

/// What grid_sample reads outside the image (torch's `padding_mode`).
enum class GridSamplePadding : uint8_t {
  Zeros,       ///< "zeros": 0
  Border,      ///< "border": the position clipped to the image
  Reflection,  ///< "reflection": the position reflected at the image's edges
};

/// Options of grid_sample (`grid_sample(x, grid, {.padding_mode = GridSamplePadding::Border})`).
struct GridSampleOptions {
  /// How the output is computed from the cells around each grid point.
  GridSampleMode mode = GridSampleMode::Bilinear;
  /// What positions outside the image read.
  GridSamplePadding padding_mode = GridSamplePadding::Zeros;
  /// true: -1 and 1 are the centres of the corner cells; false (PyTorch's default): their outer
  /// edges.
  bool align_corners = false;
};

/// torch.nn.functional.grid_sample of 4-D input [N, C, H, W] at grid [N, H_out, W_out, 2] of
/// normalised (x, y) positions in [-1, 1] -> [N, C, H_out, W_out]. Differentiable to every order
/// in input and grid (the grid's gradient is the kernel's derivative, as PyTorch's). Throws for
/// another rank or a grid whose batch or last dim does not fit.
Tensor grid_sample(const Tensor& input, const Tensor& grid, const GridSampleOptions& options = {});

/// torch.nn.functional.affine_grid: the grid [N, H, W, 2] that grid_sample needs to apply the
/// affine maps theta [N, 2, 3] (output position -> input position, normalised) to images of
/// size [N, C, H, W]. Differentiable to every order in theta (a spatial transformer's
/// localisation network learns it). Throws for another size length or theta shape.
Tensor affine_grid(const Tensor& theta, const Dims& size, bool align_corners = false);

namespace detail {
/// PyTorch's name of an interpolation mode: "nearest", "nearest-exact", "bilinear", ...
std::string_view interpolate_mode_name(InterpolateMode mode);
}  // namespace detail

// ---- losses ----------------------------------------------------------------------------------

/// Options of nll_loss (designated initialisers: `{.reduction = Reduction::Sum}`).
struct NllLossOptions {
  /// How the per-element losses are reduced.
  Reduction reduction = Reduction::Mean;
  /// Targets equal to this contribute nothing (neither to the sum nor to the mean's divisor).
  int64_t ignore_index = -100;
  /// Optional per-class weight [C] of the input's dtype.
  Tensor weight;
};

/// Negative log-likelihood of int64 class targets: loss_i = -weight[t_i] * log_probs[i, t_i].
/// log_probs [N, C] or [N, C, d1, ...] (or [C] with a 0-d target); target [N] or [N, d1, ...]
/// with values in [0, C) or ignore_index. Mean divides by the summed weights of the
/// non-ignored targets (NaN when every target is ignored, as PyTorch); None keeps the target's
/// shape with 0 at ignored entries. Differentiable in log_probs (and weight).
Tensor nll_loss(const Tensor& log_probs, const Tensor& target, const NllLossOptions& options = {});

/// Options of cross_entropy (`cross_entropy(logits, y, {.label_smoothing = 0.1})`).
struct CrossEntropyOptions {
  /// How the per-element losses are reduced.
  Reduction reduction = Reduction::Mean;
  /// In [0, 1]: the target becomes (1 - s) one_hot + s / C (PyTorch's formula and weighting).
  double label_smoothing = 0.0;
  /// Targets equal to this class index contribute nothing (and are not counted by the mean).
  int64_t ignore_index = -100;
  /// Optional per-class weight [C] of the logits' dtype.
  Tensor weight;
};

/// nll_loss(log_softmax(logits, class dim), target) with optional label smoothing:
/// (1 - s) * nll + s / C * sum_c(-weight[c] * log_softmax[c]), each term reduced as nll_loss
/// reduces (mean: divided by the summed weights of the non-ignored targets). Shapes and targets
/// as nll_loss; errors name "cross_entropy". Differentiable in logits (and weight).
Tensor cross_entropy(const Tensor& logits, const Tensor& target,
                     const CrossEntropyOptions& options = {});

/// (input - target)^2, reduced. input and target have the same shape and dtype.
Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::Mean);

/// |input - target|, reduced. input and target have the same shape and dtype.
Tensor l1_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::Mean);

/// Options of binary_cross_entropy_with_logits.
struct BceWithLogitsOptions {
  /// How the per-element losses are reduced.
  Reduction reduction = Reduction::Mean;
  /// Weight of the positive term, broadcast against the target (typically [C] for [N, C]).
  Tensor pos_weight;
  /// Weight of each element, broadcast against the input.
  Tensor weight;
};

/// -weight * [pos_weight * t * log(sigmoid(x)) + (1 - t) * log(1 - sigmoid(x))], computed stably
/// for any |x| as (1 - t) x + (1 + (pos_weight - 1) t) softplus(-x). input and target (float
/// probabilities) have the same shape. Differentiable in input, target and both weights.
Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target,
                                        const BceWithLogitsOptions& options = {});

/// Smooth L1 (torch.nn.functional.smooth_l1_loss): 0.5 d^2 / beta where |d| < beta, |d| -
/// 0.5 beta elsewhere, d = input - target, reduced. beta = 0 is l1_loss; negative beta throws.
Tensor smooth_l1_loss(const Tensor& input, const Tensor& target,
                      Reduction reduction = Reduction::Mean, double beta = 1.0);

/// Huber loss (torch.nn.functional.huber_loss): 0.5 d^2 where |d| < delta, delta (|d| - 0.5
/// delta) elsewhere, d = input - target, reduced. delta must be positive. Equals delta *
/// smooth_l1_loss(input, target, reduction, delta).
Tensor huber_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::Mean,
                  double delta = 1.0);

/// How kl_div reduces: PyTorch's reduction = "none", "batchmean" (the sum divided by the batch
/// size, the true KL divergence per sample), "sum" or "mean" (over every element).
enum class KlDivReduction { None, BatchMean, Sum, Mean };

/// Kullback-Leibler divergence (torch.nn.functional.kl_div) of `target` from the distribution
/// whose log-probabilities are `input`: pointwise target (log target - input), with 0 log 0 = 0;
/// with log_target the target holds log-probabilities too: exp(target) (target - input).
/// input and target have the same shape. Differentiable in both.
Tensor kl_div(const Tensor& input, const Tensor& target,
              KlDivReduction reduction = KlDivReduction::Mean, bool log_target = false);

/// Options of binary_cross_entropy.
struct BinaryCrossEntropyOptions {
  /// How the per-element losses are reduced.
  Reduction reduction = Reduction::Mean;
  /// Weight of each element, broadcast against the input.
  Tensor weight;
};

/// -weight * (t log p + (1 - t) log(1 - p)) of probabilities p = input in [0, 1] (throws
/// otherwise; see binary_cross_entropy_with_logits for logits), each log clamped at -100 as
/// PyTorch's. Differentiable in input, target and weight; where a log is clamped (p within
/// e^-100 of 0 or 1) its gradient is 0, where PyTorch divides by max(p (1 - p), 1e-12).
Tensor binary_cross_entropy(const Tensor& input, const Tensor& target,
                            const BinaryCrossEntropyOptions& options = {});

/// log(1 + exp(-target * input)) of targets +-1, reduced (torch.nn.functional.soft_margin_loss).
/// input and target have one shape.
Tensor soft_margin_loss(const Tensor& input, const Tensor& target,
                        Reduction reduction = Reduction::Mean);

/// max(0, -target (input1 - input2) + margin), reduced (torch.nn.functional.margin_ranking_loss):
/// target +1 asks for input1 to rank above input2, -1 below. All three have one shape.
Tensor margin_ranking_loss(const Tensor& input1, const Tensor& input2, const Tensor& target,
                           double margin = 0.0, Reduction reduction = Reduction::Mean);

/// input where target != -1 plus max(0, margin - input) where target != 1, reduced
/// (torch.nn.functional.hinge_embedding_loss; targets are +-1).
Tensor hinge_embedding_loss(const Tensor& input, const Tensor& target, double margin = 1.0,
                            Reduction reduction = Reduction::Mean);

/// 1 - cos(x1, x2) where target == 1, max(0, cos(x1, x2) - margin) where target == -1, reduced
/// (torch.nn.functional.cosine_embedding_loss): x1, x2 [N, D] (or [D]), target [N] (or 0-d); the
/// cosine is sum x1 x2 / sqrt((|x1|^2 + 1e-12)(|x2|^2 + 1e-12)), as PyTorch's.
Tensor cosine_embedding_loss(const Tensor& input1, const Tensor& input2, const Tensor& target,
                             double margin = 0.0, Reduction reduction = Reduction::Mean);

/// Options of triplet_margin_loss.
struct TripletMarginLossOptions {
  /// The margin by which the negative must be farther than the positive.
  double margin = 1.0;
  /// The norm of pairwise_distance.
  double p = 2.0;
  /// Added to the differences before the norm (pairwise_distance's eps).
  double eps = 1e-6;
  /// Use min(d(anchor, negative), d(positive, negative)) as the negative distance.
  bool swap = false;
  /// How the per-triplet losses are reduced.
  Reduction reduction = Reduction::Mean;
};

/// max(0, d(anchor, positive) - d(anchor, negative) + margin) with d = pairwise_distance along
/// the last dim, reduced (torch.nn.functional.triplet_margin_loss). The three share one shape.
Tensor triplet_margin_loss(const Tensor& anchor, const Tensor& positive, const Tensor& negative,
                           const TripletMarginLossOptions& options = {});

/// A distance of two batches of embeddings, one value per row (pairwise_distance by default).
using DistanceFunction = std::function<Tensor(const Tensor&, const Tensor&)>;

/// Options of triplet_margin_with_distance_loss.
struct TripletMarginWithDistanceLossOptions {
  /// The distance d(a, b); pairwise_distance (p = 2) when empty.
  DistanceFunction distance_function;
  /// The margin between the positive and negative distances.
  double margin = 1.0;
  /// Whether d(anchor, negative) becomes min(d(anchor, negative), d(positive, negative)).
  bool swap = false;
  /// How the per-triplet losses are reduced.
  Reduction reduction = Reduction::Mean;
};

/// max(0, margin + d(anchor, positive) - d(anchor, negative)), reduced
/// (torch.nn.functional.triplet_margin_with_distance_loss). Throws unless margin > 0.
Tensor triplet_margin_with_distance_loss(const Tensor& anchor, const Tensor& positive,
                                         const Tensor& negative,
                                         const TripletMarginWithDistanceLossOptions& options = {});

/// Options of poisson_nll_loss.
struct PoissonNllLossOptions {
  /// input holds log-rates (loss exp(input) - target input); else rates (input - target
  /// log(input + eps)).
  bool log_input = true;
  /// Add Stirling's approximation of log(target!) where target > 1.
  bool full = false;
  /// Keeps log(input + eps) finite when log_input is false.
  double eps = 1e-8;
  /// How the per-element losses are reduced.
  Reduction reduction = Reduction::Mean;
};

/// The negative log-likelihood of Poisson counts `target` (torch.nn.functional.poisson_nll_loss),
/// without the constant log(target!) unless options.full. input and target have one shape.
Tensor poisson_nll_loss(const Tensor& input, const Tensor& target,
                        const PoissonNllLossOptions& options = {});

/// Options of gaussian_nll_loss.
struct GaussianNllLossOptions {
  /// Add the constant log(2 pi) / 2.
  bool full = false;
  /// The variance is clamped below at eps (the gradient still reaches var, as PyTorch's).
  double eps = 1e-6;
  /// How the per-element losses are reduced.
  Reduction reduction = Reduction::Mean;
};

/// (log(max(var, eps)) + (input - target)^2 / max(var, eps)) / 2, reduced
/// (torch.nn.functional.gaussian_nll_loss). var has input's shape, or it with the last dim 1 or
/// dropped (one variance per sample); var must be non-negative.
Tensor gaussian_nll_loss(const Tensor& input, const Tensor& target, const Tensor& var,
                         const GaussianNllLossOptions& options = {});

/// Options of multilabel_soft_margin_loss.
struct MultilabelSoftMarginLossOptions {
  /// Weight of each class [C] (optional).
  Tensor weight;
  /// How the per-sample losses are reduced.
  Reduction reduction = Reduction::Mean;
};

/// -(t log sigmoid(x) + (1 - t) log sigmoid(-x)) weighted and averaged over the C classes of the
/// last dim, then reduced over samples (torch.nn.functional.multilabel_soft_margin_loss). input
/// and target [N, C] (or [C]) of one shape, target in {0, 1}.
Tensor multilabel_soft_margin_loss(const Tensor& input, const Tensor& target,
                                   const MultilabelSoftMarginLossOptions& options = {});

/// Options of multi_margin_loss.
struct MultiMarginLossOptions {
  /// The power of each hinge: 1 or 2.
  int64_t p = 1;
  /// The margin the target class must win by.
  double margin = 1.0;
  /// Weight of each class [C], taken at the target class (optional).
  Tensor weight;
  /// How the per-sample losses are reduced.
  Reduction reduction = Reduction::Mean;
};

/// sum over j != y of weight[y] max(0, margin - x[y] + x[j])^p / C for int64 class targets y
/// (torch.nn.functional.multi_margin_loss): input [N, C] (or [C]), target [N] (or 0-d).
Tensor multi_margin_loss(const Tensor& input, const Tensor& target,
                         const MultiMarginLossOptions& options = {});

/// Options of ctc_loss.
struct CtcLossOptions {
  /// The blank class.
  int64_t blank = 0;
  /// How the per-sample losses are reduced (Mean divides each by its target length first).
  Reduction reduction = Reduction::Mean;
  /// Whether infinite losses (targets no alignment can produce) and their gradients become 0.
  bool zero_infinity = false;
};

/// The connectionist temporal classification loss (torch.nn.functional.ctc_loss): -log of the
/// total probability of the alignments of each target. log_probs [T, N, C] (or unbatched
/// [T, C]) are per-frame log-probabilities; targets are int64, padded [N, S] or the concatenated
/// [sum(target_lengths)]; input_lengths and target_lengths int64 [N] (0-d or [1] unbatched).
/// Computed by the forward recursion in log space with differentiable ops, so every derivative
/// order exists. Its gradient in log_probs is the true one; PyTorch's adds exp(log_probs), which
/// log_softmax's backward cancels, so both agree through a log_softmax. A target that no
/// alignment fits (T_n < S_n + its repeats) has loss +inf (0 with zero_infinity) and gradient 0.
Tensor ctc_loss(const Tensor& log_probs, const Tensor& targets, const Tensor& input_lengths,
                const Tensor& target_lengths, const CtcLossOptions& options = {});

/// torch.nn.functional.multilabel_margin_loss: input [C] or [N, C], int64 target of the same shape
/// listing each sample's classes before the first -1; per sample the sum over listed classes j
/// and unlisted classes i of max(0, 1 - (x_j - x_i)), divided by C, then reduced. Throws for a
/// target outside [-1, C).
Tensor multilabel_margin_loss(const Tensor& input, const Tensor& target,
                              Reduction reduction = Reduction::Mean);

/// @}

}  // namespace metagrad
