#pragma once

// The attention kernel shared by scaled_dot_product_attention and MultiheadAttention, and their
// mask conversion. Internal, not part of the public API.
#include "engine/random/generator.hpp"
#include "engine/tensor.hpp"

namespace metagrad::detail {

/// An attention output [..., L, Ev] and its weights [..., L, S] (after dropout).
struct AttentionResult {
  Tensor output;
  Tensor weights;
};

/// softmax(q k^T scale + bias) v with dropout_p dropout on the weights. q [..., L, E], k [..., S,
/// E], v [..., S, Ev]; bias (undefined for none) broadcasts to [..., L, S]. Rows whose every score
/// is -inf get zero weights (no NaN in values or gradients); `bias_masks_whole_rows` = false says
/// the bias leaves every row a finite score (the causal mask with S >= 1), which skips that guard.
AttentionResult attend(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& bias,
                       double scale, double dropout_p, Generator* generator,
                       bool bias_masks_whole_rows = true);

/// A mask as the float bias added to the scores, of `like`'s dtype and device: a bool mask maps to
/// 0 / -inf (true marking the pairs that attend when true_attends, the blocked ones otherwise); a
/// float mask of like's dtype is returned as is; undefined stays undefined. Throws naming `op` and
/// `what` for any other dtype or another device.
Tensor mask_to_bias(const Tensor& mask, bool true_attends, const Tensor& like, const char* op,
                    const char* what);

/// The lower-triangular causal mask [rows, cols] as a bias of like's dtype and device (0 where
/// column <= row, -inf above).
Tensor causal_bias(int64_t rows, int64_t cols, const Tensor& like);

}  // namespace metagrad::detail
