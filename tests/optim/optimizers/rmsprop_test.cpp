// rmsprop, RMSProp and MetaRMSProp: their options' defaults against TorchOpt 0.7.3's signatures
// (the numbers are tested by the golden cases and tests/optim/*_test.cpp).
#include "tests/optim/optimizers/signature.hpp"
#include "tests/support/catch.hpp"

namespace {

using namespace metagrad;
using namespace metagrad::testing;

TEST_CASE("rmsprop, RMSProp and MetaRMSProp have TorchOpt's defaults", "[optim][defaults]") {
  // torchopt.rmsprop(lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
  //                 centered=False, *, initial_scale=0.0, nesterov=False, maximize=False),
  // RMSProp
  CHECK(signature_mismatch<RMSPropOptions>(1e-2, 0.99, 1e-8, 0.0, 0.0, false, 0.0, false, false)
            .empty());
  // torchopt.MetaRMSProp(module, the same defaults as rmsprop)
  CHECK(signature_mismatch<MetaRMSPropOptions>(1e-2, 0.99, 1e-8, 0.0, 0.0, false, 0.0, false, false)
            .empty());
}

}  // namespace
