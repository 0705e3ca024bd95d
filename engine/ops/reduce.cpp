#include <algorithm>
#include <cmath>
#include <limits>

#include "engine/grad_mode.hpp"
#include "engine/ops.hpp"
#include "engine/ops/reduce_support.hpp"

// Reductions beyond sum/mean (reduce_sum.cpp). The primitives here — amax/amin, max/min along a
// dim, prod, the p-norm and std's square root — record backwards written with public ops; var,
// logsumexp and the p = 1 / inf norms are compositions. Every one has derivatives of every order.
namespace metagrad {
namespace {

using detail::unsqueeze_reduced;

// Number of elements each output reduces.
int64_t reduced_count(const Tensor& x, const Dims& dims) {
  Dims reduced;
  for (int64_t d : dims) reduced.push_back(x.shape()[d]);
  return numel_of(reduced, "reduce");
}

// max/min of an empty set is undefined: throws naming the op, the dim and the shape.
void check_nonempty(const Tensor& x, const Dims& dims, const char* op) {
  for (int64_t d : dims)
    MG_CHECK(x.shape()[d] != 0,
             "{}: cannot reduce over dim {} of size 0 (input shape {}): the maximum/minimum of an "
             "empty set is undefined; reduce over non-empty dims only",
             op, d, shape_str(x.shape()));
}

// amax/amin over `dims` (empty: all), named `op` in errors.
Tensor extremum(const Tensor& x, const Dims& dims_in, bool keepdim, bool is_max, const char* op) {
  detail::check_defined(x, op);
  const Dims dims = reduction_dims(dims_in, x.dim(), op);
  check_nonempty(x, dims, op);
  if (x.dtype() == kBool) return is_max ? any(x, dims, keepdim) : all(x, dims, keepdim);
  Tensor out =
      detail::reduce_forward(is_max ? ReduceOp::Max : ReduceOp::Min, x, dims, keepdim, x.dtype());
  if (is_floating(x.dtype()) && needs_grad(x)) {
    // d amax(x) = [x == amax(x)] dy / (number of ties)
    describe_attrs(
        record(is_max ? "AmaxBackward" : "AminBackward", {x}, {out},
               [sx = SavedTensor(x, false), sy = SavedTensor(out, true), dims, keepdim](
                   const TensorList& g, Node& self) -> TensorList {
                 const Tensor in = sx.unpack(self);
                 const Tensor y = unsqueeze_reduced(sy.unpack(self), in.shape(), dims, keepdim);
                 const Tensor hit = eq(in, y);
                 // At least 1, so that a slice without hits (a NaN result) divides safely.
                 const Tensor ties = clamp(sum(hit.to(in.dtype()), dims, true), 1.0, std::nullopt);
                 const Tensor gk = unsqueeze_reduced(g[0], in.shape(), dims, keepdim);
                 return {where(hit, gk / ties, 0.0)};
               }),
        {{"dim", dims}, {"keepdim", keepdim}});
  }
  return out;
}

// (values, indices) along `dim`, named `op` in errors.
std::tuple<Tensor, Tensor> arg_extremum(const Tensor& x, int64_t dim_in, bool keepdim, bool is_max,
                                        const char* op) {
  detail::check_defined(x, op);
  const int dim = normalize_dim(dim_in, x.dim(), op);
  if (x.dim() == 0) {
    // A 0-d tensor is its own extremum, at index 0.
    return arg_extremum(reshape(x, {1}), 0, false, is_max, op);
  }
  MG_CHECK(x.dtype() != kBool,
           "{}: not supported for bool tensors (shape {}); convert with .to(kInt64) or use "
           "any()/all()",
           op, shape_str(x.shape()));
  MG_CHECK(x.shape()[dim] != 0,
           "{}: cannot reduce over dim {} of size 0 (input shape {}): the maximum/minimum of an "
           "empty set is undefined; reduce over a non-empty dim",
           op, dim, shape_str(x.shape()));
  Dims kept = x.shape();
  kept[dim] = 1;
  Tensor values = make_empty(kept, x.dtype(), x.device());
  Tensor indices = make_empty(kept, kInt64, x.device());
  if (values.numel() > 0)
    detail::backend_of(x).arg_reduce(is_max, detail::view_of(x), dim, detail::view_of(values),
                                     detail::view_of(indices));
  const Dims dims{dim};
  if (!keepdim) {
    const Dims squeezed = detail::reduced_shape(x.shape(), dims, false);
    values = make_view(values, squeezed, contiguous_strides(squeezed), 0);
    indices = make_view(indices, squeezed, contiguous_strides(squeezed), 0);
  }
  if (is_floating(x.dtype()) && needs_grad(x)) {
    // d max(x, dim) = one_hot(index along dim) dy
    describe_attrs(
        record(is_max ? "MaxBackward" : "MinBackward", {x}, {values},
               [si = SavedTensor(indices, false), in_shape = x.shape(), dims, keepdim](
                   const TensorList& g, Node& self) -> TensorList {
                 const Tensor index = unsqueeze_reduced(si.unpack(self), in_shape, dims, keepdim);
                 const int d = static_cast<int>(dims[0]);
                 Dims along(in_shape.size() - d, 1);
                 along[0] = in_shape[d];
                 const Tensor positions = reshape(arange(static_cast<double>(in_shape[d]),
                                                         TensorOptions(kInt64, index.device())),
                                                  along);
                 const Tensor gk = unsqueeze_reduced(g[0], in_shape, dims, keepdim);
                 return {where(eq(positions, index), gk, 0.0)};
               }),
        {{"dim", dims}, {"keepdim", keepdim}});
  }
  return {values, indices};
}

Tensor prod_over(const Tensor& x, const Dims& dims, bool keepdim);

// For each element, the product of the other elements of its slice over `dims` (same shape as
// x). Exact with zeros and differentiable: each dim expands to an n x n matrix whose diagonal is
// replaced by 1 and multiplied out by prod_over, O(n^2) in the dim's length.
Tensor prod_of_others(const Tensor& x, const Dims& dims) {
  if (dims.empty()) return ones_like(x);
  if (dims.size() > 1) {
    // others(x)[i] = (product of the slices i_0 is not in) * others within i's slice along d_0
    Dims rest;
    for (int i = 1; i < dims.size(); ++i) rest.push_back(dims[i]);
    const Tensor slice_products = prod_over(x, rest, true);
    return prod_of_others(slice_products, Dims{dims[0]}) * prod_of_others(x, rest);
  }
  const int d = static_cast<int>(dims[0]);
  const int64_t n = x.shape()[d];
  Dims square = x.shape();
  square.insert(d, n);
  // spread[..., i, j, ...] = x[..., j, ...], with 1 where i == j.
  Dims diag_shape(x.dim() - d + 1, 1);
  diag_shape[0] = n, diag_shape[1] = n;
  const Tensor diag = reshape(eye(n, n, TensorOptions(kBool, x.device())), diag_shape);
  const Tensor spread = where(diag, 1.0, expand(unsqueeze(x, d), square));
  return prod_over(spread, Dims{d + 1}, false);
}

// Product over normalized `dims`: the primitive behind prod().
Tensor prod_over(const Tensor& x, const Dims& dims, bool keepdim) {
  const DType out_dtype = is_floating(x.dtype()) ? x.dtype() : kInt64;
  Tensor out = detail::reduce_forward(ReduceOp::Prod, x, dims, keepdim, out_dtype);
  if (is_floating(x.dtype()) && needs_grad(x)) {
    // d prod(x) = prod(x) / x dy, or (product of the other elements) dy where x has zeros
    describe_attrs(
        record("ProdBackward", {x}, {out},
               [sx = SavedTensor(x, false), sy = SavedTensor(out, true), dims, keepdim](
                   const TensorList& g, Node& self) -> TensorList {
                 const Tensor in = sx.unpack(self);
                 const Tensor gk = unsqueeze_reduced(g[0], in.shape(), dims, keepdim);
                 bool has_zero;
                 {
                   NoGradGuard no_grad;
                   has_zero = any(eq(in, 0.0)).item<bool>();
                 }
                 if (!has_zero)
                   return {gk * unsqueeze_reduced(sy.unpack(self), in.shape(), dims, keepdim) / in};
                 return {gk * prod_of_others(in, dims)};
               }),
        {{"dim", dims}, {"keepdim", keepdim}});
  }
  return out;
}

// sqrt with gradient 0 where the result is 0 (std of a constant, as PyTorch).
Tensor sqrt_zero_subgradient(const Tensor& v) {
  Tensor out;
  {
    NoGradGuard no_grad;
    out = sqrt(v);
  }
  if (needs_grad(v)) {
    // d sqrt(v) = dv / (2 sqrt(v)), 0 where sqrt(v) == 0
    record("StdBackward", {v}, {out},
           [sy = SavedTensor(out, true)](const TensorList& g, Node& self) -> TensorList {
             const Tensor y = sy.unpack(self);
             const Tensor zero = eq(y, 0.0);
             return {where(zero, 0.0, g[0] / (where(zero, 1.0, y) * 2.0))};
           });
  }
  return out;
}

// The p-norm for p not in {0, 1, inf, -inf}, with PyTorch's subgradients at 0.
Tensor pnorm(const Tensor& x, double p, const Dims& dims, bool keepdim) {
  Tensor out;
  {
    NoGradGuard no_grad;
    out = p == 2.0 ? sqrt(sum(square(x), dims, keepdim))
                   : pow(sum(pow(abs(x), p), dims, keepdim), 1.0 / p);
  }
  if (needs_grad(x)) {
    // d ||x||_p = sign(x) |x|^(p-1) / ||x||^(p-1) dy, 0 where the norm is 0
    describe_attrs(
        record("NormBackward", {x}, {out},
               [sx = SavedTensor(x, false), sy = SavedTensor(out, true), p, dims, keepdim](
                   const TensorList& g, Node& self) -> TensorList {
                 const Tensor in = sx.unpack(self);
                 const Tensor norm = unsqueeze_reduced(sy.unpack(self), in.shape(), dims, keepdim);
                 const Tensor gk = unsqueeze_reduced(g[0], in.shape(), dims, keepdim);
                 const Tensor zero_norm = eq(norm, 0.0);
                 const Tensor safe_norm = where(zero_norm, 1.0, norm);
                 const Tensor scale =
                     where(zero_norm, 0.0, gk / (p == 2.0 ? safe_norm : pow(safe_norm, p - 1.0)));
                 Tensor scaled;
                 if (p == 2.0) {
                   scaled = in;
                 } else if (p > 2.0) {
                   scaled = in * pow(abs(in), p - 2.0);
                 } else if (p > 1.0) {
                   scaled = sign(in) * pow(abs(in), p - 1.0);
                 } else {
                   // |x|^(p-1) is infinite at 0 for p < 1: the subgradient there is 0.
                   const Tensor zero_x = eq(in, 0.0);
                   scaled =
                       where(zero_x, 0.0, sign(in) * pow(where(zero_x, 1.0, abs(in)), p - 1.0));
                 }
                 return {scaled * scale};
               }),
        {{"p", p}, {"dim", dims}, {"keepdim", keepdim}});
  }
  return out;
}

// all (Min) / any (Max) over bool views of x.
Tensor bool_reduce(const Tensor& x, const Dims& dims_in, bool keepdim, bool is_all,
                   const char* op) {
  detail::check_defined(x, op);
  const Dims dims = reduction_dims(dims_in, x.dim(), op);
  const Tensor truth = x.dtype() == kBool ? x : ne(x, 0.0);
  return detail::reduce_forward(is_all ? ReduceOp::Min : ReduceOp::Max, truth, dims, keepdim,
                                kBool);
}

}  // namespace

Tensor amax(const Tensor& x, const Dims& dims, bool keepdim) {
  return extremum(x, dims, keepdim, true, "amax");
}
Tensor amin(const Tensor& x, const Dims& dims, bool keepdim) {
  return extremum(x, dims, keepdim, false, "amin");
}
std::tuple<Tensor, Tensor> max(const Tensor& x, int64_t dim, bool keepdim) {
  return arg_extremum(x, dim, keepdim, true, "max");
}
std::tuple<Tensor, Tensor> min(const Tensor& x, int64_t dim, bool keepdim) {
  return arg_extremum(x, dim, keepdim, false, "min");
}
namespace {

Tensor arg_index(const Tensor& x, std::optional<int64_t> dim, bool keepdim, bool is_max,
                 const char* op) {
  detail::check_defined(x, op);
  NoGradGuard no_grad;
  const Tensor values = x.detach();
  if (dim) return std::get<1>(arg_extremum(values, *dim, keepdim, is_max, op));
  // Over every element: the index into the flattened tensor; keepdim keeps x's rank of 1s.
  const Tensor index = std::get<1>(arg_extremum(reshape(values, {-1}), 0, false, is_max, op));
  return keepdim ? reshape(index, Dims(x.dim(), 1)) : index;
}

}  // namespace

Tensor argmax(const Tensor& x, std::optional<int64_t> dim, bool keepdim) {
  return arg_index(x, dim, keepdim, true, "argmax");
}
Tensor argmin(const Tensor& x, std::optional<int64_t> dim, bool keepdim) {
  return arg_index(x, dim, keepdim, false, "argmin");
}

Tensor max(const Tensor& x) { return extremum(x, {}, false, true, "max"); }
Tensor min(const Tensor& x) { return extremum(x, {}, false, false, "min"); }

Tensor prod(const Tensor& x, std::optional<int64_t> dim, bool keepdim) {
  detail::check_defined(x, "prod");
  const Dims dims =
      dim ? reduction_dims(Dims{*dim}, x.dim(), "prod") : reduction_dims({}, x.dim(), "prod");
  return prod_over(x, dims, keepdim);
}

Tensor norm(const Tensor& x, double p, const Dims& dims_in, bool keepdim) {
  detail::check_floating(x, "norm");
  MG_CHECK(!std::isnan(p), "norm: the order p must be a number, got NaN (input shape {})",
           shape_str(x.shape()));
  const Dims dims = reduction_dims(dims_in, x.dim(), "norm");
  if (p == 1.0) return sum(abs(x), dims, keepdim);
  if (std::isinf(p)) return extremum(abs(x), dims, keepdim, p > 0, "norm");
  if (p != 0.0) return pnorm(x, p, dims, keepdim);
  // p = 0: the number of non-zero elements; piecewise constant, so the gradient is 0.
  Tensor out;
  {
    NoGradGuard no_grad;
    out = sum(ne(x, 0.0).to(x.dtype()), dims, keepdim);
  }
  if (needs_grad(x)) {
    // d ||x||_0 = 0
    record("NormBackward", {x}, {out},
           [shape = x.shape(), dtype = x.dtype()](const TensorList& g, Node&) -> TensorList {
             return {zeros(shape, TensorOptions(dtype, g[0].device()))};
           });
  }
  return out;
}

Tensor var(const Tensor& x, const Dims& dims_in, bool unbiased, bool keepdim) {
  detail::check_floating(x, "var");
  const Dims dims = reduction_dims(dims_in, x.dim(), "var");
  // As PyTorch: divide by max(0, N - correction); 0 gives inf or NaN.
  const int64_t divisor = std::max<int64_t>(0, reduced_count(x, dims) - (unbiased ? 1 : 0));
  const Tensor centered = x - mean(x, dims, true);
  return sum(square(centered), dims, keepdim) / static_cast<double>(divisor);
}

Tensor std(const Tensor& x, const Dims& dims, bool unbiased, bool keepdim) {
  detail::check_floating(x, "std");
  return sqrt_zero_subgradient(var(x, dims, unbiased, keepdim));
}

Tensor logsumexp(const Tensor& x, const Dims& dims_in, bool keepdim) {
  detail::check_floating(x, "logsumexp");
  const Dims dims = reduction_dims(dims_in, x.dim(), "logsumexp");
  // Shift by the (detached) max for stability; an infinite max shifts by 0 instead.
  Tensor shift;
  {
    NoGradGuard no_grad;
    const Dims kept = detail::reduced_shape(x.shape(), dims, true);
    if (reduced_count(x, dims) == 0) {
      shift = zeros(kept, TensorOptions(x.dtype(), x.device()));
    } else {
      const Tensor m = amax(x.detach(), dims, true);
      shift = where(isfinite(m), m, 0.0);
    }
  }
  const Tensor sum_exp = sum(exp(x - shift), dims, keepdim);
  return log(sum_exp) +
         (keepdim ? shift : reshape(shift, detail::reduced_shape(x.shape(), dims, false)));
}

Tensor all(const Tensor& x, const Dims& dims, bool keepdim) {
  return bool_reduce(x, dims, keepdim, true, "all");
}
Tensor any(const Tensor& x, const Dims& dims, bool keepdim) {
  return bool_reduce(x, dims, keepdim, false, "any");
}

}  // namespace metagrad
