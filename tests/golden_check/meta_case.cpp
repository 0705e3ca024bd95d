// Kind `meta`: MAML through TorchOpt's MetaOptimizer, as gen_golden.py runs it. spec.inner_steps
// times: loss = L(net(support_x), support_y), MetaOptimizer::step(loss) (differentiable, out of
// place); then the query loss of the adapted net and its gradient with respect to the initial
// parameters, back through every inner step. An adam or adamw inner optimizer runs a second time
// with use_accelerated_op (its fused step and fused backward), which must give the same numbers.
#include <fmt/format.h>

#include <cstdint>
#include <string>

#include "engine/autograd/engine.hpp"
#include "engine/ops.hpp"
#include "optim/meta/meta_optimizer.hpp"
#include "optim/optimizers.hpp"
#include "tests/golden_check/golden_case.hpp"
#include "tests/golden_check/nets.hpp"
#include "tests/optim/golden_spec.hpp"

namespace golden {

namespace {

void run_maml(const GoldenCase& golden_case, bool accelerated, Checker& check) {
  const nlohmann::json& spec = golden_case.spec;
  const auto loss_name = spec.at("loss").get<std::string>();
  const auto inner_steps = spec.at("inner_steps").get<int64_t>();
  const nlohmann::json chain = {{"chain", nlohmann::json::array({spec.at("inner")})}};

  metagrad::nn::Sequential net = make_net(spec.at("net"), golden_case.device);
  const TensorList theta0 = bind_parameters(net, golden_case.numbered("param"));
  metagrad::MetaOptimizer inner_opt(net,
                                    metagrad::testing::transform_from_spec(chain, accelerated));

  const Tensor& support_x = golden_case.tensor("support_x");
  const Tensor& support_y = golden_case.tensor("support_y");
  for (int64_t k = 0; k < inner_steps; ++k) {
    const Tensor loss = compute_loss(loss_name, net(support_x), support_y);
    const std::string label = fmt::format("expect.inner_loss.{}", k);
    check.expect_close(label, loss, golden_case.tensor(label));
    inner_opt.step(loss);
  }
  const TensorList adapted = net.parameters();
  const Tensor query_loss =
      compute_loss(loss_name, net(golden_case.tensor("query_x")), golden_case.tensor("query_y"));
  // A parameter the query loss does not reach (none in these nets) would have a zero gradient.
  const TensorList meta_grads = metagrad::grad({query_loss}, theta0, {}, {.allow_unused = true});

  for (size_t j = 0; j < theta0.size(); ++j) {
    const std::string label = fmt::format("expect.adapted.{}", j);
    check.expect_close(label, adapted[j], golden_case.tensor(label));
  }
  check.expect_close("expect.query_loss", query_loss, golden_case.tensor("expect.query_loss"));
  for (size_t j = 0; j < theta0.size(); ++j) {
    const std::string label = fmt::format("expect.meta_grad.{}", j);
    const Tensor g = meta_grads[j].defined() ? meta_grads[j] : metagrad::zeros_like(theta0[j]);
    check.expect_close(label, g, golden_case.tensor(label));
  }
}

}  // namespace

void run_meta(const GoldenCase& golden_case, Checker& check) {
  const bool has_adam = chain_has_adam(nlohmann::json::array({golden_case.spec.at("inner")}));
  if (!has_adam) {
    run_maml(golden_case, false, check);
    return;
  }
  for (const bool accelerated : {false, true}) {
    check.run_variant(accelerated ? "use_accelerated_op" : "plain",
                      [&] { run_maml(golden_case, accelerated, check); });
  }
}

}  // namespace golden
