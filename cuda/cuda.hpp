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

/// Lets float32 matmuls on CUDA devices (and so convolutions, which are matmuls here) use TF32
/// tensor cores, as torch.backends.cuda.matmul.allow_tf32 and torch.backends.cudnn.allow_tf32:
/// products rounded to 10 mantissa bits, accumulated in float32, several times the float32 GEMM
/// throughput on Ampere and later GPUs. Off by default (metagrad's results then match the CPU
/// backend's within float32 rounding; PyTorch leaves it off for matmul and on for cuDNN
/// convolutions). Process-wide, read at each GEMM; float64, the CPU backend and the host
/// emulation of the CUDA kernels compute exactly either way.
void set_allow_tf32(bool allow);
/// Whether float32 GEMMs on CUDA devices may use TF32 (set_allow_tf32).
bool allow_tf32();

/// @}

}  // namespace metagrad::cuda
