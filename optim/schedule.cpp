#include "optim/schedule.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "engine/error.hpp"

namespace metagrad {

ScalarOrSchedule::ScalarOrSchedule(Schedule schedule) : schedule_(std::move(schedule)) {
  MG_CHECK(schedule_ != nullptr, "ScalarOrSchedule: the schedule is empty (a null function)");
  set_ = true;
}

double ScalarOrSchedule::value() const {
  MG_CHECK(set_ && !schedule_, "ScalarOrSchedule::value: holds {}, not a number",
           set_ ? "a schedule" : "nothing");
  return value_;
}

const Schedule& ScalarOrSchedule::schedule() const {
  MG_CHECK(schedule_ != nullptr, "ScalarOrSchedule::schedule: holds {}, not a schedule",
           set_ ? "a number" : "nothing");
  return schedule_;
}

double ScalarOrSchedule::at(int64_t count) const { return schedule_ ? schedule_(count) : value(); }

namespace {
void check_finite(double value, const char* who, const char* name) {
  MG_CHECK(std::isfinite(value), "{}: {} = {} must be finite", who, name, value);
}

Schedule polynomial_checked(const char* who, double init_value, double end_value, double power,
                            int64_t transition_steps, int64_t transition_begin) {
  check_finite(init_value, who, "init_value");
  check_finite(end_value, who, "end_value");
  check_finite(power, who, "power");
  if (transition_steps <= 0) return constant_schedule(init_value);
  transition_begin = std::max<int64_t>(transition_begin, 0);
  return [=](int64_t count) {
    const int64_t c = std::clamp<int64_t>(count - transition_begin, 0, transition_steps);
    const double frac = 1.0 - static_cast<double>(c) / static_cast<double>(transition_steps);
    return (init_value - end_value) * std::pow(frac, power) + end_value;
  };
}
}  // namespace

Schedule polynomial_schedule(double init_value, double end_value, double power,
                             int64_t transition_steps, int64_t transition_begin) {
  return polynomial_checked("polynomial_schedule", init_value, end_value, power, transition_steps,
                            transition_begin);
}

Schedule linear_schedule(double init_value, double end_value, int64_t transition_steps,
                         int64_t transition_begin) {
  return polynomial_checked("linear_schedule", init_value, end_value, 1.0, transition_steps,
                            transition_begin);
}

Schedule exponential_decay(double init_value, double decay_rate, int64_t transition_begin,
                           int64_t transition_steps, bool staircase,
                           std::optional<double> end_value) {
  check_finite(init_value, "exponential_decay", "init_value");
  MG_CHECK(decay_rate >= 0.0 && std::isfinite(decay_rate),
           "exponential_decay: decay_rate = {} must be >= 0 and finite", decay_rate);
  if (end_value) check_finite(*end_value, "exponential_decay", "end_value");
  if (transition_steps <= 0 || decay_rate == 0.0) return constant_schedule(init_value);
  transition_begin = std::max<int64_t>(transition_begin, 0);
  return [=](int64_t count) {
    const double decreased = static_cast<double>(count - transition_begin);
    double p = decreased / static_cast<double>(transition_steps);
    if (staircase) p = std::floor(p);
    const double decayed = decreased <= 0.0 ? init_value : init_value * std::pow(decay_rate, p);
    if (!end_value) return decayed;
    return decay_rate < 1.0 ? std::max(decayed, *end_value) : std::min(decayed, *end_value);
  };
}

Schedule constant_schedule(double value) {
  return [value](int64_t) { return value; };
}

Schedule cosine_decay_schedule(double init_value, int64_t decay_steps, double alpha,
                               double exponent) {
  MG_CHECK(decay_steps > 0, "cosine_decay_schedule: decay_steps = {} must be positive",
           decay_steps);
  return [=](int64_t count) {
    const double c = static_cast<double>(std::min(count, decay_steps));
    const double cosine =
        0.5 * (1.0 + std::cos(std::numbers::pi * c / static_cast<double>(decay_steps)));
    return init_value * ((1.0 - alpha) * std::pow(cosine, exponent) + alpha);
  };
}

Schedule warmup_cosine_decay_schedule(double init_value, double peak_value, int64_t warmup_steps,
                                      int64_t decay_steps, double end_value, double exponent) {
  MG_CHECK(decay_steps > warmup_steps,
           "warmup_cosine_decay_schedule: decay_steps = {} must exceed warmup_steps = {} (it "
           "includes the warmup)",
           decay_steps, warmup_steps);
  const double alpha = peak_value == 0.0 ? 0.0 : end_value / peak_value;
  return join_schedules(
      {linear_schedule(init_value, peak_value, warmup_steps),
       cosine_decay_schedule(peak_value, decay_steps - warmup_steps, alpha, exponent)},
      {warmup_steps});
}

Schedule piecewise_constant_schedule(double init_value,
                                     std::map<int64_t, double> boundaries_and_scales) {
  for (const auto& [boundary, scale] : boundaries_and_scales) {
    MG_CHECK(scale >= 0.0,
             "piecewise_constant_schedule: the scale {} at boundary {} is negative; scales must be "
             "non-negative",
             scale, boundary);
  }
  return [init_value, table = std::move(boundaries_and_scales)](int64_t count) {
    double v = init_value;
    for (const auto& [boundary, scale] : table) {
      if (count >= boundary) v *= scale;
    }
    return v;
  };
}

Schedule join_schedules(std::vector<Schedule> schedules, std::vector<int64_t> boundaries) {
  MG_CHECK(!schedules.empty() && boundaries.size() + 1 == schedules.size(),
           "join_schedules: got {} schedules and {} boundaries; give one boundary fewer than "
           "schedules",
           schedules.size(), boundaries.size());
  for (size_t i = 0; i < schedules.size(); ++i) {
    MG_CHECK(schedules[i] != nullptr, "join_schedules: schedule {} is empty", i);
  }
  return [schedules = std::move(schedules), boundaries = std::move(boundaries)](int64_t count) {
    double out = schedules[0](count);
    for (size_t i = 0; i < boundaries.size(); ++i) {
      if (count >= boundaries[i]) out = schedules[i + 1](count - boundaries[i]);
    }
    return out;
  };
}

}  // namespace metagrad
