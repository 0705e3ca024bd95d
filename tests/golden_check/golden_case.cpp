#include "tests/golden_check/golden_case.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <exception>
#include <utility>

#include "engine/error.hpp"
#include "engine/shape.hpp"

namespace golden {

const Tensor& GoldenCase::tensor(const std::string& tensor_name) const {
  MG_CHECK(file.contains(tensor_name), "golden case {}: no tensor '{}' in {}", name, tensor_name,
           path);
  return file.at(tensor_name);
}

TensorList GoldenCase::numbered(const std::string& prefix) const {
  TensorList out;
  while (file.contains(fmt::format("{}.{}", prefix, out.size()))) {
    out.push_back(file.at(fmt::format("{}.{}", prefix, out.size())));
  }
  MG_CHECK(!out.empty(), "golden case {}: no tensor '{}.0' in {}", name, prefix, path);
  return out;
}

TensorList GoldenCase::numbered(const std::string& prefix, size_t count) const {
  TensorList out;
  out.reserve(count);
  for (size_t j = 0; j < count; ++j) out.push_back(tensor(fmt::format("{}.{}", prefix, j)));
  return out;
}

GoldenCase load_case(const std::filesystem::path& path) {
  GoldenCase c;
  c.path = path.string();
  c.name = path.stem().string();
  c.file = metagrad::load_file(c.path);
  const auto kind = c.file.metadata.find("kind");
  const auto spec = c.file.metadata.find("spec");
  MG_CHECK(kind != c.file.metadata.end() && spec != c.file.metadata.end(),
           "golden case {}: the file's __metadata__ needs 'kind' and 'spec'", c.path);
  c.kind = kind->second;
  c.spec = nlohmann::json::parse(spec->second, nullptr, /*allow_exceptions=*/false);
  MG_CHECK(c.spec.is_object(), "golden case {}: metadata 'spec' is not a JSON object", c.path);
  return c;
}

void move_inputs(GoldenCase& golden_case, metagrad::Device device) {
  golden_case.device = device;
  for (auto& [tensor_name, tensor] : golden_case.file.tensors) {
    if (!tensor_name.starts_with("expect.")) tensor = tensor.to(device);
  }
}

namespace {

// Row-major multi-index of flat element `flat` in `shape`, printed as "[i, j, k]".
std::string index_str(const metagrad::Dims& shape, int64_t flat) {
  std::vector<int64_t> index(shape.size());
  for (size_t d = shape.size(); d-- > 0;) {
    index[d] = flat % shape[d];
    flat /= shape[d];
  }
  return fmt::format("[{}]", fmt::join(index, ", "));
}

// |got - expected| for an element, with non-finite values matching only themselves (0 then).
double element_error(double got, double expected) {
  if (std::isnan(expected) || std::isnan(got)) {
    return std::isnan(expected) && std::isnan(got) ? 0.0 : INFINITY;
  }
  if (std::isinf(expected) || std::isinf(got)) return got == expected ? 0.0 : INFINITY;
  return std::abs(got - expected);
}

}  // namespace

void Checker::expect_close(std::string_view label, const Tensor& got, const Tensor& expected) {
  ++comparisons_;
  if (!got.defined()) {
    fail(fmt::format("{}: nothing was computed", label));
    return;
  }
  // The case files store scalars (losses) with shape [1]; a 0-d result matches them.
  const bool scalar_pair =
      got.numel() == 1 && expected.numel() == 1 && (got.dim() == 0 || expected.dim() == 0);
  if (got.shape() != expected.shape() && !scalar_pair) {
    fail(fmt::format("{}: got shape {}, expected {}", label, metagrad::shape_str(got.shape()),
                     metagrad::shape_str(expected.shape())));
    return;
  }
  const std::vector<double> g = got.detach().to_vector<double>();
  const std::vector<double> e = expected.to_vector<double>();
  int64_t bad = 0;
  int64_t worst = -1;
  double worst_excess = 0.0;
  for (size_t i = 0; i < e.size(); ++i) {
    const double err = element_error(g[i], e[i]);
    max_abs_err_ = std::max(max_abs_err_, err);
    if (!variants_.empty()) {
      variants_.back().max_abs_err = std::max(variants_.back().max_abs_err, err);
    }
    const double allowed = tolerance_.atol + tolerance_.rtol * std::abs(e[i]);
    if (!std::isinf(err) && err <= allowed) continue;
    ++bad;
    const double excess = std::isinf(err) ? INFINITY : err - allowed;
    if (worst < 0 || excess > worst_excess) {
      worst = static_cast<int64_t>(i);
      worst_excess = excess;
    }
  }
  if (bad == 0) return;
  fail(fmt::format(
      "{}: {} of {} elements beyond atol {:g} + rtol {:g}*|expected|, worst at {}: "
      "got {:.17g}, expected {:.17g}",
      label, bad, e.size(), tolerance_.atol, tolerance_.rtol, index_str(expected.shape(), worst),
      g[static_cast<size_t>(worst)], e[static_cast<size_t>(worst)]));
}

void Checker::fail(std::string detail) {
  if (!variants_.empty()) detail = fmt::format("[{}] {}", variants_.back().name, detail);
  failures_.push_back(std::move(detail));
}

void Checker::run_variant(std::string name, const std::function<void()>& body) {
  variants_.push_back({std::move(name), 0.0});
  try {
    body();
  } catch (const std::exception& e) {
    fail(fmt::format("error: {}", e.what()));
  }
}

std::string Checker::variant_summary() const {
  std::string out;
  for (const Variant& v : variants_) {
    if (!out.empty()) out += ", ";
    out += fmt::format("{} {:.3e}", v.name, v.max_abs_err);
  }
  return out;
}

std::string Checker::detail() const {
  if (failures_.empty()) return comparisons_ == 0 ? "no comparison made" : "";
  if (failures_.size() == 1) return failures_.front();
  return fmt::format("{} (and {} more failing comparisons)", failures_.front(),
                     failures_.size() - 1);
}

bool chain_has_adam(const nlohmann::json& chain) {
  for (const nlohmann::json& entry : chain) {
    const auto name = entry.at("name").get<std::string>();
    if (name == "adam" || name == "adamw") return true;
  }
  return false;
}

}  // namespace golden
