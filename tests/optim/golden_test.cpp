// Replays every public golden optimizer case (tests/golden/optim_*.safetensors, produced by
// TorchOpt 0.7.3) out of place, in place, and for Adam cases through use_accelerated_op.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/optim/golden_spec.hpp"
#include "tests/support/helpers.hpp"

namespace {

using namespace metagrad;
using nlohmann::json;

constexpr double kAtol = 1e-12;
constexpr double kRtol = 1e-10;

std::vector<std::string> optim_cases() {
  std::vector<std::string> paths;
  for (const auto& entry : std::filesystem::directory_iterator(MG_GOLDEN_DIR)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("optim_", 0) == 0 && entry.path().extension() == ".safetensors") {
      paths.push_back(entry.path().string());
    }
  }
  std::sort(paths.begin(), paths.end());
  return paths;
}

// The largest |got - want| - (atol + rtol |want|) (> 0 means a mismatch; NaN counts as one).
double worst_violation(const Tensor& got, const Tensor& want) {
  const auto g = got.to_vector<double>();
  const auto w = want.to_vector<double>();
  REQUIRE(g.size() == w.size());
  double worst = -INFINITY;
  for (size_t i = 0; i < g.size(); ++i) {
    const double v = std::abs(g[i] - w[i]) - (kAtol + kRtol * std::abs(w[i]));
    worst = std::isnan(v) ? INFINITY : std::max(worst, v);
  }
  return worst;
}

bool uses_adam(const json& spec) {
  for (const auto& entry : spec.at("chain")) {
    const std::string name = entry.at("name").get<std::string>();
    if (name == "adam" || name == "adamw") return true;
  }
  return false;
}

// Replays one case; returns the number of (step, parameter) pairs that miss the tolerance.
int replay(const SafetensorsFile& file, const json& spec, bool inplace, bool accelerated) {
  const int64_t steps = spec.at("steps").get<int64_t>();
  const int64_t n = spec.at("num_params").get<int64_t>();
  const GradientTransformation opt = testing::transform_from_spec(spec, accelerated);
  TensorList params;
  for (int64_t j = 0; j < n; ++j) params.push_back(file.at(fmt::format("param.{}", j)).clone());
  OptState state = opt.init(params);
  int failures = 0;
  for (int64_t k = 0; k < steps; ++k) {
    TensorList grads;
    for (int64_t j = 0; j < n; ++j)
      grads.push_back(file.at(fmt::format("grad.{}.{}", k, j)).clone());
    if (inplace) {
      NoGradGuard no_grad;
      params = apply_updates(params, opt.update(grads, state, params, true), true);
    } else {
      params = apply_updates(params, opt.update(grads, state, params, false), false);
    }
    for (int64_t j = 0; j < n; ++j) {
      const double v = worst_violation(params[j], file.at(fmt::format("expect.{}.{}", k, j)));
      if (v > 0.0) {
        UNSCOPED_INFO("step " << k << " param " << j << " exceeds tolerance by " << v);
        ++failures;
      }
    }
  }
  return failures;
}

TEST_CASE("golden optim cases replay within 1e-12 + 1e-10 |x|", "[optim][golden]") {
  const auto paths = optim_cases();
  REQUIRE(paths.size() >= 16);
  int cases = 0;
  for (const auto& path : paths) {
    const SafetensorsFile file = load_file(path);
    REQUIRE(file.metadata.at("kind") == "optim");
    const json spec = json::parse(file.metadata.at("spec"));
    for (bool accelerated : {false, true}) {
      if (accelerated && !uses_adam(spec)) continue;
      for (bool inplace : {false, true}) {
        INFO(path << (inplace ? " in place" : " out of place")
                  << (accelerated ? ", use_accelerated_op" : ""));
        CHECK(replay(file, spec, inplace, accelerated) == 0);
        ++cases;
      }
    }
  }
  CHECK(cases >= 2 * static_cast<int>(paths.size()));
}

TEST_CASE("golden spec parser rejects unknown names and options", "[optim][golden]") {
  CHECK_THROWS_WITH(testing::transform_from_spec(json::parse(R"({"chain": [{"name": "sgdd"}]})")),
                    MG_CONTAINS("unknown transformation 'sgdd'"));
  CHECK_THROWS_WITH(testing::transform_from_spec(json::parse(
                        R"({"chain": [{"name": "adam", "options": {"amsgrd": true}}]})")),
                    MG_CONTAINS("unknown option 'amsgrd'"));
}

}  // namespace
