// Kind `optim`: replays the transformation of spec.chain on the case's recorded gradients, as
// gen_golden.py does with TorchOpt (update, then apply_updates, at every step), and compares the
// parameters after each step. Every case runs out of place (the generator's procedure) and in
// place under NoGradGuard (TorchOpt's default for plain training); a chain with adam or adamw
// runs both again with use_accelerated_op, which must give the same numbers.
#include <fmt/format.h>

#include <cstdint>
#include <string>

#include "engine/error.hpp"
#include "engine/grad_mode.hpp"
#include "optim/transform.hpp"
#include "tests/golden_check/golden_case.hpp"
#include "tests/optim/golden_spec.hpp"

namespace golden {

namespace {

void replay(const GoldenCase& golden_case, bool accelerated, bool inplace, Checker& check) {
  const nlohmann::json& spec = golden_case.spec;
  const auto steps = spec.at("steps").get<int64_t>();
  const auto num_params = spec.at("num_params").get<size_t>();
  const metagrad::GradientTransformation opt =
      metagrad::testing::transform_from_spec(spec, accelerated);

  TensorList params;
  for (const Tensor& p : golden_case.numbered("param", num_params)) params.push_back(p.clone());
  metagrad::OptState state = opt.init(params);
  for (int64_t k = 0; k < steps; ++k) {
    // Copies: an in-place update may write into the gradients, which the next variant reuses.
    TensorList grads;
    for (const Tensor& g : golden_case.numbered(fmt::format("grad.{}", k), num_params)) {
      grads.push_back(g.clone());
    }
    if (inplace) {
      metagrad::NoGradGuard no_grad;
      params = metagrad::apply_updates(params, opt.update(grads, state, params, true), true);
    } else {
      params = metagrad::apply_updates(params, opt.update(grads, state, params, false), false);
    }
    for (size_t j = 0; j < num_params; ++j) {
      const std::string label = fmt::format("expect.{}.{}", k, j);
      check.expect_close(label, params[j], golden_case.tensor(label));
    }
  }
}

}  // namespace

void run_optim(const GoldenCase& golden_case, Checker& check) {
  const auto num_params = golden_case.spec.at("num_params").get<size_t>();
  MG_CHECK(golden_case.numbered("param").size() == num_params,
           "golden case {}: spec.num_params is {} but the file holds {} tensors param.j",
           golden_case.name, num_params, golden_case.numbered("param").size());
  const bool has_adam = chain_has_adam(golden_case.spec.at("chain"));
  for (const bool accelerated : {false, true}) {
    if (accelerated && !has_adam) break;
    for (const bool inplace : {false, true}) {
      check.run_variant(fmt::format("{}{}", inplace ? "in-place" : "out-of-place",
                                    accelerated ? "+use_accelerated_op" : ""),
                        [&] { replay(golden_case, accelerated, inplace, check); });
    }
  }
}

}  // namespace golden
