#pragma once

#include <optional>

#include "engine/tensor.hpp"
#include "optim/transform.hpp"

// TorchOpt's hooks (torchopt/hook.py): gradient hooks registered on the updates flowing through a
// chain, so they act on the meta-gradient that flows back through each update.

namespace metagrad {
/// \addtogroup hooks
/// @{

/// Replaces NaN entries of a gradient by 0 (±inf become the dtype's largest finite values, as
/// torch.nan_to_num does).
Tensor zero_nan_hook(const Tensor& grad);

/// A hook replacing NaN by `nan` and ±inf by `posinf` / `neginf` (the dtype's extreme finite values
/// when unset).
GradHook nan_to_num_hook(double nan = 0.0, std::optional<double> posinf = std::nullopt,
                         std::optional<double> neginf = std::nullopt);

/// A transformation that registers `hook` on every update that requires grad and returns the
/// updates unchanged: when a meta-gradient later flows back through these updates, `hook` sees
/// (and may replace) it. Updates that do not require grad carry no meta-gradient and are skipped.
/// State: EmptyState.
GradientTransformation register_hook(GradHook hook);

/// @}

}  // namespace metagrad
