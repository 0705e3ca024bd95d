#include "engine/backend/view_checks.hpp"

#include "engine/error.hpp"

namespace metagrad {

void check_matmul_views(const View& a, const View& b, const View& out) {
  MG_CHECK(a.ndim() == 3 && b.ndim() == 3 && out.ndim() == 3,
           "matmul kernel: expected 3-D views [batch, m, k] x [batch, k, n] -> [batch, m, n], got "
           "shapes {}, {} -> {}",
           shape_str(a.shape), shape_str(b.shape), shape_str(out.shape));
  const int64_t batch = out.shape[0];
  MG_CHECK(a.shape[1] == out.shape[1] && b.shape[2] == out.shape[2] && a.shape[2] == b.shape[1] &&
               (a.shape[0] == batch || a.shape[0] == 1) && (b.shape[0] == batch || b.shape[0] == 1),
           "matmul kernel: shapes {} x {} -> {} do not form a batched matrix product",
           shape_str(a.shape), shape_str(b.shape), shape_str(out.shape));
  MG_CHECK(a.dtype == b.dtype && a.dtype == out.dtype,
           "matmul kernel: operands must share a dtype, got {}, {} -> {}", dtype_name(a.dtype),
           dtype_name(b.dtype), dtype_name(out.dtype));
  MG_CHECK(out.strides == contiguous_strides(out.shape) || out.numel() == 0,
           "matmul kernel: the output view must be contiguous, got strides {} for shape {}",
           shape_str(out.strides), shape_str(out.shape));
  MG_CHECK(is_floating(a.dtype),
           "matmul: {} tensors are not supported (shapes {} and {}); convert both operands with "
           ".to(kFloat32) or .to(kFloat64)",
           dtype_name(a.dtype), shape_str(a.shape), shape_str(b.shape));
}

void check_window_views(const View& image, const View& columns, const ConvGeometry& g,
                        const char* kernel) {
  MG_CHECK(image.ndim() == 4 && columns.ndim() == 3,
           "{} kernel: expected an image view [N, C, H, W] and a column view [N, C*kh*kw, L], got "
           "shapes {} and {}",
           kernel, shape_str(image.shape), shape_str(columns.shape));
  MG_CHECK(columns.shape[0] == image.shape[0] &&
               columns.shape[1] == image.shape[1] * g.kernel_h * g.kernel_w &&
               columns.shape[2] == g.out_h * g.out_w && g.stride_h > 0 && g.stride_w > 0 &&
               g.dilation_h > 0 && g.dilation_w > 0,
           "{} kernel: image {} and columns {} do not match kernel ({}, {}), {} x {} positions, "
           "stride ({}, {}), dilation ({}, {})",
           kernel, shape_str(image.shape), shape_str(columns.shape), g.kernel_h, g.kernel_w,
           g.out_h, g.out_w, g.stride_h, g.stride_w, g.dilation_h, g.dilation_w);
  MG_CHECK(image.dtype == columns.dtype && is_floating(image.dtype),
           "{} kernel: expected float32 or float64 views of one dtype, got {} and {}", kernel,
           dtype_name(image.dtype), dtype_name(columns.dtype));
}

void check_max_pool_views(const View& in, const View& out_indices, const ConvGeometry& geometry) {
  MG_CHECK(in.ndim() == 4 && out_indices.ndim() == 3 && out_indices.dtype == DType::Int64 &&
               is_floating(in.dtype) && out_indices.shape[0] == in.shape[0] &&
               out_indices.shape[1] == in.shape[1] &&
               out_indices.shape[2] == geometry.out_h * geometry.out_w,
           "max_pool2d kernel: expected a float image [N, C, H, W] and a contiguous int64 index "
           "view [N, C, {}], got {} {} and {} {}",
           geometry.out_h * geometry.out_w, dtype_name(in.dtype), shape_str(in.shape),
           dtype_name(out_indices.dtype), shape_str(out_indices.shape));
}

void check_adam_param_slot(const AdamForwardSlot& slot, size_t index) {
  if (slot.param == nullptr) return;
  MG_CHECK(slot.mu_out == slot.mu && slot.nu_out == slot.nu && slot.param != slot.g &&
               slot.param != slot.mu && slot.param != slot.nu,
           "fused adam: slot {} has a param but its moments are not updated in place or the param "
           "aliases g, mu or nu; a slot with a param needs mu_out == mu, nu_out == nu and a param "
           "buffer of its own",
           index);
}

}  // namespace metagrad
