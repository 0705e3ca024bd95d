#pragma once

#include <span>

#include "engine/tensor.hpp"

// Note [in-place ops on views]
// A view shares its base's memory, so an in-place op on either changes the other's values, and
// their histories must follow, as PyTorch's do:
// - An in-place op on a view while recording gives the base a new history too (PyTorch's
//   CopySlices): base' = where(covered, scatter(value), base), computed before the write. The
//   gradient of the old base is zero where the view was written, and the written value gets the
//   gradient at the view's elements. A base that had no history (a zeros buffer filled row by row
//   with copy_) gains one, and so requires grad.
// - A view whose memory was written through its base or another view after its history was
//   recorded (the storage's version moved on) has a stale history, and a view taken with grad
//   enabled before its base gained a history has none (it requires grad through its base,
//   TensorImpl::requires_grad). Its next use in a recorded op, or grad_fn(), regenerates it from
//   the base's current history: view = index_select(base.reshape(-1), positions of the view's
//   elements), PyTorch's regeneration by as_strided.
// A view of a leaf that requires grad cannot be written while recording (the leaf's data would
// change under its AccumulateGrad), as in PyTorch. A view taken with grad mode enabled keeps its
// base alive, as PyTorch's do (TensorImpl::view_base); one taken under NoGradGuard holds it
// weakly, and once that base is gone an in-place op on the view rebinds only its own history.

namespace metagrad {
/// \addtogroup engine_autograd
/// @{

/// Where the elements of `view` (a view of `base`'s memory) sit among `base`'s elements.
struct ViewPositions {
  /// int64 of view's shape: the index of each view element in base.reshape(-1).
  Tensor index;
  /// bool of base's shape: true at the elements the view covers.
  Tensor covered;
};

/// The positions of `view`'s elements in `base` (both on base's device). Throws naming `op` when
/// two elements of `view` share memory (an expanded view: clone() it first), when base's
/// elements share memory, or when the view reaches memory outside base.
ViewPositions view_positions(const Tensor& base, const Tensor& view, const char* op);

/// The base of `t` when `t` is a view whose base is still alive; undefined otherwise.
Tensor live_view_base(const Tensor& t);

/// The history `base` takes when an in-place op writes `value` (broadcastable to the view's
/// shape, base's dtype) into its view `view`: where(covered, scatter(value), base). Call it before
/// the write, while recording.
Tensor base_after_view_write(const Tensor& base, const Tensor& view, const Tensor& value,
                             const char* op);

/// Regenerates the history of a view whose memory was written since its history was recorded, or
/// that has none while its base requires grad (Note [in-place ops on views]); a no-op for
/// anything else. Called wherever an op or the engine reads a tensor's history.
void refresh_view_history(const Tensor& t);

/// refresh_view_history of each of an op's inputs. Ops call it before they create their node: a
/// regenerated history's nodes must come before the op's in sequence order, which the engine's
/// pruning relies on (Note [pruning by sequence number], engine/autograd/engine.cpp).
inline void refresh_view_histories(std::span<const Tensor> inputs) {
  for (const Tensor& t : inputs)
    if (t.defined() && t.impl()->is_view()) refresh_view_history(t);
}

/// Makes `t` take `history`'s node as its own (same values, same shape), current as of its
/// storage's present version.
void take_history(const Tensor& t, const Tensor& history);

/// @}

}  // namespace metagrad
