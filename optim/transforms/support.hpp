#pragma once

// Helpers shared by the transformations and optimizer files (optim_detail: installed because the
// optimizer headers use them, but not part of the stable API).
#include <cstdint>
#include <limits>
#include <string_view>
#include <utility>

#include "engine/ops.hpp"
#include "optim/schedule.hpp"
#include "optim/transform.hpp"

namespace metagrad::optim_detail {

/// Throws unless `state` is a `kind` (the state of another transformation was passed).
inline void expect_kind(const OptState& state, std::string_view kind, const char* who) {
  MG_CHECK(state.kind == kind,
           "{}: expected a {}, got a {}; pass the state this transformation's init() returned", who,
           kind, state.kind);
}

/// Throws unless `list` has one entry per update.
inline void expect_size(const TensorList& list, const TensorList& updates, const char* who,
                        const char* what) {
  MG_CHECK(list.size() == updates.size(),
           "{}: got {} updates but the state's '{}' holds {} tensors; the state must come from "
           "init() with the same parameters",
           who, updates.size(), what, list.size());
}

/// Throws unless params has one tensor per update (transforms that read parameters).
inline void expect_params(const TensorList& params, const TensorList& updates, const char* who) {
  MG_CHECK(params.size() == updates.size(),
           "{}: parameters are required (got {} for {} updates); call update(updates, state, "
           "params)",
           who, params.size(), updates.size());
}

/// count + 1, saturating at INT64_MAX (TorchOpt's inc_count).
inline int64_t inc_count(int64_t count) {
  return count == std::numeric_limits<int64_t>::max() ? count : count + 1;
}

/// A zero moment like `param`, a leaf requiring grad when asked (moment_requires_grad).
inline Tensor zero_moment(const Tensor& param, bool requires_grad) {
  return zeros_like(param, TensorOptions(param.dtype(), param.device(), requires_grad));
}

/// Per-parameter moments: one zero_moment per parameter.
inline TensorList zero_moments(const TensorList& params, bool requires_grad) {
  TensorList out;
  out.reserve(params.size());
  for (const auto& p : params) out.push_back(zero_moment(p, requires_grad));
  return out;
}

/// TorchOpt's update_moment for one tensor: decay t + (1 - decay) g (order 1) or
/// decay t + (1 - decay) g^2 (order 2); decay = 1 adds g or g^2. In place it writes into `t` and
/// returns it; out of place it returns a new tensor.
inline Tensor update_moment(const Tensor& g, Tensor t, double decay, int order, bool inplace) {
  const Tensor term = order == 2 ? mul(g, g) : g;
  if (inplace) {
    if (decay != 1.0) {
      t.mul_(decay);
      t.add_(term, 1.0 - decay);
    } else {
      t.add_(term);
    }
    return t;
  }
  return decay != 1.0 ? add(mul(t, decay), term, 1.0 - decay) : add(t, term);
}

/// g / denom: written into g and returned when in place, a new tensor otherwise.
inline Tensor divide_update(const Tensor& g, const Tensor& denom, bool inplace) {
  if (!inplace) return div(g, denom);
  Tensor out = g;
  out.div_(denom);
  return out;
}

/// The parameter to add into an in-place update: its data when the update does not require grad
/// (TorchOpt's p.data), so that a plain update never picks up the parameter's history.
inline Tensor param_term(const Tensor& update, const Tensor& param) {
  return update.requires_grad() ? param : param.detach();
}

/// Throws unless value >= 0 (NaN fails too), naming the function and the argument.
inline void check_nonnegative(double value, const char* who, const char* name) {
  MG_CHECK(value >= 0.0, "{}: invalid {} value: {} (must be >= 0)", who, name, value);
}

/// Throws unless 0 <= value < 1, naming the function and the argument.
inline void check_unit_interval(double value, const char* who, const char* name) {
  MG_CHECK(value >= 0.0 && value < 1.0, "{}: invalid {} value: {} (must be in [0, 1))", who, name,
           value);
}

/// Throws unless lr is set and, when a number, >= 0 (TorchOpt's "Invalid learning rate").
inline void check_lr(const ScalarOrSchedule& lr, const char* who) {
  MG_CHECK(lr.is_set(), "{}: lr is required", who);
  if (!lr.is_schedule()) check_nonnegative(lr.value(), who, "lr");
}

/// Throws unless both betas are in [0, 1).
inline void check_betas(const std::pair<double, double>& betas, const char* who) {
  check_unit_interval(betas.first, who, "betas[0]");
  check_unit_interval(betas.second, who, "betas[1]");
}

/// An EmptyState init function (stateless transformations).
inline OptState empty_state(const TensorList&) { return OptState{}; }

}  // namespace metagrad::optim_detail
