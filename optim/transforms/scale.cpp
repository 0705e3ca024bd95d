// scale, scale_by_schedule, scale_by_neg_lr and flip_sign_and_add_weight_decay (TorchOpt's
// transform/scale.py, transform/scale_by_schedule.py and alias/utils.py).
#include "optim/transforms.hpp"
#include "optim/transforms/support.hpp"

namespace metagrad {

using namespace optim_detail;

namespace {

// updates * factor, in place or not (undefined updates stay undefined).
TensorList scale_all(const TensorList& updates, double factor, bool inplace) {
  TensorList out(updates.size());
  for (size_t i = 0; i < updates.size(); ++i) {
    if (!updates[i].defined()) continue;
    if (inplace) {
      out[i] = updates[i];
      out[i].mul_(factor);
    } else {
      out[i] = mul(updates[i], factor);
    }
  }
  return out;
}

}  // namespace

GradientTransformation scale(double step_size) {
  const GradientTransformation t(
      empty_state,
      [step_size](const TensorList& updates, OptState& state, const TensorList&, bool inplace) {
        expect_kind(state, "EmptyState", "scale");
        return scale_all(updates, step_size, inplace);
      });
  return t.with_scale_factor([step_size](const OptState& state) {
    expect_kind(state, "EmptyState", "scale");
    return step_size;
  });
}

GradientTransformation scale_by_schedule(Schedule step_size_fn) {
  MG_CHECK(step_size_fn != nullptr, "scale_by_schedule: the schedule is empty (a null function)");
  const GradientTransformation t(
      [](const TensorList&) {
        OptState state;
        state.kind = "ScaleByScheduleState";
        state.counters.emplace_back("count", 0);
        return state;
      },
      [fn = step_size_fn](const TensorList& updates, OptState& state, const TensorList&,
                          bool inplace) {
        expect_kind(state, "ScaleByScheduleState", "scale_by_schedule");
        int64_t& count = state.counter("count");
        TensorList out = scale_all(updates, fn(count), inplace);
        count = inc_count(count);
        return out;
      });
  return t.with_scale_factor([fn = std::move(step_size_fn)](const OptState& state) {
    expect_kind(state, "ScaleByScheduleState", "scale_by_schedule");
    return fn(state.counter("count"));
  });
}

GradientTransformation scale_by_neg_lr(const ScalarOrSchedule& lr) {
  MG_CHECK(lr.is_set(), "scale_by_neg_lr: lr is required");
  if (lr.is_schedule()) {
    return scale_by_schedule(
        [schedule = lr.schedule()](int64_t count) { return -schedule(count); });
  }
  check_nonnegative(lr.value(), "scale_by_neg_lr", "lr");
  return scale(-lr.value());
}

GradientTransformation flip_sign_and_add_weight_decay(double weight_decay, bool maximize) {
  check_nonnegative(weight_decay, "flip_sign_and_add_weight_decay", "weight_decay");
  if (!maximize && weight_decay == 0.0) return identity();
  return {empty_state, [weight_decay, maximize](const TensorList& updates, OptState& state,
                                                const TensorList& params, bool inplace) {
            const char* who = "flip_sign_and_add_weight_decay";
            expect_kind(state, "EmptyState", who);
            if (weight_decay != 0.0) expect_params(params, updates, who);
            TensorList out(updates.size());
            for (size_t i = 0; i < updates.size(); ++i) {
              if (!updates[i].defined()) continue;
              if (inplace) {
                Tensor g = updates[i];
                if (maximize) g.mul_(-1.0);
                if (weight_decay != 0.0) g.add_(param_term(g, params[i]), weight_decay);
                out[i] = g;
              } else {
                Tensor g = maximize ? neg(updates[i]) : updates[i];
                out[i] = weight_decay != 0.0 ? add(g, params[i], weight_decay) : g;
              }
            }
            return out;
          }};
}

}  // namespace metagrad
