// adamw, AdamW and MetaAdamW: their options' defaults against TorchOpt 0.7.3's signatures (the
// numbers are tested by the golden cases and tests/optim/*_test.cpp).
#include "tests/optim/optimizers/signature.hpp"
#include "tests/support/catch.hpp"

namespace {

using namespace metagrad;
using namespace metagrad::testing;

TEST_CASE("adamw, AdamW and MetaAdamW have TorchOpt's defaults", "[optim][defaults]") {
  // torchopt.adamw(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, *, eps_root=0.0,
  //                mask=None, moment_requires_grad=False, maximize=False,
  //                use_accelerated_op=False), AdamW
  CHECK(signature_mismatch<AdamWOptions>(1e-3, std::pair{0.9, 0.999}, 1e-8, 1e-2, 0.0, NoMask{},
                                         false, false, false)
            .empty());
  // torchopt.MetaAdamW(module, the same defaults as adamw)
  CHECK(signature_mismatch<MetaAdamWOptions>(1e-3, std::pair{0.9, 0.999}, 1e-8, 1e-2, 0.0, NoMask{},
                                             false, false, false)
            .empty());
}

}  // namespace
