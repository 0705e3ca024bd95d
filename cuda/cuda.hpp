#pragma once

// torch.cuda's device queries and memory controls.
#include "engine/memory_stats.hpp"

namespace metagrad::cuda {
/// \addtogroup engine_tensor
/// @{

/// True when metagrad was built with the CUDA backend (-Dcuda=enabled, or auto with the toolkit).
bool is_built();
/// True when the CUDA backend is built and at least one device is visible
/// (torch.cuda.is_available).
bool is_available();
/// The number of visible CUDA devices (0 without the backend or a driver).
int device_count();
/// Waits until every kernel queued on `device` has finished (torch.cuda.synchronize).
void synchronize(int device = 0);
/// The caching allocator's counters of `device` (torch.cuda.memory_allocated / memory_reserved /
/// max_memory_allocated).
DeviceMemoryStats memory_stats(int device = 0);
/// Returns the cached free blocks of `device` to the driver (torch.cuda.empty_cache).
void empty_cache(int device = 0);
/// Sets the peak to the current allocated bytes (torch.cuda.reset_peak_memory_stats).
void reset_peak_memory_stats(int device = 0);

/// @}

}  // namespace metagrad::cuda
