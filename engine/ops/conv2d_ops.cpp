// conv2d as one recorded op, and its input and weight gradients as two more, a family closed
// under differentiation (Note [conv2d adjoint family]). Each forward computes without history
// through public ops (unfold / fold and one matmul) and then records a single node that saves
// only its operands.
#include "engine/ops/conv2d_ops.hpp"

#include "engine/autograd/function.hpp"
#include "engine/grad_mode.hpp"
#include "engine/ops.hpp"

namespace metagrad::detail {
namespace {

// Which of a node's inputs need a gradient.
bool wants(const Node& self, size_t input) { return self.next_edges()[input].valid(); }

// `t` saved for a backward only when `needed` (the other operand of a bilinear op requires grad).
SavedTensor save_if(bool needed, const Tensor& t) {
  return needed ? SavedTensor(t, false) : SavedTensor();
}

// The output gradient [N, O, out_h, out_w] as the [O, N*L] matrix of the GEMMs (a copy).
Tensor grad_matrix(const Tensor& grad) {
  return reshape(permute(grad, {1, 0, 2, 3}),
                 {grad.size(1), grad.size(0) * grad.size(2) * grad.size(3)});
}

// The unfolded image x as the [K, N*L] matrix of the GEMMs (stored channel-major: a view).
Tensor column_matrix(const Tensor& x, const ConvGeometry& g) {
  const Tensor columns = unfold_columns(x, g, true);
  return reshape(permute(columns, {1, 0, 2}), {columns.size(1), x.size(0) * columns.size(2)});
}

}  // namespace

Tensor conv2d_op(const Tensor& x, const Tensor& weight, const Tensor& bias, const ConvGeometry& g) {
  const int64_t n = x.size(0), out_channels = weight.size(0);
  const int64_t k = x.size(1) * g.kernel_h * g.kernel_w;
  Tensor out;
  {
    NoGradGuard no_grad;
    // One [O, K] x [K, N*L] product for the whole batch; the columns die here.
    const Tensor product = matmul(reshape(weight, {out_channels, k}), column_matrix(x, g));
    const Tensor nchw =
        permute(reshape(product, {out_channels, n, g.out_h, g.out_w}), {1, 0, 2, 3});
    out = bias.defined() ? add(nchw, reshape(bias, {1, out_channels, 1, 1})) : nchw.contiguous();
  }
  if (needs_grad({&x, &weight, &bias})) {
    // d conv(x, W) + db = conv(dx, W) + conv(x, dW) + db
    //   =>  grad_x = fold(W^T G), grad_W = G unfold(x)^T, grad_b = sum_{n, y, x} G
    const SavedTensor saved_x = save_if(weight.requires_grad(), x);
    const SavedTensor saved_w = save_if(x.requires_grad(), weight);
    record("Conv2dBackward", {x, weight, bias}, {out},
           [saved_x, saved_w, g, height = x.size(2), width = x.size(3)](const TensorList& grads,
                                                                        Node& self) -> TensorList {
             const Tensor& grad = grads[0];
             Tensor gx, gw, gb;
             if (wants(self, 0))
               gx = conv2d_input_grad(grad, saved_w.unpack(self), height, width, g);
             if (wants(self, 1)) gw = conv2d_weight_grad(grad, saved_x.unpack(self), g);
             if (wants(self, 2)) gb = sum(grad, {0, 2, 3});
             return {gx, gw, gb};
           },
           {{"input", saved_x}, {"weight", saved_w}});
  }
  return out;
}

Tensor conv2d_input_grad(const Tensor& grad, const Tensor& weight, int64_t height, int64_t width,
                         const ConvGeometry& g) {
  const int64_t n = grad.size(0), out_channels = weight.size(0), l = g.out_h * g.out_w;
  const int64_t k = weight.size(1) * g.kernel_h * g.kernel_w;
  Tensor out;
  {
    NoGradGuard no_grad;
    // [K, O] x [O, N*L] -> columns [K, N, L], folded as [N, K, L] (permuted strides).
    const Tensor columns =
        matmul(transpose(reshape(weight, {out_channels, k}), 0, 1), grad_matrix(grad));
    out = fold_columns(permute(reshape(columns, {k, n, l}), {1, 0, 2}), height, width, g);
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
  const int64_t out_channels = grad.size(1), channels = x.size(1);
  Tensor out;
  {
    NoGradGuard no_grad;
    // [O, N*L] x [N*L, K]: the columns are recomputed (never saved) and die here.
    const Tensor product = matmul(grad_matrix(grad), transpose(column_matrix(x, g), 0, 1));
    out = reshape(product, {out_channels, channels, g.kernel_h, g.kernel_w});
  }
  if (needs_grad(grad, x)) {
    // d (G unfold(x)^T) = dG unfold(x)^T + G unfold(dx)^T
    //   =>  grad_G = conv(x, H), grad_x = fold(H^T G)
    const SavedTensor saved_grad = save_if(x.requires_grad(), grad);
    const SavedTensor saved_x = save_if(grad.requires_grad(), x);
    record("Conv2dWeightGradBackward", {grad, x}, {out},
           [saved_grad, saved_x, g, height = x.size(2), width = x.size(3)](
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
