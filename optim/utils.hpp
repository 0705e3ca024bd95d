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
/// \addtogroup utils
/// @{

/// How extract_state_dict and module_clone copy tensors (TorchOpt's `by`):
///  - reference: the same tensors (handles), history kept;
///  - copy: t.clone(), a differentiable copy that keeps history;
///  - deepcopy: t.clone().detach() with t's requires_grad, a new leaf.
enum class CopyMode { reference, copy, deepcopy };

/// Options of extract_state_dict (TorchOpt's keyword arguments, in its order).
struct ExtractOptions {
  /// How the tensors are copied (TorchOpt's `by`).
  CopyMode by = CopyMode::reference;
  /// Moves every extracted tensor to this device after copying it as `by` says (TorchOpt's
  /// `device`): `to(device)` is differentiable, so reference and copy keep history, and a
  /// deepcopy stays a leaf (its requires_grad kept).
  std::optional<Device> device;
  /// Also extract the module's buffers.
  bool with_buffers = true;
  /// Buffers become detached clones, requires_grad kept, whatever `by` says. This is what TorchOpt
  /// 0.7.3 does (its docs say "only used with by='reference'", but its code clones and detaches
  /// for every `by`): a snapshot that later in-place updates of the module's buffers (batch
  /// norm's running statistics) cannot reach. With by = deepcopy it changes nothing.
  bool detach_buffers = false;
  /// Records each parameter under `visual_prefix + name` in ModuleState::visual_contents, for
  /// make_dot (TorchOpt's `enable_visual`).
  bool enable_visual = false;
  /// The prefix of the names that enable_visual records ("step0.").
  std::string visual_prefix;
};

/// A module's parameters and buffers, by dotted name (TorchOpt's _ModuleState).
struct ModuleState {
  /// The parameters, by dotted name.
  nn::NamedTensors params;
  /// The buffers, by dotted name (empty without with_buffers).
  nn::NamedTensors buffers;
  /// Whether the buffers were extracted.
  bool with_buffers = true;
  /// Whether the buffers were extracted as detached clones.
  bool detach_buffers = false;
  /// With enable_visual: each parameter of the module (the module's own tensor, not the copy)
  /// under `visual_prefix + name`. make_dot takes the state as names for its boxes: a leaf is
  /// labelled with its name, and the node that made a non-leaf parameter (an updated parameter
  /// of an inner loop) is drawn as that parameter. Empty without enable_visual.
  std::optional<nn::NamedTensors> visual_contents;
};

/// The module's parameters (and buffers) as `options` says.
ModuleState extract_state_dict(const nn::Module& module, const ExtractOptions& options = {});
/// The meta-optimizer's state of every group, tensors copied as `options.by` says and moved to
/// `options.device` when it is set (the other options apply to modules only, as in TorchOpt).
std::vector<OptState> extract_state_dict(const MetaOptimizer& optimizer,
                                         const ExtractOptions& options = {});

/// Rebinds the module's parameter (and, when extracted, buffer) slots to the tensors of `state`.
/// The names must be exactly the module's, in order; otherwise it throws and changes nothing.
void recover_state_dict(nn::Module& module, const ModuleState& state);
/// Replaces the meta-optimizer's state by `state` (see MetaOptimizer::load_state_dict).
void recover_state_dict(MetaOptimizer& optimizer, const std::vector<OptState>& state);

// Note [stop_gradient in place]
// TorchOpt's stop_gradient detaches each tensor in place (`t.detach_().requires_grad_(rg)`), so
// every handle sees the cut: the module's slots, states extracted by reference, the optimizer's
// own state. These overloads do the same through Tensor::detach_; a tensor that required grad is
// a leaf that still requires grad afterwards. Undefined tensors are skipped.

/// Detaches the module's parameters in place (Note [stop_gradient in place]); buffers are left
/// as they are, as in TorchOpt (module_detach_ here detaches them too).
void stop_gradient(nn::Module& module);
/// Detaches a state's parameters and buffers in place (Note [stop_gradient in place]).
void stop_gradient(const ModuleState& state);
/// Detaches every tensor of the list in place (Note [stop_gradient in place]).
void stop_gradient(const TensorList& tensors);
/// Detaches every tensor of the meta-optimizer's state in place (Note [stop_gradient in place]).
void stop_gradient(MetaOptimizer& optimizer);
/// Detaches every tensor of extracted optimizer states in place (Note [stop_gradient in place]).
void stop_gradient(std::vector<OptState>& states);

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
/// Detaches the module's parameters and buffers in place (Note [stop_gradient in place]).
/// TorchOpt's module_detach_ is its stop_gradient (parameters only); buffers are cut here too,
/// since a buffer computed from parameters would otherwise keep their graph alive.
void module_detach_(nn::Module& module);

/// @}

}  // namespace metagrad
