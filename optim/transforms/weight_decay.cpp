// add_decayed_weights (TorchOpt's transform/add_decayed_weights.py).
#include "optim/transforms.hpp"
#include "optim/transforms/support.hpp"

namespace metagrad {

using namespace optim_detail;

GradientTransformation add_decayed_weights(const AddDecayedWeightsOptions& o) {
  const char* who = "add_decayed_weights";
  check_nonnegative(o.weight_decay, who, "weight_decay");
  if (o.weight_decay == 0.0 && !o.mask.defined()) return identity();
  GradientTransformation decay(
      empty_state, [wd = o.weight_decay, who](const TensorList& updates, OptState& state,
                                              const TensorList& params, bool inplace) {
        expect_kind(state, "EmptyState", who);
        expect_params(params, updates, who);
        TensorList out(updates.size());
        for (size_t i = 0; i < updates.size(); ++i) {
          if (!updates[i].defined()) continue;
          if (inplace) {
            out[i] = updates[i];
            out[i].add_(param_term(out[i], params[i]), wd);  // u = g + wd p
          } else {
            out[i] = add(updates[i], params[i], wd);
          }
        }
        return out;
      });
  return o.mask.defined() ? masked(std::move(decay), o.mask) : decay;
}

}  // namespace metagrad
