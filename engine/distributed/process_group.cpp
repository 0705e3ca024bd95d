#include "engine/distributed/process_group.hpp"

#include <cstdio>
#include <cstdlib>
#include <mutex>

#include "engine/distributed/communicator.hpp"
#include "engine/distributed/signature.hpp"

namespace metagrad::distributed {
namespace {

std::mutex& current_mutex() {
  static std::mutex m;
  return m;
}

ProcessGroup*& current_slot() {
  static ProcessGroup* current = nullptr;
  return current;
}

// How long abort() waits for the other ranks to acknowledge a failure.
std::chrono::milliseconds grace(std::chrono::milliseconds timeout) {
  return std::min(timeout, std::chrono::milliseconds(10000));
}

Backend choose_backend(const ProcessGroupOptions& options) {
  if (options.backend) return *options.backend;
  return is_mpi_available() && launched_by_mpi() ? Backend::mpi : Backend::local;
}

}  // namespace

std::string_view backend_name(Backend backend) { return backend == Backend::mpi ? "mpi" : "local"; }

bool launched_by_mpi() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"})
    if (std::getenv(name) != nullptr) return true;
  return false;
}

ProcessGroup::ProcessGroup(ProcessGroupOptions options) : timeout_(options.timeout) {
  MG_CHECK(options.timeout.count() > 0,
           "distributed::init: the timeout must be positive, got {} ms", options.timeout.count());
  const std::lock_guard<std::mutex> lock(current_mutex());
  if (current_slot() != nullptr)
    throw DistributedError(
        "distributed::init: a process group already exists; finalize it (or let it go out of "
        "scope) before making another");
  const Backend backend = choose_backend(options);
  const bool over_mpi = backend == Backend::mpi ||
                        (backend == Backend::nccl && is_mpi_available() && launched_by_mpi());
  comm_ = over_mpi ? detail::make_mpi_communicator(timeout_) : detail::make_local_communicator();
  if (backend == Backend::nccl)
    comm_ = detail::make_nccl_communicator(std::move(comm_), options.cuda_device);
  current_slot() = this;
}

ProcessGroup::ProcessGroup(ProcessGroup&& other) noexcept
    : comm_(std::move(other.comm_)), timeout_(other.timeout_) {
  const std::lock_guard<std::mutex> lock(current_mutex());
  if (current_slot() == &other) current_slot() = comm_ ? this : nullptr;
}

ProcessGroup::~ProcessGroup() {
  if (!comm_) return;
  if (!comm_->aborted()) {
    if (std::uncaught_exceptions() > 0) {
      abort(
          fmt::format("rank {} stopped with an exception (run the work in ProcessGroup::guard "
                      "to pass its message on)",
                      comm_->rank()));
    } else {
      try {
        finalize();
        return;
      } catch (const std::exception& e) {
        std::fprintf(stderr, "metagrad distributed: %s\n", e.what());
      }
    }
  }
  const std::lock_guard<std::mutex> lock(current_mutex());
  if (current_slot() == this) current_slot() = nullptr;
}

detail::Communicator& ProcessGroup::communicator() const {
  if (!comm_) throw DistributedError("distributed: the process group was finalized");
  return *comm_;
}

int ProcessGroup::rank() const { return communicator().rank(); }
int ProcessGroup::world_size() const { return communicator().size(); }
Backend ProcessGroup::backend() const { return communicator().backend(); }
std::chrono::milliseconds ProcessGroup::timeout() const { return timeout_; }
bool ProcessGroup::aborted() const { return comm_ && comm_->aborted(); }

void ProcessGroup::barrier() { detail::agree_on_call(communicator(), "barrier", "barrier"); }

void ProcessGroup::finalize() {
  detail::agree_on_call(communicator(), "finalize", "finalize");
  comm_->finalize();
  comm_.reset();
  const std::lock_guard<std::mutex> lock(current_mutex());
  if (current_slot() == this) current_slot() = nullptr;
}

void ProcessGroup::abort(std::string_view message) {
  if (comm_) comm_->abort(message, grace(timeout_));
}

ProcessGroup init(ProcessGroupOptions options) { return ProcessGroup(options); }

void finalize() {
  if (ProcessGroup* group = current_group()) group->finalize();
}

bool is_initialized() { return current_group() != nullptr; }

ProcessGroup* current_group() {
  const std::lock_guard<std::mutex> lock(current_mutex());
  return current_slot();
}

int rank() {
  ProcessGroup* group = current_group();
  return group ? group->rank() : 0;
}

int world_size() {
  ProcessGroup* group = current_group();
  return group ? group->world_size() : 1;
}

void barrier() {
  if (ProcessGroup* group = current_group()) group->barrier();
}

}  // namespace metagrad::distributed
