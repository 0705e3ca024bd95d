#pragma once

// The shared vocabulary of golden_check: a loaded reference case, the tolerance checker every
// comparison goes through, and the signature of a kind's handler. The case format and the meaning
// of each kind are those of the README that came with the cases (shared/golden/README.md).
//
// Adding a kind: write `void run_<kind>(const GoldenCase&, Checker&)` in its own file, declare it
// below, list the file in meson.build and add one row to the kind table in main.cpp. A handler
// compares every expected tensor of the case through the Checker and throws on anything it cannot
// evaluate (the case then fails with the exception's message).

#include <cstddef>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "engine/device.hpp"
#include "engine/io/safetensors.hpp"
#include "engine/tensor.hpp"

namespace golden {

using metagrad::Tensor;
using metagrad::TensorList;

/// One reference case: a safetensors file whose `__metadata__` holds `kind` and `spec` (JSON).
/// Its inputs live on the device the case runs on, its expected tensors (`expect.*`) on the CPU.
struct GoldenCase {
  /// The file name without `.safetensors` (printed on the result line).
  std::string name;
  std::string path;
  std::string kind;
  nlohmann::json spec;
  metagrad::SafetensorsFile file;
  /// Where the case runs: the inputs are there, and a handler creates its tensors, nets and
  /// optimizer states there.
  metagrad::Device device = metagrad::kCPU;

  /// The tensor called `tensor_name`; throws metagrad::Error naming the case and the tensor.
  const Tensor& tensor(const std::string& tensor_name) const;
  /// The tensors `prefix.0`, `prefix.1`, ... in numeric order, up to the first missing index.
  /// Throws when `prefix.0` is missing.
  TensorList numbered(const std::string& prefix) const;
  /// Exactly `count` tensors `prefix.0` ... `prefix.<count - 1>` (throws when one is missing).
  TensorList numbered(const std::string& prefix, size_t count) const;
};

/// Reads a case file (on the CPU). Throws metagrad::Error when the file is not a valid safetensors
/// file, when its metadata lacks `kind` or `spec`, or when `spec` is not a JSON object.
GoldenCase load_case(const std::filesystem::path& path);

/// Moves the inputs of `golden_case` (every tensor but `expect.*`) to `device` and sets its
/// `device`.
void move_inputs(GoldenCase& golden_case, metagrad::Device device);

/// Elementwise acceptance: |got - expected| <= atol + rtol * |expected|.
struct Tolerance {
  double atol;
  double rtol;
};

/// Collects the comparisons of one case: the largest absolute error seen and a description of the
/// comparisons that failed.
class Checker {
 public:
  explicit Checker(Tolerance tolerance) : tolerance_(tolerance) {}

  /// Compares `got` with `expected` elementwise under the tolerance; `label` names the expected
  /// tensor in messages (e.g. "expect.hvp.2"); `got` may be on any device. `got` must be defined
  /// and shapes equal, except
  /// that a 0-d `got` matches a one-element `expected` (the files store scalars as [1]). A NaN
  /// matches only a NaN and an infinity only the same infinity; anything else non-finite fails.
  void expect_close(std::string_view label, const Tensor& got, const Tensor& expected);
  /// Records a failure that is not an elementwise comparison.
  void fail(std::string detail);
  /// Runs `body` as a named variant of the case (e.g. one replay with use_accelerated_op): its
  /// comparisons count towards the variant's own max error, its failures are prefixed with the
  /// name, and an exception it throws is recorded as a failure (later variants still run).
  void run_variant(std::string name, const std::function<void()>& body);

  /// True when at least one comparison was made and none failed.
  bool passed() const { return comparisons_ > 0 && failures_.empty(); }
  /// Number of expect_close calls.
  size_t comparisons() const { return comparisons_; }
  /// The largest |got - expected| over every compared element (infinite when a non-finite value
  /// mismatched).
  double max_abs_err() const { return max_abs_err_; }
  /// One line: the first failure, the number of further ones, or "no comparison made".
  std::string detail() const;
  /// "name max_abs_err, ..." over the variants begun, in order; empty when none was begun.
  std::string variant_summary() const;

 private:
  Tolerance tolerance_;
  size_t comparisons_ = 0;
  double max_abs_err_ = 0.0;
  std::vector<std::string> failures_;
  struct Variant {
    std::string name;
    double max_abs_err = 0.0;
  };
  std::vector<Variant> variants_;
};

/// A kind's handler: evaluates the case and reports each expected tensor to the Checker.
using Handler = void (*)(const GoldenCase& golden_case, Checker& check);

/// Kind `hvp`: loss, gradient and Hessian-vector product of spec.net under spec.loss
/// (hvp_case.cpp).
void run_hvp(const GoldenCase& golden_case, Checker& check);

/// Kind `implicit_ridge`: ridge solution, validation loss and hypergradient by custom_root with a
/// CG solve (implicit_case.cpp).
void run_implicit_ridge(const GoldenCase& golden_case, Checker& check);

/// Kind `optim`: replays spec.chain on the recorded gradients and compares the parameters after
/// every step, out of place and in place, and for a chain with adam or adamw both without and
/// with use_accelerated_op (optim_case.cpp).
void run_optim(const GoldenCase& golden_case, Checker& check);

/// Kind `meta`: spec.inner_steps differentiable MetaOptimizer steps of spec.inner on spec.net,
/// then the query loss and its gradient with respect to the initial parameters; an adam or adamw
/// inner optimizer runs both without and with use_accelerated_op (meta_case.cpp).
void run_meta(const GoldenCase& golden_case, Checker& check);

/// True when the transformation entries `chain` (a JSON array of {"name", "options"}) include
/// adam or adamw, the transformations that have use_accelerated_op.
bool chain_has_adam(const nlohmann::json& chain);

}  // namespace golden
