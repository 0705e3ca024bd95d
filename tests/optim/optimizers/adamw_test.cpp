// adamw, AdamW and MetaAdamW: their options' defaults against TorchOpt 0.7.3's signatures (the
// numbers are tested by the golden cases and tests/optim/*_test.cpp), and AMSGrad against
// torch.optim.AdamW's update rule.
#include "tests/optim/optimizers/amsgrad_reference.hpp"
#include "tests/optim/optimizers/signature.hpp"
#include "tests/support/catch.hpp"

namespace {

using namespace metagrad;
using namespace metagrad::testing;

TEST_CASE("adamw, AdamW and MetaAdamW have TorchOpt's defaults", "[optim][defaults]") {
  // torchopt.adamw(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, *, eps_root=0.0,
  //                mask=None, moment_requires_grad=False, maximize=False,
  //                use_accelerated_op=False), AdamW, with torch.optim.AdamW's amsgrad=False after
  //                weight_decay
  CHECK(signature_mismatch<AdamWOptions>(1e-3, std::pair{0.9, 0.999}, 1e-8, 1e-2, false, 0.0,
                                         NoMask{}, false, false, false)
            .empty());
  // torchopt.MetaAdamW(module, the same defaults as adamw)
  CHECK(signature_mismatch<MetaAdamWOptions>(1e-3, std::pair{0.9, 0.999}, 1e-8, 1e-2, false, 0.0,
                                             NoMask{}, false, false, false)
            .empty());
}

TEST_CASE("adamw's amsgrad follows torch.optim.AdamW in every form", "[optim][adamw][amsgrad]") {
  int overtaken = 0;
  check_against_reference(
      adamw({.lr = 0.1, .betas = {0.8, 0.5}, .weight_decay = 0.3, .amsgrad = true}),
      [](const TensorList& p) {
        return AdamW(p, {.lr = 0.1, .betas = {0.8, 0.5}, .weight_decay = 0.3, .amsgrad = true});
      },
      [](nn::Module& m) {
        return MetaAdamW(m, {.lr = 0.1, .betas = {0.8, 0.5}, .weight_decay = 0.3, .amsgrad = true});
      },
      amsgrad_reference(0.1, 0.8, 0.5, 1e-8, 0.3, true, &overtaken), 8);
  CHECK(overtaken > 0);  // the maximum mattered
  CHECK_THROWS_WITH(adamw({.amsgrad = true, .use_accelerated_op = true}),
                    MG_CONTAINS("adamw: amsgrad is not supported with use_accelerated_op"));
}

}  // namespace
