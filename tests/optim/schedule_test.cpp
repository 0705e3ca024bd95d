// Schedules: values at chosen counts against hand-computed ones (TorchOpt's and optax's
// semantics), the count scale_by_schedule feeds them, and schedules as lr.
#include <fmt/format.h>

#include <cmath>
#include <numbers>
#include <vector>

#include "tests/support/helpers.hpp"

namespace {

using namespace metagrad;
using Catch::Approx;

TEST_CASE("polynomial and linear schedules", "[optim][schedule]") {
  const Schedule lin = linear_schedule(0.05, 0.001, 5, 1);
  CHECK(lin(0) == 0.05);
  CHECK(lin(1) == 0.05);
  CHECK(lin(2) == Approx(0.05 - 0.049 / 5).epsilon(1e-15));
  CHECK(lin(4) == Approx(0.05 - 3 * 0.049 / 5).epsilon(1e-15));
  CHECK(lin(6) == Approx(0.001).epsilon(1e-15));
  CHECK(lin(100) == Approx(0.001).epsilon(1e-15));

  const Schedule poly = polynomial_schedule(0.2, 0.01, 2.0, 6);
  CHECK(poly(0) == Approx(0.2).epsilon(1e-15));
  CHECK(poly(3) == Approx(0.19 * 0.25 + 0.01).epsilon(1e-15));
  CHECK(poly(5) == Approx(0.19 / 36 + 0.01).epsilon(1e-15));
  CHECK(poly(9) == Approx(0.01).epsilon(1e-15));

  // Non-positive transition_steps: the constant init_value; negative begin counts as 0.
  CHECK(polynomial_schedule(0.3, 0.0, 1.0, 0)(50) == 0.3);
  CHECK(linear_schedule(1.0, 0.0, 4, -3)(1) == Approx(0.75).epsilon(1e-15));
}

TEST_CASE("exponential_decay follows TorchOpt", "[optim][schedule]") {
  const Schedule smooth = exponential_decay(1.0, 0.5, 2, 2);
  CHECK(smooth(0) == 1.0);
  CHECK(smooth(2) == 1.0);
  CHECK(smooth(3) == Approx(std::sqrt(0.5)).epsilon(1e-15));
  CHECK(smooth(6) == Approx(0.25).epsilon(1e-15));
  const Schedule stairs = exponential_decay(1.0, 0.5, 2, 2, true);
  CHECK(stairs(3) == 1.0);
  CHECK(stairs(4) == 0.5);
  CHECK(stairs(7) == 0.25);
  const Schedule floored = exponential_decay(1.0, 0.5, 0, 1, false, 0.3);
  CHECK(floored(1) == 0.5);
  CHECK(floored(4) == 0.3);
  const Schedule capped = exponential_decay(1.0, 2.0, 0, 1, false, 5.0);
  CHECK(capped(2) == 4.0);
  CHECK(capped(3) == 5.0);
  CHECK(exponential_decay(0.7, 0.0)(9) == 0.7);
  CHECK(exponential_decay(0.7, 0.5, 0, 0)(9) == 0.7);
}

TEST_CASE("optax schedules: cosine, warmup cosine, piecewise constant, join", "[optim][schedule]") {
  const Schedule cosine = cosine_decay_schedule(2.0, 10, 0.1);
  CHECK(cosine(0) == Approx(2.0).epsilon(1e-15));
  CHECK(cosine(5) == Approx(2.0 * (0.9 * 0.5 + 0.1)).epsilon(1e-14));
  CHECK(cosine(10) == Approx(0.2).epsilon(1e-14));
  CHECK(cosine(30) == Approx(0.2).epsilon(1e-14));
  const double c3 = 0.5 * (1 + std::cos(std::numbers::pi * 0.3));
  CHECK(cosine_decay_schedule(1.0, 10, 0.0, 2.0)(3) == Approx(c3 * c3).epsilon(1e-14));

  const Schedule warm = warmup_cosine_decay_schedule(0.0, 1.0, 4, 14, 0.1);
  CHECK(warm(0) == 0.0);
  CHECK(warm(2) == Approx(0.5).epsilon(1e-15));
  CHECK(warm(4) == Approx(1.0).epsilon(1e-15));
  CHECK(warm(9) == Approx(0.9 * 0.5 + 0.1).epsilon(1e-14));
  CHECK(warm(14) == Approx(0.1).epsilon(1e-14));
  CHECK(warm(99) == Approx(0.1).epsilon(1e-14));

  const Schedule pieces = piecewise_constant_schedule(1.0, {{3, 0.5}, {6, 0.1}});
  CHECK(pieces(2) == 1.0);
  CHECK(pieces(3) == 0.5);
  CHECK(pieces(5) == 0.5);
  CHECK(pieces(6) == Approx(0.05).epsilon(1e-15));

  // optax: from the boundary on (count >= 5), the second schedule at count - 5.
  const Schedule joined =
      join_schedules({constant_schedule(1.0), linear_schedule(0.8, 0.0, 4)}, {5});
  CHECK(joined(4) == 1.0);
  CHECK(joined(5) == 0.8);
  CHECK(joined(7) == Approx(0.4).epsilon(1e-15));
  CHECK(joined(20) == 0.0);

  CHECK_THROWS_WITH(cosine_decay_schedule(1.0, 0), MG_CONTAINS("decay_steps = 0"));
  CHECK_THROWS_WITH(warmup_cosine_decay_schedule(0.0, 1.0, 5, 5), MG_CONTAINS("must exceed"));
  CHECK_THROWS_WITH(piecewise_constant_schedule(1.0, {{2, -0.5}}), MG_CONTAINS("-0.5"));
  CHECK_THROWS_WITH(join_schedules({constant_schedule(1.0)}, {3}),
                    MG_CONTAINS("1 schedules and 1 boundaries"));
  for (size_t empty = 0; empty < 2; ++empty) {
    std::vector<Schedule> schedules = {constant_schedule(1.0), constant_schedule(2.0)};
    schedules[empty] = nullptr;
    CHECK_THROWS_WITH(join_schedules(schedules, {3}),
                      MG_CONTAINS(fmt::format("join_schedules: schedule {} is empty", empty)));
  }
}

TEST_CASE("scale_by_schedule feeds the count before incrementing it", "[optim][schedule]") {
  std::vector<int64_t> seen;
  auto t = scale_by_schedule([&seen](int64_t count) {
    seen.push_back(count);
    return 10.0 * static_cast<double>(count + 1);
  });
  const TensorList params = {zeros({2}, kFloat64)};
  OptState state = t.init(params);
  for (int k = 0; k < 3; ++k) {
    const TensorList out = t.update({ones({2}, kFloat64)}, state, params, false);
    CHECK(out[0].to_vector<double>() == std::vector<double>(2, 10.0 * (k + 1)));
  }
  CHECK(seen == std::vector<int64_t>{0, 1, 2});
  CHECK(state.counter("count") == 3);
  // Re-initialising starts over.
  state = t.init(params);
  t.update({ones({2}, kFloat64)}, state, params, false);
  CHECK(seen.back() == 0);
}

TEST_CASE("lr takes a number, a Schedule or any callable", "[optim][schedule]") {
  const TensorList params = {zeros({1}, kFloat64)};
  auto step_of = [&](const GradientTransformation& opt, int steps) {
    OptState state = opt.init(params);
    TensorList out;
    for (int k = 0; k < steps; ++k) out = opt.update({ones({1}, kFloat64)}, state, params, false);
    return out[0].item<double>();
  };
  CHECK(step_of(sgd({.lr = 0.25}), 1) == -0.25);
  CHECK(step_of(sgd({.lr = linear_schedule(1.0, 0.0, 4)}), 3) == -0.5);
  CHECK(step_of(sgd({.lr = [](int64_t c) { return 1.0 / static_cast<double>(c + 1); }}), 4) ==
        -0.25);
  const ScalarOrSchedule number = 0.5;
  CHECK_FALSE(number.is_schedule());
  CHECK(number.at(7) == 0.5);
  CHECK_THROWS_WITH(number.schedule(), MG_CONTAINS("a number"));
  const ScalarOrSchedule sched = exponential_decay(1.0, 0.5);
  CHECK(sched.at(2) == 0.25);
  CHECK_THROWS_WITH(sched.value(), MG_CONTAINS("a schedule"));
}

}  // namespace
