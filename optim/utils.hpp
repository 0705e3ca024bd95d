#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/nn/module.hpp"
#include "engine/tensor.hpp"
#include "optim/meta/meta_optimizer.hpp"
#include "optim/state.hpp"

// TorchOpt's torchopt.utils: snapshots of a module's or a meta-optimizer's state that an inner
// loop can be reset to, cutting meta-graphs, and cloning modules.

namespace metagrad {

/// How extract_state_dict and module_clone copy tensors (TorchOpt's `by`):
///  - reference: the same tensors (handles), history kept;
///  - copy: t.clone(), a differentiable copy that keeps history;
///  - deepcopy: t.clone().detach() with t's requires_grad, a new leaf.
enum class CopyMode { reference, copy, deepcopy };

/// Options of extract_state_dict.
struct ExtractOptions {
  CopyMode by = CopyMode::reference;
  /// Also extract the module's buffers.
  bool with_buffers = true;
  /// Detach the extracted buffers (after copying as `by` says).
  bool detach_buffers = false;
};

/// A module's parameters and buffers, by dotted name (TorchOpt's _ModuleState).
struct ModuleState {
  nn::NamedTensors params;
  nn::NamedTensors buffers;
  bool with_buffers = true;
};

/// The module's parameters (and buffers) as `options` says.
ModuleState extract_state_dict(const nn::Module& module, const ExtractOptions& options = {});
/// The meta-optimizer's state of every group, tensors copied as `options.by` says.
std::vector<OptState> extract_state_dict(const MetaOptimizer& optimizer,
                                         const ExtractOptions& options = {});

/// Rebinds the module's parameter (and, when extracted, buffer) slots to the tensors of `state`.
/// The names must be exactly the module's, in order; otherwise it throws and changes nothing.
void recover_state_dict(nn::Module& module, const ModuleState& state);
/// Replaces the meta-optimizer's state by `state` (see MetaOptimizer::load_state_dict).
void recover_state_dict(MetaOptimizer& optimizer, const std::vector<OptState>& state);

/// Cuts history in place (TorchOpt's stop_gradient): each parameter slot is rebound to a detached
/// leaf sharing its storage, requiring grad when the old tensor did.
void stop_gradient(nn::Module& module);
/// Replaces each tensor of `tensors` by a detached leaf sharing its storage, requiring grad when
/// the old tensor did.
void stop_gradient(TensorList& tensors);
/// Detaches every tensor of the meta-optimizer's state (requires_grad kept).
void stop_gradient(MetaOptimizer& optimizer);

/// The first structural difference between two states (what OptState::same_structure compares:
/// kinds, tensor list names and lengths, defined entries, shapes, dtypes, counter names, children),
/// as a phrase naming the entry, e.g. "tensor '0.mu.1' has shape [3] and dtype float64 in the file
/// but shape [4] and dtype float64 in the optimizer"; nullopt when the structures are the same.
/// `given_name` and `expected_name` name the two sides in the phrase.
std::optional<std::string> state_difference(const OptState& given, const OptState& expected,
                                            std::string_view given_name = "the given state",
                                            std::string_view expected_name = "the optimizer");

/// A clone of `module` whose parameters and buffers are copied as `by` says (reference: shared).
std::shared_ptr<nn::Module> module_clone(const nn::Module& module,
                                         CopyMode by = CopyMode::reference);
/// Detaches the module's parameters and buffers in place (slots rebound, requires_grad kept).
void module_detach_(nn::Module& module);

}  // namespace metagrad
