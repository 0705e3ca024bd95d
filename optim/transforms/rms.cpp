// scale_by_rms, scale_by_stddev, scale_by_rss and scale_by_adadelta (TorchOpt's
// transform/scale_by_rms.py, scale_by_stddev.py, scale_by_rss.py and scale_by_adadelta.py).
#include "optim/transforms.hpp"
#include "optim/transforms/support.hpp"

namespace metagrad {

using namespace optim_detail;

namespace {

TensorList full_moments(const TensorList& params, double value) {
  TensorList out;
  out.reserve(params.size());
  for (const auto& p : params) out.push_back(full_like(p, value));
  return out;
}

// g / denom, written into g when in place.
Tensor divide_update(const Tensor& g, const Tensor& denom, bool inplace) {
  if (!inplace) return div(g, denom);
  Tensor out = g;
  out.div_(denom);
  return out;
}

}  // namespace

GradientTransformation scale_by_rms(const ScaleByRmsOptions& o) {
  const char* who = "scale_by_rms";
  check_nonnegative(o.alpha, who, "alpha");
  check_nonnegative(o.eps, who, "eps");
  return {[o](const TensorList& params) {
            OptState state;
            state.kind = "ScaleByRmsState";
            state.tensors.emplace_back("nu", full_moments(params, o.initial_scale));
            return state;
          },
          [o, who](const TensorList& updates, OptState& state, const TensorList&, bool inplace) {
            expect_kind(state, "ScaleByRmsState", who);
            TensorList& nu = state.tensor_list("nu");
            expect_size(nu, updates, who, "nu");
            TensorList out(updates.size());
            for (size_t i = 0; i < updates.size(); ++i) {
              if (!updates[i].defined()) continue;
              nu[i] = update_moment(updates[i], nu[i], o.alpha, 2, inplace);
              out[i] = divide_update(updates[i], add(sqrt(nu[i]), o.eps), inplace);
            }
            return out;
          }};
}

GradientTransformation scale_by_stddev(const ScaleByRmsOptions& o) {
  const char* who = "scale_by_stddev";
  check_nonnegative(o.alpha, who, "alpha");
  check_nonnegative(o.eps, who, "eps");
  return {[o](const TensorList& params) {
            OptState state;
            state.kind = "ScaleByRStdDevState";
            state.tensors.emplace_back("mu", full_moments(params, 0.0));
            state.tensors.emplace_back("nu", full_moments(params, o.initial_scale));
            return state;
          },
          [o, who](const TensorList& updates, OptState& state, const TensorList&, bool inplace) {
            expect_kind(state, "ScaleByRStdDevState", who);
            TensorList& mu = state.tensor_list("mu");
            TensorList& nu = state.tensor_list("nu");
            expect_size(mu, updates, who, "mu");
            expect_size(nu, updates, who, "nu");
            TensorList out(updates.size());
            for (size_t i = 0; i < updates.size(); ++i) {
              if (!updates[i].defined()) continue;
              mu[i] = update_moment(updates[i], mu[i], o.alpha, 1, inplace);
              nu[i] = update_moment(updates[i], nu[i], o.alpha, 2, inplace);
              // u = g / (sqrt(nu - mu^2) + eps)
              const Tensor denom = add(sqrt(sub(nu[i], mul(mu[i], mu[i]))), o.eps);
              out[i] = divide_update(updates[i], denom, inplace);
            }
            return out;
          }};
}

GradientTransformation scale_by_rss(const ScaleByRssOptions& o) {
  const char* who = "scale_by_rss";
  check_nonnegative(o.initial_accumulator_value, who, "initial_accumulator_value");
  check_nonnegative(o.eps, who, "eps");
  return {[o](const TensorList& params) {
            OptState state;
            state.kind = "ScaleByRssState";
            state.tensors.emplace_back("sum_of_squares",
                                       full_moments(params, o.initial_accumulator_value));
            return state;
          },
          [o, who](const TensorList& updates, OptState& state, const TensorList&, bool inplace) {
            expect_kind(state, "ScaleByRssState", who);
            TensorList& sos = state.tensor_list("sum_of_squares");
            expect_size(sos, updates, who, "sum_of_squares");
            TensorList out(updates.size());
            for (size_t i = 0; i < updates.size(); ++i) {
              if (!updates[i].defined()) continue;
              sos[i] = update_moment(updates[i], sos[i], 1.0, 2, inplace);
              // u = g / (sqrt(sos) + eps) where sos > 0, else 0
              const Tensor scaled = divide_update(updates[i], add(sqrt(sos[i]), o.eps), inplace);
              out[i] = where(gt(sos[i], 0.0), scaled, 0.0);
            }
            return out;
          }};
}

GradientTransformation scale_by_adadelta(const ScaleByAdadeltaOptions& o) {
  const char* who = "scale_by_adadelta";
  check_nonnegative(o.eps, who, "eps");
  check_unit_interval(o.rho, who, "rho");
  return {[o](const TensorList& params) {
            OptState state;
            state.kind = "ScaleByAdadeltaState";
            state.tensors.emplace_back("mu", zero_moments(params, o.moment_requires_grad));
            state.tensors.emplace_back("nu", zero_moments(params, o.moment_requires_grad));
            return state;
          },
          [o, who](const TensorList& updates, OptState& state, const TensorList&, bool inplace) {
            expect_kind(state, "ScaleByAdadeltaState", who);
            TensorList& mu = state.tensor_list("mu");
            TensorList& nu = state.tensor_list("nu");
            expect_size(mu, updates, who, "mu");
            expect_size(nu, updates, who, "nu");
            TensorList out(updates.size());
            for (size_t i = 0; i < updates.size(); ++i) {
              if (!updates[i].defined()) continue;
              mu[i] = update_moment(updates[i], mu[i], o.rho, 2, inplace);
              // u = g sqrt((nu + eps) / (mu + eps)), then nu = rho nu + (1 - rho) u^2
              const Tensor factor = sqrt(div(add(nu[i], o.eps), add(mu[i], o.eps)));
              if (inplace) {
                out[i] = updates[i];
                out[i].mul_(factor);
              } else {
                out[i] = mul(updates[i], factor);
              }
              nu[i] = update_moment(out[i], nu[i], o.rho, 2, inplace);
            }
            return out;
          }};
}

}  // namespace metagrad
