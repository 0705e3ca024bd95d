#include "engine/distributed/communicator.hpp"

namespace metagrad::distributed::detail {
namespace {

[[noreturn]] void no_device_transport(std::string_view op) {
  throw DistributedError(fmt::format(
      "{}: this transport does not move device buffers (the collectives stage them through host "
      "memory)",
      op));
}

}  // namespace

bool Communicator::moves_device_buffers(Device) const { return false; }

void Communicator::device_all_reduce(void*, int64_t, DType, Combine, std::string_view op) {
  no_device_transport(op);
}

void Communicator::device_broadcast(void*, int64_t, int, std::string_view op) {
  no_device_transport(op);
}

void Communicator::device_all_gather(const void*, void*, int64_t, std::string_view op) {
  no_device_transport(op);
}

void Communicator::device_reduce_scatter(const void*, void*, int64_t, DType, Combine,
                                         std::string_view op) {
  no_device_transport(op);
}

}  // namespace metagrad::distributed::detail
