// nan_to_num (TorchOpt's transform/nan_to_num.py).
#include "engine/grad_mode.hpp"
#include "optim/transforms.hpp"
#include "optim/transforms/support.hpp"

namespace metagrad {

using namespace optim_detail;

GradientTransformation nan_to_num(const NanToNumOptions& o) {
  return {empty_state,
          [o](const TensorList& updates, OptState& state, const TensorList&, bool inplace) {
            expect_kind(state, "EmptyState", "nan_to_num");
            TensorList out(updates.size());
            for (size_t i = 0; i < updates.size(); ++i) {
              if (!updates[i].defined()) continue;
              if (inplace) {
                // While recording, replace from a copy so that the op does not save the tensor
                // it then overwrites.
                Tensor g = updates[i];
                const Tensor source = is_grad_enabled() && g.requires_grad() ? g.clone() : g;
                g.copy_(metagrad::nan_to_num(source, o.nan, o.posinf, o.neginf));
                out[i] = g;
              } else {
                out[i] = metagrad::nan_to_num(updates[i], o.nan, o.posinf, o.neginf);
              }
            }
            return out;
          }};
}

}  // namespace metagrad
