// adaptive_avg_pool3d / 2d / 1d: output cell i of a dim of size n pooled to m covers
// [floor(i n / m), ceil((i + 1) n / m)). Each spatial dim's window sums are a product with a 0/1
// matrix A [m, n] (A[i, j] = 1 inside cell i's window), so the pooled sums are A_h x A_w^T: two
// matmuls, whose backward is the transposed product (DESIGN §3's adjoint pair), divided by the
// window sizes. Derivatives of every order, on every backend.
#include <algorithm>

#include "engine/ops.hpp"
#include "engine/ops/adaptive_window.hpp"
#include "engine/ops/op_support.hpp"

namespace metagrad {
namespace {

// The 0/1 window matrix [out, in] of one dim, and each window's size [out], in like's kind.
// Built in host tensors (not vectors), so an impossible size is a clear error naming `op`.
std::pair<Tensor, Tensor> window_matrix(int64_t in, int64_t out, const Tensor& like,
                                        const char* op) {
  Tensor membership = make_empty({out, in}, kFloat64, kCPU, op);
  Tensor sizes = make_empty({out}, kFloat64, kCPU, op);
  double* member = membership.data_ptr<double>();
  double* size = sizes.data_ptr<double>();
  std::fill(member, member + out * in, 0.0);
  for (int64_t i = 0; i < out; ++i) {
    const auto [start, end] = detail::adaptive_window(i, in, out);
    for (int64_t j = start; j < end; ++j) member[i * in + j] = 1.0;
    size[i] = static_cast<double>(end - start);
  }
  return {membership.to(like.dtype()).to(like.device()), sizes.to(like.dtype()).to(like.device())};
}

}  // namespace

Tensor adaptive_avg_pool2d(const Tensor& input, IntPair output_size) {
  detail::check_floating(input, "adaptive_avg_pool2d");
  MG_CHECK(input.dim() == 3 || input.dim() == 4,
           "adaptive_avg_pool2d: expected input [N, C, H, W] or unbatched [C, H, W], got shape {}",
           shape_str(input.shape()));
  MG_CHECK(output_size.h > 0 && output_size.w > 0,
           "adaptive_avg_pool2d: output_size must be positive, got ({}, {})", output_size.h,
           output_size.w);
  const int64_t height = input.size(-2), width = input.size(-1);
  MG_CHECK(height > 0 && width > 0,
           "adaptive_avg_pool2d: input shape {} has an empty spatial dim; pool a non-empty image",
           shape_str(input.shape()));
  const auto [rows, row_sizes] = window_matrix(height, output_size.h, input, "adaptive_avg_pool2d");
  const auto [cols, col_sizes] = window_matrix(width, output_size.w, input, "adaptive_avg_pool2d");
  // out[.., i, j] = Σ_{h in window i, w in window j} x[.., h, w] / |window i| / |window j|
  const Tensor sums = matmul(matmul(rows, input), transpose(cols, 0, 1));
  return sums / unsqueeze(row_sizes, 1) / col_sizes;
}

Tensor adaptive_avg_pool1d(const Tensor& input, int64_t output_size) {
  detail::check_floating(input, "adaptive_avg_pool1d");
  MG_CHECK(input.dim() == 2 || input.dim() == 3,
           "adaptive_avg_pool1d: expected input [N, C, L] or unbatched [C, L], got shape {}",
           shape_str(input.shape()));
  MG_CHECK(output_size > 0, "adaptive_avg_pool1d: output_size must be positive, got {}",
           output_size);
  MG_CHECK(input.size(-1) > 0, "adaptive_avg_pool1d: input shape {} has length 0",
           shape_str(input.shape()));
  const auto [cols, col_sizes] =
      window_matrix(input.size(-1), output_size, input, "adaptive_avg_pool1d");
  return matmul(input, transpose(cols, 0, 1)) / col_sizes;
}

Tensor adaptive_avg_pool3d(const Tensor& input, std::array<int64_t, 3> output_size) {
  detail::check_floating(input, "adaptive_avg_pool3d");
  MG_CHECK(input.dim() == 4 || input.dim() == 5,
           "adaptive_avg_pool3d: expected input [N, C, D, H, W] or unbatched [C, D, H, W], got "
           "shape {}",
           shape_str(input.shape()));
  const auto [out_depth, out_height, out_width] = output_size;
  MG_CHECK(out_depth > 0 && out_height > 0 && out_width > 0,
           "adaptive_avg_pool3d: output_size must be positive, got ({}, {}, {})", out_depth,
           out_height, out_width);
  const int ndim = input.dim();
  const int64_t depth = input.size(-3), height = input.size(-2), width = input.size(-1);
  MG_CHECK(depth > 0 && height > 0 && width > 0,
           "adaptive_avg_pool3d: input shape {} has an empty spatial dim; pool a non-empty volume",
           shape_str(input.shape()));
  const auto [planes, plane_sizes] = window_matrix(depth, out_depth, input, "adaptive_avg_pool3d");
  const auto [rows, row_sizes] = window_matrix(height, out_height, input, "adaptive_avg_pool3d");
  const auto [cols, col_sizes] = window_matrix(width, out_width, input, "adaptive_avg_pool3d");
  // The depth windows first, over [.., D, H * W]; then the plane windows as adaptive_avg_pool2d.
  Dims planes_flat = input.shape();
  planes_flat.pop_back();
  planes_flat[ndim - 2] = height * width;
  Dims pooled_shape = input.shape();
  pooled_shape[ndim - 3] = out_depth;
  const Tensor depth_sums = matmul(planes, input.reshape(planes_flat)).reshape(pooled_shape);
  const Tensor sums = matmul(matmul(rows, depth_sums), transpose(cols, 0, 1));
  return sums / plane_sizes.reshape({out_depth, 1, 1}) / unsqueeze(row_sizes, 1) / col_sizes;
}

}  // namespace metagrad
