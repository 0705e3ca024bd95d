#include "cuda/nccl_library.hpp"

#include <string>

#include "cuda/shared_library.hpp"

namespace metagrad {
namespace {

NcclLibrary load() {
  const SharedLibrary lib("libnccl.so." + std::to_string(NCCL_MAJOR), "distributed",
                          "install NCCL (it comes with the CUDA toolkit) or add its folder to "
                          "LD_LIBRARY_PATH, or use the mpi backend");
  NcclLibrary library{};
  lib.resolve(library.get_unique_id, "ncclGetUniqueId");
  lib.resolve(library.comm_init_rank, "ncclCommInitRank");
  lib.resolve(library.comm_destroy, "ncclCommDestroy");
  lib.resolve(library.comm_abort, "ncclCommAbort");
  lib.resolve(library.all_reduce, "ncclAllReduce");
  lib.resolve(library.broadcast, "ncclBroadcast");
  lib.resolve(library.all_gather, "ncclAllGather");
  lib.resolve(library.reduce_scatter, "ncclReduceScatter");
  lib.resolve(library.error_string, "ncclGetErrorString");
  return library;
}

}  // namespace

const NcclLibrary& nccl() {
  static const NcclLibrary library = load();  // the handle stays open for the process
  return library;
}

}  // namespace metagrad
