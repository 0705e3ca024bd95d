// The convolution, pooling and nn functional rows of the CUDA op table (op_cases.hpp).
#include <limits>

#include "tests/cuda/op_cases.hpp"

namespace metagrad::testing {
namespace {

using Inputs = std::function<TensorList(DType)>;

Inputs images(const Dims& shape) {
  return [=](DType d) { return TensorList{uniform(shape, d, 41)}; };
}
// Images, weight and bias of a convolution.
Inputs conv_inputs(const Dims& input, const Dims& weight) {
  return [=](DType d) {
    return TensorList{uniform(input, d, 42), uniform(weight, d, 43, -0.5, 0.5),
                      uniform({weight[0]}, d, 44)};
  };
}
// Logits [n, classes], int64 targets in [0, classes) and a class weight.
Inputs classification(int64_t n, int64_t classes) {
  return [=](DType d) {
    return TensorList{uniform({n, classes}, d, 45, -3, 3), integers({n}, 0, classes, 46),
                      uniform({classes}, d, 47, 0.5, 2.0)};
  };
}
// Two float inputs of one shape (prediction, target).
Inputs pair(const Dims& shape, double low = -2.0, double high = 2.0) {
  return [=](DType d) {
    return TensorList{uniform(shape, d, 48), uniform(shape, d, 49, low, high)};
  };
}
TensorOptions like(const Tensor& t) { return TensorOptions(t.dtype(), t.device()); }

}  // namespace

std::vector<OpCase> nn_cases() {
  std::vector<OpCase> c = {
      {"unfold", images({2, 2, 5, 6}),
       [](const TensorList& x) {
         return TensorList{unfold(x[0], 2), unfold(x[0], {3, 2}, {1, 2}, 1, {2, 1}),
                           unfold(x[0].select(0, 1), 3, 1, 1)};
       }},
      {"fold",
       [](DType d) {
         return TensorList{uniform({2, 8, 20}, d, 50), uniform({8, 16}, d, 51)};
       },
       [](const TensorList& x) {
         // 2 channels of 2x2 windows: 4 x 5 positions over 5 x 6; 4 x 4 over 6 x 7 with padding 1
         // and stride 2.
         return TensorList{fold(x[0], {5, 6}, 2), fold(x[1], {6, 7}, 2, 1, 1, 2)};
       },
       4},
      {"conv2d", conv_inputs({2, 3, 6, 5}, {4, 3, 3, 3}),
       [](const TensorList& x) { return TensorList{conv2d(x[0], x[1], x[2])}; }, 27},
      {"conv2d with stride, padding, dilation and no bias", conv_inputs({2, 2, 7, 6}, {3, 2, 3, 2}),
       [](const TensorList& x) {
         return TensorList{conv2d(x[0], x[1], {}, {2, 1}, {1, 2}, {2, 1}),
                           conv2d(x[0].select(0, 1), x[1], x[2], 2, 1)};
       },
       12},
      {"conv2d with per-task weights (batched GEMMs over tasks)",
       [](DType d) {
         return TensorList{uniform({2, 3, 4, 6, 5}, d, 52),
                           uniform({2, 4, 4, 3, 3}, d, 53, -0.5, 0.5), uniform({2, 4}, d, 54)};
       },
       [](const TensorList& x) {
         return TensorList{conv2d(x[0], x[1], x[2], 1, 1),
                           conv2d(x[0], x[1].slice(2, 0, 2), {}, 2, 0, 1, 2)};
       },
       36},
      {"conv_transpose2d (stride, padding, output_padding, groups, dilation), conv_transpose1d",
       conv_inputs({2, 4, 3, 3}, {4, 2, 3, 3}),
       [](const TensorList& x) {
         return TensorList{
             conv_transpose2d(x[0], x[1], x[2], 2, 1, 1, 2),
             conv_transpose2d(x[0], x[1], x[2].slice(0, 0, 2), {1, 2}, {0, 1}, {0, 1}, 1, {2, 1}),
             conv_transpose1d(x[0].select(2, 0), x[1].select(2, 0), {}, 2)};
       },
       36},
      {"conv_transpose2d with per-task weights (batched GEMMs over tasks and groups)",
       [](DType d) {
         return TensorList{uniform({2, 3, 4, 3, 3}, d, 87),
                           uniform({2, 4, 2, 3, 3}, d, 88, -0.5, 0.5), uniform({2, 4}, d, 89)};
       },
       [](const TensorList& x) {
         return TensorList{conv_transpose2d(x[0], x[1], x[2], 2, 1, 1, 2)};
       },
       36},
      {"conv2d with groups", conv_inputs({2, 4, 6, 5}, {6, 2, 3, 2}),
       [](const TensorList& x) {
         return TensorList{conv2d(x[0], x[1], x[2], 1, {1, 0}, 1, 2)};
       },
       12},
      {"max_pool2d", images({2, 3, 6, 5}),
       [](const TensorList& x) {
         return TensorList{max_pool2d(x[0], 2), max_pool2d(x[0], 3, 2, 1, 1, true),
                           max_pool2d(x[0], {2, 3}, {1, 2}, 0, {2, 1})};
       }},
      {"max_pool2d with ties",
       [](DType d) {
         return TensorList{(integers({1, 2, 4, 4}, 0, 2, 51).to(d)).requires_grad_(true)};
       },
       [](const TensorList& x) {
         auto [v, i] = max_pool2d_with_indices(x[0], 2);
         return TensorList{v, i, max_pool2d(x[0], 3, 1, 1)};
       }},
      {"max_pool2d_with_indices", images({2, 2, 5, 5}),
       [](const TensorList& x) {
         auto [v, i] = max_pool2d_with_indices(x[0], 3, 2, 1, 1, true);
         auto [v2, i2] = max_pool2d_with_indices(x[0].select(0, 0), 2);
         // One window over one channel: a single output.
         auto [v3, i3] = max_pool2d_with_indices(x[0].slice(0, 0, 1).slice(1, 0, 1), 5);
         return TensorList{v, i, v2, i2, v3, i3};
       }},
      {"avg_pool2d", images({2, 2, 5, 6}),
       [](const TensorList& x) {
         return TensorList{avg_pool2d(x[0], 2), avg_pool2d(x[0], 3, 2, 1, true, false),
                           avg_pool2d(x[0], {2, 3}, 1, {1, 1}, false, true)};
       },
       9},
      {"max_pool1d, avg_pool1d, max_unpool1d, max_unpool2d", images({2, 3, 6, 4}),
       [](const TensorList& x) {
         auto [v, i] = max_pool2d_with_indices(x[0], 2);
         auto [lv, li] = max_pool1d_with_indices(x[0].select(3, 1), 3, 2, 1);
         return TensorList{max_pool1d(x[0].select(2, 0), 2, 1, 0, 2, true),
                           avg_pool1d(x[0].select(3, 2), 3, 2, 1, true, false),
                           max_unpool2d(v, i, 2),
                           lv,
                           li,
                           max_unpool1d(lv, li, 3, 2, 1, 6)};
       },
       3},
      {"bilinear",
       [](DType d) {
         return TensorList{uniform({2, 3, 4}, d, 1), uniform({2, 3, 5}, d, 2),
                           uniform({6, 4, 5}, d, 3), uniform({6}, d, 4)};
       },
       [](const TensorList& x) { return TensorList{bilinear(x[0], x[1], x[2], x[3])}; }, 20},
      {"embedding_bag (sum with per-sample weights, mean with padding, max)",
       [](DType d) {
         return TensorList{uniform({7, 3}, d, 53), integers({10}, 0, 7, 54), uniform({10}, d, 55)};
       },
       [](const TensorList& x) {
         const Tensor offsets =
             tensor({0.0, 3.0, 3.0, 7.0}, {4}, TensorOptions(kInt64, x[1].device()));
         return TensorList{embedding_bag(x[1], x[0], offsets, EmbeddingBagMode::Sum, x[2]),
                           embedding_bag(x[1], x[0], offsets, EmbeddingBagMode::Mean, {}, false, 2),
                           embedding_bag(x[1], x[0], offsets, EmbeddingBagMode::Max)};
       },
       4},
      {"conv3d", conv_inputs({2, 4, 3, 4, 3}, {6, 2, 2, 3, 2}),
       [](const TensorList& x) {
         return TensorList{conv3d(x[0], x[1], x[2], {1, 1, 2}, {1, 0, 1}, 1, 2),
                           conv3d(x[0].select(0, 1), x[1], {}, 1, 0, {2, 1, 1}, 2)};
       },
       24},
      {"conv2d and conv3d with padding \"same\" (even kernels pad the input first)",
       conv_inputs({2, 4, 3, 4, 3}, {6, 2, 2, 3, 2}),
       [](const TensorList& x) {
         return TensorList{conv3d(x[0], x[1], x[2], 1, "same", {1, 2, 1}, 2),
                           conv2d(x[0].select(2, 0), x[1].select(2, 1), x[2], 1, "same", 1, 2)};
       },
       24},
      {"gumbel_softmax (soft and hard, one seed on both devices)",
       [](DType d) {
         return TensorList{uniform({4, 5}, d, 56)};
       },
       [](const TensorList& x) {
         Generator soft_noise(3), hard_noise(4);
         return TensorList{gumbel_softmax(x[0], 0.7, false, -1, &soft_noise),
                           gumbel_softmax(x[0], 1.3, true, 0, &hard_noise)};
       },
       5},
      {"movedim, narrow, rot90, diff, take_along_dim, diag_embed, block_diag, meshgrid, kron, "
       "tensordot",
       [](DType d) {
         return TensorList{uniform({2, 3, 4}, d, 91), uniform({3, 4}, d, 92)};
       },
       [](const TensorList& x) {
         const Tensor index =
             tensor({2, 0, 3, 1, 1, 0}, {2, 3, 1}, TensorOptions(kInt64, x[0].device()));
         const TensorList grid = meshgrid({x[1].select(0, 0), x[1].select(1, 1)}, "xy");
         return TensorList{movedim(x[0], 0, -1),
                           narrow(x[0], 2, 1, 2),
                           rot90(x[0], 1, {1, 2}),
                           diff(x[0], 2, -1, narrow(x[0], 2, 0, 1)),
                           take_along_dim(x[0], index, 2),
                           diag_embed(x[1], -1),
                           block_diag({x[1], x[1].select(0, 1)}),
                           grid[0] * grid[1],
                           kron(x[1], x[0]),
                           tensordot(x[0], x[1], 2)};
       },
       12},
      {"cumprod, logcumsumexp, nansum, nanmean, var_mean, cov, corrcoef",
       [](DType d) {
         return TensorList{uniform({3, 6}, d, 93), uniform({6}, d, 94, 0.1, 1.0)};
       },
       [](const TensorList& x) {
         const Tensor with_nan =
             where(gt(x[0], 1.5), std::numeric_limits<double>::quiet_NaN(), x[0]);
         return TensorList{cumprod(x[0], 1),
                           logcumsumexp(x[0], 0),
                           nansum(with_nan, {1}),
                           nanmean(with_nan, {0}),
                           std::get<0>(var_mean(x[0], {1})),
                           cov(x[0], 1, {}, x[1]),
                           corrcoef(x[0])};
       },
       6},
      {"masked_select/scatter/fill, scatter, index_copy, index, index_put, take, cummax, "
       "repeat_interleave, combinations, cartesian_prod, scatter_reduce, index_reduce",
       [](DType d) {
         return TensorList{uniform({3, 5}, d, 95), uniform({4}, d, 96), uniform({12}, d, 97)};
       },
       [](const TensorList& x) {
         const Device device = x[0].device();
         const Tensor mask = gt(x[0].detach(), 0.0);
         const Tensor targets =
             tensor({1, 1, 4, 0, 2, 2, 2, 3}, {2, 4}, TensorOptions(kInt64, device));
         const Tensor rows = tensor({2, 0, 2}, {3}, TensorOptions(kInt64, device));
         const Tensor cols = tensor({4, 1, 3}, {3}, TensorOptions(kInt64, device));
         return TensorList{
             masked_select(x[0], mask),
             masked_scatter(x[0], mask, x[2].repeat({2})),
             masked_fill(x[0], mask, x[1].select(0, 0)),
             scatter(x[0], 1, targets, x[1].expand({2, 4})),
             index_copy(x[0], 0, rows, x[0] * 2.0),
             index(x[0], {rows, cols}),
             index_put(x[0], {rows, cols}, narrow(x[1], 0, 0, 3), true),
             index_put(x[0], {rows}, narrow(x[1], 0, 1, 1)),
             take(x[0], cols),
             std::get<0>(cummax(x[0], 1)),
             std::get<0>(cummin(x[0], 0)),
             repeat_interleave(x[1], tensor({2, 0, 1, 3}, {4}, TensorOptions(kInt64, device))),
             combinations(x[1], 3),
             cartesian_prod({x[1], narrow(x[2], 0, 0, 3)}),
             scatter_reduce(x[0], 1, targets, x[1].expand({2, 4}), "prod"),
             scatter_reduce(x[0], 1, targets, x[1].expand({2, 4}), "mean", false),
             scatter_reduce(x[0], 1, targets, x[1].expand({2, 4}) * 3.0, "amax"),
             index_reduce(x[0], 0, rows, x[0] * 2.0, "amin")};
       },
       3},
      {"nonzero, searchsorted, bucketize, isin, unique, histc, histogram, bincount, tril_indices",
       [](DType d) {
         return TensorList{round(uniform({4, 6}, d, 98, -2.0, 2.0, false) * 2.0)};
       },
       [](const TensorList& x) {
         const Device device = x[0].device();
         const Tensor sorted = std::get<0>(sort(x[0], 1));
         const auto [values, inverse, counts] = unique(x[0]);
         const UniqueResult columns = unique(x[0], 1);
         return TensorList{nonzero(x[0]),
                           searchsorted(sorted, x[0]),
                           searchsorted(sorted, x[0], true),
                           bucketize(x[0], sorted.select(0, 0)),
                           isin(x[0], sorted.select(0, 1)),
                           values,
                           inverse,
                           counts,
                           columns.values,
                           columns.inverse,
                           unique_consecutive(x[0], 0).values,
                           histc(x[0], 5),
                           histogram(x[0], 4).hist,
                           bincount(abs(x[0]).to(kInt64).flatten()),
                           tril_indices(4, 3, 0, TensorOptions(kInt64, device)),
                           triu_indices(3, 4, 1, TensorOptions(kInt64, device))};
       },
       24, false},
      {"conv_transpose3d", conv_inputs({2, 6, 2, 3, 2}, {6, 2, 2, 2, 2}),
       [](const TensorList& x) {
         return TensorList{conv_transpose3d(x[0], x[1], x[2], {2, 1, 2}, {1, 0, 0}, {1, 0, 1}, 3),
                           conv_transpose3d(x[0].select(0, 0), x[1], {}, 1, 0, 0, 3, {2, 1, 1})};
       },
       16},
      {"max_pool3d, avg_pool3d, adaptive_max_pool3d, max_unpool3d", images({2, 2, 4, 5, 4}),
       [](const TensorList& x) {
         auto [v, i] =
             max_pool3d_with_indices(x[0], {2, 3, 2}, IntTriple{1, 2, 2}, {1, 1, 0}, 1, true);
         auto [hv, hi] = max_pool3d_with_indices(x[0], 2);
         auto [av, ai] = adaptive_max_pool3d_with_indices(x[0], {3, 2, 3});
         return TensorList{v,
                           i,
                           avg_pool3d(x[0], 2, std::nullopt, 0, false, true, 3),
                           avg_pool3d(x[0], {3, 2, 3}, IntTriple{2}, 1, true, false),
                           av,
                           ai,
                           max_unpool3d(hv, hi, 2, std::nullopt, 0, IntTriple{4, 5, 4})};
       },
       18},
      {"linear",
       [](DType d) {
         return TensorList{uniform({4, 3}, d, 1), uniform({5, 3}, d, 2), uniform({5}, d, 3),
                           uniform({2, 4, 3}, d, 4)};
       },
       [](const TensorList& x) {
         return TensorList{linear(x[0], x[1], x[2]), linear(x[0], x[1]), linear(x[3], x[1], x[2])};
       },
       3},
      {"linear with per-task weights",
       [](DType d) {
         return TensorList{uniform({2, 4, 3}, d, 1), uniform({2, 5, 3}, d, 2),
                           uniform({2, 5}, d, 3)};
       },
       [](const TensorList& x) { return TensorList{linear(x[0], x[1], x[2])}; }, 3},
      {"softmax, log_softmax", images({3, 4, 5}),
       [](const TensorList& x) {
         return TensorList{softmax(x[0], -1), softmax(x[0], 1), log_softmax(x[0], 0),
                           log_softmax(x[0] * 40.0, -1)};
       },
       5},
      {"dropout with a seed", images({4, 50}),
       [](const TensorList& x) {
         Generator g(7);
         return TensorList{dropout(x[0], 0.3, true, &g), dropout(x[0], 0.5, true, &g),
                           dropout(x[0], 0.3, false, &g)};
       }},
      {"one_hot",
       [](DType) {
         return TensorList{integers({2, 3}, 0, 4, 52)};
       },
       [](const TensorList& x) {
         return TensorList{one_hot(x[0], 5), one_hot(x[0])};
       },
       1, false},
      {"batch_norm in training, with running statistics",
       [](DType d) {
         return TensorList{uniform({4, 3, 2, 2}, d, 53), uniform({3}, d, 54, 0.5, 1.5),
                           uniform({3}, d, 55)};
       },
       [](const TensorList& x) {
         Tensor rm = zeros({3}, like(x[0])), rv = ones({3}, like(x[0]));
         Tensor y = batch_norm(x[0], rm, rv, x[1], x[2], true, 0.3);
         Tensor y1 = batch_norm(x[0].select(3, 0), {}, {}, {}, {}, true);
         return TensorList{y, rm, rv, y1};
       },
       16},
      {"batch_norm in eval",
       [](DType d) {
         return TensorList{uniform({4, 3, 5}, d, 56), uniform({3}, d, 57, 0.5, 1.5),
                           uniform({3}, d, 58), uniform({3}, d, 59), uniform({3}, d, 60, 0.5, 2)};
       },
       [](const TensorList& x) {
         return TensorList{batch_norm(x[0], x[3], x[4], x[1], x[2], false),
                           batch_norm(x[0], x[3], x[4])};
       }},
      {"nll_loss", classification(6, 4),
       [](const TensorList& x) {
         const Tensor lp = log_softmax(x[0], 1);
         const Tensor target = where(eq(x[1], 2.0), full_like(x[1], -100), x[1]);
         return TensorList{nll_loss(lp, x[1]), nll_loss(lp, x[1], {.reduction = Reduction::Sum}),
                           nll_loss(lp, target, {.reduction = Reduction::None}),
                           nll_loss(lp, target, {.weight = x[2]}), nll_loss(lp, target)};
       },
       6},
      {"nll_loss over [N, C, d]",
       [](DType d) {
         return TensorList{uniform({2, 3, 4}, d, 61), integers({2, 4}, 0, 3, 62)};
       },
       [](const TensorList& x) { return TensorList{nll_loss(log_softmax(x[0], 1), x[1])}; }, 8},
      {"cross_entropy", classification(6, 4),
       [](const TensorList& x) {
         return TensorList{
             cross_entropy(x[0], x[1]),
             cross_entropy(x[0], x[1], {.label_smoothing = 0.2, .weight = x[2]}),
             cross_entropy(x[0], x[1], {.reduction = Reduction::None, .ignore_index = 1})};
       },
       24},
      {"mse_loss, l1_loss", pair({3, 4}),
       [](const TensorList& x) {
         return TensorList{mse_loss(x[0], x[1]), mse_loss(x[0], x[1], Reduction::None),
                           l1_loss(x[0], x[1], Reduction::Sum), l1_loss(x[0], x[1])};
       },
       12},
      {"binary_cross_entropy_with_logits",
       [](DType d) {
         return TensorList{uniform({3, 4}, d, 63, -30, 30), uniform({3, 4}, d, 64, 0, 1),
                           uniform({4}, d, 65, 0.5, 2), uniform({3, 1}, d, 66, 0.5, 2)};
       },
       [](const TensorList& x) {
         return TensorList{
             binary_cross_entropy_with_logits(x[0], x[1]),
             binary_cross_entropy_with_logits(
                 x[0], x[1], {.reduction = Reduction::None, .pos_weight = x[2], .weight = x[3]})};
       },
       12},
      {"smooth_l1_loss, huber_loss, kl_div", pair({3, 4}),
       [](const TensorList& x) {
         return TensorList{
             smooth_l1_loss(x[0], x[1], Reduction::None, 0.5),
             huber_loss(x[0], x[1], Reduction::Sum, 0.7),
             kl_div(log_softmax(x[0], 1), softmax(x[1], 1), KlDivReduction::BatchMean),
             kl_div(x[0], x[1], KlDivReduction::None, true)};
       },
       12},
      {"binary_cross_entropy",
       [](DType d) {
         return TensorList{uniform({3, 4}, d, 67, 0.05, 0.95), uniform({3, 4}, d, 68, 0, 1),
                           uniform({4}, d, 69, 0.5, 2)};
       },
       [](const TensorList& x) {
         return TensorList{
             binary_cross_entropy(x[0], x[1]),
             binary_cross_entropy(x[0], x[1], {.reduction = Reduction::None, .weight = x[2]})};
       },
       12},
      {"activations: gelu, silu, mish, softplus, log_sigmoid, elu, selu, leaky_relu",
       [](DType d) {
         return TensorList{uniform({3, 5}, d, 70, -30, 30), uniform({3, 5}, d, 71, -3, 3)};
       },
       [](const TensorList& x) {
         TensorList out;
         for (const Tensor& v : x) {
           for (const Tensor& y :
                {gelu(v), gelu(v, GeluApproximate::Tanh), silu(v), mish(v), softplus(v, 2.0, 5.0),
                 log_sigmoid(v), elu(v, 0.7), selu(v), leaky_relu(v, 0.2)})
             out.push_back(y);
         }
         return out;
       }},
      {"margin and likelihood losses",
       [](DType d) {
         return TensorList{uniform({3, 4}, d, 74, -2, 2), uniform({3, 4}, d, 75, -2, 2),
                           uniform({3, 4}, d, 76, 0.2, 1.5)};
       },
       [](const TensorList& x) {
         const Tensor signs = (gt(x[2], 0.8).to(x[0].dtype()) * 2.0 - 1.0).detach();
         const Tensor classes = tensor({2, 1, 0}, TensorOptions(kInt64, x[0].device()));
         return TensorList{
             soft_margin_loss(x[0], signs),
             margin_ranking_loss(x[0], x[1], signs, 0.3),
             hinge_embedding_loss(x[0], signs, 1.5),
             cosine_embedding_loss(x[0], x[1], signs.select(1, 0), 0.1, Reduction::None),
             triplet_margin_loss(x[0], x[1], x[2], {.margin = 2.0, .reduction = Reduction::None}),
             poisson_nll_loss(x[0], floor(x[2] * 3.0), {.full = true}),
             gaussian_nll_loss(x[0], x[1], x[2], {.reduction = Reduction::Sum}),
             multilabel_soft_margin_loss(x[0], gt(x[2], 0.8).to(x[0].dtype())),
             multi_margin_loss(x[0], classes, {.p = 2, .margin = 3.0})};
       },
       4},
      {"activations: hardtanh ... prelu",
       [](DType d) {
         return TensorList{uniform({3, 4}, d, 72, -5, 5), uniform({4}, d, 73, -0.5, 0.5)};
       },
       [](const TensorList& x) {
         const Tensor& v = x[0];
         return TensorList{hardtanh(v, -1.0, 2.0), relu6(v),      hardsigmoid(v),
                           hardswish(v),           softsign(v),   tanhshrink(v),
                           softshrink(v, 0.5),     hardshrink(v), threshold(v, 0.3, -2.0),
                           celu(v, 1.5),           glu(v, 1),     softmin(v, 0),
                           prelu(v, x[1])};
       }},
      {"distributions: log_prob, entropy, kl_divergence",
       [](DType d) {
         return TensorList{uniform({3, 4}, d, 81), uniform({3, 4}, d, 82, 0.5, 2.0),
                           uniform({3, 4}, d, 83)};
       },
       [](const TensorList& x) {
         using namespace distributions;
         const Normal n(x[0], x[1]);
         const Bernoulli b = Bernoulli::from_logits(x[0]);
         const Categorical c = Categorical::from_logits(x[0]);
         const Categorical c2 = Categorical::from_probs(x[1]);
         const Tensor k = tensor({0, 3, 1}, TensorOptions(kInt64, x[0].device()));
         return TensorList{n.log_prob(x[2]),
                           n.entropy(),
                           kl_divergence(n, Normal(x[2], x[1])),
                           b.log_prob(gt(x[2], 0.0).to(x[0].dtype())),
                           b.entropy(),
                           c.log_prob(k),
                           c.entropy(),
                           kl_divergence(c, c2)};
       },
       4},
      {"distributions: Gamma, Beta, Dirichlet and StudentT rsample (one seed on both devices)",
       [](DType d) {
         return TensorList{uniform({3, 4}, d, 87, 0.5, 3.0), uniform({3, 4}, d, 88, 0.5, 2.0)};
       },
       [](const TensorList& x) {
         using namespace distributions;
         Generator g1(5), g2(6), g3(7), g4(8);
         return TensorList{Gamma(x[0], x[1]).rsample({2}, &g1), Beta(x[0], x[1]).rsample({}, &g2),
                           Dirichlet(x[0]).rsample({}, &g3),
                           StudentT(x[0] + 2.0, x[1]).rsample({}, &g4)};
       },
       4},
      {"distributions: RelaxedOneHotCategorical, RelaxedBernoulli, OneHotCategorical, Chi2",
       [](DType d) {
         return TensorList{uniform({3, 4}, d, 89), uniform({3, 4}, d, 90, 0.5, 2.0)};
       },
       [](const TensorList& x) {
         using namespace distributions;
         const Tensor t = x[1].select(0, 0).select(0, 0);
         const RelaxedOneHotCategorical c = RelaxedOneHotCategorical::from_logits(t, x[0]);
         const RelaxedBernoulli b = RelaxedBernoulli::from_logits(x[1], x[0]);
         Generator g1(9), g2(10);
         const Tensor point = softmax(x[1], -1), y = sigmoid(x[1] - 1.0);
         return TensorList{c.rsample({2}, &g1),
                           c.log_prob(point),
                           b.rsample({}, &g2),
                           b.log_prob(y),
                           OneHotCategorical::from_logits(x[0]).entropy(),
                           Chi2(x[1]).log_prob(x[1] + 0.5)};
       },
       4},
      {"distributions: Weibull, Pareto, Kumaraswamy, HalfCauchy, MixtureSameFamily, Normal.icdf",
       [](DType d) {
         return TensorList{uniform({3, 4}, d, 87, 0.5, 2.0), uniform({3, 4}, d, 88, 0.5, 2.0),
                           uniform({3, 4}, d, 91, 0.1, 0.9)};
       },
       [](const TensorList& x) {
         using namespace distributions;
         Generator g1(12), g2(13), g3(14), g4(15);
         const Weibull w(x[0], x[1]);
         const Pareto p(x[0], x[1] + 2.0);
         const Kumaraswamy k(x[0], x[1]);
         const HalfCauchy h(x[0]);
         return TensorList{w.rsample({2}, &g1),
                           w.log_prob(x[1]),
                           w.entropy(),
                           w.variance(),
                           p.rsample({}, &g2),
                           p.log_prob(x[0] + x[1]),
                           p.mean(),
                           k.rsample({}, &g3),
                           k.log_prob(x[2]),
                           k.entropy(),
                           k.variance(),
                           h.rsample({}, &g4),
                           h.log_prob(x[1]),
                           h.cdf(x[1]),
                           MixtureSameFamily(Categorical::from_logits(x[2]), Normal(x[0], x[1]))
                               .log_prob(x[0].select(1, 0) - 0.5),
                           Normal(x[0], x[1]).icdf(x[2])};
       },
       1},
      {"distributions: Binomial ... LogisticNormal (log_prob, entropy, rsample)",
       [](DType d) {
         return TensorList{uniform({3, 4}, d, 92, 0.5, 2.0), uniform({3, 4}, d, 93, 0.5, 2.0),
                           uniform({3, 4}, d, 94, 0.1, 0.9)};
       },
       [](const TensorList& x) {
         using namespace distributions;
         const TensorOptions options(x[0].dtype(), x[0].device());
         const Tensor counts = full({3, 4}, 6.0, options);
         const Tensor k = floor(x[2].detach() * 6.0);
         const Binomial binomial = Binomial::from_logits(counts, x[0] - 1.0);
         const ContinuousBernoulli cb = ContinuousBernoulli::from_probs(x[2]);
         const LowRankMultivariateNormal low_rank(x[2], unsqueeze(x[0], -1) * 0.3, x[1]);
         const LogisticNormal logistic(x[2], x[1]);
         Generator g1(16), g2(17), g3(18), g4(19);
         return TensorList{binomial.log_prob(k),
                           binomial.entropy(),
                           NegativeBinomial::from_logits(x[1], x[0] - 1.0).log_prob(k),
                           Multinomial::from_logits(5, x[0]).log_prob(k),
                           Multinomial::from_logits(3, x[1]).entropy(),
                           cb.rsample({}, &g1),
                           cb.log_prob(x[2]),
                           cb.cdf(x[2]),
                           cb.entropy(),
                           VonMises(x[2], x[1]).log_prob(x[0]),
                           VonMises(x[2], x[0] * 3.0).variance(),
                           FisherSnedecor(x[0], x[1] + 4.0).rsample({}, &g2),
                           FisherSnedecor(x[0], x[1]).log_prob(x[2]),
                           low_rank.log_prob(x[0]),
                           low_rank.rsample({}, &g3),
                           logistic.rsample({}, &g4),
                           logistic.log_prob(stick_breaking(x[0] - 1.0))};
       },
       8},
      {"distributions: Uniform, Exponential, Laplace, Gamma, Beta, Dirichlet, Poisson",
       [](DType d) {
         return TensorList{uniform({3, 4}, d, 84, 0.5, 2.0), uniform({3, 4}, d, 85, 0.5, 2.0),
                           uniform({3, 4}, d, 86, 0.1, 0.9)};
       },
       [](const TensorList& x) {
         using namespace distributions;
         const Uniform u(-x[0], x[1]);
         const Exponential e(x[0]);
         const Laplace l(x[2], x[1]);
         const Gamma g(x[0], x[1]);
         const Beta b(x[0], x[1]);
         return TensorList{u.log_prob(x[2]),
                           u.cdf(x[2]),
                           u.entropy(),
                           e.log_prob(x[2]),
                           e.cdf(x[2]),
                           kl_divergence(e, Exponential(x[1])),
                           l.log_prob(x[0]),
                           l.cdf(x[0]),
                           kl_divergence(l, Laplace(x[0], x[0])),
                           g.log_prob(x[2]),
                           g.entropy(),
                           kl_divergence(g, Gamma(x[1], x[0])),
                           b.log_prob(x[2]),
                           b.entropy(),
                           kl_divergence(b, Beta(x[1], x[0])),
                           Dirichlet(x[0]).log_prob(x[2] / sum(x[2], {-1}, true)),
                           Dirichlet(x[0]).entropy(),
                           kl_divergence(Dirichlet(x[0]), Dirichlet(x[1])),
                           Poisson(x[0]).log_prob(floor(x[1] * 3.0)),
                           kl_divergence(Poisson(x[0]), Poisson(x[1]))};
       }},
      {"conv1d", conv_inputs({2, 4, 9}, {6, 2, 3}),
       [](const TensorList& x) {
         return TensorList{conv1d(x[0], x[1], x[2], 2, 1, 2, 2),
                           conv1d(x[0].select(0, 1), x[1], {}, 1, 0, 1, 2)};
       },
       6},
      {"adaptive_avg_pool2d, adaptive_avg_pool1d", images({2, 3, 7, 5}),
       [](const TensorList& x) {
         return TensorList{adaptive_avg_pool2d(x[0], {3, 2}), adaptive_avg_pool2d(x[0], 1),
                           adaptive_avg_pool1d(x[0].select(3, 1), 3),
                           adaptive_avg_pool3d(x[0], {2, 3, 2})};
       },
       35},
      {"adaptive_max_pool2d, adaptive_max_pool1d (values; gradients through gather)",
       images({2, 3, 7, 5}),
       [](const TensorList& x) {
         return TensorList{adaptive_max_pool2d(x[0], {3, 2}), adaptive_max_pool2d(x[0], 1),
                           adaptive_max_pool1d(x[0].select(3, 1), 4)};
       },
       1},
      {"grid_sample (bilinear, nearest, bicubic; zeros, border, reflection), affine_grid",
       [](DType d) {
         return TensorList{uniform({2, 3, 4, 5}, d, 84), uniform({2, 3, 4, 2}, d, 85, -1.2, 1.2),
                           uniform({2, 2, 3}, d, 86)};
       },
       [](const TensorList& x) {
         using enum GridSampleMode;
         using enum GridSamplePadding;
         return TensorList{grid_sample(x[0], x[1]),
                           grid_sample(x[0], x[1], {Nearest, Border, true}),
                           grid_sample(x[0], x[1], {Bicubic, Reflection, false}),
                           grid_sample(x[0], affine_grid(x[2], {2, 3, 3, 2}))};
       },
       16},
      {"interpolate (nearest, nearest-exact, bilinear, bicubic, trilinear)", images({2, 3, 4, 5}),
       [](const TensorList& x) {
         using enum InterpolateMode;
         return TensorList{
             interpolate(x[0], {.scale_factor = {1.7}}),
             interpolate(x[0], {.size = {3, 7}, .mode = NearestExact}),
             interpolate(x[0], {.size = {6, 3}, .mode = Bilinear}),
             interpolate(x[0],
                         {.scale_factor = {1.5, 0.8}, .mode = Bilinear, .align_corners = true}),
             interpolate(x[0], {.size = {5, 4}, .mode = Bicubic}),
             interpolate(x[0].unsqueeze(0), {.size = {3, 2, 6}, .mode = Trilinear})};
       },
       16},
      {"instance_norm (with running statistics)",
       [](DType d) {
         return TensorList{uniform({3, 2, 5}, d, 81), uniform({2}, d, 82, 0.5, 1.5),
                           uniform({2}, d, 83)};
       },
       [](const TensorList& x) {
         const Tensor running_mean = zeros({2}, like(x[0])), running_var = ones({2}, like(x[0]));
         const Tensor y = instance_norm(x[0], running_mean, running_var, x[1], x[2]);
         return TensorList{y, instance_norm(x[0]), running_mean, running_var};
       },
       10},
      {"normalize, cosine_similarity, pairwise_distance, cdist", pair({5, 4}),
       [](const TensorList& x) {
         return TensorList{normalize(x[0]),
                           cosine_similarity(x[0], x[1]),
                           pairwise_distance(x[0], x[1], 1.5),
                           cdist(x[0], x[1]),
                           cdist(x[0], x[1], 1.0),
                           cdist(x[0], x[1], 2.0, CdistComputeMode::UseMmForEuclidDist)};
       },
       8},
      {"lstm_cell, gru_cell, rnn_tanh_cell",
       [](DType d) {
         return TensorList{uniform({2, 3}, d, 84),
                           uniform({2, 2}, d, 85),
                           uniform({8, 3}, d, 86, -0.5, 0.5),
                           uniform({8, 2}, d, 87, -0.5, 0.5),
                           uniform({8}, d, 88, -0.5, 0.5),
                           uniform({2, 2}, d, 89)};
       },
       [](const TensorList& x) {
         const auto [h, c] = lstm_cell(x[0], {x[1], x[5]}, x[2], x[3], x[4]);
         const Tensor w_ih = x[2].slice(0, 0, 6), w_hh = x[3].slice(0, 0, 6);
         return TensorList{h, c, gru_cell(x[0], x[1], w_ih, w_hh, x[4].slice(0, 0, 6)),
                           rnn_tanh_cell(x[0], x[1], x[2].slice(0, 0, 2), x[3].slice(0, 0, 2))};
       },
       5},
      {"group_norm",
       [](DType d) {
         return TensorList{uniform({3, 4, 5}, d, 78), uniform({4}, d, 79, 0.5, 1.5),
                           uniform({4}, d, 80)};
       },
       [](const TensorList& x) {
         return TensorList{group_norm(x[0], 2, x[1], x[2]), group_norm(x[0], 4)};
       },
       10},
      {"layer_norm",
       [](DType d) {
         return TensorList{uniform({4, 2, 3}, d, 72), uniform({2, 3}, d, 73, 0.5, 1.5),
                           uniform({2, 3}, d, 74)};
       },
       [](const TensorList& x) {
         return TensorList{layer_norm(x[0], {2, 3}, x[1], x[2]), layer_norm(x[0], {3})};
       },
       6},
      {"scaled_dot_product_attention",
       [](DType d) {
         // A bool mask (true = attend) whose second query of the first batch sees no key.
         std::vector<double> allowed(30, 1.0);
         for (size_t j : {2, 6, 7, 8, 9, 13, 21, 24}) allowed[j] = 0.0;
         return TensorList{uniform({2, 3, 4}, d, 75), uniform({2, 5, 4}, d, 76),
                           uniform({2, 5, 3}, d, 77), uniform({3, 5}, d, 78),
                           tensor(allowed, {2, 3, 5}, kBool)};
       },
       [](const TensorList& x) {
         return TensorList{
             scaled_dot_product_attention(x[0], x[1], x[2]),
             scaled_dot_product_attention(x[0], x[1], x[2], {.attn_mask = x[3], .scale = 0.8}),
             scaled_dot_product_attention(x[0], x[1], x[2], {.attn_mask = x[4]}),
             scaled_dot_product_attention(x[0], x[1], x[2], {.is_causal = true})};
       },
       5},
  };
  return c;
}

std::vector<OpCase> all_op_cases() {
  std::vector<OpCase> all;
  for (auto&& family :
       {elementwise_cases(), reduction_and_linalg_cases(), shape_and_index_cases(), nn_cases()})
    all.insert(all.end(), family.begin(), family.end());
  return all;
}

Tensor uniform(const Dims& shape, DType dtype, uint64_t seed, double low, double high,
               bool requires_grad) {
  Generator gen(seed * 7919 + 13);
  Tensor u = rand(shape, kFloat64, &gen) * (high - low) + low;
  return u.to(dtype).detach().requires_grad_(requires_grad);
}

Tensor integers(const Dims& shape, int64_t low, int64_t high, uint64_t seed) {
  Generator gen(seed * 104729 + 7);
  return randint(low, high, shape, kInt64, &gen);
}

}  // namespace metagrad::testing
