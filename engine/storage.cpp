#include "engine/storage.hpp"

#include "engine/backend/backend.hpp"
#include "engine/memory_stats.hpp"

namespace metagrad {
namespace {

std::atomic<int64_t> live_cpu_storages{0};
std::atomic<int64_t> live_cpu_bytes{0};

}  // namespace

Storage::Storage(size_t nbytes, Device device) : nbytes_(nbytes), device_(device) {
  data_ = device.is_cpu() && nbytes <= kInlineBytes ? static_cast<void*>(inline_)
                                                    : backend_for(device).allocate(nbytes);
  if (device.is_cpu()) {
    live_cpu_storages.fetch_add(1, std::memory_order_relaxed);
    live_cpu_bytes.fetch_add(static_cast<int64_t>(nbytes), std::memory_order_relaxed);
  }
}

Storage::~Storage() {
  if (data_ != static_cast<void*>(inline_)) backend_for(device_).deallocate(data_, nbytes_);
  if (device_.is_cpu()) {
    live_cpu_storages.fetch_sub(1, std::memory_order_relaxed);
    live_cpu_bytes.fetch_sub(static_cast<int64_t>(nbytes_), std::memory_order_relaxed);
  }
}

StorageStats cpu_storage_stats() {
  return {live_cpu_storages.load(std::memory_order_relaxed),
          live_cpu_bytes.load(std::memory_order_relaxed)};
}

}  // namespace metagrad
