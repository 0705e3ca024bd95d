// adam, Adam and MetaAdam: their options' defaults against TorchOpt 0.7.3's signatures (the
// numbers are tested by the golden cases and tests/optim/*_test.cpp).
#include "tests/optim/optimizers/signature.hpp"
#include "tests/support/catch.hpp"

namespace {

using namespace metagrad;
using namespace metagrad::testing;

TEST_CASE("adam, Adam and MetaAdam have TorchOpt's defaults", "[optim][defaults]") {
  // torchopt.adam(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, *, eps_root=0.0,
  //               moment_requires_grad=False, maximize=False, use_accelerated_op=False), Adam
  CHECK(signature_mismatch<AdamOptions>(1e-3, std::pair{0.9, 0.999}, 1e-8, 0.0, 0.0, false, false,
                                        false)
            .empty());
  // torchopt.MetaAdam(module, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, *,
  //                   eps_root=0.0, moment_requires_grad=True, maximize=False,
  //                   use_accelerated_op=False)
  CHECK(signature_mismatch<MetaAdamOptions>(1e-3, std::pair{0.9, 0.999}, 1e-8, 0.0, 0.0, true,
                                            false, false)
            .empty());
}

}  // namespace
