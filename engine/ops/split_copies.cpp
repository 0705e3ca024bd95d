// detail::split_copies: a split recorded as one node whose backward concatenates (DESIGN §3's
// adjoint pair: split and cat).
#include "engine/ops/split_copies.hpp"

#include "engine/autograd/function.hpp"
#include "engine/grad_mode.hpp"
#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"

namespace metagrad {

TensorList detail::split_copies(const Tensor& x, int dim, const std::vector<int64_t>& sizes) {
  TensorList pieces;
  pieces.reserve(sizes.size());
  {
    NoGradGuard fresh_outputs;
    int64_t start = 0;
    for (const int64_t length : sizes) {
      pieces.push_back(slice(x, dim, start, start + length).clone());
      start += length;
    }
  }
  if (needs_grad(x)) {
    // d split(x) = cat(dy_0, ..., dy_n) along dim
    describe_attrs(
        record("SplitCopiesBackward", TensorList{x}, pieces,
               [dim](const TensorList& g, Node&) -> TensorList { return {cat(g, dim)}; }),
        {{"dim", int64_t{dim}}});
  }
  return pieces;
}

}  // namespace metagrad
