// scale_by_adam and scale_by_accelerated_adam (fused kernels: accelerated_adam.cpp), TorchOpt's
// transform/scale_by_adam.py.
#include <cmath>

#include "optim/transforms.hpp"
#include "optim/transforms/adam_step.hpp"
#include "optim/transforms/support.hpp"

namespace metagrad {

using namespace optim_detail;

Tensor optim_detail::adam_step_unfused(const Tensor& g, Tensor& mu, Tensor& nu,
                                       const AdamStep& step, bool inplace, Tensor* nu_max) {
  mu = update_moment(g, mu, step.b1, 1, inplace);
  nu = update_moment(g, nu, step.b2, 2, inplace);
  if (nu_max != nullptr) {
    if (inplace) {
      nu_max->copy_(maximum(*nu_max, nu));
    } else {
      *nu_max = maximum(*nu_max, nu);
    }
  }
  // u = mu_hat / (sqrt(nu_hat + eps_root) + eps); mu_hat and nu_hat are new tensors, so the
  // in-place form only saves allocations.
  Tensor mu_hat = div(mu, step.bc1);
  const Tensor& second = nu_max != nullptr ? *nu_max : nu;
  const Tensor denom = add(sqrt(add(div(second, step.bc2), step.eps_root)), step.eps);
  if (inplace) {
    mu_hat.div_(denom);
    return mu_hat;
  }
  return div(mu_hat, denom);
}

namespace {

void check_adam_options(const ScaleByAdamOptions& o, const char* who) {
  check_nonnegative(o.eps, who, "eps");
  check_nonnegative(o.eps_root, who, "eps_root");
  check_unit_interval(o.b1, who, "b1");
  check_unit_interval(o.b2, who, "b2");
}

// TorchOpt's _bias_correction divisor 1 - decay^count. PyTorch evaluates pow(decay, count) on
// the int64 count tensor in the default dtype (float32) and 1 - it in float32, so for float32
// moments the correction carries float32 rounding (1 - 0.9 is 0.100000024 there); t.div(bc) then
// divides by that float32 number. float64 moments get it in double. (The fused kernels, like
// TorchOpt's adam_op, always take double: see adam_step_fused.)
double bias_correction(double decay, int64_t count, DType dtype) {
  if (dtype == kFloat32) {
    return static_cast<double>(1.0f -
                               std::pow(static_cast<float>(decay), static_cast<float>(count)));
  }
  return 1.0 - std::pow(decay, static_cast<double>(count));
}

AdamStep adam_step(const ScaleByAdamOptions& o, int64_t count, DType dtype) {
  return {.b1 = o.b1,
          .b2 = o.b2,
          .eps = o.eps,
          .eps_root = o.eps_root,
          .bc1 = bias_correction(o.b1, count, dtype),
          .bc2 = bias_correction(o.b2, count, dtype)};
}

GradientTransformation make_adam(const ScaleByAdamOptions& o, const char* who, bool fused) {
  check_adam_options(o, who);
  MG_CHECK(!fused || !o.amsgrad,
           "{}: amsgrad is not supported by the fused kernels (they keep no maximum of the second "
           "moments); use scale_by_adam, or use_accelerated_op = false",
           who);
  GradientTransformation adam(
      [o](const TensorList& params) {
        OptState state;
        state.kind = "ScaleByAdamState";
        state.tensors.emplace_back("mu", zero_moments(params, o.moment_requires_grad));
        state.tensors.emplace_back("nu", zero_moments(params, o.moment_requires_grad));
        if (o.amsgrad) {
          state.tensors.emplace_back("nu_max", zero_moments(params, o.moment_requires_grad));
        }
        state.counters.emplace_back("count", 0);
        return state;
      },
      [o, who, fused](const TensorList& updates, OptState& state, const TensorList&, bool inplace) {
        expect_kind(state, "ScaleByAdamState", who);
        TensorList& mu = state.tensor_list("mu");
        TensorList& nu = state.tensor_list("nu");
        expect_size(mu, updates, who, "mu");
        expect_size(nu, updates, who, "nu");
        int64_t& count = state.counter("count");
        count = inc_count(count);
        const AdamStep in_double = adam_step(o, count, kFloat64);
        if (fused) return adam_step_fused(updates, mu, nu, in_double, inplace);
        const AdamStep in_float = adam_step(o, count, kFloat32);
        TensorList* nu_max = o.amsgrad ? &state.tensor_list("nu_max") : nullptr;
        if (nu_max != nullptr) expect_size(*nu_max, updates, who, "nu_max");
        TensorList out(updates.size());
        for (size_t i = 0; i < updates.size(); ++i) {
          if (updates[i].defined()) {
            const AdamStep& step = updates[i].dtype() == kFloat32 ? in_float : in_double;
            out[i] = adam_step_unfused(updates[i], mu[i], nu[i], step, inplace,
                                       nu_max != nullptr ? &(*nu_max)[i] : nullptr);
          }
        }
        return out;
      });
  if (!fused) return adam;
  // Note [folded adam step] in accelerated_adam.cpp: the step applied to the parameters.
  return adam.with_apply_scaled([o, who](const TensorList& updates, OptState& state,
                                         const TensorList& params, double factor) {
    expect_kind(state, "ScaleByAdamState", who);
    TensorList& mu = state.tensor_list("mu");
    TensorList& nu = state.tensor_list("nu");
    int64_t& count = state.counter("count");
    const int64_t next = inc_count(count);
    if (!adam_apply_fused(updates, mu, nu, params, adam_step(o, next, kFloat64), factor))
      return false;
    count = next;
    return true;
  });
}

}  // namespace

GradientTransformation scale_by_adam(const ScaleByAdamOptions& options) {
  return make_adam(options, "scale_by_adam", false);
}

GradientTransformation scale_by_accelerated_adam(const ScaleByAdamOptions& options) {
  return make_adam(options, "scale_by_accelerated_adam", true);
}

}  // namespace metagrad
