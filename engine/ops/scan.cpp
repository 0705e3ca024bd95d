// cumsum and its adjoint, the reversed running sum; each is the other's backward (DESIGN §3).
#include "engine/ops/scan.hpp"

#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"

namespace metagrad {
namespace {

// Running sums of x along dim, from the start or (reverse) from the end.
Tensor scan(const Tensor& x, int64_t dim_in, bool reverse) {
  const char* op = "cumsum";
  detail::check_defined(x, op);
  if (x.dim() == 0) {
    normalize_dim(dim_in, 1, op);  // a 0-d tensor takes dim 0 or -1, as PyTorch
    return scan(reshape(x, {1}), 0, reverse).reshape({});
  }
  const int dim = normalize_dim(dim_in, x.dim(), op);
  const DType out_dtype = is_floating(x.dtype()) ? x.dtype() : kInt64;
  Tensor out = make_empty_for_operands(x.shape(), out_dtype, x.device(), {&x}, op);
  detail::backend_of(x).cumsum(detail::view_of(x), detail::view_of(out), dim, reverse);
  if (is_floating(x.dtype()) && needs_grad(x)) {
    // d cumsum(x) = reverse_cumsum(dy), and d reverse_cumsum(x) = cumsum(dy)
    describe_attrs(record(reverse ? "ReverseCumsumBackward" : "CumsumBackward", {x}, {out},
                          [dim, reverse](const TensorList& g, Node&) -> TensorList {
                            return {scan(g[0], dim, !reverse)};
                          }),
                   {{"dim", int64_t{dim}}});
  }
  return out;
}

}  // namespace

Tensor cumsum(const Tensor& x, int64_t dim) { return scan(x, dim, false); }

}  // namespace metagrad
