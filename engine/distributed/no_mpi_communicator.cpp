// Built when this build has no MPI (-Dmpi=disabled, or Open MPI not found): the world is one rank.
#include "engine/distributed/communicator.hpp"

namespace metagrad::distributed {

bool is_mpi_available() { return false; }

namespace detail {

std::unique_ptr<Communicator> make_mpi_communicator(std::chrono::milliseconds) {
  throw DistributedError(
      "distributed::init: backend mpi was asked for, but this build has no MPI; install Open MPI "
      "(libopenmpi-dev, openmpi-bin: `make deps`) and configure with -Dmpi=enabled, or use the "
      "local backend (a world of one rank)");
}

}  // namespace detail
}  // namespace metagrad::distributed
