#pragma once

#include <map>
#include <string>
#include <vector>

#include "engine/nn/module.hpp"
#include "optim/func_optimizer.hpp"
#include "optim/meta/meta_optimizer.hpp"
#include "optim/optimizer/optimizer.hpp"
#include "optim/state.hpp"

// Optimizer checkpoints: the states of an optimizer's parameter groups in one safetensors file,
// written atomically. Together with Module::save / Module::load this resumes training exactly;
// save_checkpoint / load_checkpoint keep a module, an optimizer and the caller's strings (epoch,
// step, sampler positions) in one file.
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

/// Writes `module`'s state_dict() (parameters and persistent buffers), `optimizer`'s state and the
/// strings `extra` to the safetensors file `path` (Note [training checkpoint file]), atomically: on
/// any failure the file at `path` is left as it was. Tensors are written with their values only,
/// from any device. Throws an Error naming `path` on I/O errors and for strings that are not
/// valid UTF-8.
void save_checkpoint(const std::string& path, const nn::Module& module, const Optimizer& optimizer,
                     const std::map<std::string, std::string>& extra = {});

/// Loads the training checkpoint `path` into `module` and `optimizer` and returns its `extra`
/// strings. All or nothing: the file's format, the module's entries (names, shapes and dtypes, as
/// a strict Module::load_state_dict checks them) and the optimizer's structure (as load_state
/// checks it) are validated before either target changes; on any problem both are unchanged and
/// the Error names `path` and what differs (the entry, its shape or dtype, the group). Values are
/// copied into the module's slots (Module::load_state_dict) and the optimizer's state is replaced
/// (Optimizer::load_state_dict), on the devices the targets already use.
std::map<std::string, std::string> load_checkpoint(const std::string& path, nn::Module& module,
                                                   Optimizer& optimizer);

/// The `extra` strings of the training checkpoint `path`, without loading it anywhere (to check a
/// run's configuration before load_checkpoint). Throws an Error naming `path` when the file is
/// missing, corrupt or not a training checkpoint.
std::map<std::string, std::string> read_checkpoint_extra(const std::string& path);

/// @}

}  // namespace metagrad
