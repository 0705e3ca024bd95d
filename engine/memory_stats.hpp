#pragma once

#include <cstdint>

namespace metagrad {
/// \addtogroup engine_tensor
/// @{

/// What the CPU tensor storages alive right now hold (every Storage on the CPU, inline scalars
/// included; cached free blocks of the allocator are not counted). Counted by every Storage
/// constructor and destructor (per thread, summed on reading: Note [storage counters] in
/// engine/storage.cpp), so it is exact whenever no other thread is creating or freeing storages,
/// and safe to read from any thread. Use it to check that a loop's memory stays flat (e.g. an inner
/// loop that cuts its graph with stop_gradient).
struct StorageStats {
  /// Number of live CPU Storage objects.
  int64_t live_storages = 0;
  /// Sum of their sizes in bytes.
  int64_t live_bytes = 0;
};

/// The current StorageStats of the CPU.
StorageStats cpu_storage_stats();

/// Returns the CPU allocator's cached free blocks to the system (what torch.cuda.empty_cache does
/// for a GPU). The allocator keeps freed blocks for reuse, up to a quarter of the process's memory
/// for large ones, so the resident size after a large computation stays near its peak until then.
/// Only the calling thread's small-block cache is emptied among the per-thread ones.
void cpu_empty_cache();

/// A device allocator's counters, in bytes (torch.cuda.memory_stats' main figures).
struct DeviceMemoryStats {
  /// Bytes in live blocks handed out to tensors.
  int64_t allocated = 0;
  /// Bytes obtained from the device: live blocks plus the cached free ones.
  int64_t reserved = 0;
  /// The highest `allocated` since the start or the last reset of the peak.
  int64_t peak_allocated = 0;
  /// Allocations that found the device full, emptied the cache and were retried.
  int64_t retries = 0;
};

/// @}

}  // namespace metagrad
