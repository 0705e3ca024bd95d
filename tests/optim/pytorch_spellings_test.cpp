// The PyTorch spellings TorchOpt exports next to its own (torchopt.Adagrad and torchopt.AdaGrad,
// ...): the same optimizer types under both names.
#include <type_traits>

#include "tests/support/helpers.hpp"

namespace {

using namespace metagrad;

TEST_CASE("PyTorch spellings name the same optimizers", "[optim][spellings]") {
  STATIC_REQUIRE(std::is_same_v<Adamax, AdaMax>);
  STATIC_REQUIRE(std::is_same_v<MetaAdamax, MetaAdaMax>);
  STATIC_REQUIRE(std::is_same_v<Adadelta, AdaDelta>);
  STATIC_REQUIRE(std::is_same_v<MetaAdadelta, MetaAdaDelta>);
  STATIC_REQUIRE(std::is_same_v<Adagrad, AdaGrad>);
  STATIC_REQUIRE(std::is_same_v<MetaAdagrad, MetaAdaGrad>);
  STATIC_REQUIRE(std::is_same_v<RMSprop, RMSProp>);
  STATIC_REQUIRE(std::is_same_v<MetaRMSprop, MetaRMSProp>);
}

TEST_CASE("Adagrad steps as AdaGrad", "[optim][spellings]") {
  Tensor p = tensor({1.0, -2.0}, kFloat64).requires_grad_(true);
  Adagrad opt({p}, {.lr = 0.1});
  square(p).sum().backward();
  opt.step();
  // The first AdaGrad step is -lr g / sqrt(g^2) = -lr sign(g) (eps 1e-10 aside), g = 2p.
  const std::vector<double> stepped = p.to_vector<double>();
  REQUIRE(stepped.size() == 2);
  CHECK(stepped[0] == Approx(0.9).epsilon(1e-9));
  CHECK(stepped[1] == Approx(-1.9).epsilon(1e-9));
}

}  // namespace
