#pragma once

#include <cstdint>

namespace metagrad {

/// What the CPU tensor storages alive right now hold (every Storage on the CPU, inline scalars
/// included; cached free blocks of the allocator are not counted). Updated atomically by every
/// Storage constructor and destructor, so it is exact at any time and safe to read from any
/// thread. Use it to check that a loop's memory stays flat (e.g. an inner loop that cuts its graph
/// with stop_gradient).
struct StorageStats {
  /// Number of live CPU Storage objects.
  int64_t live_storages = 0;
  /// Sum of their sizes in bytes.
  int64_t live_bytes = 0;
};

/// The current StorageStats of the CPU.
StorageStats cpu_storage_stats();

}  // namespace metagrad
