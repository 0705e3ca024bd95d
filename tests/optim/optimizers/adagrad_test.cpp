// adagrad, AdaGrad and MetaAdaGrad: their options' defaults against TorchOpt 0.7.3's signatures
// (the numbers are tested by the golden cases and tests/optim/*_test.cpp).
#include "tests/optim/optimizers/signature.hpp"
#include "tests/support/catch.hpp"

namespace {

using namespace metagrad;
using namespace metagrad::testing;

TEST_CASE("adagrad, AdaGrad and MetaAdaGrad have TorchOpt's defaults", "[optim][defaults]") {
  // torchopt.adagrad(lr=1e-2, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0,
  //                 eps=1e-10, *, maximize=False), AdaGrad
  CHECK(signature_mismatch<AdaGradOptions>(1e-2, 0.0, 0.0, 0.0, 1e-10, false).empty());
  // torchopt.MetaAdaGrad(module, the same defaults as adagrad)
  CHECK(signature_mismatch<MetaAdaGradOptions>(1e-2, 0.0, 0.0, 0.0, 1e-10, false).empty());
}

}  // namespace
