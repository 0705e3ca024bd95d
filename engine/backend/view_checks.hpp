#pragma once

// Contract checks of backend entries shared by every backend: the ops validate user input; these
// guard the Backend contract itself (Note [backend contract]) with one message per entry, the
// same on every device.
#include "engine/backend/backend.hpp"

namespace metagrad {

/// Throws unless a [batch, m, k] x b [batch, k, n] -> out [batch, m, n] form a batched matrix
/// product of one float dtype with a contiguous out (a batch of 1 broadcasts).
void check_matmul_views(const View& a, const View& b, const View& out);

/// Throws unless `image` [N, C, H, W] and `columns` [N, C*kh*kw, out_h*out_w] match the geometry
/// and share a float dtype; `kernel` ("unfold" or "fold") names the entry in the message.
void check_window_views(const View& image, const View& columns, const ConvGeometry& geometry,
                        const char* kernel);

/// Throws unless `in` is a float image [N, C, H, W] and `out_indices` an int64 [N, C,
/// out_h*out_w] view.
void check_max_pool_views(const View& in, const View& out_indices, const ConvGeometry& geometry);

/// Throws unless forward slot `index` either has no param or applies its step in place
/// (mu_out == mu, nu_out == nu) to a param that is none of g, mu and nu (AdamForwardSlot).
void check_adam_param_slot(const AdamForwardSlot& slot, size_t index);

}  // namespace metagrad
