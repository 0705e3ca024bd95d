// clip_grad_norm (TorchOpt's clip.py).
#include <algorithm>
#include <cmath>

#include "engine/grad_mode.hpp"
#include "optim/transforms.hpp"
#include "optim/transforms/support.hpp"

namespace metagrad {

using namespace optim_detail;

namespace {

// The norm of order p of all defined updates together, as a constant (TorchOpt computes it under
// no_grad): the p-norm of the per-tensor p-norms, in the first update's dtype.
double total_norm(const TensorList& updates, double norm_type) {
  NoGradGuard no_grad;
  std::vector<double> norms;
  DType dtype = kFloat32;
  for (const auto& u : updates) {
    if (!u.defined()) continue;
    if (norms.empty()) dtype = u.dtype();
    norms.push_back(norm_type == INFINITY ? abs(u.detach()).max().item<double>()
                                          : norm(u.detach(), norm_type).item<double>());
  }
  if (norms.size() == 1) return norms[0];
  if (norm_type == INFINITY) return *std::max_element(norms.begin(), norms.end());
  return norm(tensor(norms, dtype), norm_type).item<double>();
}

}  // namespace

GradientTransformation clip_grad_norm(const ClipGradNormOptions& o) {
  MG_CHECK(o.max_norm.has_value(), "clip_grad_norm: max_norm is required");
  MG_CHECK(o.norm_type > 0.0,
           "clip_grad_norm: invalid norm_type value: {} (must be > 0 or INFINITY)", o.norm_type);
  return {empty_state,
          [o](const TensorList& updates, OptState& state, const TensorList&, bool inplace) {
            expect_kind(state, "EmptyState", "clip_grad_norm");
            const bool any = std::any_of(updates.begin(), updates.end(),
                                         [](const Tensor& u) { return u.defined(); });
            if (!any) return updates;
            const double total = total_norm(updates, o.norm_type);
            MG_CHECK(
                !o.error_if_nonfinite || std::isfinite(total),
                "clip_grad_norm: the total norm of order {} of the updates is non-finite ({}), "
                "so it cannot be clipped; set error_if_nonfinite = false to scale the updates "
                "by the non-finite norm anyway",
                o.norm_type, total);
            const double coefficient = std::min(*o.max_norm / (total + 1e-6), 1.0);
            TensorList out(updates.size());
            for (size_t i = 0; i < updates.size(); ++i) {
              if (!updates[i].defined()) continue;
              if (inplace) {
                out[i] = updates[i];
                out[i].mul_(coefficient);
              } else {
                out[i] = mul(updates[i], coefficient);
              }
            }
            return out;
          }};
}

}  // namespace metagrad
