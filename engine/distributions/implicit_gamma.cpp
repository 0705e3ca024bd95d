// Reparameterized gamma draws (Gamma, Beta and Dirichlet rsample): a draw moves with its
// concentration along the implicit gradient of the gamma CDF.
//
// The gradient formula is Note [implicit gamma gradient] in engine/ops/gamma_series.cpp.
#include "engine/autograd/custom_function.hpp"
#include "engine/distributions/distribution_support.hpp"
#include "engine/grad_mode.hpp"
#include "engine/ops.hpp"

namespace metagrad::detail {

Tensor standard_gamma_rsample(const Tensor& concentration, Generator* generator) {
  return custom_function(
      "StandardGamma", {concentration},
      [generator](CustomFunctionContext& ctx, const TensorList& inputs) {
        const Tensor draw = standard_gamma(inputs[0].contiguous(), generator);
        ctx.save_for_backward({draw, inputs[0]});
        return TensorList{draw};
      },
      [](CustomFunctionContext& ctx, const TensorList& grads) {
        const TensorList saved = ctx.saved_tensors();
        // d draw / da (Note [implicit gamma gradient])
        return TensorList{grads[0] * standard_gamma_grad(saved[0], saved[1])};
      })[0];
}

}  // namespace metagrad::detail
