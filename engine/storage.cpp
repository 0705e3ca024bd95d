#include "engine/storage.hpp"

#include "engine/backend/backend.hpp"

namespace metagrad {

Storage::Storage(size_t nbytes, Device device) : nbytes_(nbytes), device_(device) {
  data_ = device.is_cpu() && nbytes <= kInlineBytes ? static_cast<void*>(inline_)
                                                     : backend_for(device).allocate(nbytes);
}

Storage::~Storage() {
  if (data_ != static_cast<void*>(inline_)) backend_for(device_).deallocate(data_, nbytes_);
}

}  // namespace metagrad
