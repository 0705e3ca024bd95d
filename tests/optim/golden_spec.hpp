#pragma once

// Builds the transformation that a golden case's spec describes (shared/golden/README.md,
// "Transformation spec"): {"chain": [{"name": N, "options": {...}}, ...]} with TorchOpt's
// functional names and keyword options; `lr` may be a linear or polynomial schedule.
#include <nlohmann/json.hpp>

#include "metagrad.hpp"

namespace metagrad::testing {

/// One entry {"name", "options"} as a transformation. Unknown names or options throw.
/// `accelerated` turns use_accelerated_op on for adam and adamw.
GradientTransformation transform_from_entry(const nlohmann::json& entry, bool accelerated = false);
/// The chain of spec["chain"] (the single transformation when there is one entry).
GradientTransformation transform_from_spec(const nlohmann::json& spec, bool accelerated = false);

}  // namespace metagrad::testing
