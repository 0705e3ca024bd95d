#include "implicit/zero_order_module.hpp"

#include <string>
#include <utility>
#include <vector>

#include "engine/error.hpp"
#include "engine/ops.hpp"

namespace metagrad::nn {
namespace {

constexpr const char* kWho = "ZeroOrderGradientModule";

}  // namespace

ZeroOrderGradientModule::ZeroOrderGradientModule(ZeroOrderOptions options)
    : options_(std::move(options)) {
  metagrad::detail::check_zero_order_options(kWho, options_);
  if (options_.seed) generator_ = std::make_shared<Generator>(*options_.seed);
}

Tensor ZeroOrderGradientModule::forward(const Tensor& input) { return forward(TensorList{input}); }

Tensor ZeroOrderGradientModule::forward(const TensorList& inputs) {
  const TensorList params = parameters();
  MG_CHECK(!params.empty(),
           "{}: the module ({}) has no parameters; register the parameters to estimate gradients "
           "for",
           kWho, type_name());
  ZeroOrderOptions options = options_;
  options.distribution = SampleFn(
      [this](const Dims& shape, Generator& generator) { return sample(shape, generator); });
  const metagrad::detail::ZeroOrderEval at_input = [this, &inputs](const TensorList&) {
    return objective(inputs);
  };
  auto factory = [this, inputs, count = params.size()](size_t workers) {
    std::vector<metagrad::detail::ZeroOrderEval> evals;
    evals.reserve(workers);
    for (size_t w = 0; w < workers; ++w) {
      std::shared_ptr<Module> copy;
      try {
        copy = clone();
      } catch (const Error& e) {
        MG_FAIL(
            "{}: cannot copy the module for the perturbed evaluations: derive {} through "
            "nn::Cloneable<{}, nn::ZeroOrderGradientModule> ({})",
            kWho, type_name(), type_name(), e.what());
      }
      auto self = std::dynamic_pointer_cast<ZeroOrderGradientModule>(copy);
      MG_CHECK(self != nullptr, "{}: clone() of {} did not return a ZeroOrderGradientModule", kWho,
               type_name());
      MG_CHECK(self->parameters().size() == count,
               "{}: the copy of {} has {} parameters, the module {} (a tensor shared by several "
               "slots is copied once per slot)",
               kWho, type_name(), self->parameters().size(), count);
      evals.push_back([self, inputs](const TensorList& point) {
        self->set_parameters(point);
        return self->objective(inputs);
      });
    }
    return evals;
  };
  return metagrad::detail::zero_order_apply(kWho, "objective", at_input, std::move(factory), params,
                                            options,
                                            generator_ ? *generator_ : default_generator());
}

Tensor ZeroOrderGradientModule::sample(const Dims& shape, Generator& generator) const {
  if (const auto* fn = std::get_if<SampleFn>(&options_.distribution))
    return (*fn)(shape, generator);
  if (std::get<SampleDistribution>(options_.distribution) == SampleDistribution::normal)
    return randn(shape, kFloat64, &generator);
  // U(−√3, √3): mean 0, variance 1 (see SampleDistribution).
  return (rand(shape, kFloat64, &generator) * 2.0 - 1.0) * std::sqrt(3.0);
}

}  // namespace metagrad::nn
