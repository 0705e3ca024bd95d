#pragma once

#include <cstdint>

namespace metagrad::detail {

/// The window [start, end) of output cell i when a dim of size `in` is pooled to `out` cells
/// (PyTorch's adaptive pooling): [floor(i in / out), ceil((i + 1) in / out)).
struct AdaptiveWindow {
  int64_t start, end;
};

inline AdaptiveWindow adaptive_window(int64_t i, int64_t in, int64_t out) {
  return {i * in / out, ((i + 1) * in + out - 1) / out};
}

}  // namespace metagrad::detail
