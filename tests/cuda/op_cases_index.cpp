// The shape, index, join/split, cast and in-place rows of the CUDA op table (op_cases.hpp).
#include <limits>

#include "tests/cuda/op_cases.hpp"

namespace metagrad::testing {
namespace {

using Inputs = std::function<TensorList(DType)>;

Inputs one(const Dims& shape) {
  return [=](DType d) { return TensorList{uniform(shape, d, 31)}; };
}
// A float input and an int64 index in [low, high).
Inputs with_index(const Dims& shape, const Dims& index_shape, int64_t low, int64_t high) {
  return [=](DType d) {
    return TensorList{uniform(shape, d, 32), integers(index_shape, low, high, 33)};
  };
}
// A float input, an int64 index and a float source.
Inputs with_index_and_source(const Dims& shape, const Dims& index_shape, int64_t high,
                             const Dims& source_shape) {
  return [=](DType d) {
    return TensorList{uniform(shape, d, 34), integers(index_shape, 0, high, 35),
                      uniform(source_shape, d, 36)};
  };
}

}  // namespace

std::vector<OpCase> shape_and_index_cases() {
  std::vector<OpCase> c = {
      {"reshape, view, flatten", one({2, 3, 4}),
       [](const TensorList& x) {
         return TensorList{x[0].reshape({6, -1}), x[0].view({4, 6}), x[0].flatten(1),
                           x[0].transpose(0, 2).reshape({-1}), flatten(x[0].permute({1, 0, 2}))};
       },
       1, true, false},
      {"squeeze, unsqueeze", one({2, 1, 3, 1}),
       [](const TensorList& x) {
         return TensorList{squeeze(x[0]), squeeze(x[0], 1), squeeze(x[0], 0), unsqueeze(x[0], 0),
                           unsqueeze(x[0], -1)};
       }},
      {"permute, transpose, t", one({2, 3, 4}),
       [](const TensorList& x) {
         return TensorList{x[0].permute({2, 0, 1}).contiguous(), transpose(x[0], 0, 1) * 1.0,
                           t(x[0].select(0, 1)).contiguous()};
       }},
      {"expand, broadcast_to, sum_to", one({3, 1}),
       [](const TensorList& x) {
         const Tensor e = x[0].expand({2, 3, 4});
         return TensorList{e.contiguous(), broadcast_to(x[0], {3, 5}) * 2.0, sum_to(e * e, {3, 1}),
                           sum_to(e, {4})};
       },
       8},
      {"contiguous, clone", one({3, 4}),
       [](const TensorList& x) {
         return TensorList{contiguous(x[0].t()), clone(x[0].slice(0, 1, 3)), x[0].t().clone()};
       }},
      {"cat",
       [](DType d) {
         return TensorList{uniform({2, 3}, d, 1), uniform({1, 3}, d, 2), uniform({0, 3}, d, 3)};
       },
       [](const TensorList& x) {
         return TensorList{cat({x[0], x[1], x[2]}), cat({x[0].t(), x[1].t()}, 1),
                           cat({x[0], x[0]}, -1)};
       }},
      {"stack",
       [](DType d) {
         return TensorList{uniform({2, 3}, d, 1), uniform({2, 3}, d, 2)};
       },
       [](const TensorList& x) {
         return TensorList{stack({x[0], x[1]}), stack({x[0], x[1].t().t(), x[0]}, 2)};
       }},
      {"split, chunk", one({5, 4}),
       [](const TensorList& x) {
         TensorList out = split(x[0], 2);
         for (const Tensor& p : split(x[0], std::vector<int64_t>{1, 3}, 1)) out.push_back(p * 2.0);
         for (const Tensor& p : chunk(x[0], 3, 0)) out.push_back(exp(p));
         return out;
       }},
      {"slice", one({6, 5}),
       [](const TensorList& x) {
         return TensorList{x[0].slice(0, 1, 4).contiguous(),
                           slice(x[0], 1, -3, std::nullopt, 2) * 1.0,
                           slice(x[0], 0, std::nullopt, -1, 3) + 0.0, slice(x[0], 1, 7, 9).clone()};
       }},
      {"select", one({3, 4, 5}),
       [](const TensorList& x) {
         return TensorList{select(x[0], 1, 2) * 1.0, select(x[0], -1, -1).contiguous(),
                           select(x[0], 0, 0).t().contiguous()};
       }},
      {"index_select", with_index({4, 5}, {6}, 0, 4),
       [](const TensorList& x) {
         return TensorList{index_select(x[0], 0, x[1]), index_select(x[0].t(), 1, x[1]),
                           index_select(x[0], 1, x[1].slice(0, 0, 3) + 1)};
       }},
      {"index_add with repeated indices", with_index_and_source({4, 3}, {6}, 4, {6, 3}),
       [](const TensorList& x) {
         return TensorList{index_add(x[0], 0, x[1], x[2]), index_add(x[0].t(), 1, x[1], x[2].t())};
       },
       6},
      {"gather", with_index({4, 5}, {3, 5}, 0, 4),
       [](const TensorList& x) {
         return TensorList{gather(x[0], 0, x[1]), gather(x[0], 1, x[1].slice(1, 0, 4)),
                           gather(x[0].t(), 0, x[1].t().slice(0, 0, 2))};
       }},
      {"scatter_add with repeated indices", with_index_and_source({4, 5}, {6, 5}, 4, {6, 5}),
       [](const TensorList& x) {
         return TensorList{scatter_add(x[0], 0, x[1], x[2]),
                           scatter_add(x[0], 1, x[1].slice(0, 0, 4), x[2].slice(0, 0, 4))};
       },
       6},
      {"cumsum along each dim, of views, and of int64 and bool", one({3, 4, 5}),
       [](const TensorList& x) {
         return TensorList{cumsum(x[0], 0),
                           cumsum(x[0], 1),
                           cumsum(x[0], -1),
                           cumsum(x[0].transpose(0, 2), 1),
                           cumsum(x[0].select(1, 2), 0),
                           cumsum(gt(x[0], 0.0), 2),
                           cumsum(gt(x[0], 0.0).to(kInt64), 0)};
       },
       5},
      {"sort, topk, kthvalue, median, nanmedian (values; gradients through gather)", one({3, 4, 5}),
       [](const TensorList& x) {
         return TensorList{std::get<0>(sort(x[0])),
                           std::get<0>(sort(x[0].transpose(0, 2), 1, true)),
                           std::get<0>(topk(x[0], 2, 1)),
                           std::get<0>(topk(x[0], 3, 0, false)),
                           std::get<0>(kthvalue(x[0], 2, 2, true)),
                           std::get<0>(median(x[0], 1)),
                           nanmedian(x[0])};
       },
       1},
      {"sort indices with ties and NaN, of int64 and bool", one({4, 6}),
       [](const TensorList& x) {
         const Tensor ties = round(x[0] * 3.0);
         const Tensor with_nan =
             where(gt(x[0], 0.7), std::numeric_limits<double>::quiet_NaN(), ties);
         return TensorList{argsort(ties),
                           argsort(ties, 0, true),
                           std::get<1>(sort(with_nan, 1)),
                           std::get<1>(topk(with_nan, 4, 1)),
                           std::get<1>(median(with_nan, 1)),
                           argsort(ties.to(kInt64), 1, true),
                           argsort(gt(x[0], 0.0), 0)};
       },
       1, false},
      // Lines longer than the rank-counting kernel's limit (cuda/kernels/sort_kernels.hpp) go
      // through its merge sort: 300 and 129 are not powers of two, so the last runs are short.
      {"sort indices of long lines (merge sort), with ties and NaN", one({3, 300}),
       [](const TensorList& x) {
         const Tensor ties = round(x[0] * 20.0);
         const Tensor with_nan =
             where(gt(x[0], 0.9), std::numeric_limits<double>::quiet_NaN(), ties);
         return TensorList{argsort(ties, 1),
                           argsort(ties, 1, true),
                           std::get<1>(sort(with_nan, 1)),
                           std::get<1>(topk(with_nan, 5, 1)),
                           std::get<1>(kthvalue(x[0].slice(1, 0, 129), 60, 1)),
                           argsort(ties.transpose(0, 1).reshape({300, 3}), 0),
                           argsort(ties.to(kInt64), 1, true),
                           argsort(gt(x[0], 0.0), 1)};
       },
       1, false},
      {"sort values of long lines (gradients through gather)", one({2, 257}),
       [](const TensorList& x) {
         return TensorList{std::get<0>(sort(x[0], 1)), std::get<0>(topk(x[0], 3, 1)),
                           std::get<0>(median(x[0], 1)), quantile(x[0], 0.3, 1)};
       },
       1},
      {"quantile (every interpolation), nanquantile", one({4, 7}),
       [](const TensorList& x) {
         return TensorList{quantile(x[0], 0.3, 1),
                           quantile(x[0], 0.75, 0, true, QuantileInterpolation::Midpoint),
                           quantile(x[0], 0.4, std::nullopt, false, QuantileInterpolation::Lower),
                           quantile(x[0], 0.4, 1, false, QuantileInterpolation::Higher),
                           quantile(x[0], 0.5, 1, false, QuantileInterpolation::Nearest),
                           nanquantile(x[0], 0.9, 0)};
       },
       1},
      {"argmax, argmin", one({3, 4}),
       [](const TensorList& x) {
         return TensorList{argmax(x[0]), argmax(x[0], 1), argmin(x[0], 0, true), argmin(x[0].t())};
       },
       1, false},
      {"flip, roll, repeat", one({3, 4}),
       [](const TensorList& x) {
         return TensorList{flip(x[0], {0, 1}), roll(x[0], {1, -2}, {0, 1}), roll(x[0], {5}),
                           repeat(x[0], {2, 1, 3}), repeat(x[0].t(), {1, 2})};
       }},
      {"einsum: contraction, batch, broadcast, diagonal",
       [](DType d) {
         return TensorList{uniform({2, 3, 4}, d, 75), uniform({2, 4, 5}, d, 76),
                           uniform({3, 3}, d, 77)};
       },
       [](const TensorList& x) {
         return TensorList{einsum("bij,bjk->bik", {x[0], x[1]}),
                           einsum("bij,bjk->kb", {x[0], x[1]}),
                           einsum("...j,...j->...", {x[0], x[0]}), einsum("ii->i", {x[2]}),
                           einsum("ij,j->i", {x[2], x[2].select(0, 1)})};
       },
       20},
      {"tril, triu, diagonal, trace", one({2, 4, 3}),
       [](const TensorList& x) {
         return TensorList{tril(x[0]), triu(x[0], 1), diagonal(x[0], 0, 1, 2),
                           diagonal(x[0], -1, 2, 0), trace(x[0].select(0, 1))};
       },
       3},
      {"pad", one({2, 3, 4}),
       [](const TensorList& x) {
         return TensorList{pad(x[0], {1, 2}), pad(x[0], {0, 1, 2, 0}, -1.5),
                           pad(x[0], {-1, 1, 1, -2}), pad(x[0], {1, 1, 1, 1, 1, 1})};
       }},
      {"pad: reflect, replicate, circular", one({2, 3, 4}),
       [](const TensorList& x) {
         return TensorList{pad(x[0], {2, 1}, PadMode::Reflect),
                           pad(x[0], {1, -1, 2, 2}, PadMode::Replicate),
                           pad(x[0].unsqueeze(0), {-1, 3, 2, 0}, PadMode::Circular)};
       },
       4},
      {"to float32 / float64", one({3, 4}),
       [](const TensorList& x) {
         return TensorList{x[0].to(kFloat32) * 1.0, x[0].to(kFloat64) * 1.0,
                           to_dtype(x[0].t(), x[0].dtype() == kFloat32 ? kFloat64 : kFloat32)};
       }},
      {"to int64 and bool", one({3, 4}),
       [](const TensorList& x) {
         const Tensor scaled = x[0] * 3.0;
         return TensorList{
             scaled.to(kInt64),          scaled.t().to(kInt64),    x[0].to(kBool),
             gt(x[0], 0.0).to(kFloat32), gt(x[0], 0.0).to(kInt64), scaled.to(kInt64).to(kFloat64),
             scaled.to(kInt64).to(kBool)};
       },
       1, false},
      {"in place",
       [](DType d) {
         return TensorList{uniform({3, 4}, d, 1, -2, 2, false), uniform({4}, d, 2, 0.5, 2, false)};
       },
       [](const TensorList& x) {
         Tensor a = x[0].clone(), b = x[0].clone(), c = x[0].clone(), z = x[0].clone();
         a.add_(x[1], 2.0).sub_(0.5).mul_(x[1]).div_(3.0);
         b.sub_(x[1]).div_(x[1]).add_(1.0).mul_(-2.0);
         c.slice(1, 0, std::nullopt, 2).mul_(10.0);
         c.select(0, 1).copy_(x[1]);
         z.t().slice(0, 1, 3).fill_(7.0);
         Tensor w = x[0].clone();
         w.zero_();
         Tensor e = empty({4, 3}, TensorOptions(x[0].dtype(), x[0].device()));
         e.copy_(x[0].t());
         return TensorList{a, b, c, z, w, e};
       },
       1, false},
      {"in place on views, recorded (the base's history follows; a stale view regenerates)",
       [](DType d) {
         return TensorList{uniform({3, 4}, d, 3), uniform({4}, d, 4)};
       },
       [](const TensorList& x) {
         Tensor h = x[0] * 2.0;
         const Tensor early = h.slice(1, 1, 3);
         h.select(0, 1).mul_(x[1]);
         h.t().slice(0, 0, 4, 2).add_(x[1].slice(0, 0, 3).unsqueeze(0) * 0.5);
         Tensor buffer = zeros({2, 4}, TensorOptions(x[0].dtype(), x[0].device()));
         buffer.select(0, 1).copy_(x[1] * x[1]);
         return TensorList{h * h, early.exp(), buffer * x[0].slice(0, 0, 2)};
       },
       2},
  };
  return c;
}

}  // namespace metagrad::testing
