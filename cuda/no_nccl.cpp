// Built when this build has no NCCL (no CUDA backend, or no nccl.h): the nccl backend is refused.
#include "engine/distributed/communicator.hpp"

namespace metagrad::distributed {

bool is_nccl_available() { return false; }

namespace detail {

std::unique_ptr<Communicator> make_nccl_communicator(std::unique_ptr<Communicator>, int) {
  throw DistributedError(
      "distributed::init: backend nccl was asked for, but this build has no NCCL; build with the "
      "CUDA backend (-Dcuda=enabled) where the CUDA toolkit's nccl.h is installed, or use the mpi "
      "backend (CUDA tensors are then staged through host memory)");
}

}  // namespace detail
}  // namespace metagrad::distributed
