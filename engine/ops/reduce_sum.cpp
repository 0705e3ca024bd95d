#include <limits>

#include "engine/ops.hpp"
#include "engine/ops/reduce_support.hpp"

namespace metagrad {
namespace detail {

Dims reduced_shape(const Dims& shape, const Dims& dims, bool keepdim) {
  Dims out;
  int next = 0;
  for (int d = 0; d < shape.size(); ++d) {
    const bool reduced = next < dims.size() && dims[next] == d;
    if (reduced) ++next;
    if (!reduced) {
      out.push_back(shape[d]);
    } else if (keepdim) {
      out.push_back(1);
    }
  }
  return out;
}

Tensor reduce_forward(ReduceOp op, const Tensor& x, const Dims& dims, bool keepdim,
                      DType out_dtype) {
  const Dims kept = reduced_shape(x.shape(), dims, true);
  Tensor out = make_empty(kept, out_dtype, x.device());
  if (x.numel() == 0 && out.numel() > 0) {
    // The identity of the op: an empty sum is 0, an empty product 1, an empty any() false and
    // an empty all() true (max/min of other dtypes reject empty reductions before this point).
    const bool one = op == ReduceOp::Prod || (op == ReduceOp::Min && out_dtype == kBool);
    backend_of(out).fill(view_of(out), one ? 1.0 : 0.0);
  } else if (out.numel() > 0) {
    Tensor src = x.dtype() == out_dtype ? x : x.detach().to(out_dtype);
    backend_of(x).reduce(op, view_of(src), view_of(out));
  }
  if (!keepdim)
    out = make_view(out, reduced_shape(x.shape(), dims, false),
                    contiguous_strides(reduced_shape(x.shape(), dims, false)), 0);
  return out;
}

Tensor unsqueeze_reduced(const Tensor& g, const Dims& in_shape, const Dims& dims, bool keepdim) {
  if (keepdim) return g;
  return reshape(g, reduced_shape(in_shape, dims, true));
}

}  // namespace detail

Tensor sum(const Tensor& x, const Dims& dims_in, bool keepdim) {
  detail::check_defined(x, "sum");
  const Dims dims = reduction_dims(dims_in, x.dim(), "sum");
  const DType out_dtype = is_floating(x.dtype()) ? x.dtype() : kInt64;
  Tensor out = detail::reduce_forward(ReduceOp::Sum, x, dims, keepdim, out_dtype);
  if (is_floating(x.dtype()) && needs_grad(x)) {
    // d sum(x) = expand(dy)
    describe_attrs(
        record("SumBackward", {x}, {out},
               [in_shape = x.shape(), dims, keepdim](const TensorList& g, Node&) -> TensorList {
                 return {
                     expand(detail::unsqueeze_reduced(g[0], in_shape, dims, keepdim), in_shape)};
               }),
        {{"dim", dims}, {"keepdim", keepdim}});
  }
  return out;
}

Tensor mean(const Tensor& x, const Dims& dims_in, bool keepdim) {
  detail::check_floating(x, "mean");
  const Dims dims = reduction_dims(dims_in, x.dim(), "mean");
  Dims reduced;
  for (int64_t d : dims) reduced.push_back(x.shape()[d]);
  const int64_t count = numel_of(reduced, "mean");
  // mean = sum / count, composed so that every order of derivative comes from sum and mul.
  if (count == 0) return sum(x, dims, keepdim) * std::numeric_limits<double>::quiet_NaN();
  return sum(x, dims, keepdim) * (1.0 / static_cast<double>(count));
}

}  // namespace metagrad
