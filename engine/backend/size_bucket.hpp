#pragma once

// The size classes of the caching allocators (CPU large blocks, CUDA blocks above 1 MiB): a
// request is rounded up to a multiple of 1/8 of its highest power of two, so that a loop's
// repeated sizes map to themselves and a freed block serves every request of its class.
#include <bit>
#include <cstddef>
#include <cstdint>

#include "engine/error.hpp"

namespace metagrad::detail {

/// `nbytes` (>= 8) rounded up to a multiple of bit_floor(nbytes) / 8: at most 12.5 % more.
/// Throws when the rounded size does not fit in size_t; `who` names the allocator in the message.
inline size_t eighth_power_of_two_bucket(size_t nbytes, const char* who) {
  const size_t granule = std::bit_floor(nbytes | 8) / 8;
  MG_CHECK(nbytes <= SIZE_MAX - granule, "{}: a request of {} bytes overflows", who, nbytes);
  return (nbytes + granule - 1) / granule * granule;
}

}  // namespace metagrad::detail
