// The nccl backend of metagrad::distributed (Note [process group]): NCCL moves the buffers of the
// CUDA device this rank is bound to; a host transport (MPI, or the world of one) does the rest.
#include <cuda_runtime.h>

#include <cstdlib>
#include <string>

#include "cuda/cuda.hpp"
#include "cuda/nccl_library.hpp"
#include "engine/distributed/communicator.hpp"

namespace metagrad::distributed {
namespace detail {
namespace {

void check_cuda(cudaError_t status, std::string_view op) {
  if (status != cudaSuccess)
    throw DistributedError(fmt::format("{}: CUDA error {} ({})", op, cudaGetErrorName(status),
                                       cudaGetErrorString(status)));
}

ncclDataType_t nccl_type(DType dtype, std::string_view op) {
  switch (dtype) {
    case DType::Float32:
      return ncclFloat32;
    case DType::Float64:
      return ncclFloat64;
    case DType::Int64:
      return ncclInt64;
    default:
      break;
  }
  throw DistributedError(fmt::format(
      "{}: dtype {} cannot be reduced; use float32, float64 or int64", op, dtype_name(dtype)));
}

ncclRedOp_t nccl_op(Combine combine) { return combine == Combine::sum ? ncclSum : ncclMax; }

// The device of this rank: the one asked for, else the launcher's local rank modulo the count.
int choose_device(int asked) {
  const int count = cuda::device_count();
  if (count == 0)
    throw DistributedError(
        "distributed::init: backend nccl needs a CUDA device, and this machine has none");
  if (asked >= 0) {
    if (asked >= count)
      throw DistributedError(fmt::format(
          "distributed::init: cuda_device {} does not exist ({} device(s))", asked, count));
    return asked;
  }
  const char* local = std::getenv("OMPI_COMM_WORLD_LOCAL_RANK");
  return local != nullptr ? std::atoi(local) % count : 0;
}

class NcclCommunicator final : public Communicator {
 public:
  NcclCommunicator(std::unique_ptr<Communicator> host, int device)
      : host_(std::move(host)), device_(device) {
    const NcclLibrary& lib = nccl();
    ncclUniqueId id{};
    if (host_->rank() == 0) check(lib.get_unique_id(&id), "distributed::init");
    host_->broadcast(&id, sizeof(id), 0, "distributed::init");
    check_cuda(cudaSetDevice(device_), "distributed::init");
    check_cuda(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking), "distributed::init");
    check(lib.comm_init_rank(&comm_, host_->size(), id, host_->rank()), "distributed::init");
  }

  ~NcclCommunicator() override {
    if (comm_ != nullptr) {
      if (host_->aborted()) {
        nccl().comm_abort(comm_);
      } else {
        nccl().comm_destroy(comm_);
      }
    }
    if (stream_ != nullptr) cudaStreamDestroy(stream_);
  }

  int rank() const override { return host_->rank(); }
  int size() const override { return host_->size(); }
  Backend backend() const override { return Backend::nccl; }

  void all_reduce(void* data, int64_t count, DType dtype, Combine combine,
                  std::string_view op) override {
    host_->all_reduce(data, count, dtype, combine, op);
  }
  void broadcast(void* data, int64_t bytes, int root, std::string_view op) override {
    host_->broadcast(data, bytes, root, op);
  }
  void all_gather(const void* in, void* out, int64_t bytes, std::string_view op) override {
    host_->all_gather(in, out, bytes, op);
  }
  void meet(const void* in, void* out, int64_t bytes, std::string_view op) override {
    host_->meet(in, out, bytes, op);
  }
  void reduce_scatter(const void* in, void* out, int64_t count, DType dtype, Combine combine,
                      std::string_view op) override {
    host_->reduce_scatter(in, out, count, dtype, combine, op);
  }

  bool moves_device_buffers(Device device) const override {
    return device.is_cuda() && device.index == device_;
  }

  void device_all_reduce(void* data, int64_t count, DType dtype, Combine combine,
                         std::string_view op) override {
    run(op, [&] {
      return nccl().all_reduce(data, data, static_cast<size_t>(count), nccl_type(dtype, op),
                               nccl_op(combine), comm_, stream_);
    });
  }
  void device_broadcast(void* data, int64_t bytes, int root, std::string_view op) override {
    run(op, [&] {
      return nccl().broadcast(data, data, static_cast<size_t>(bytes), ncclUint8, root, comm_,
                              stream_);
    });
  }
  void device_all_gather(const void* in, void* out, int64_t bytes, std::string_view op) override {
    run(op, [&] {
      return nccl().all_gather(in, out, static_cast<size_t>(bytes), ncclUint8, comm_, stream_);
    });
  }
  void device_reduce_scatter(const void* in, void* out, int64_t count, DType dtype, Combine combine,
                             std::string_view op) override {
    run(op, [&] {
      return nccl().reduce_scatter(in, out, static_cast<size_t>(count), nccl_type(dtype, op),
                                   nccl_op(combine), comm_, stream_);
    });
  }

  void abort(std::string_view message, std::chrono::milliseconds grace) noexcept override {
    host_->abort(message, grace);
  }
  bool aborted() const override { return host_->aborted(); }
  void finalize() override { host_->finalize(); }

 private:
  void check(ncclResult_t result, std::string_view op) const {
    if (result != ncclSuccess)
      throw DistributedError(fmt::format("{}: NCCL error on rank {}: {}", op, host_->rank(),
                                         nccl().error_string(result)));
  }

  // Runs one NCCL call on this communicator's stream after the backend's queued work on the
  // device (its inputs) and waits for it (the backend's later work reads its outputs).
  template <typename Call>
  void run(std::string_view op, Call call) {
    if (host_->aborted())
      throw DistributedError(fmt::format("{}: the process group was aborted", op));
    check_cuda(cudaSetDevice(device_), op);
    cuda::synchronize(device_);
    check(call(), op);
    check_cuda(cudaStreamSynchronize(stream_), op);
  }

  std::unique_ptr<Communicator> host_;
  int device_;
  cudaStream_t stream_ = nullptr;
  ncclComm_t comm_ = nullptr;
};

}  // namespace

std::unique_ptr<Communicator> make_nccl_communicator(std::unique_ptr<Communicator> host,
                                                     int cuda_device) {
  return std::make_unique<NcclCommunicator>(std::move(host), choose_device(cuda_device));
}

}  // namespace detail

bool is_nccl_available() {
  if (cuda::device_count() == 0) return false;
  try {
    (void)nccl();
    return true;
  } catch (const Error&) {
    return false;
  }
}

}  // namespace metagrad::distributed
