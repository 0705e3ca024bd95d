// adamax, AdaMax and MetaAdaMax: their options' defaults against TorchOpt 0.7.3's signatures (the
// numbers are tested by the golden cases and tests/optim/*_test.cpp).
#include "tests/optim/optimizers/signature.hpp"
#include "tests/support/catch.hpp"

namespace {

using namespace metagrad;
using namespace metagrad::testing;

TEST_CASE("adamax, AdaMax and MetaAdaMax have TorchOpt's defaults", "[optim][defaults]") {
  // torchopt.adamax(lr=1e-3, betas=(0.9, 0.999), eps=1e-6, weight_decay=0.0, *,
  //                moment_requires_grad=False), AdaMax
  CHECK(signature_mismatch<AdaMaxOptions>(1e-3, std::pair{0.9, 0.999}, 1e-6, 0.0, false).empty());
  // torchopt.MetaAdaMax(module, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, *,
  //                    moment_requires_grad=True)
  CHECK(
      signature_mismatch<MetaAdaMaxOptions>(2e-3, std::pair{0.9, 0.999}, 1e-8, 0.0, true).empty());
}

}  // namespace
