#include "tests/optim/golden_spec.hpp"

#include <set>
#include <string>

namespace metagrad::testing {
namespace {

using nlohmann::json;

ScalarOrSchedule lr_from(const json& value) {
  if (value.is_number()) return value.get<double>();
  MG_CHECK(value.is_object() && value.contains("schedule"), "golden spec: bad lr {}", value.dump());
  const std::string kind = value.at("schedule").get<std::string>();
  const double init_value = value.at("init_value").get<double>();
  const double end_value = value.at("end_value").get<double>();
  const int64_t steps = value.at("transition_steps").get<int64_t>();
  const int64_t begin = value.value("transition_begin", int64_t{0});
  if (kind == "linear") return linear_schedule(init_value, end_value, steps, begin);
  if (kind == "polynomial") {
    return polynomial_schedule(init_value, end_value, value.at("power").get<double>(), steps,
                               begin);
  }
  MG_FAIL("golden spec: unknown schedule '{}'", kind);
}

// Reads options by name, remembering which were used, so that unknown ones are reported.
class Options {
 public:
  Options(const json& options, std::string name) : options_(options), name_(std::move(name)) {}

  void get(const char* key, double& out) {
    if (take(key)) out = options_.at(key).get<double>();
  }
  void get(const char* key, bool& out) {
    if (take(key)) out = options_.at(key).get<bool>();
  }
  void get(const char* key, std::optional<double>& out) {
    if (take(key) && !options_.at(key).is_null()) out = options_.at(key).get<double>();
  }
  void get(const char* key, std::pair<double, double>& out) {
    if (!take(key)) return;
    const json& v = options_.at(key);
    out = {v.at(0).get<double>(), v.at(1).get<double>()};
  }
  void get(const char* key, ScalarOrSchedule& out) {
    if (take(key)) out = lr_from(options_.at(key));
  }

  /// Throws when an option was not read.
  void finish() const {
    for (const auto& [key, value] : options_.items()) {
      MG_CHECK(used_.count(key) == 1, "golden spec: unknown option '{}' for '{}'", key, name_);
    }
  }

 private:
  bool take(const char* key) {
    if (!options_.contains(key)) return false;
    used_.insert(key);
    return true;
  }

  const json& options_;
  std::string name_;
  std::set<std::string> used_;
};

}  // namespace

GradientTransformation transform_from_entry(const json& entry, bool accelerated) {
  const std::string name = entry.at("name").get<std::string>();
  const json options = entry.value("options", json::object());
  Options o(options, name);
  GradientTransformation result;
  if (name == "sgd") {
    SGDOptions x;
    o.get("lr", x.lr);
    o.get("momentum", x.momentum);
    o.get("dampening", x.dampening);
    o.get("weight_decay", x.weight_decay);
    o.get("nesterov", x.nesterov);
    o.get("moment_requires_grad", x.moment_requires_grad);
    o.get("maximize", x.maximize);
    o.finish();
    result = sgd(x);
  } else if (name == "adam") {
    AdamOptions x;
    o.get("lr", x.lr);
    o.get("betas", x.betas);
    o.get("eps", x.eps);
    o.get("weight_decay", x.weight_decay);
    o.get("eps_root", x.eps_root);
    o.get("moment_requires_grad", x.moment_requires_grad);
    o.get("maximize", x.maximize);
    o.get("use_accelerated_op", x.use_accelerated_op);
    o.finish();
    x.use_accelerated_op = x.use_accelerated_op || accelerated;
    result = adam(x);
  } else if (name == "adamw") {
    AdamWOptions x;
    o.get("lr", x.lr);
    o.get("betas", x.betas);
    o.get("eps", x.eps);
    o.get("weight_decay", x.weight_decay);
    o.get("eps_root", x.eps_root);
    o.get("moment_requires_grad", x.moment_requires_grad);
    o.get("maximize", x.maximize);
    o.get("use_accelerated_op", x.use_accelerated_op);
    o.finish();
    x.use_accelerated_op = x.use_accelerated_op || accelerated;
    result = adamw(x);
  } else if (name == "rmsprop") {
    RMSPropOptions x;
    o.get("lr", x.lr);
    o.get("alpha", x.alpha);
    o.get("eps", x.eps);
    o.get("weight_decay", x.weight_decay);
    o.get("momentum", x.momentum);
    o.get("centered", x.centered);
    o.get("initial_scale", x.initial_scale);
    o.get("nesterov", x.nesterov);
    o.get("maximize", x.maximize);
    o.finish();
    result = rmsprop(x);
  } else if (name == "adagrad") {
    AdaGradOptions x;
    o.get("lr", x.lr);
    o.get("lr_decay", x.lr_decay);
    o.get("weight_decay", x.weight_decay);
    o.get("initial_accumulator_value", x.initial_accumulator_value);
    o.get("eps", x.eps);
    o.get("maximize", x.maximize);
    o.finish();
    result = adagrad(x);
  } else if (name == "adamax" || name == "radam") {
    AdaMaxOptions x;
    o.get("lr", x.lr);
    o.get("betas", x.betas);
    o.get("eps", x.eps);
    o.get("weight_decay", x.weight_decay);
    o.get("moment_requires_grad", x.moment_requires_grad);
    o.finish();
    result = name == "adamax" ? adamax(x)
                              : radam({.lr = x.lr,
                                       .betas = x.betas,
                                       .eps = x.eps,
                                       .weight_decay = x.weight_decay,
                                       .moment_requires_grad = x.moment_requires_grad});
  } else if (name == "adadelta") {
    AdaDeltaOptions x;
    o.get("lr", x.lr);
    o.get("rho", x.rho);
    o.get("eps", x.eps);
    o.get("weight_decay", x.weight_decay);
    o.get("moment_requires_grad", x.moment_requires_grad);
    o.finish();
    result = adadelta(x);
  } else if (name == "clip_grad_norm") {
    ClipGradNormOptions x;
    o.get("max_norm", x.max_norm);
    o.get("norm_type", x.norm_type);
    o.get("error_if_nonfinite", x.error_if_nonfinite);
    o.finish();
    result = clip_grad_norm(x);
  } else if (name == "nan_to_num") {
    NanToNumOptions x;
    o.get("nan", x.nan);
    o.get("posinf", x.posinf);
    o.get("neginf", x.neginf);
    o.finish();
    result = nan_to_num(x);
  } else {
    MG_FAIL("golden spec: unknown transformation '{}'", name);
  }
  return result;
}

GradientTransformation transform_from_spec(const json& spec, bool accelerated) {
  std::vector<GradientTransformation> parts;
  for (const auto& entry : spec.at("chain"))
    parts.push_back(transform_from_entry(entry, accelerated));
  return parts.size() == 1 ? parts[0] : chain(parts);
}

}  // namespace metagrad::testing
