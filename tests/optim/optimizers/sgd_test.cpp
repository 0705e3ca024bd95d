// sgd, SGD and MetaSGD: their options' defaults against TorchOpt 0.7.3's signatures (the
// numbers are tested by the golden cases and tests/optim/*_test.cpp).
#include "tests/optim/optimizers/signature.hpp"
#include "tests/support/catch.hpp"

namespace {

using namespace metagrad;
using namespace metagrad::testing;

TEST_CASE("sgd, SGD and MetaSGD have TorchOpt's defaults", "[optim][defaults]") {
  // torchopt.sgd(lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False, *,
  //             moment_requires_grad=False, maximize=False), torchopt.SGD
  CHECK(signature_mismatch<SGDOptions>(Required{}, 0.0, 0.0, 0.0, false, false, false).empty());
  // torchopt.MetaSGD(module, lr, momentum=0.0, dampening=0.0, weight_decay=0.0,
  //                  nesterov=False, moment_requires_grad=True, maximize=False)
  CHECK(signature_mismatch<MetaSGDOptions>(Required{}, 0.0, 0.0, 0.0, false, true, false).empty());
}

}  // namespace
