#pragma once

#include <string>
#include <vector>

#include "optim/func_optimizer.hpp"
#include "optim/meta/meta_optimizer.hpp"
#include "optim/optimizer/optimizer.hpp"
#include "optim/state.hpp"

// Optimizer checkpoints: the states of an optimizer's parameter groups in one safetensors file,
// written atomically. Together with Module::save / Module::load this resumes training exactly.
//
//   net.save("net.safetensors");
//   save_state(opt, "opt.safetensors");
//   ...
//   net.load("net.safetensors");
//   load_state(opt, "opt.safetensors");  // opt built with the same transformation and parameters
//
// Note [optimizer state file]
// Tensor "<g>.<flat name>" holds the OptState tensor <flat name> (Note [optimizer state]) of group
// g, e.g. "0.1.mu.0"; counter "<g>.<flat counter>" ("0.1.count") is a 0-d int64 tensor. The
// __metadata__ holds "format" = "metagrad.optim_state", "format_version" = "1", "num_groups" and
// "structure": a JSON array with one tree per group, {"kind", "tensors": [{"name", "entries":
// [{"shape", "dtype", "requires_grad"} or null for an undefined tensor]}], "counters": [names],
// "children": [trees]}. The structure makes the file self-describing (read_state needs no
// optimizer) and lets load_state name exactly what differs from the optimizer it loads into.

namespace metagrad {
/// \addtogroup optim
/// @{

/// Writes the group states `states` to the safetensors file `path` (Note [optimizer state file]),
/// atomically: on any failure the file at `path` is left as it was. Tensors are written with
/// their values only (history dropped), from any device. Throws naming `path` on I/O errors.
void save_state(const std::vector<OptState>& states, const std::string& path);

/// The group states stored in `path`, rebuilt from the file alone: tensors on the CPU, leaves that
/// require grad when the saved ones did. Throws an Error naming `path` and the problem when the
/// file is missing, truncated or corrupt (see load_file), is not an optimizer-state file, or its
/// tensors disagree with its structure.
std::vector<OptState> read_state(const std::string& path);

/// Loads `path` into `into`, which must have the same structure: number of groups and, per group,
/// kinds, tensor list names and lengths, defined entries, shapes, dtypes, counter names and
/// children. Everything is checked first; on any problem it throws an Error naming the group and
/// the entry that differs (or the file problem, as read_state) and `into` is unchanged. Loaded
/// tensors are new leaves on the device of the tensor they replace, requiring grad when it did.
void load_state(std::vector<OptState>& into, const std::string& path);

/// save_state(optimizer.state_dict(), path).
void save_state(const Optimizer& optimizer, const std::string& path);
/// Loads `path` into the optimizer (through load_state_dict); unchanged on any error.
void load_state(Optimizer& optimizer, const std::string& path);
/// save_state(optimizer.state_dict(), path) for a differentiable meta-optimizer.
void save_state(const MetaOptimizer& optimizer, const std::string& path);
/// Loads `path` into the meta-optimizer (through load_state_dict); unchanged on any error. The
/// loaded moments are leaves (history is not saved).
void load_state(MetaOptimizer& optimizer, const std::string& path);
/// Saves the FuncOptimizer's state as one group (an "UninitializedState" before its first step).
void save_state(const FuncOptimizer& optimizer, const std::string& path);
/// Loads `path` (one group) into the FuncOptimizer. Once initialised the file must match its
/// state; before the first step the file's state is taken as is and checked by the first step
/// (see FuncOptimizer::load_state_dict). Unchanged on any error.
void load_state(FuncOptimizer& optimizer, const std::string& path);

/// @}

}  // namespace metagrad
