// Kind `hvp`: the loss of spec.net on (x, y), its gradient with respect to the parameters and the
// Hessian-vector product H v, computed as the gradient of sum_j <grad_j, v_j> (double backward
// through a create_graph gradient), as torch.autograd.grad does in gen_golden.py.
#include <fmt/format.h>

#include <string>

#include "engine/autograd/engine.hpp"
#include "engine/ops.hpp"
#include "tests/golden_check/golden_case.hpp"
#include "tests/golden_check/nets.hpp"

namespace golden {

void run_hvp(const GoldenCase& golden_case, Checker& check) {
  metagrad::nn::Sequential net = make_net(golden_case.spec.at("net"), golden_case.device);
  const TensorList params = bind_parameters(net, golden_case.numbered("param"));
  const TensorList v = golden_case.numbered("v", params.size());

  const Tensor output = net(golden_case.tensor("x"));
  const Tensor loss =
      compute_loss(golden_case.spec.at("loss").get<std::string>(), output, golden_case.tensor("y"));
  const TensorList grads = metagrad::grad({loss}, params, {}, {.create_graph = true});
  // d/dθ sum_j <g_j(θ), v_j> = H v  (v is constant data)
  Tensor grad_dot_v = metagrad::sum(metagrad::mul(grads[0], v[0]));
  for (size_t j = 1; j < params.size(); ++j) {
    grad_dot_v = metagrad::add(grad_dot_v, metagrad::sum(metagrad::mul(grads[j], v[j])));
  }
  // A parameter that no gradient depends on (a net linear in it) has H v = 0: allow_unused.
  const TensorList hvp = metagrad::grad({grad_dot_v}, params, {}, {.allow_unused = true});

  check.expect_close("expect.loss", loss, golden_case.tensor("expect.loss"));
  for (size_t j = 0; j < params.size(); ++j) {
    check.expect_close(fmt::format("expect.grad.{}", j), grads[j],
                       golden_case.tensor(fmt::format("expect.grad.{}", j)));
    const Tensor hv_j = hvp[j].defined() ? hvp[j] : metagrad::zeros_like(params[j]);
    check.expect_close(fmt::format("expect.hvp.{}", j), hv_j,
                       golden_case.tensor(fmt::format("expect.hvp.{}", j)));
  }
}

}  // namespace golden
