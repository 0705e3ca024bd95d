// interpolate (torch.nn.functional.interpolate). Every mode but area is separable: along each
// spatial dim, output cell i is a weighted sum of a few input cells (1 for nearest, 2 for linear,
// 4 for cubic), so the op is, per dim, Σ_t w_t[i] · index_select(x, dim, idx_t)[i]: index_select
// (backward index_add, its adjoint) and products, with derivatives of every order on every
// backend. Dims are taken last to first, which adds the terms in PyTorch's CPU order (the inner
// dim's sum inside the outer one's). The source indices and weights follow ATen's UpSample.h
// exactly, in float for float32 and double for float64 as ATen's opmath type (nearest indices in
// float for both, as ATen), so the same cells are picked and the weights are bit-equal. Area
// mode is adaptive average pooling, as in PyTorch.
#include <cmath>
#include <string>
#include <vector>

#include "engine/nn/functional.hpp"
#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"

namespace metagrad {

namespace detail {
std::string_view interpolate_mode_name(InterpolateMode mode) {
  switch (mode) {
    case InterpolateMode::Nearest:
      return "nearest";
    case InterpolateMode::NearestExact:
      return "nearest-exact";
    case InterpolateMode::Linear:
      return "linear";
    case InterpolateMode::Bilinear:
      return "bilinear";
    case InterpolateMode::Bicubic:
      return "bicubic";
    case InterpolateMode::Trilinear:
      return "trilinear";
    case InterpolateMode::Area:
      return "area";
  }
  return "?";
}
}  // namespace detail

namespace {

// The input rank a mode needs (0: any of 3, 4, 5).
int required_rank(InterpolateMode mode) {
  switch (mode) {
    case InterpolateMode::Linear:
      return 3;
    case InterpolateMode::Bilinear:
    case InterpolateMode::Bicubic:
      return 4;
    case InterpolateMode::Trilinear:
      return 5;
    default:
      return 0;
  }
}

bool is_interpolating(InterpolateMode mode) {
  return mode == InterpolateMode::Linear || mode == InterpolateMode::Bilinear ||
         mode == InterpolateMode::Bicubic || mode == InterpolateMode::Trilinear;
}

// One value per spatial dim: `values` has one (for all) or `spatial` of them.
template <typename V>
std::vector<V> per_dim(const std::vector<V>& values, int spatial, const char* what,
                       const Tensor& input) {
  MG_CHECK(values.size() == 1 || values.size() == static_cast<size_t>(spatial),
           "interpolate: {} has {} values but input of shape {} has {} spatial dims; give one "
           "value or one per spatial dim",
           what, values.size(), shape_str(input.shape()), spatial);
  return values.size() == 1 ? std::vector<V>(spatial, values[0]) : values;
}

// ATen's compute_scales_value: 1 / scale_factor when one is used, else in / out.
template <typename T>
T source_scale(int64_t in, int64_t out, std::optional<double> scale_factor) {
  return scale_factor ? static_cast<T>(1.0 / *scale_factor)
                      : static_cast<T>(in) / static_cast<T>(out);
}

// The taps of one spatial dim: output cell i reads index[t, i] with weight[t, i], t < count.
// Unweighted (nearest) taps have one tap of weight 1.
struct DimTaps {
  int count = 1;
  Tensor index;   // int64 [count, out]
  Tensor weight;  // input dtype [count, out]; undefined when unweighted

  DimTaps() = default;
  // Host tables for `count` taps of `out` cells, weighted in `dtype` unless `weighted` is false.
  DimTaps(int taps, int64_t out, DType dtype, bool weighted)
      : count(taps),
        index(make_empty({taps, out}, kInt64, kCPU, "interpolate")),
        weight(weighted ? make_empty({taps, out}, dtype, kCPU, "interpolate") : Tensor()) {}
};

DimTaps nearest_taps(int64_t in, int64_t out, std::optional<double> scale_factor, bool exact) {
  DimTaps taps(1, out, kInt64, false);
  int64_t* index = taps.index.data_ptr<int64_t>();
  const float scale = source_scale<float>(in, out, scale_factor);
  for (int64_t i = 0; i < out; ++i) {
    if (exact) {
      // (i + 0.5) in double times the float scale, floored in float (ATen's expression).
      index[i] = static_cast<int64_t>(std::floor(static_cast<float>((i + 0.5) * scale)));
    } else if (out == in) {
      index[i] = i;
    } else if (out == 2 * in) {
      index[i] = i >> 1;
    } else {
      index[i] = static_cast<int64_t>(std::floor(static_cast<float>(i) * scale));
    }
    index[i] = std::min(index[i], in - 1);
  }
  return taps;
}

// ATen's area_pixel_compute_scale and area_pixel_compute_source_index.
template <typename T>
T source_position(int64_t in, int64_t out, int64_t i, std::optional<double> scale_factor,
                  bool align_corners, bool cubic) {
  if (align_corners) {
    const T scale = out > 1 ? static_cast<T>(in - 1) / static_cast<T>(out - 1) : T(0);
    return scale * static_cast<T>(i);
  }
  const T scale = source_scale<T>(in, out, scale_factor);
  const T position = scale * (static_cast<T>(i) + T(0.5)) - T(0.5);
  return !cubic && position < T(0) ? T(0) : position;
}

template <typename T>
DimTaps linear_taps(int64_t in, int64_t out, std::optional<double> scale_factor, bool align_corners,
                    DType dtype) {
  DimTaps taps(2, out, dtype, true);
  int64_t* index = taps.index.data_ptr<int64_t>();
  T* weight = taps.weight.template data_ptr<T>();
  for (int64_t i = 0; i < out; ++i) {
    const T position = source_position<T>(in, out, i, scale_factor, align_corners, false);
    const int64_t first = static_cast<int64_t>(position);
    const T far = position - static_cast<T>(first);
    index[i] = first;
    index[out + i] = first + (first < in - 1 ? 1 : 0);
    weight[i] = T(1) - far;
    weight[out + i] = far;
  }
  return taps;
}

// Keys' cubic convolution kernel with A = -0.75 (ATen's get_cubic_upsample_coefficients).
template <typename T>
void cubic_coefficients(T t, T coefficients[4]) {
  const T a = T(-0.75);
  const auto near = [a](T x) { return ((a + 2) * x - (a + 3)) * x * x + 1; };
  const auto far = [a](T x) { return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a; };
  // The distances t + 1, t, 1 - t and (1 - t) + 1, rounded as ATen rounds them.
  const T opposite = T(1) - t;
  coefficients[0] = far(t + T(1));
  coefficients[1] = near(t);
  coefficients[2] = near(opposite);
  coefficients[3] = far(opposite + T(1));
}

template <typename T>
DimTaps cubic_taps(int64_t in, int64_t out, std::optional<double> scale_factor, bool align_corners,
                   DType dtype) {
  DimTaps taps(4, out, dtype, true);
  int64_t* index = taps.index.data_ptr<int64_t>();
  T* weight = taps.weight.template data_ptr<T>();
  for (int64_t i = 0; i < out; ++i) {
    const T position = source_position<T>(in, out, i, scale_factor, align_corners, true);
    const int64_t base = static_cast<int64_t>(std::floor(position));
    T coefficients[4];
    cubic_coefficients<T>(position - static_cast<T>(base), coefficients);
    for (int t = 0; t < 4; ++t) {
      index[t * out + i] = std::clamp<int64_t>(base - 1 + t, 0, in - 1);
      weight[t * out + i] = coefficients[t];
    }
  }
  return taps;
}

DimTaps taps_for(InterpolateMode mode, int64_t in, int64_t out, std::optional<double> scale_factor,
                 bool align_corners, DType dtype) {
  const bool is_double = dtype == kFloat64;
  switch (mode) {
    case InterpolateMode::Nearest:
    case InterpolateMode::NearestExact:
      return nearest_taps(in, out, scale_factor, mode == InterpolateMode::NearestExact);
    case InterpolateMode::Bicubic:
      return is_double ? cubic_taps<double>(in, out, scale_factor, align_corners, dtype)
                       : cubic_taps<float>(in, out, scale_factor, align_corners, dtype);
    default:
      return is_double ? linear_taps<double>(in, out, scale_factor, align_corners, dtype)
                       : linear_taps<float>(in, out, scale_factor, align_corners, dtype);
  }
}

// x along `dim` through the taps: Σ_t weight[t] · index_select(x, dim, index[t]).
Tensor apply_taps(const Tensor& x, int dim, const DimTaps& taps) {
  const int64_t out = taps.index.size(1);
  Dims weight_shape;
  weight_shape.push_back(out);
  for (int d = dim + 1; d < x.dim(); ++d) weight_shape.push_back(1);
  const Tensor index = taps.index.to(x.device());
  const Tensor weight = taps.weight.defined() ? taps.weight.to(x.device()) : Tensor();
  Tensor result;
  for (int t = 0; t < taps.count; ++t) {
    Tensor term = index_select(x, dim, index.select(0, t));
    if (weight.defined()) term = term * weight.select(0, t).reshape(weight_shape);
    result = result.defined() ? result + term : term;
  }
  return result;
}

}  // namespace

Tensor interpolate(const Tensor& input, const InterpolateOptions& options) {
  detail::check_floating(input, "interpolate");
  const InterpolateMode mode = options.mode;
  MG_CHECK(input.dim() >= 3 && input.dim() <= 5,
           "interpolate: expected input [N, C, *spatial] with 1 to 3 spatial dims, got shape {}",
           shape_str(input.shape()));
  const int rank = required_rank(mode);
  MG_CHECK(rank == 0 || rank == input.dim(),
           "interpolate: got {}-D input of shape {}, but {} mode needs {}-D input", input.dim(),
           shape_str(input.shape()), detail::interpolate_mode_name(mode), rank);
  MG_CHECK(!options.align_corners || is_interpolating(mode),
           "interpolate: align_corners can only be set with the interpolating modes linear, "
           "bilinear, bicubic and trilinear (mode is {}); leave it unset",
           detail::interpolate_mode_name(mode));
  MG_CHECK(options.size.empty() != options.scale_factor.empty(),
           "interpolate: give exactly one of size and scale_factor (got {})",
           options.size.empty() ? "neither" : "both");
  MG_CHECK(options.size.empty() || !options.recompute_scale_factor.value_or(false),
           "interpolate: recompute_scale_factor is not meaningful with an explicit size; give "
           "scale_factor instead");
  const int spatial = input.dim() - 2;
  std::vector<int64_t> out_sizes;
  std::vector<std::optional<double>> scales(spatial);
  if (!options.size.empty()) {
    out_sizes = per_dim(options.size, spatial, "size", input);
  } else {
    const std::vector<double> factors =
        per_dim(options.scale_factor, spatial, "scale_factor", input);
    const bool recompute = options.recompute_scale_factor.value_or(false);
    for (int d = 0; d < spatial; ++d) {
      MG_CHECK(std::isfinite(factors[d]) && factors[d] > 0,
               "interpolate: scale_factor must be positive and finite, got {}", factors[d]);
      const double size = std::floor(static_cast<double>(input.size(d + 2)) * factors[d]);
      MG_CHECK(size < 9.2e18, "interpolate: scale_factor {} makes dim {} of size {} too large",
               factors[d], d + 2, input.size(d + 2));
      out_sizes.push_back(static_cast<int64_t>(size));
      if (!recompute) scales[d] = factors[d];
    }
  }
  Dims out_shape = input.shape();
  for (int d = 0; d < spatial; ++d) {
    MG_CHECK(input.size(d + 2) > 0 && out_sizes[d] > 0,
             "interpolate: input and output sizes must be greater than 0, but input {} would "
             "give output spatial size {} in dim {}",
             shape_str(input.shape()), out_sizes[d], d + 2);
    out_shape[d + 2] = out_sizes[d];
  }
  storage_nbytes(out_shape, static_cast<int64_t>(element_size(input.dtype())),
                 dtype_name(input.dtype()), "interpolate");

  if (mode == InterpolateMode::Area) {
    if (spatial == 1) return adaptive_avg_pool1d(input, out_sizes[0]);
    if (spatial == 2) return adaptive_avg_pool2d(input, {out_sizes[0], out_sizes[1]});
    return adaptive_avg_pool3d(input, {out_sizes[0], out_sizes[1], out_sizes[2]});
  }
  const bool align_corners = options.align_corners.value_or(false);
  Tensor result = input;
  for (int d = spatial - 1; d >= 0; --d) {
    const int dim = d + 2;
    const int64_t in = input.size(dim);
    // A dim of unchanged size keeps its cells in nearest and linear modes (ATen's shortcut;
    // nearest-exact's shortcut holds only for the scale in / out).
    const bool keeps_cells = mode == InterpolateMode::NearestExact
                                 ? !scales[d].has_value()
                                 : mode != InterpolateMode::Bicubic;
    if (keeps_cells && in == out_sizes[d]) continue;
    result = apply_taps(result, dim,
                        taps_for(mode, in, out_sizes[d], scales[d], align_corners, input.dtype()));
  }
  // Every dim unchanged: a copy, never the input itself (as PyTorch's result).
  return result.is_same(input) ? input.clone() : result;
}

}  // namespace metagrad
