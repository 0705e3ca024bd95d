#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string_view>

#include "engine/device.hpp"
#include "engine/distributed/process_group.hpp"
#include "engine/dtype.hpp"

// The transport under a ProcessGroup (Note [process group]): byte- and element-level collectives
// on host buffers, nothing about tensors or autograd. The TensorList collectives
// (collectives.cpp) pack tensors into buffers, check signatures and call these.

namespace metagrad::distributed::detail {

/// How elements combine in all_reduce and reduce_scatter (sum or max; a mean is a sum then a
/// division by the world size, done by the caller).
enum class Combine { sum, max };

/// A transport between the ranks of one job. All calls are collective: every rank makes the same
/// calls in the same order. Element buffers hold `count` elements of `dtype` (Float32, Float64 or
/// Int64). `op` names the public collective in messages.
class Communicator {
 public:
  virtual ~Communicator() = default;
  /// This process's rank.
  virtual int rank() const = 0;
  /// The number of ranks.
  virtual int size() const = 0;
  /// The backend.
  virtual Backend backend() const = 0;
  /// In place: data <- combine over ranks of data.
  virtual void all_reduce(void* data, int64_t count, DType dtype, Combine combine,
                          std::string_view op) = 0;
  /// In place: data <- root's data (`bytes` bytes).
  virtual void broadcast(void* data, int64_t bytes, int root, std::string_view op) = 0;
  /// out[r * bytes .. (r + 1) * bytes) <- rank r's `in` (`bytes` bytes each).
  virtual void all_gather(const void* in, void* out, int64_t bytes, std::string_view op) = 0;
  /// all_gather of a few bytes where the ranks meet: the one call that may wait long for a rank
  /// still computing (the signature exchange, signature.hpp), so it waits at most the timeout and
  /// watches for other ranks' failures. The data collectives that follow find every rank present.
  virtual void meet(const void* in, void* out, int64_t bytes, std::string_view op) = 0;
  /// out <- combine over ranks s of s's in[rank * count .. (rank + 1) * count).
  virtual void reduce_scatter(const void* in, void* out, int64_t count, DType dtype,
                              Combine combine, std::string_view op) = 0;
  /// True when this transport moves buffers in `device`'s memory itself (NCCL, for the CUDA device
  /// it is bound to); the collectives stage tensors on other devices through host memory.
  virtual bool moves_device_buffers(Device device) const;
  /// all_reduce on `device` memory (only where moves_device_buffers(device)).
  virtual void device_all_reduce(void* data, int64_t count, DType dtype, Combine combine,
                                 std::string_view op);
  /// broadcast on device memory.
  virtual void device_broadcast(void* data, int64_t bytes, int root, std::string_view op);
  /// all_gather on device memory.
  virtual void device_all_gather(const void* in, void* out, int64_t bytes, std::string_view op);
  /// reduce_scatter on device memory.
  virtual void device_reduce_scatter(const void* in, void* out, int64_t count, DType dtype,
                                     Combine combine, std::string_view op);
  /// Tells the other ranks that this one failed with `message` (see ProcessGroup::abort), waits
  /// at most `grace` for their acknowledgements, and marks the transport aborted. Never throws.
  virtual void abort(std::string_view message, std::chrono::milliseconds grace) noexcept = 0;
  /// True once aborted (by abort(), a timeout or another rank's announced failure).
  virtual bool aborted() const = 0;
  /// Leaves the job cleanly (after the ranks met). Call once, only when not aborted.
  virtual void finalize() = 0;
};

/// The world of one rank: every collective copies its input.
std::unique_ptr<Communicator> make_local_communicator();

/// MPI over the processes of the launcher (MPI_Init_thread on first use). Throws DistributedError
/// when this build has no MPI.
std::unique_ptr<Communicator> make_mpi_communicator(std::chrono::milliseconds timeout);

/// NCCL between the ranks' GPUs for buffers on CUDA device `cuda_device` (-1: the launcher's local
/// rank modulo the device count), over `host` for everything else: the meeting of the ranks,
/// failures and host buffers. Throws DistributedError when this build has no NCCL, NCCL does not
/// load or there is no CUDA device.
std::unique_ptr<Communicator> make_nccl_communicator(std::unique_ptr<Communicator> host,
                                                     int cuda_device);

}  // namespace metagrad::distributed::detail
