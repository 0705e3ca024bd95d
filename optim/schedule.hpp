#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

namespace metagrad {
/// \addtogroup schedules
/// @{

/// A schedule: the value (a learning rate, a scale) at update count `count` = 0, 1, 2, ...
/// (scale_by_schedule passes the count before incrementing it, as TorchOpt and optax do).
using Schedule = std::function<double(int64_t count)>;

/// Any callable usable as a Schedule: double(int64_t count).
template <typename F>
concept ScheduleFunction = std::is_invocable_r_v<double, F, int64_t>;

/// A fixed number or a Schedule (TorchOpt's ScalarOrSchedule), e.g. what `lr` accepts:
/// `adam({.lr = 1e-3})`, `adam({.lr = linear_schedule(1e-2, 1e-4, 1000)})` or any callable
/// `double(int64_t)`.
class ScalarOrSchedule {
 public:
  /// Unset (only fields that TorchOpt requires, such as sgd's lr, start unset).
  ScalarOrSchedule() = default;
  /// A constant.
  ScalarOrSchedule(double value) : value_(value), set_(true) {}
  /// A schedule of the step count.
  ScalarOrSchedule(Schedule schedule);
  template <ScheduleFunction F>
  /// A schedule from any callable double(int64_t).
  ScalarOrSchedule(F fn) : ScalarOrSchedule(Schedule(std::move(fn))) {}

  /// False for a default-constructed (unset) value.
  bool is_set() const { return set_; }
  /// True when this holds a schedule.
  bool is_schedule() const { return schedule_ != nullptr; }
  /// The number; throws when this holds a schedule or nothing.
  double value() const;
  /// The schedule; throws when this holds a number or nothing.
  const Schedule& schedule() const;
  /// The value at `count`: schedule(count), or the number.
  double at(int64_t count) const;

 private:
  double value_ = 0.0;
  Schedule schedule_;
  bool set_ = false;
};

// ---- TorchOpt's schedules ----------------------------------------------------------------------

/// (init_value - end_value) * (1 - c / transition_steps)^power + end_value with
/// c = clamp(count - transition_begin, 0, transition_steps). A non-positive transition_steps gives
/// the constant init_value; a negative transition_begin counts as 0. Throws unless init_value,
/// end_value and power are finite.
Schedule polynomial_schedule(double init_value, double end_value, double power,
                             int64_t transition_steps, int64_t transition_begin = 0);
/// polynomial_schedule with power 1 (errors name linear_schedule).
Schedule linear_schedule(double init_value, double end_value, int64_t transition_steps,
                         int64_t transition_begin = 0);
/// init_value * decay_rate^((count - transition_begin) / transition_steps) (the exponent floored
/// when staircase), init_value while count <= transition_begin; clipped at end_value when given
/// (from below when decay_rate < 1, from above otherwise). A non-positive transition_steps or a
/// zero decay_rate gives the constant init_value; a negative transition_begin counts as 0. Throws
/// unless init_value (and end_value when given) are finite and decay_rate is finite and >= 0.
Schedule exponential_decay(double init_value, double decay_rate, int64_t transition_begin = 0,
                           int64_t transition_steps = 1, bool staircase = false,
                           std::optional<double> end_value = std::nullopt);

// ---- optax's schedules (beyond TorchOpt) -------------------------------------------------------

/// The constant `value`.
Schedule constant_schedule(double value);
/// init_value * ((1 - alpha) * (0.5 (1 + cos(pi min(count, decay_steps) / decay_steps)))^exponent
/// + alpha). decay_steps must be positive.
Schedule cosine_decay_schedule(double init_value, int64_t decay_steps, double alpha = 0.0,
                               double exponent = 1.0);
/// Linear warmup from init_value to peak_value over warmup_steps, then cosine decay to end_value
/// over decay_steps - warmup_steps (decay_steps includes the warmup and must exceed it).
Schedule warmup_cosine_decay_schedule(double init_value, double peak_value, int64_t warmup_steps,
                                      int64_t decay_steps, double end_value = 0.0,
                                      double exponent = 1.0);
/// init_value multiplied by every scale whose boundary is <= count (boundaries ascending). Scales
/// must be non-negative.
Schedule piecewise_constant_schedule(double init_value,
                                     std::map<int64_t, double> boundaries_and_scales = {});
/// schedules[0] before boundaries[0], then schedules[i] (fed count - boundaries[i - 1]) from
/// boundaries[i - 1] on. Needs one boundary fewer than schedules.
Schedule join_schedules(std::vector<Schedule> schedules, std::vector<int64_t> boundaries);

/// @}

}  // namespace metagrad
