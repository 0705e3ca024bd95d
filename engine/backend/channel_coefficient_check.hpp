#pragma once

// The argument check of Backend::channel_coefficients, shared by the CPU and CUDA backends.
#include <cstdint>

#include "engine/backend/backend.hpp"
#include "engine/error.hpp"

namespace metagrad {

/// Throws unless in/out hold the slots of `formula` as 1-D [channels] views of one float dtype
/// (the first output's, which must be present), absent inputs and outputs having null data, and
/// a Forward's running-statistic outputs present exactly when their inputs are.
inline void check_coefficient_views(ChannelFormula formula, const View* in, int n_in,
                                    const View* out, int n_out, int64_t channels) {
  MG_CHECK(n_in == bn::input_count(formula) && n_out == bn::output_count(formula),
           "channel_coefficients kernel: formula set {} takes {} inputs and {} outputs, got {} "
           "and {}",
           static_cast<int>(formula), bn::input_count(formula), bn::output_count(formula), n_in,
           n_out);
  MG_CHECK(out[0].data != nullptr && is_floating(out[0].dtype),
           "channel_coefficients kernel: the first output must be a float32 or float64 view");
  const DType dtype = out[0].dtype;
  const auto check = [&](const View& v, const char* side, int slot) {
    if (v.data == nullptr) return;
    MG_CHECK(v.ndim() == 1 && v.shape[0] == channels && v.dtype == dtype,
             "channel_coefficients kernel: {} slot {} must be a {} view of shape [{}], got {} {}",
             side, slot, dtype_name(dtype), channels, dtype_name(v.dtype), shape_str(v.shape));
  };
  for (int j = 0; j < n_in; ++j) check(in[j], "input", j);
  for (int j = 0; j < n_out; ++j) check(out[j], "output", j);
  if (formula == ChannelFormula::Forward) {
    using namespace bn::forward;
    MG_CHECK((in[kRunningMean].data == nullptr) == (out[kNewRunningMean].data == nullptr) &&
                 (in[kRunningVar].data == nullptr) == (out[kNewRunningVar].data == nullptr),
             "channel_coefficients kernel: a running statistic is updated exactly when it is "
             "given");
  }
}

}  // namespace metagrad
