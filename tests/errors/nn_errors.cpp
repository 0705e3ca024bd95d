// Error inputs of the convolution and pooling ops, the functional nn ops and nn::init.
#include <cmath>
#include <limits>

#include "tests/errors/error_table.hpp"

namespace metagrad::testing {
ErrorTable conv_error_cases() {
  return {
      {"conv2d",
       "per-task weight with a 4-D input",
       [] {
         (void)conv2d(f32({2, 1, 5, 5}), f32({2, 3, 1, 3, 3}));
       },
       {"conv2d: per-task weight shape [2, 3, 1, 3, 3]",
        "needs a 5-D input [T, N, C, H, W] with T = 2", "[2, 1, 5, 5]"}},
      {"conv2d",
       "groups that do not divide the channels",
       [] {
         (void)conv2d(f32({1, 4, 5, 5}), f32({6, 1, 3, 3}), {}, 1, 0, 1, 4);
       },
       {"conv2d: groups = 4 must be positive and divide", "output channels (6"}},
      {"conv2d",
       "weight on another device",
       [] {
         ScopedEmulatedCuda cuda;
         (void)conv2d(f32({1, 1, 5, 5}), on_cuda({2, 1, 3, 3}));
       },
       {"conv2d", "cpu", "cuda:0"}},
      {"conv2d",
       "padding='same' with a stride",
       [] {
         (void)conv2d(f32({1, 1, 5, 5}), f32({1, 1, 3, 3}), {}, 2, "same");
       },
       {"conv2d: padding='same' is not supported for strided convolutions (stride (2, 2))",
        "use stride 1"}},
      {"PaddingRule",
       "an unknown padding name",
       [] { (void)PaddingRule::parse("full"); },
       {"PaddingRule: invalid padding string 'full'", "'same' or 'valid'"}},
      {"unfold",
       "2-d input",
       [] {
         (void)unfold(f32({4, 4}), 2);
       },
       {"unfold", "[4, 4]"}},
      {"unfold",
       "kernel larger than the input",
       [] {
         (void)unfold(f32({1, 1, 2, 2}), 3);
       },
       {"unfold", "[1, 1, 2, 2]"}},
      {"unfold",
       "zero stride",
       [] {
         (void)unfold(f32({1, 1, 4, 4}), 2, 1, 0, 0);
       },
       {"unfold", "stride"}},
      {"unfold",
       "int64 input",
       [] {
         (void)unfold(ones({1, 1, 4, 4}, kInt64), 2);
       },
       {"unfold", "int64"}},
      {"fold",
       "L differs from the window count",
       [] {
         (void)fold(f32({1, 4, 5}), {3, 3}, 2);
       },
       {"fold", "5"}},
      {"fold",
       "channels not divisible by the kernel area",
       [] {
         (void)fold(f32({1, 5, 4}), {3, 3}, 2);
       },
       {"fold", "5"}},
      {"conv2d",
       "channels differ",
       [] {
         (void)conv2d(f32({1, 3, 5, 5}), f32({2, 4, 3, 3}));
       },
       {"conv2d", "[1, 3, 5, 5]", "[2, 4, 3, 3]"}},
      {"conv2d",
       "bias of the wrong size",
       [] {
         (void)conv2d(f32({1, 1, 5, 5}), f32({2, 1, 3, 3}), f32({3}));
       },
       {"conv2d", "[3]"}},
      {"conv2d",
       "dtype mismatch",
       [] {
         (void)conv2d(f32({1, 1, 5, 5}), f64({2, 1, 3, 3}));
       },
       {"conv2d", "float32", "float64"}},
      {"conv2d",
       "3-d weight",
       [] {
         (void)conv2d(f32({1, 1, 5, 5}), f32({2, 3, 3}));
       },
       {"conv2d", "[2, 3, 3]"}},
      {"conv2d",
       "negative padding",
       [] {
         (void)conv2d(f32({1, 1, 5, 5}), f32({2, 1, 3, 3}), {}, 1, -1);
       },
       {"conv2d", "padding"}},
      {"max_pool2d",
       "padding above half the kernel",
       [] {
         (void)max_pool2d(f32({1, 1, 4, 4}), 2, 2, 2);
       },
       {"max_pool2d", "padding"}},
      {"max_pool2d",
       "zero kernel",
       [] {
         (void)max_pool2d(f32({1, 1, 4, 4}), 0);
       },
       {"max_pool2d", "kernel"}},
      {"max_pool2d", "1-d input", [] { (void)max_pool2d(f32({4}), 2); }, {"max_pool2d", "[4]"}},
      {"max_pool2d_with_indices",
       "int64 input",
       [] {
         (void)max_pool2d_with_indices(ones({1, 1, 4, 4}, kInt64), 2);
       },
       {"max_pool2d", "int64"}},
      {"avg_pool2d",
       "kernel larger than the input",
       [] {
         (void)avg_pool2d(f32({1, 1, 2, 2}), 3);
       },
       {"avg_pool2d", "[1, 1, 2, 2]"}},
      {"avg_pool2d",
       "negative stride",
       [] {
         (void)avg_pool2d(f32({1, 1, 4, 4}), 2, -1);
       },
       {"avg_pool2d", "stride"}},
  };
}

ErrorTable nn_error_cases() {
  return {
      {"Normal",
       "a scale of 0",
       [] { (void)distributions::Normal(f32({2}), zeros({2})); },
       {"Normal: scale must be positive everywhere (scale shape [2])"}},
      {"Bernoulli",
       "a probability above 1",
       [] {
         (void)distributions::Bernoulli::from_probs(tensor({0.5, 1.5}));
       },
       {"Bernoulli: probs must be in [0, 1] (shape [2])"}},
      {"Categorical",
       "a category out of range",
       [] {
         (void)distributions::Categorical::from_logits(f32({2, 3}))
             .log_prob(tensor({0, 3}, kInt64));
       },
       {"Categorical.log_prob: category 3 is outside [0, 3)"}},
      {"Uniform",
       "high equal to low",
       [] { (void)distributions::Uniform(f32({2}), f32({2})); },
       {"Uniform: high - low must be positive everywhere (high - low shape [2])"}},
      {"Exponential",
       "a negative rate",
       [] { (void)distributions::Exponential(-f32({2})); },
       {"Exponential: rate must be positive everywhere"}},
      {"Laplace",
       "shapes that do not broadcast",
       [] { (void)distributions::Laplace(f32({2}), f32({3})); },
       {"Laplace: shapes [2] and [3]"}},
      {"Gamma",
       "a concentration of 0",
       [] { (void)distributions::Gamma(zeros({2}), f32({2})); },
       {"Gamma: concentration must be positive everywhere"}},
      {"Beta",
       "int64 concentrations",
       [] {
         (void)distributions::Beta(tensor({1, 2}, kInt64), tensor({1, 2}, kInt64));
       },
       {"Beta: expected a float32 or float64 tensor, got int64"}},
      {"Poisson",
       "a negative rate",
       [] { (void)distributions::Poisson(-f32({2})); },
       {"Poisson: rate must be non-negative everywhere (rate shape [2])"}},
      {"Dirichlet",
       "a 0-d concentration",
       [] { (void)distributions::Dirichlet(ones({})); },
       {"Dirichlet: the concentration must be [*, K] with K >= 1 in the last dim, got shape []"}},
      {"kl_divergence",
       "categoricals over different counts",
       [] {
         (void)distributions::kl_divergence(distributions::Categorical::from_logits(f32({3})),
                                            distributions::Categorical::from_logits(f32({4})));
       },
       {"kl_divergence: the categoricals have 3 and 4 categories"}},
      {"conv1d",
       "channels differ from the weight's",
       [] {
         (void)conv1d(f32({2, 5, 9}), f32({8, 3, 3}));
       },
       {"conv1d: input shape [2, 5, 9] has 5 channels but weight shape [8, 3, 3] with groups = 1 "
        "expects 3"}},
      {"conv1d",
       "input shorter than the kernel",
       [] {
         (void)conv1d(f32({1, 3, 2}), f32({4, 3, 5}));
       },
       {"conv1d: the padded length 2 of input shape [1, 3, 2] is shorter than the kernel's extent "
        "5"}},
      {"adaptive_avg_pool2d",
       "2-D input",
       [] {
         (void)adaptive_avg_pool2d(f32({4, 4}), 2);
       },
       {"adaptive_avg_pool2d: expected input [N, C, H, W] or unbatched [C, H, W], got shape [4, "
        "4]"}},
      {"adaptive_avg_pool1d",
       "output size 0",
       [] {
         (void)adaptive_avg_pool1d(f32({2, 3, 4}), 0);
       },
       {"adaptive_avg_pool1d: output_size must be positive, got 0"}},
      {"conv_transpose2d",
       "input channels that are not the weight's first dim",
       [] {
         (void)conv_transpose2d(f32({1, 5, 4, 4}), f32({4, 3, 3, 3}));
       },
       {"conv_transpose2d: weight of shape [4, 3, 3, 3] expects input [N, 4, H, W] divisible "
        "into groups = 1, got input shape [1, 5, 4, 4]"}},
      {"conv_transpose2d",
       "output_padding as large as the stride",
       [] {
         (void)conv_transpose2d(f32({1, 4, 4, 4}), f32({4, 3, 3, 3}), {}, 2, 0, 2);
       },
       {"conv_transpose2d: output_padding (2, 2) must be non-negative and smaller than either "
        "stride (2, 2) or dilation (1, 1)"}},
      {"conv_transpose1d",
       "2-D weight",
       [] {
         (void)conv_transpose1d(f32({1, 4, 5}), f32({4, 3}));
       },
       {"conv_transpose1d: expected a 3-D weight [C_in, C_out / groups, k], got shape [4, 3]"}},
      {"pixel_shuffle",
       "channels not divisible by the factor squared",
       [] {
         (void)pixel_shuffle(f32({1, 6, 2, 2}), 2);
       },
       {"pixel_shuffle: the channel dim 6 of input shape [1, 6, 2, 2] must be divisible by "
        "upscale_factor^2 = 4"}},
      {"pixel_unshuffle",
       "height not divisible by the factor",
       [] {
         (void)pixel_unshuffle(f32({1, 2, 3, 4}), 2);
       },
       {"pixel_unshuffle: the spatial size (3, 4) of input shape [1, 2, 3, 4] must be divisible "
        "by downscale_factor = 2"}},
      {"adaptive_max_pool2d_with_indices",
       "output size 0",
       [] {
         (void)adaptive_max_pool2d_with_indices(f32({1, 2, 4, 4}), {0, 2});
       },
       {"adaptive_max_pool2d: output_size must be positive, got (0, 2)"}},
      {"adaptive_max_pool2d",
       "an output too large for any tensor",
       [] {
         (void)adaptive_max_pool2d(f32({1, 1, 4, 4}), {int64_t{1} << 61, 2});
       },
       {"adaptive_max_pool2d: a int64 tensor of shape [2305843009213693952, 2] needs"}},
      {"adaptive_max_pool2d",
       "2-D input",
       [] {
         (void)adaptive_max_pool2d(f32({4, 4}), 2);
       },
       {"adaptive_max_pool2d: expected input [N, C, H, W] or unbatched [C, H, W], got shape [4, "
        "4]"}},
      {"adaptive_max_pool1d_with_indices",
       "empty line",
       [] {
         (void)adaptive_max_pool1d_with_indices(f32({1, 2, 0}), 2);
       },
       {"adaptive_max_pool1d: input shape [1, 2, 0] has length 0"}},
      {"adaptive_max_pool1d",
       "4-D input",
       [] {
         (void)adaptive_max_pool1d(f32({1, 2, 3, 4}), 2);
       },
       {"adaptive_max_pool1d: expected input [N, C, L] or unbatched [C, L], got shape [1, 2, 3, "
        "4]"}},
      {"grid_sample",
       "a grid of another batch",
       [] {
         (void)grid_sample(f32({2, 3, 4, 4}), f32({1, 5, 5, 2}));
       },
       {"grid_sample: expected grid [N, H_out, W_out, 2] with N = 2 (the input's batch), got "
        "shape [1, 5, 5, 2]"}},
      {"affine_grid",
       "theta of 3-D maps",
       [] {
         (void)affine_grid(f32({2, 3, 4}), {2, 1, 4, 4});
       },
       {"affine_grid: expected theta [N, 2, 3] with N = 2 for size [2, 1, 4, 4], got shape [2, "
        "3, 4]"}},
      {"adaptive_avg_pool3d",
       "3-D input",
       [] {
         (void)adaptive_avg_pool3d(f32({2, 3, 4}), {1, 1, 1});
       },
       {"adaptive_avg_pool3d: expected input [N, C, D, H, W] or unbatched [C, D, H, W], got "
        "shape [2, 3, 4]"}},
      {"interpolate",
       "bilinear mode on 3-D input",
       [] {
         (void)interpolate(f32({2, 3, 4}), {.size = {6}, .mode = InterpolateMode::Bilinear});
       },
       {"interpolate: got 3-D input of shape [2, 3, 4], but bilinear mode needs 4-D input"}},
      {"interpolate",
       "align_corners with nearest",
       [] {
         (void)interpolate(f32({1, 2, 4, 4}), {.size = {8}, .align_corners = true});
       },
       {"interpolate: align_corners can only be set with the interpolating modes linear, "
        "bilinear, bicubic and trilinear (mode is nearest); leave it unset"}},
      {"interpolate",
       "neither size nor scale_factor",
       [] {
         (void)interpolate(f32({1, 2, 4, 4}), {});
       },
       {"interpolate: give exactly one of size and scale_factor (got neither)"}},
      {"interpolate",
       "three sizes for two spatial dims",
       [] {
         (void)interpolate(f32({1, 2, 4, 4}), {.size = {3, 3, 3}});
       },
       {"interpolate: size has 3 values but input of shape [1, 2, 4, 4] has 2 spatial dims; give "
        "one value or one per spatial dim"}},
      {"interpolate",
       "a scale that leaves no cell",
       [] {
         (void)interpolate(f32({1, 2, 4, 4}), {.scale_factor = {0.1}});
       },
       {"interpolate: input and output sizes must be greater than 0, but input [1, 2, 4, 4] would "
        "give output spatial size 0 in dim 2"}},
      {"instance_norm",
       "one spatial element",
       [] {
         (void)instance_norm(f32({2, 3, 1}));
       },
       {"instance_norm: expected more than 1 spatial element when using input statistics, got "
        "input shape [2, 3, 1]"}},
      {"instance_norm",
       "eval without running statistics",
       [] {
         (void)instance_norm(f32({2, 3, 4}), {}, {}, {}, {}, false);
       },
       {"instance_norm: use_input_stats = false normalises with the running statistics, which "
        "must be given"}},
      {"normalize",
       "int64 input",
       [] {
         (void)normalize(ones({2, 2}, kInt64));
       },
       {"normalize", "int64"}},
      {"cosine_similarity",
       "shapes that do not broadcast",
       [] {
         (void)cosine_similarity(f32({2, 3}), f32({2, 4}));
       },
       {"cosine_similarity", "[2, 3]", "[2, 4]"}},
      {"pairwise_distance",
       "float64 with float32",
       [] {
         (void)pairwise_distance(f32({2, 3}), ones({2, 3}, kFloat64));
       },
       {"pairwise_distance", "float32", "float64"}},
      {"cdist",
       "different column counts",
       [] {
         (void)cdist(f32({2, 3}), f32({4, 5}));
       },
       {"cdist: x1 and x2 must have the same number of columns M, got shapes [2, 3] and [4, 5]"}},
      {"rnn_tanh_cell",
       "state of the wrong shape",
       [] {
         (void)rnn_tanh_cell(f32({2, 3}), f32({2, 5}), f32({4, 3}), f32({4, 4}));
       },
       {"rnn_tanh_cell: the state must have shape [2, 4] for input shape [2, 3], got [2, 5]"}},
      {"rnn_relu_cell",
       "w_hh not square per gate",
       [] {
         (void)rnn_relu_cell(f32({2, 3}), {}, f32({4, 3}), f32({4, 3}));
       },
       {"rnn_relu_cell: w_hh must be [1 H, H], got shape [4, 3]"}},
      {"lstm_cell",
       "3-D input",
       [] {
         (void)lstm_cell(f32({2, 2, 3}), {}, f32({16, 3}), f32({16, 4}));
       },
       {"lstm_cell: input must be [N, input_size] or unbatched [input_size], got shape [2, 2, 3]"}},
      {"gru_cell",
       "w_ih for another input size",
       [] {
         (void)gru_cell(f32({2, 3}), {}, f32({12, 2}), f32({12, 4}));
       },
       {"gru_cell: w_ih must be [12, 3]"}},
      {"group_norm",
       "groups that do not divide the channels",
       [] {
         (void)group_norm(f32({2, 6}), 4);
       },
       {"group_norm: num_groups 4 must be positive and divide the 6 channels"}},
      {"clip_grad_norm_",
       "norm_type 0",
       [] { (void)nn::utils::clip_grad_norm_({f32({2})}, 1.0, {.norm_type = 0.0}); },
       {"clip_grad_norm_: norm_type must be positive (or infinity), got 0"}},
      {"clip_grad_value_",
       "negative clip_value",
       [] { nn::utils::clip_grad_value_({f32({2})}, -1.0); },
       {"clip_grad_value_: clip_value must be non-negative, got -1"}},
      {"parameters_to_vector",
       "no parameters",
       [] { (void)nn::utils::parameters_to_vector({}); },
       {"parameters_to_vector: no parameters given"}},
      {"vector_to_parameters",
       "vector of the wrong size",
       [] { nn::utils::vector_to_parameters(f32({3}), {f32({2})}); },
       {"vector_to_parameters: vec has 3 elements but the parameters have 2 together"}},
      {"embedding",
       "index out of range",
       [] {
         (void)embedding(tensor({0, 5}, kInt64), f32({3, 2}));
       },
       {"embedding: index 5 is out of range for a weight of 3 rows (shape [3, 2])"}},
      {"layer_norm",
       "weight of another shape",
       [] {
         (void)layer_norm(f32({2, 3}), {3}, f32({2}));
       },
       {"layer_norm: weight must have the normalized shape [3], got shape [2]"}},
      {"smooth_l1_loss",
       "negative beta",
       [] { (void)smooth_l1_loss(f32({2}), f32({2}), Reduction::Mean, -1.0); },
       {"smooth_l1_loss: beta must be non-negative, got -1"}},
      {"soft_margin_loss",
       "target of another shape",
       [] {
         (void)soft_margin_loss(f32({2, 3}), f32({3}));
       },
       {"soft_margin_loss: target shape [3] differs from input shape [2, 3]"}},
      {"margin_ranking_loss",
       "int64 inputs",
       [] { (void)margin_ranking_loss(ones({2}, kInt64), ones({2}, kInt64), ones({2}, kInt64)); },
       {"margin_ranking_loss: expected a float32 or float64 tensor, got int64"}},
      {"hinge_embedding_loss",
       "undefined target",
       [] { (void)hinge_embedding_loss(f32({2}), Tensor()); },
       {"hinge_embedding_loss", "target", "undefined"}},
      {"cosine_embedding_loss",
       "target of the wrong length",
       [] {
         (void)cosine_embedding_loss(f32({3, 4}), f32({3, 4}), f32({2}));
       },
       {"cosine_embedding_loss: expected inputs [N, D] with target [N], or [D] with a 0-d "
        "target; got inputs [3, 4] and target [2]"}},
      {"triplet_margin_loss",
       "negative of another shape",
       [] {
         (void)triplet_margin_loss(f32({2, 3}), f32({2, 3}), f32({2, 4}));
       },
       {"triplet_margin_loss: target shape [2, 4] differs from input shape [2, 3]"}},
      {"poisson_nll_loss",
       "float32 input, float64 target",
       [] { (void)poisson_nll_loss(f32({2}), ones({2}, kFloat64)); },
       {"poisson_nll_loss", "float32", "float64"}},
      {"gaussian_nll_loss",
       "a negative eps",
       [] { (void)gaussian_nll_loss(f32({2}), f32({2}), f32({2}), {.eps = -1.0}); },
       {"gaussian_nll_loss: eps must be non-negative, got -1"}},
      {"multilabel_soft_margin_loss",
       "weight of the wrong length",
       [] {
         (void)multilabel_soft_margin_loss(f32({2, 3}), f32({2, 3}), {.weight = f32({2})});
       },
       {"multilabel_soft_margin_loss: weight of shape [2] must be [C] = [3]"}},
      {"multi_margin_loss",
       "p of 3",
       [] {
         (void)multi_margin_loss(f32({2, 3}), zeros({2}, kInt64), {.p = 3});
       },
       {"multi_margin_loss: p must be 1 or 2, got 3"}},
      {"multi_margin_loss",
       "float target",
       [] {
         (void)multi_margin_loss(f32({2, 3}), f32({2}));
       },
       {"multi_margin_loss: target must be an int64 tensor on cpu, got float32"}},
      {"huber_loss",
       "delta 0",
       [] { (void)huber_loss(f32({2}), f32({2}), Reduction::Mean, 0.0); },
       {"huber_loss: delta must be positive, got 0"}},
      {"kl_div",
       "target of another shape",
       [] {
         (void)kl_div(f32({2, 3}), f32({3}));
       },
       {"kl_div: target shape [3] differs from input shape [2, 3]"}},
      {"binary_cross_entropy",
       "input outside [0, 1]",
       [] {
         (void)binary_cross_entropy(tensor({0.5, 2.0}), tensor({1.0, 0.0}));
       },
       {"binary_cross_entropy: all elements of input (shape [2]) should be between 0 and 1"}},
      {"linear",
       "weight on another device",
       [] {
         ScopedEmulatedCuda cuda;
         (void)linear(f32({2, 3}), on_cuda({4, 3}));
       },
       {"linear", "cpu", "cuda:0"}},
      {"mse_loss",
       "target on another device",
       [] {
         ScopedEmulatedCuda cuda;
         (void)mse_loss(f32({2}), on_cuda({2}));
       },
       {"mse_loss", "cpu", "cuda:0"}},
      {"cross_entropy",
       "target on another device",
       [] {
         ScopedEmulatedCuda cuda;
         (void)cross_entropy(f32({2, 3}), zeros({2}, TensorOptions(kInt64, cuda_device(0))));
       },
       {"cross_entropy", "cpu", "cuda:0"}},
      {"linear",
       "in_features differ",
       [] {
         (void)linear(f32({2, 3}), f32({4, 5}));
       },
       {"linear", "[2, 3]", "[4, 5]"}},
      {"linear",
       "bias of the wrong size",
       [] {
         (void)linear(f32({2, 3}), f32({4, 3}), f32({5}));
       },
       {"linear", "[5]"}},
      {"linear",
       "1-d weight",
       [] {
         (void)linear(f32({2, 3}), f32({3}));
       },
       {"linear", "[3]"}},
      {"linear",
       "dtype mismatch",
       [] {
         (void)linear(f32({2, 3}), f64({4, 3}));
       },
       {"linear", "float32", "float64"}},
      {"softmax",
       "dim out of range",
       [] {
         (void)softmax(f32({2, 3}), 2);
       },
       {"softmax", "2"}},
      {"softmax",
       "int64 input",
       [] {
         (void)softmax(tensor({1, 2}, kInt64), 0);
       },
       {"softmax", "int64"}},
      {"log_softmax",
       "dim out of range",
       [] { (void)log_softmax(f32({2}), -2); },
       {"log_softmax", "-2"}},
      {"gumbel_softmax",
       "a negative temperature",
       [] {
         (void)gumbel_softmax(f32({2, 3}), -0.5);
       },
       {"gumbel_softmax: tau must be positive and finite, got -0.5"}},
      {"gumbel_softmax",
       "a dim out of range",
       [] {
         (void)gumbel_softmax(f32({2, 3}), 1.0, true, -3);
       },
       {"gumbel_softmax: dim -3 is out of range for logits of shape [2, 3]", "[-2, 1]"}},
      {"dropout", "p above 1", [] { (void)dropout(f32({2}), 1.5); }, {"dropout", "1.5"}},
      {"dropout", "NaN p", [] { (void)dropout(f32({2}), kNaN); }, {"dropout", "nan"}},
      {"dropout",
       "int64 input",
       [] {
         (void)dropout(tensor({1, 2}, kInt64), 0.5);
       },
       {"dropout", "int64"}},
      {"one_hot",
       "negative label",
       [] {
         (void)one_hot(i64({0, -1}), 3);
       },
       {"one_hot", "-1"}},
      {"one_hot",
       "label >= num_classes",
       [] {
         (void)one_hot(i64({0, 3}), 3);
       },
       {"one_hot", "3"}},
      {"one_hot", "float labels", [] { (void)one_hot(f32({2}), 3); }, {"one_hot", "float32"}},
      {"one_hot",
       "empty labels with inferred count",
       [] { (void)one_hot(tensor({}, kInt64)); },
       {"one_hot", "empty"}},
      {"batch_norm",
       "eval without running stats",
       [] {
         (void)batch_norm(f32({2, 3}), Tensor(), Tensor());
       },
       {"batch_norm", "running"}},
      {"batch_norm",
       "running stats of the wrong size",
       [] {
         (void)batch_norm(f32({2, 3}), f32({4}), f32({4}));
       },
       {"batch_norm", "[4]"}},
      {"batch_norm",
       "one value per channel in training",
       [] {
         (void)batch_norm(f32({1, 3}), Tensor(), Tensor(), {}, {}, true);
       },
       {"batch_norm: expected more than 1 value per channel when training, got input shape [1, "
        "3]"}},
      {"batch_norm",
       "1-d input",
       [] { (void)batch_norm(f32({3}), f32({3}), f32({3})); },
       {"batch_norm", "[3]"}},
      {"batch_norm",
       "weight of the wrong size",
       [] {
         (void)batch_norm(f32({2, 3}), f32({3}), f32({3}), f32({2}));
       },
       {"batch_norm", "[2]"}},
      {"nll_loss",
       "target out of range",
       [] {
         (void)nll_loss(f32({2, 3}), i64({0, 3}));
       },
       {"nll_loss", "3"}},
      {"nll_loss",
       "negative target",
       [] {
         (void)nll_loss(f32({2, 3}), i64({-1, 0}));
       },
       {"nll_loss", "-1"}},
      {"nll_loss",
       "float target",
       [] {
         (void)nll_loss(f32({2, 3}), f32({2}));
       },
       {"nll_loss", "int64"}},
      {"nll_loss",
       "batch sizes differ",
       [] {
         (void)nll_loss(f32({2, 3}), i64({0, 1, 2}));
       },
       {"nll_loss", "[2, 3]", "[3]"}},
      {"nll_loss",
       "weight of the wrong size",
       [] {
         (void)nll_loss(f32({2, 3}), i64({0, 1}), {.weight = f32({2})});
       },
       {"nll_loss", "[2]"}},
      {"cross_entropy",
       "label out of range",
       [] {
         (void)cross_entropy(f32({2, 3}), i64({0, 5}));
       },
       {"cross_entropy", "5"}},
      {"cross_entropy",
       "label_smoothing above 1",
       [] {
         (void)cross_entropy(f32({2, 3}), i64({0, 1}), {.label_smoothing = 1.5});
       },
       {"cross_entropy", "label_smoothing", "1.5"}},
      {"cross_entropy",
       "0-d logits",
       [] { (void)cross_entropy(scalar_tensor(1.0), i64({0})); },
       {"cross_entropy"}},
      {"mse_loss",
       "shapes differ",
       [] { (void)mse_loss(f32({2}), f32({3})); },
       {"mse_loss", "[2]", "[3]"}},
      {"mse_loss",
       "dtype mismatch",
       [] { (void)mse_loss(f32({2}), f64({2})); },
       {"mse_loss", "float32", "float64"}},
      {"l1_loss",
       "shapes differ",
       [] {
         (void)l1_loss(f32({2, 1}), f32({2}));
       },
       {"l1_loss", "[2, 1]", "[2]"}},
      {"binary_cross_entropy_with_logits",
       "shapes differ",
       [] { (void)binary_cross_entropy_with_logits(f32({2}), f32({3})); },
       {"binary_cross_entropy_with_logits", "[2]", "[3]"}},
      {"binary_cross_entropy_with_logits",
       "pos_weight that does not broadcast",
       [] {
         (void)binary_cross_entropy_with_logits(f32({2, 3}), f32({2, 3}), {.pos_weight = f32({4})});
       },
       {"[4]"}},
      {"calculate_fan_in_and_fan_out",
       "1-d tensor",
       [] { (void)nn::init::calculate_fan_in_and_fan_out(f32({3})); },
       {"calculate_fan_in_and_fan_out", "[3]"}},
      {"uniform_",
       "low above high",
       [] { (void)nn::init::uniform_(f32({2}), 1.0, 0.0); },
       {"uniform_", "1", "0"}},
      {"uniform_",
       "int64 tensor",
       [] { (void)nn::init::uniform_(ones({2}, kInt64)); },
       {"uniform_", "int64"}},
      {"normal_",
       "negative std",
       [] { (void)nn::init::normal_(f32({2}), 0.0, -1.0); },
       {"normal_", "-1"}},
      {"constant_",
       "undefined tensor",
       [] { (void)nn::init::constant_(Tensor(), 1.0); },
       {"constant_", "undefined"}},
      {"zeros_",
       "undefined tensor",
       [] { (void)nn::init::zeros_(Tensor()); },
       {"zeros_: the tensor is undefined"}},
      {"ones_",
       "undefined tensor",
       [] { (void)nn::init::ones_(Tensor()); },
       {"ones_: the tensor is undefined"}},
      {"xavier_uniform_", "1-d tensor", [] { (void)nn::init::xavier_uniform_(f32({3})); }, {"[3]"}},
      {"xavier_normal_", "1-d tensor", [] { (void)nn::init::xavier_normal_(f32({3})); }, {"[3]"}},
      {"kaiming_uniform_",
       "1-d tensor",
       [] { (void)nn::init::kaiming_uniform_(f32({3})); },
       {"[3]"}},
      {"kaiming_normal_",
       "int64 tensor",
       [] {
         (void)nn::init::kaiming_normal_(ones({2, 2}, kInt64));
       },
       {"kaiming_normal_: expects a float32 or float64 tensor, got int64"}},
  };
}

}  // namespace metagrad::testing
