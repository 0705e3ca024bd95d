#include "optim/hook.hpp"

#include "engine/ops.hpp"
#include "optim/transforms/support.hpp"

namespace metagrad {

Tensor zero_nan_hook(const Tensor& grad) { return nan_to_num(grad, 0.0); }

GradHook nan_to_num_hook(double nan, std::optional<double> posinf, std::optional<double> neginf) {
  return
      [nan, posinf, neginf](const Tensor& grad) { return nan_to_num(grad, nan, posinf, neginf); };
}

GradientTransformation register_hook(GradHook hook) {
  MG_CHECK(hook != nullptr, "register_hook: the hook is empty (a null function)");
  return {optim_detail::empty_state,
          [hook = std::move(hook)](const TensorList& updates, OptState& state, const TensorList&,
                                   bool) {
            optim_detail::expect_kind(state, "EmptyState", "register_hook");
            for (const auto& u : updates) {
              if (u.defined() && u.requires_grad()) u.register_hook(hook);
            }
            return updates;
          }};
}

}  // namespace metagrad
