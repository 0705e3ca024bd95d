#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "engine/tensor.hpp"

// Note [activation checkpointing]
// checkpoint(fn, inputs) runs fn as usual, recording its graph, but keeps none of the tensors its
// ops save for backward: a saved tensor hooks guard (Note [saved tensor hooks]) numbers them
// instead. When backward first needs one, fn runs again on the same inputs (with the default
// generator rewound, so dropout draws the same mask) under hooks that collect the saves in the
// same order, and backward takes them by number; each is dropped once used. This is PyTorch's
// non-reentrant torch.utils.checkpoint: the graph is the original one, so the gradient reaches
// tensors fn captures as well as its inputs, grad() works as well as backward(), and a
// create_graph backward differentiates again through the original nodes (a meta-gradient through
// a checkpointed inner step).
// - fn must be deterministic: the recompute must save tensors of the same count, shapes and
//   dtypes (checked, with an error naming the first mismatch), and it must not modify state in
//   place (it runs twice). It must also read the same tensors when recomputed: a module whose
//   parameter slots are rebound after the forward (MetaSGD's step does that) would be recomputed
//   with the new tensors, silently, as in PyTorch. Pass such tensors as inputs of checkpoint
//   (a functional step, as in bench/checkpoint.cpp), where they are kept. Random ops draw from the
//   default generator, whose state is rewound (preserve_rng_state) and restored after the
//   recompute; a generator fn captures itself is not. The default generator is process-wide, as
//   PyTorch's: while a recompute runs, another thread drawing from it sees the rewound stream, so
//   give concurrent tasks generators of their own.
// - While fn's forward runs, the saves are kept, so that fn may differentiate its own
//   intermediates (an inner loop's grad() inside a checkpoint).
// - A second backward through the region (retain_graph) recomputes again.

namespace metagrad::utils {
/// \addtogroup engine_autograd
/// @{

/// The function a checkpoint runs: inputs -> outputs.
using CheckpointFunction = std::function<TensorList(const TensorList&)>;

/// Options of checkpoint (torch.utils.checkpoint.checkpoint's keyword arguments).
struct CheckpointOptions {
  /// Rewind the default generator to its state at the forward before recomputing, so that random
  /// ops draw the same numbers, then restore it (torch's preserve_rng_state).
  bool preserve_rng_state = true;
};

/// Runs `fn(inputs)` and records its graph without keeping the tensors its ops save for backward;
/// backward recomputes them (torch.utils.checkpoint.checkpoint with use_reentrant=False; Note
/// [activation checkpointing]). Trades one more forward of fn for the memory of its saved
/// activations. With grad mode off it just calls fn. `fn` is copied and kept until the graph is
/// freed.
TensorList checkpoint(const CheckpointFunction& fn, const TensorList& inputs,
                      CheckpointOptions options = {});

/// Runs `functions` in sequence on `input`, checkpointing them in `segments` consecutive groups
/// of (nearly) equal size, all but the last (torch.utils.checkpoint.checkpoint_sequential): only
/// the segments' inputs are kept for backward, besides the last segment's saves. `segments` must
/// be in [1, functions.size()].
Tensor checkpoint_sequential(const std::vector<std::function<Tensor(const Tensor&)>>& functions,
                             int64_t segments, const Tensor& input, CheckpointOptions options = {});

/// @}
}  // namespace metagrad::utils
