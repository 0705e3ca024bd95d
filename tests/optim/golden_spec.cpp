#include "tests/optim/golden_spec.hpp"

#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

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

// One option of an options struct O: its TorchOpt keyword and the member it sets.
template <typename O>
struct Field {
  template <typename T>
  Field(const char* key, T O::*member)
      : read([key, member](Options& options, O& out) { options.get(key, out.*member); }) {}
  std::function<void(Options&, O&)> read;
};

// Builds a transformation from an entry's options (accelerated: turn use_accelerated_op on).
using Builder = std::function<GradientTransformation(Options&, bool accelerated)>;

// The builder of `make` reading `fields` into its options.
template <typename O>
Builder build(GradientTransformation (*make)(const O&), std::vector<Field<O>> fields) {
  return [make, fields = std::move(fields)](Options& options, bool accelerated) {
    O x;
    for (const auto& field : fields) field.read(options, x);
    options.finish();
    if constexpr (requires { x.use_accelerated_op; }) {
      x.use_accelerated_op = x.use_accelerated_op || accelerated;
    }
    return make(x);
  };
}

// The transformations that golden specs name, with their TorchOpt keywords.
const std::map<std::string, Builder>& builders() {
  using SGD = SGDOptions;
  using Adam = AdamOptions;
  using AdamW = AdamWOptions;
  using RMS = RMSPropOptions;
  using AdaGrad = AdaGradOptions;
  using AdaMax = AdaMaxOptions;
  using RAdam = RAdamOptions;
  using AdaDelta = AdaDeltaOptions;
  using Clip = ClipGradNormOptions;
  using NanToNum = NanToNumOptions;
  static const std::map<std::string, Builder> table = {
      {"sgd", build<SGD>(sgd, {{"lr", &SGD::lr},
                               {"momentum", &SGD::momentum},
                               {"dampening", &SGD::dampening},
                               {"weight_decay", &SGD::weight_decay},
                               {"nesterov", &SGD::nesterov},
                               {"moment_requires_grad", &SGD::moment_requires_grad},
                               {"maximize", &SGD::maximize}})},
      {"adam", build<Adam>(adam, {{"lr", &Adam::lr},
                                  {"betas", &Adam::betas},
                                  {"eps", &Adam::eps},
                                  {"weight_decay", &Adam::weight_decay},
                                  {"eps_root", &Adam::eps_root},
                                  {"moment_requires_grad", &Adam::moment_requires_grad},
                                  {"maximize", &Adam::maximize},
                                  {"use_accelerated_op", &Adam::use_accelerated_op}})},
      {"adamw", build<AdamW>(adamw, {{"lr", &AdamW::lr},
                                     {"betas", &AdamW::betas},
                                     {"eps", &AdamW::eps},
                                     {"weight_decay", &AdamW::weight_decay},
                                     {"eps_root", &AdamW::eps_root},
                                     {"moment_requires_grad", &AdamW::moment_requires_grad},
                                     {"maximize", &AdamW::maximize},
                                     {"use_accelerated_op", &AdamW::use_accelerated_op}})},
      {"rmsprop", build<RMS>(rmsprop, {{"lr", &RMS::lr},
                                       {"alpha", &RMS::alpha},
                                       {"eps", &RMS::eps},
                                       {"weight_decay", &RMS::weight_decay},
                                       {"momentum", &RMS::momentum},
                                       {"centered", &RMS::centered},
                                       {"initial_scale", &RMS::initial_scale},
                                       {"nesterov", &RMS::nesterov},
                                       {"maximize", &RMS::maximize}})},
      {"adagrad",
       build<AdaGrad>(adagrad, {{"lr", &AdaGrad::lr},
                                {"lr_decay", &AdaGrad::lr_decay},
                                {"weight_decay", &AdaGrad::weight_decay},
                                {"initial_accumulator_value", &AdaGrad::initial_accumulator_value},
                                {"eps", &AdaGrad::eps},
                                {"maximize", &AdaGrad::maximize}})},
      {"adamax", build<AdaMax>(adamax, {{"lr", &AdaMax::lr},
                                        {"betas", &AdaMax::betas},
                                        {"eps", &AdaMax::eps},
                                        {"weight_decay", &AdaMax::weight_decay},
                                        {"moment_requires_grad", &AdaMax::moment_requires_grad}})},
      {"radam", build<RAdam>(radam, {{"lr", &RAdam::lr},
                                     {"betas", &RAdam::betas},
                                     {"eps", &RAdam::eps},
                                     {"weight_decay", &RAdam::weight_decay},
                                     {"moment_requires_grad", &RAdam::moment_requires_grad}})},
      {"adadelta",
       build<AdaDelta>(adadelta, {{"lr", &AdaDelta::lr},
                                  {"rho", &AdaDelta::rho},
                                  {"eps", &AdaDelta::eps},
                                  {"weight_decay", &AdaDelta::weight_decay},
                                  {"moment_requires_grad", &AdaDelta::moment_requires_grad}})},
      {"clip_grad_norm",
       build<Clip>(clip_grad_norm, {{"max_norm", &Clip::max_norm},
                                    {"norm_type", &Clip::norm_type},
                                    {"error_if_nonfinite", &Clip::error_if_nonfinite}})},
      {"nan_to_num", build<NanToNum>(nan_to_num, {{"nan", &NanToNum::nan},
                                                  {"posinf", &NanToNum::posinf},
                                                  {"neginf", &NanToNum::neginf}})},
  };
  return table;
}

}  // namespace

GradientTransformation transform_from_entry(const json& entry, bool accelerated) {
  const std::string name = entry.at("name").get<std::string>();
  const json options = entry.value("options", json::object());
  const auto it = builders().find(name);
  MG_CHECK(it != builders().end(), "golden spec: unknown transformation '{}'", name);
  Options o(options, name);
  return it->second(o, accelerated);
}

GradientTransformation transform_from_spec(const json& spec, bool accelerated) {
  std::vector<GradientTransformation> parts;
  for (const auto& entry : spec.at("chain"))
    parts.push_back(transform_from_entry(entry, accelerated));
  return parts.size() == 1 ? parts[0] : chain(parts);
}

}  // namespace metagrad::testing
