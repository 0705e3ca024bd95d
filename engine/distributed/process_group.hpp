#pragma once

#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "engine/error.hpp"

// Note [process group]
// metagrad's distributed engine is SPMD, as torch.distributed: every rank runs the same program
// and calls the same collectives in the same order. A ProcessGroup joins the ranks that a
// launcher started (`mpirun -np N prog`); a program started without a launcher, or built without
// MPI (-Dmpi=disabled), is a world of one rank whose collectives are identities, so every program
// runs unchanged without mpirun. One group is current at a time; the collectives
// (engine/distributed/collectives.hpp) use it, and a world of one when none is.
//
// Every collective first exchanges a small signature (the call, the tensor count, dtypes and
// shapes): ranks that disagree all throw the same DistributedError naming both sides, instead of
// exchanging mismatched buffers. Waits poll with a timeout, and watch a side channel on which a
// failing rank announces its error (abort()); a rank that receives one, or times out, throws a
// DistributedError with the failing rank's message. After that the group is aborted: further
// collectives throw at once and the group skips MPI_Finalize (its collectives cannot complete),
// so the job ends on every rank with the failing rank's message instead of hanging.

namespace metagrad::distributed {
/// \addtogroup distributed
/// @{

/// A collective that failed: a rank announced an error, a wait timed out, or the ranks disagreed
/// on a call. The message names the ranks involved.
class DistributedError : public Error {
 public:
  using Error::Error;
};

/// Which library moves the bytes (torch.distributed's backend argument).
enum class Backend {
  /// A world of one rank: no launcher, or built without MPI. Collectives are identities.
  local,
  /// Open MPI over the processes `mpirun` started (shared memory within a node, the network
  /// between nodes). CUDA tensors are staged through host memory.
  mpi,
  /// NCCL between the ranks' GPUs for CUDA tensors (one GPU per rank), with MPI (under a
  /// launcher; the world of one otherwise) for CPU tensors, the meeting of the ranks and failures.
  nccl,
};

/// The name of a backend ("local", "mpi", "nccl").
std::string_view backend_name(Backend backend);

/// True when this build has the MPI backend (-Dmpi=auto found Open MPI, or -Dmpi=enabled).
bool is_mpi_available();

/// True when this build has the nccl backend (a CUDA build with NCCL's header), NCCL loads and a
/// CUDA device is present.
bool is_nccl_available();

/// True when this process was started by an MPI launcher (mpirun / mpiexec / srun set the
/// environment that says so).
bool launched_by_mpi();

/// How init() joins the ranks.
struct ProcessGroupOptions {
  /// The backend; the default chooses mpi when this build has it and a launcher started the
  /// process, local otherwise. Asking for mpi in a build without it throws.
  std::optional<Backend> backend;
  /// How long a collective waits for the other ranks before it fails (and tells them so).
  std::chrono::milliseconds timeout = std::chrono::minutes(5);
  /// nccl: the CUDA device of this rank, whose tensors NCCL reduces; -1 chooses the launcher's
  /// local rank modulo the number of devices.
  int cuda_device = -1;
};

namespace detail {
class Communicator;
}  // namespace detail

/// The ranks of one distributed job (torch.distributed's default process group), joined by
/// init() and left when the object is destroyed or finalize() is called. While it lives it is the
/// current group: the collectives run over it. Move-only; at most one exists at a time.
///
///   auto group = metagrad::distributed::init();  // mpirun -np 4 ./prog, or ./prog alone
///   group.guard([&] { train(group.rank(), group.world_size()); });
class ProcessGroup {
 public:
  /// Joins the ranks (see ProcessGroupOptions::backend). Throws when a group already exists or
  /// the backend cannot start.
  explicit ProcessGroup(ProcessGroupOptions options = {});
  /// Takes over `other`'s membership (and its place as the current group); `other` is left empty.
  ProcessGroup(ProcessGroup&& other) noexcept;
  ProcessGroup& operator=(ProcessGroup&&) = delete;
  ProcessGroup(const ProcessGroup&) = delete;
  ProcessGroup& operator=(const ProcessGroup&) = delete;
  /// Leaves the group. A healthy group first meets the other ranks (finalize); when that fails,
  /// or the group was aborted, or an exception is unwinding, the other ranks are told and the
  /// group is left without finalizing (see Note [process group]). Never throws.
  ~ProcessGroup();

  /// This process's rank, 0 <= rank < world_size().
  int rank() const;
  /// The number of ranks.
  int world_size() const;
  /// The backend moving the bytes.
  Backend backend() const;
  /// How long a collective waits (ProcessGroupOptions::timeout).
  std::chrono::milliseconds timeout() const;
  /// Blocks until every rank has called barrier(). Throws DistributedError as a collective.
  void barrier();
  /// Meets the other ranks and leaves the group; the object is then empty and no group is
  /// current. Throws DistributedError when a rank failed or did not arrive.
  void finalize();
  /// Tells every other rank that this one failed with `message` (their waiting collectives throw
  /// it), waits a while for them to acknowledge, and marks the group aborted. Idempotent.
  void abort(std::string_view message);
  /// True after abort(), a timeout or a failure announced by another rank.
  bool aborted() const;

  /// Runs `fn()` and returns its result; an exception from it first aborts the group with its
  /// message (so every rank ends with it), then propagates.
  template <typename F>
  decltype(auto) guard(F&& fn) {
    try {
      return std::forward<F>(fn)();
    } catch (const std::exception& e) {
      abort(e.what());
      throw;
    }
  }

  /// The transport (for the collectives; not part of the public API).
  detail::Communicator& communicator() const;

 private:
  std::unique_ptr<detail::Communicator> comm_;
  std::chrono::milliseconds timeout_;
};

/// Joins the ranks: ProcessGroup(options) (torch.distributed.init_process_group). Keep the result:
/// the group lives as long as it does.
ProcessGroup init(ProcessGroupOptions options = {});
/// Finalizes the current group (torch.distributed.destroy_process_group); a no-op when none is.
void finalize();
/// True while a ProcessGroup exists (torch.distributed.is_initialized).
bool is_initialized();
/// The current group, or nullptr when there is none (then the world is this process alone).
ProcessGroup* current_group();
/// This process's rank in the current group (0 without one).
int rank();
/// The number of ranks in the current group (1 without one).
int world_size();
/// Blocks until every rank of the current group arrives (a no-op without one).
void barrier();

/// @}

}  // namespace metagrad::distributed
