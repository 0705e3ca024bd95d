// adadelta, AdaDelta and MetaAdaDelta: their options' defaults against TorchOpt 0.7.3's signatures
// (the numbers are tested by the golden cases and tests/optim/*_test.cpp).
#include "tests/optim/optimizers/signature.hpp"
#include "tests/support/catch.hpp"

namespace {

using namespace metagrad;
using namespace metagrad::testing;

TEST_CASE("adadelta, AdaDelta and MetaAdaDelta have TorchOpt's defaults", "[optim][defaults]") {
  // torchopt.adadelta(lr=1e-3, rho=0.9, eps=1e-6, weight_decay=0.0, *,
  //                  moment_requires_grad=False), AdaDelta
  CHECK(signature_mismatch<AdaDeltaOptions>(1e-3, 0.9, 1e-6, 0.0, false).empty());
  // torchopt.MetaAdaDelta(module, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0, *,
  //                     moment_requires_grad=True)
  CHECK(signature_mismatch<MetaAdaDeltaOptions>(1.0, 0.9, 1e-6, 0.0, true).empty());
}

}  // namespace
