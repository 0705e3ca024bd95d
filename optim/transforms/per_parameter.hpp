#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "optim/transform.hpp"

// The skeleton of a transformation with per-parameter state (TorchOpt's scale_by_* transforms):
// it owns the state layout (its kind, tensor lists and counters), the checks every transformation
// repeats (the state's kind, one tensor per update, parameters present when read) and the loop over
// the parameters, in which an undefined update passes through as undefined and leaves its state
// untouched. A transformation then only says how one parameter is updated.

namespace metagrad {
/// \addtogroup transforms
/// @{

/// What init() makes and update() expects of a per-parameter transformation.
struct PerParameterLayout {
  /// The function name used in errors, e.g. "scale_by_lion".
  std::string who;
  /// TorchOpt's state class, e.g. "ScaleByLionState".
  std::string kind;
  /// The per-parameter tensor lists, in order, e.g. {"mu", "nu"}.
  std::vector<std::string> tensors;
  /// The counters and their initial values, e.g. {{"count", 0}}.
  std::vector<std::pair<std::string, int64_t>> counters;
  /// The initial value of tensor list `slot` for `param`. When unset: zeros like the parameter, a
  /// leaf requiring grad when moment_requires_grad.
  std::function<Tensor(size_t slot, const Tensor& param)> init;
  /// Whether the initial zero moments require grad (used when init is unset).
  bool moment_requires_grad = false;
  /// Whether update() reads the parameters (it then throws when they are not given).
  bool needs_params = false;
};

/// The update of one parameter: its (defined) update `g`, its state tensors in the layout's order
/// (assign to a slot to replace the state's tensor; in place, write into it), the parameter
/// (undefined unless the layout needs params) and the inplace flag. Returns the new update.
using ParamUpdateFn =
    std::function<Tensor(const Tensor& g, TensorList& slots, const Tensor& param, bool inplace)>;

/// Called once per update() call, before the loop, with the (checked) state: it reads and advances
/// the counters and returns the update of one parameter for this call.
using BeginUpdateFn = std::function<ParamUpdateFn(OptState& state)>;

/// The transformation with `layout`'s state whose update runs `begin` once, then its result on
/// every defined update. Throws in update() naming layout.who when the state is another kind, its
/// lists do not hold one tensor per update, or parameters are needed and missing.
GradientTransformation per_parameter_transform(PerParameterLayout layout, BeginUpdateFn begin);

/// @}

}  // namespace metagrad
