// conv2d as one recorded op, and its input and weight gradients as two more, a family closed
// under differentiation (Note [conv2d adjoint family]). Each forward computes without history
// through public ops (unfold / fold and one matmul) and then records a single node that saves
// only its operands.
#include "engine/ops/conv2d_ops.hpp"

#include "engine/autograd/function.hpp"
#include "engine/grad_mode.hpp"
#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"

namespace metagrad::detail {
namespace {

// Which of a node's inputs need a gradient.
bool wants(const Node& self, size_t input) { return self.next_edges()[input].valid(); }

// `t` saved for a backward only when `needed` (the other operand of a bilinear op requires grad).
SavedTensor save_if(bool needed, const Tensor& t) {
  return needed ? SavedTensor(t, false) : SavedTensor();
}

// Task-batched operands (Note [task-batched conv]) carry a leading task dim T: x [T, N, C, H, W],
// weight [T, O, C, kh, kw], grad [T, N, O, out_h, out_w]; every matrix below then gains that dim
// and each product is one batched GEMM over the tasks.
bool is_task_batched(const Tensor& image) { return image.dim() == 5; }

// The output gradient [N, O, out_h, out_w] as the [O, N*L] matrix of the GEMMs (a copy), or
// [T, O, N*L] for task-batched G.
Tensor grad_matrix(const Tensor& grad) {
  if (!is_task_batched(grad))
    return reshape(permute(grad, {1, 0, 2, 3}),
                   {grad.size(1), grad.size(0) * grad.size(2) * grad.size(3)});
  return reshape(permute(grad, {0, 2, 1, 3, 4}),
                 {grad.size(0), grad.size(2), grad.size(1) * grad.size(3) * grad.size(4)});
}

// The unfolded image x as the [K, N*L] matrix of the GEMMs (stored channel-major: a view), or
// [T, K, N*L] for task-batched x (a view too): the tasks' images unfold as one batch of T*N, or,
// when x is stored task-channel-major (Note [task-batched conv]) and so cannot merge T and N
// without a copy, as N images of T*C channels, whose channel-major columns [T*K, N, L] are the
// [T, K, N*L] matrices as they stand.
Tensor column_matrix(const Tensor& x, const ConvGeometry& g) {
  if (!is_task_batched(x)) {
    const Tensor columns = unfold_columns(x, g, true);
    return reshape(permute(columns, {1, 0, 2}), {columns.size(1), x.size(0) * columns.size(2)});
  }
  const int64_t tasks = x.size(0), n = x.size(1), channels = x.size(2);
  const Dims image_batch{tasks * n, channels, x.size(3), x.size(4)};
  const Tensor tasks_as_channels = permute(x, {1, 0, 2, 3, 4});  // [N, T, C, H, W]
  const Dims channel_batch{n, tasks * channels, x.size(3), x.size(4)};
  if (!reshape_is_view(x, image_batch) && reshape_is_view(tasks_as_channels, channel_batch)) {
    const Tensor columns = unfold_columns(reshape(tasks_as_channels, channel_batch), g, true);
    const int64_t k = columns.size(1) / tasks, l = columns.size(2);
    return reshape(permute(columns, {1, 0, 2}), {tasks, k, n * l});
  }
  const Tensor columns = unfold_columns(reshape(x, image_batch), g, true);
  const int64_t k = columns.size(1), l = columns.size(2);
  return permute(reshape(permute(columns, {1, 0, 2}), {k, tasks, n * l}), {1, 0, 2});
}

// Note [chunked conv columns]
// The unfolded columns of a large batch ([K, N*L], K = C*kh*kw) outgrow the caches: a forward
// that unfolds the whole batch and then multiplies writes and reads them through memory. Instead
// the batch is convolved kColumnChunkBytes of columns at a time, a few images per chunk, so that
// each chunk's columns are still in cache when the GEMM reads them. The result is the same (each
// output column is the same dot products; the weight gradient sums the chunks' products). On 2
// cores the conv2d forward of [64, 24, 32, 32] by a 3 x 3 kernel to 16 channels took 20 ms as one
// product and 6.9 ms in chunks (PyTorch's oneDNN direct convolution: 4.7 ms). Per-task operands
// (Note [task-batched conv]) keep one batched product.
constexpr int64_t kColumnChunkBytes = int64_t{2} << 20;

// The number of images of `channels` channels whose columns fill about kColumnChunkBytes (at
// least 1).
int64_t images_per_chunk(int64_t channels, const ConvGeometry& g, DType dtype) {
  const int64_t per_image = channels * g.kernel_h * g.kernel_w * g.out_h * g.out_w *
                            static_cast<int64_t>(element_size(dtype));
  return std::max<int64_t>(1, kColumnChunkBytes / std::max<int64_t>(per_image, 1));
}

// weight [O, C, kh, kw] as the [O, K] matrix, or [T, O, C, kh, kw] as [T, O, K] (a view).
Tensor weight_matrix(const Tensor& weight) {
  const int64_t k = weight.size(-3) * weight.size(-2) * weight.size(-1);
  if (weight.dim() == 4) return reshape(weight, {weight.size(0), k});
  return reshape(weight, {weight.size(0), weight.size(1), k});
}

}  // namespace

Tensor conv2d_op(const Tensor& x, const Tensor& weight, const Tensor& bias, const ConvGeometry& g) {
  const bool per_task = is_task_batched(x);
  const int64_t out_channels = weight.size(-4), n = x.size(-4);
  Tensor out;
  {
    NoGradGuard no_grad;
    // [O, K] x [K, N*L] products (per task, batched; a chunk of images at a time otherwise, Note
    // [chunked conv columns]); the columns die here.
    if (per_task) {
      const Tensor product = matmul(weight_matrix(weight), column_matrix(x, g));
      // Kept in the products' [T, O, N, L] memory order (Note [task-batched conv]): a permuted
      // [T, N, O, H, W], which the task-batched batch norm reads as [N, T*O, L] without a copy.
      const int64_t tasks = x.size(0);
      const Tensor per_channel = reshape(product, {tasks, out_channels, n, g.out_h, g.out_w});
      const Tensor biased = bias.defined()
                                ? add(per_channel, reshape(bias, {tasks, out_channels, 1, 1, 1}))
                                : per_channel;
      const Tensor nchw = permute(biased, {0, 2, 1, 3, 4});
      out = make_view(nchw, nchw.shape(), nchw.strides(), nchw.storage_offset());  // no view mark
    } else {
      // Contiguous [N, O, out_h, out_w] as PyTorch's: the bias add writes each chunk's permuted
      // product into a contiguous result (an elementwise op would keep the permuted layout).
      out = make_empty({n, out_channels, g.out_h, g.out_w}, x.dtype(), x.device(), "conv2d");
      const int64_t chunk = images_per_chunk(x.size(1), g, x.dtype());
      for (int64_t first = 0; first < n; first += chunk) {
        const int64_t count = std::min(chunk, n - first);
        const Tensor product =
            count == n
                ? matmul(weight_matrix(weight), column_matrix(x, g))
                : matmul(weight_matrix(weight), column_matrix(x.slice(0, first, first + count), g));
        const Tensor nchw =
            permute(reshape(product, {out_channels, count, g.out_h, g.out_w}), {1, 0, 2, 3});
        const Tensor target = count == n ? out : out.slice(0, first, first + count);
        if (bias.defined()) {
          backend_of(x).binary(BinaryOp::Add, view_of(nchw),
                               broadcast_view(reshape(bias, {1, out_channels, 1, 1}), nchw.shape()),
                               view_of(target));
        } else {
          backend_of(x).copy(view_of(nchw), view_of(target));
        }
      }
    }
  }
  if (needs_grad({&x, &weight, &bias})) {
    // d conv(x, W) + db = conv(dx, W) + conv(x, dW) + db
    //   =>  grad_x = fold(W^T G), grad_W = G unfold(x)^T, grad_b = sum_{n, y, x} G
    const SavedTensor saved_x = save_if(weight.requires_grad(), x);
    const SavedTensor saved_w = save_if(x.requires_grad(), weight);
    record("Conv2dBackward", {x, weight, bias}, {out},
           [saved_x, saved_w, g, height = x.size(-2), width = x.size(-1), per_task](
               const TensorList& grads, Node& self) -> TensorList {
             const Tensor& grad = grads[0];
             Tensor gx, gw, gb;
             if (wants(self, 0))
               gx = conv2d_input_grad(grad, saved_w.unpack(self), height, width, g);
             if (wants(self, 1)) gw = conv2d_weight_grad(grad, saved_x.unpack(self), g);
             if (wants(self, 2)) gb = per_task ? sum(grad, {1, 3, 4}) : sum(grad, {0, 2, 3});
             return {gx, gw, gb};
           },
           {{"input", saved_x}, {"weight", saved_w}});
  }
  return out;
}

Tensor conv2d_input_grad(const Tensor& grad, const Tensor& weight, int64_t height, int64_t width,
                         const ConvGeometry& g) {
  const int64_t n = grad.size(-4), l = g.out_h * g.out_w;
  const int64_t channels = weight.size(-3), k = channels * g.kernel_h * g.kernel_w;
  Tensor out;
  {
    NoGradGuard no_grad;
    // [K, O] x [O, N*L] -> columns [K, N, L], folded as [N, K, L] (permuted strides). Per task
    // the columns [T, K, N*L] are [N, T*K, L] as they stand: the tasks fold as channels of one
    // batch of N images with T*C channels (Note [task-batched conv]), without a copy.
    const int64_t tasks = is_task_batched(grad) ? grad.size(0) : 1;
    const Tensor w = weight_matrix(weight);
    const auto fold_images = [&](const Tensor& images_grad) {
      const int64_t count = images_grad.size(-4);
      const Tensor columns = matmul(transpose(w, -2, -1), grad_matrix(images_grad));
      return fold_columns(permute(reshape(columns, {tasks * k, count, l}), {1, 0, 2}), height,
                          width, g, is_task_batched(grad));
    };
    const int64_t chunk = is_task_batched(grad) ? n : images_per_chunk(channels, g, grad.dtype());
    if (chunk >= n) {
      out = fold_images(grad);
    } else {
      // A chunk of images at a time (Note [chunked conv columns]).
      out = make_empty({n, channels, height, width}, grad.dtype(), grad.device(), "conv2d");
      for (int64_t first = 0; first < n; first += chunk) {
        const int64_t last = std::min(n, first + chunk);
        backend_of(grad).copy(view_of(fold_images(grad.slice(0, first, last))),
                              view_of(out.slice(0, first, last)));
      }
    }
    if (is_task_batched(grad)) {
      const Tensor folded = out;
      const Tensor per_task =
          permute(reshape(folded, {n, tasks, channels, height, width}), {1, 0, 2, 3, 4});
      out = make_view(per_task, per_task.shape(), per_task.strides(),
                      per_task.storage_offset());  // no view mark
    }
  }
  if (needs_grad(grad, weight)) {
    // d fold(W^T G) = fold(dW^T G) + fold(W^T dG)  =>  grad_G = conv(H, W), grad_W = G unfold(H)^T
    const SavedTensor saved_grad = save_if(weight.requires_grad(), grad);
    const SavedTensor saved_w = save_if(grad.requires_grad(), weight);
    record("Conv2dInputGradBackward", {grad, weight}, {out},
           [saved_grad, saved_w, g](const TensorList& grads, Node& self) -> TensorList {
             const Tensor& h = grads[0];
             Tensor g_grad, g_w;
             if (wants(self, 0)) g_grad = conv2d_op(h, saved_w.unpack(self), Tensor(), g);
             if (wants(self, 1)) g_w = conv2d_weight_grad(saved_grad.unpack(self), h, g);
             return {g_grad, g_w};
           },
           {{"grad", saved_grad}, {"weight", saved_w}});
  }
  return out;
}

Tensor conv2d_weight_grad(const Tensor& grad, const Tensor& x, const ConvGeometry& g) {
  const int64_t out_channels = grad.size(-3), channels = x.size(-3);
  Tensor out;
  {
    NoGradGuard no_grad;
    // [O, N*L] x [N*L, K] (per task, batched): the columns are recomputed (never saved) and die
    // here.
    const int64_t n = x.size(-4);
    const int64_t chunk = is_task_batched(x) ? n : images_per_chunk(channels, g, x.dtype());
    Tensor product;
    for (int64_t first = 0; first < n; first += chunk) {
      // A chunk of images at a time (Note [chunked conv columns]), the products summed.
      const int64_t last = std::min(n, first + chunk);
      const Tensor images = chunk >= n ? x : x.slice(0, first, last);
      const Tensor images_grad = chunk >= n ? grad : grad.slice(0, first, last);
      const Tensor part =
          matmul(grad_matrix(images_grad), transpose(column_matrix(images, g), -2, -1));
      product = product.defined() ? product + part : part;
    }
    out = is_task_batched(x)
              ? reshape(product, {x.size(0), out_channels, channels, g.kernel_h, g.kernel_w})
              : reshape(product, {out_channels, channels, g.kernel_h, g.kernel_w});
  }
  if (needs_grad(grad, x)) {
    // d (G unfold(x)^T) = dG unfold(x)^T + G unfold(dx)^T
    //   =>  grad_G = conv(x, H), grad_x = fold(H^T G)
    const SavedTensor saved_grad = save_if(x.requires_grad(), grad);
    const SavedTensor saved_x = save_if(grad.requires_grad(), x);
    record("Conv2dWeightGradBackward", {grad, x}, {out},
           [saved_grad, saved_x, g, height = x.size(-2), width = x.size(-1)](
               const TensorList& grads, Node& self) -> TensorList {
             const Tensor& h = grads[0];
             Tensor g_grad, g_x;
             if (wants(self, 0)) g_grad = conv2d_op(saved_x.unpack(self), h, Tensor(), g);
             if (wants(self, 1))
               g_x = conv2d_input_grad(saved_grad.unpack(self), h, height, width, g);
             return {g_grad, g_x};
           },
           {{"grad", saved_grad}, {"input", saved_x}});
  }
  return out;
}

}  // namespace metagrad::detail
