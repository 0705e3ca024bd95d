// The MPI transport (built with -Dmpi=auto|enabled when Open MPI is found). See Note [process
// group] for the failure protocol.
#define OMPI_SKIP_MPICXX 1  // the C API only (no deprecated C++ bindings)
#include <mpi.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine/distributed/communicator.hpp"

namespace metagrad::distributed {

bool is_mpi_available() { return true; }

namespace detail {
namespace {

using Clock = std::chrono::steady_clock;

// Tags on the side channel (a duplicate of MPI_COMM_WORLD that carries no collective).
constexpr int kFailureTag = 1;  // a failing rank's message
constexpr int kAckTag = 2;      // "message received"
// MPI_Test calls before a wait starts pausing between polls (about a millisecond), and between
// two looks at the clock.
constexpr int kBusyPolls = 2000;
constexpr auto kPollSleep = std::chrono::microseconds(50);
// The largest element count of one MPI call (counts are int).
constexpr int64_t kMaxCount = INT_MAX / 2;

// MPI is initialised once per process and finalised at exit, unless a group was aborted: then its
// unfinished collectives would make MPI_Finalize wait for ranks that have stopped.
struct MpiRuntime {
  std::mutex mutex;
  bool initialised_here = false;
  bool any_aborted = false;
};

MpiRuntime& runtime() {
  static MpiRuntime* r = new MpiRuntime;  // never destroyed: the atexit handler reads it
  return *r;
}

void finalize_at_exit() {
  MpiRuntime& r = runtime();
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (r.any_aborted || finalized) return;
  MPI_Finalize();
}

std::string mpi_error_text(int code) {
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  if (MPI_Error_string(code, text, &length) != MPI_SUCCESS)
    return fmt::format("MPI error {}", code);
  return std::string(text, static_cast<size_t>(length));
}

MPI_Datatype mpi_type(DType dtype, std::string_view op) {
  switch (dtype) {
    case DType::Float32:
      return MPI_FLOAT;
    case DType::Float64:
      return MPI_DOUBLE;
    case DType::Int64:
      return MPI_INT64_T;
    default:
      break;
  }
  throw DistributedError(fmt::format(
      "{}: dtype {} cannot be reduced; use float32, float64 or int64", op, dtype_name(dtype)));
}

MPI_Op mpi_op(Combine combine) { return combine == Combine::sum ? MPI_SUM : MPI_MAX; }

class MpiCommunicator final : public Communicator {
 public:
  explicit MpiCommunicator(std::chrono::milliseconds timeout) : timeout_(timeout) {
    {
      MpiRuntime& r = runtime();
      std::lock_guard<std::mutex> lock(r.mutex);
      int initialised = 0;
      MPI_Initialized(&initialised);
      if (!initialised) {
        int finalized = 0;
        MPI_Finalized(&finalized);
        if (finalized)
          throw DistributedError(
              "distributed::init: MPI was finalized in this process and cannot start again");
        int provided = 0;
        const int code = MPI_Init_thread(nullptr, nullptr, MPI_THREAD_SERIALIZED, &provided);
        if (code != MPI_SUCCESS)
          throw DistributedError("distributed::init: MPI_Init_thread failed: " +
                                 mpi_error_text(code));
        r.initialised_here = true;
        std::atexit(finalize_at_exit);
      }
    }
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    check(MPI_Comm_dup(MPI_COMM_WORLD, &comm_), "distributed::init");
    check(MPI_Comm_dup(MPI_COMM_WORLD, &signal_comm_), "distributed::init");
    MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN);
    MPI_Comm_set_errhandler(signal_comm_, MPI_ERRORS_RETURN);
    MPI_Comm_rank(comm_, &rank_);
    MPI_Comm_size(comm_, &size_);
  }

  ~MpiCommunicator() override {
    // An aborted communicator keeps its handles: freeing them could wait on its stuck requests.
    if (!aborted_ && !finalized_) {
      MPI_Comm_free(&comm_);
      MPI_Comm_free(&signal_comm_);
    }
  }

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  Backend backend() const override { return Backend::mpi; }

  // The data collectives run after the ranks met (signature.hpp), so every rank is present: they
  // use MPI's blocking collectives, whose algorithms (Open MPI's tuned shared-memory ones) move
  // bytes two to three times faster than its non-blocking ones. Only meet() waits with a timeout
  // and watches for failures.
  void all_reduce(void* data, int64_t count, DType dtype, Combine combine,
                  std::string_view op) override {
    const std::lock_guard<std::mutex> lock(mutex_);
    throw_if_aborted(op);
    const MPI_Datatype type = mpi_type(dtype, op);
    auto* bytes = static_cast<char*>(data);
    for (int64_t done = 0; done < count; done += kMaxCount) {
      const int n = static_cast<int>(std::min(kMaxCount, count - done));
      check(MPI_Allreduce(MPI_IN_PLACE, bytes + done * static_cast<int64_t>(element_size(dtype)), n,
                          type, mpi_op(combine), comm_),
            op);
    }
  }

  void broadcast(void* data, int64_t bytes, int root, std::string_view op) override {
    const std::lock_guard<std::mutex> lock(mutex_);
    throw_if_aborted(op);
    auto* p = static_cast<char*>(data);
    for (int64_t done = 0; done < bytes; done += kMaxCount)
      check(MPI_Bcast(p + done, static_cast<int>(std::min(kMaxCount, bytes - done)), MPI_BYTE, root,
                      comm_),
            op);
  }

  void all_gather(const void* in, void* out, int64_t bytes, std::string_view op) override {
    const std::lock_guard<std::mutex> lock(mutex_);
    throw_if_aborted(op);
    check_count(bytes, "bytes per rank", op);
    check(MPI_Allgather(in, static_cast<int>(bytes), MPI_BYTE, out, static_cast<int>(bytes),
                        MPI_BYTE, comm_),
          op);
  }

  void meet(const void* in, void* out, int64_t bytes, std::string_view op) override {
    const std::lock_guard<std::mutex> lock(mutex_);
    throw_if_aborted(op);
    check_count(bytes, "bytes per rank", op);
    MPI_Request request;
    check(MPI_Iallgather(in, static_cast<int>(bytes), MPI_BYTE, out, static_cast<int>(bytes),
                         MPI_BYTE, comm_, &request),
          op);
    wait(request, op);
  }

  void reduce_scatter(const void* in, void* out, int64_t count, DType dtype, Combine combine,
                      std::string_view op) override {
    const std::lock_guard<std::mutex> lock(mutex_);
    throw_if_aborted(op);
    check_count(count, "elements per rank", op);
    check(MPI_Reduce_scatter_block(in, out, static_cast<int>(count), mpi_type(dtype, op),
                                   mpi_op(combine), comm_),
          op);
  }

  void abort(std::string_view message, std::chrono::milliseconds grace) noexcept override {
    if (aborted_) return;
    mark_aborted(std::string(message));
    std::vector<MPI_Request> sends;
    for (int peer = 0; peer < size_; ++peer) {
      if (peer == rank_) continue;
      MPI_Request request;
      if (MPI_Isend(message_.data(), static_cast<int>(message_.size()), MPI_CHAR, peer, kFailureTag,
                    signal_comm_, &request) == MPI_SUCCESS)
        sends.push_back(request);
    }
    // Wait for every peer to acknowledge (a peer failing at the same time counts: its own
    // announcement reached us), so that all of them print the message before this rank exits
    // and the launcher stops the job.
    std::vector<bool> heard(static_cast<size_t>(size_), false);
    heard[static_cast<size_t>(rank_)] = true;
    const auto deadline = Clock::now() + grace;
    while (std::count(heard.begin(), heard.end(), false) > 0 && Clock::now() < deadline) {
      for (int tag : {kAckTag, kFailureTag}) {
        int flag = 0;
        MPI_Status status;
        if (MPI_Iprobe(MPI_ANY_SOURCE, tag, signal_comm_, &flag, &status) != MPI_SUCCESS || !flag)
          continue;
        drain(status);
        heard[static_cast<size_t>(status.MPI_SOURCE)] = true;
      }
      std::this_thread::sleep_for(kPollSleep);
    }
    for (MPI_Request& request : sends) {
      int done = 0;
      MPI_Test(&request, &done, MPI_STATUS_IGNORE);
      if (!done) MPI_Request_free(&request);
    }
  }

  bool aborted() const override { return aborted_; }

  void finalize() override {
    finalized_ = true;
    MPI_Comm_free(&comm_);
    MPI_Comm_free(&signal_comm_);
  }

 private:
  void mark_aborted(std::string message) {
    aborted_ = true;
    message_ = std::move(message);
    MpiRuntime& r = runtime();
    const std::lock_guard<std::mutex> lock(r.mutex);
    r.any_aborted = true;
  }

  // Receives the message `status` announces (a failure message or an acknowledgement).
  std::string drain(const MPI_Status& status) {
    int length = 0;
    MPI_Get_count(&status, MPI_CHAR, &length);
    std::string text(static_cast<size_t>(std::max(length, 0)), '\0');
    MPI_Recv(text.data(), length, MPI_CHAR, status.MPI_SOURCE, status.MPI_TAG, signal_comm_,
             MPI_STATUS_IGNORE);
    return text;
  }

  void check(int code, std::string_view op) const {
    if (code != MPI_SUCCESS)
      throw DistributedError(fmt::format("{}: rank {}: {}", op, rank_, mpi_error_text(code)));
  }

  void check_count(int64_t count, std::string_view what, std::string_view op) const {
    if (count > INT_MAX)
      throw DistributedError(fmt::format(
          "{}: {} {} exceed MPI's limit of {} per call; split the tensors into smaller ones", op,
          count, what, INT_MAX));
  }

  void throw_if_aborted(std::string_view op) const {
    if (aborted_)
      throw DistributedError(
          fmt::format("{}: the process group was aborted after: {}", op, message_));
  }

  // Throws when another rank announced a failure (after acknowledging it).
  void poll_failures(std::string_view op) {
    int flag = 0;
    MPI_Status status;
    if (MPI_Iprobe(MPI_ANY_SOURCE, kFailureTag, signal_comm_, &flag, &status) != MPI_SUCCESS ||
        !flag)
      return;
    const int source = status.MPI_SOURCE;
    std::string text = drain(status);
    MPI_Request ack;
    if (MPI_Isend(nullptr, 0, MPI_CHAR, source, kAckTag, signal_comm_, &ack) == MPI_SUCCESS)
      MPI_Request_free(&ack);
    std::string message = fmt::format("{}: rank {} failed: {}", op, source, text);
    mark_aborted(message);
    throw DistributedError(message);
  }

  // Polls `request` (the meeting of the ranks) until it completes, another rank announces a
  // failure, or the timeout; after the first thousands of polls it pauses between them, since a
  // rank may still be computing for a long while.
  void wait(MPI_Request& request, std::string_view op) {
    const auto start_time = Clock::now();
    for (int64_t polls = 0;; ++polls) {
      int done = 0;
      check(MPI_Test(&request, &done, MPI_STATUS_IGNORE), op);
      if (done) return;
      poll_failures(op);
      if (polls < kBusyPolls) continue;
      if (polls % kBusyPolls == 0 && Clock::now() - start_time > timeout_) {
        std::string message = fmt::format(
            "{}: rank {} waited {} ms for the other ranks: one of them did not call this "
            "collective (it is stuck, has failed or called another one); raise "
            "ProcessGroupOptions::timeout if slow ranks are expected",
            op, rank_, timeout_.count());
        abort(message, std::min(timeout_, std::chrono::milliseconds(10000)));
        throw DistributedError(message);
      }
      std::this_thread::sleep_for(kPollSleep);
    }
  }

  std::mutex mutex_;
  MPI_Comm comm_ = MPI_COMM_NULL;
  MPI_Comm signal_comm_ = MPI_COMM_NULL;
  int rank_ = 0;
  int size_ = 1;
  std::chrono::milliseconds timeout_;
  bool aborted_ = false;
  bool finalized_ = false;
  std::string message_;
};

}  // namespace

std::unique_ptr<Communicator> make_mpi_communicator(std::chrono::milliseconds timeout) {
  return std::make_unique<MpiCommunicator>(timeout);
}

}  // namespace detail
}  // namespace metagrad::distributed
