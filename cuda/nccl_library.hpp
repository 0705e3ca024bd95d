#pragma once

// NCCL, loaded when a process group with the nccl backend starts (CUDA builds with nccl.h). As
// cuBLAS (cublas_library.hpp), it is not linked: only its header is used at build time and the
// entry points are resolved with dlopen/dlsym, so programs that never use NCCL do not need it.
#include <nccl.h>

namespace metagrad {

/// The NCCL entry points the nccl backend of metagrad::distributed uses.
struct NcclLibrary {
  decltype(&ncclGetUniqueId) get_unique_id;
  decltype(&ncclCommInitRank) comm_init_rank;
  decltype(&ncclCommDestroy) comm_destroy;
  decltype(&ncclCommAbort) comm_abort;
  decltype(&ncclAllReduce) all_reduce;
  decltype(&ncclBroadcast) broadcast;
  decltype(&ncclAllGather) all_gather;
  decltype(&ncclReduceScatter) reduce_scatter;
  decltype(&ncclGetErrorString) error_string;
};

/// The process's NCCL (libnccl.so.<major of the header>), loaded on the first call. Throws
/// metagrad::Error naming the library and the loader's message when it or an entry point is
/// missing.
const NcclLibrary& nccl();

}  // namespace metagrad
