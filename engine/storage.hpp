#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "engine/device.hpp"

namespace metagrad {
class Backend;

/// \addtogroup engine_tensor
/// @{

/// Bytes on one device, shared by every view of them, with a version counter that in-place ops
/// bump so that autograd can detect a saved tensor modified after it was saved.
class Storage {
 public:
  /// Allocates `nbytes` (uninitialised) on `device` through its backend, and returns them to that
  /// same backend when destroyed (even if another backend serves the device by then).
  Storage(size_t nbytes, Device device);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  /// The start of the allocation (CPU or device memory).
  void* data() const { return data_; }
  /// The size of the allocation in bytes.
  size_t nbytes() const { return nbytes_; }
  /// Where the bytes live.
  Device device() const { return device_; }
  /// The version counter, bumped by every in-place write (saved-tensor checks).
  uint64_t version() const { return version_.load(std::memory_order_relaxed); }
  /// Called by every in-place op.
  void bump_version() { version_.fetch_add(1, std::memory_order_relaxed); }

 private:
  /// Small CPU buffers (scalars) live inside the Storage: one allocation fewer per tiny tensor.
  static constexpr size_t kInlineBytes = 16;
  alignas(16) unsigned char inline_[kInlineBytes];
  void* data_ = nullptr;
  size_t nbytes_ = 0;
  Device device_;
  Backend* allocator_ = nullptr;  // null for inline bytes
  std::atomic<uint64_t> version_{0};
};

/// @}

}  // namespace metagrad
