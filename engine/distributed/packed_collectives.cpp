#include "engine/distributed/packed_collectives.hpp"

#include <atomic>
#include <cstring>
#include <vector>

#include "engine/grad_mode.hpp"
#include "engine/ops/binary.hpp"
#include "engine/ops/factory.hpp"
#include "engine/ops/index_ops.hpp"

namespace metagrad::distributed::detail {

std::atomic<int64_t> g_calls{0};
std::atomic<int64_t> g_bytes{0};

namespace {

void record_message(int64_t bytes) {
  g_calls.fetch_add(1, std::memory_order_relaxed);
  g_bytes.fetch_add(bytes, std::memory_order_relaxed);
}

// A contiguous host copy of `t` (the tensor itself when it already is one).
Tensor host_contiguous(const Tensor& t) {
  Tensor host = t.device().is_cpu() ? t : t.to(kCPU);
  return host.is_contiguous() ? host : host.contiguous();
}

// A new tensor on `like`'s device holding `host` (contiguous, on the CPU).
Tensor to_device_of(const Tensor& host, const Tensor& like) {
  return like.device().is_cpu() ? host : host.to(like.device());
}

int64_t nbytes(const Tensor& t) {
  return t.numel() * static_cast<int64_t>(element_size(t.dtype()));
}

Combine combine_of(ReduceOp op) { return op == ReduceOp::max ? Combine::max : Combine::sum; }

void check_reducible(const TensorList& tensors, ReduceOp op, std::string_view name) {
  for (size_t i = 0; i < tensors.size(); ++i) {
    const DType dtype = tensors[i].dtype();
    MG_CHECK(dtype != kBool, "{}: tensor {} is bool, which cannot be reduced; convert it to int64",
             name, i);
    MG_CHECK(op != ReduceOp::mean || is_floating(dtype),
             "{}: tensor {} is {}; a mean needs float32 or float64 tensors (use sum)", name, i,
             dtype_name(dtype));
  }
}

// Divides a host buffer of `count` elements by the world size (for ReduceOp::mean).
void divide(void* data, int64_t count, DType dtype, int world) {
  if (dtype == kFloat32) {
    auto* p = static_cast<float*>(data);
    for (int64_t i = 0; i < count; ++i) p[i] /= static_cast<float>(world);
  } else {
    auto* p = static_cast<double*>(data);
    for (int64_t i = 0; i < count; ++i) p[i] /= static_cast<double>(world);
  }
}

// Lists of tensor indices whose bytes go into one reduction message each (Note [bucketing]).
std::vector<std::vector<size_t>> reduction_buckets(const TensorList& tensors) {
  std::vector<std::vector<size_t>> buckets;
  for (DType dtype : {kFloat32, kFloat64, kInt64}) {
    std::vector<size_t> bucket;
    int64_t bytes = 0;
    for (size_t i = 0; i < tensors.size(); ++i) {
      if (tensors[i].dtype() != dtype) continue;
      const int64_t size = nbytes(tensors[i]);
      if (!bucket.empty() && bytes + size > kBucketBytes) {
        buckets.push_back(std::move(bucket));
        bucket.clear();
        bytes = 0;
      }
      bucket.push_back(i);
      bytes += size;
    }
    if (!bucket.empty()) buckets.push_back(std::move(bucket));
  }
  return buckets;
}

// The byte offset of each tensor in a buffer that packs them all, in order; the total at the end.
std::vector<int64_t> byte_offsets(const TensorList& tensors) {
  std::vector<int64_t> offsets{0};
  for (const Tensor& t : tensors) offsets.push_back(offsets.back() + nbytes(t));
  return offsets;
}

// True when every tensor lies on one device whose buffers the transport moves itself (NCCL): the
// collectives then pack and unpack with device ops instead of staging through host memory.
bool on_transport_device(const Communicator& comm, const TensorList& tensors) {
  if (tensors.empty() || !comm.moves_device_buffers(tensors[0].device())) return false;
  for (const Tensor& t : tensors)
    if (t.device() != tensors[0].device()) return false;
  return true;
}

// all_reduce on the transport's device: a bucket is the flattened tensors of one dtype,
// concatenated by a device op, reduced in place and sliced back.
TensorList device_all_reduce(Communicator& comm, const TensorList& tensors, ReduceOp op,
                             std::string_view name) {
  TensorList out(tensors.size());
  for (const std::vector<size_t>& bucket : reduction_buckets(tensors)) {
    TensorList flat;
    for (size_t i : bucket) flat.push_back(tensors[i].reshape({-1}));
    Tensor buffer = cat(flat).contiguous();
    comm.device_all_reduce(buffer.raw_data(), buffer.numel(), buffer.dtype(), combine_of(op), name);
    record_message(nbytes(buffer));
    if (op == ReduceOp::mean) buffer = buffer / static_cast<double>(comm.size());
    int64_t offset = 0;
    for (size_t i : bucket) {
      const int64_t n = tensors[i].numel();
      out[i] = buffer.slice(0, offset, offset + n).reshape(tensors[i].shape()).clone();
      offset += n;
    }
  }
  return out;
}

}  // namespace

TensorList packed_all_reduce(Communicator& comm, const TensorList& tensors, ReduceOp op,
                             std::string_view name) {
  check_reducible(tensors, op, name);
  NoGradGuard no_grad;
  if (on_transport_device(comm, tensors)) return device_all_reduce(comm, tensors, op, name);
  TensorList out(tensors.size());
  for (const std::vector<size_t>& bucket : reduction_buckets(tensors)) {
    const DType dtype = tensors[bucket[0]].dtype();
    if (bucket.size() == 1) {  // a bucket of one tensor is reduced in its own copy
      const size_t i = bucket[0];
      Tensor result = tensors[i].device().is_cpu() ? tensors[i].contiguous().clone()
                                                   : tensors[i].to(kCPU).contiguous();
      comm.all_reduce(result.raw_data(), result.numel(), dtype, combine_of(op), name);
      record_message(nbytes(result));
      if (op == ReduceOp::mean) divide(result.raw_data(), result.numel(), dtype, comm.size());
      out[i] = to_device_of(result, tensors[i]);
      continue;
    }
    int64_t count = 0;
    for (size_t i : bucket) count += tensors[i].numel();
    Tensor buffer = empty({count}, dtype);
    auto* bytes = static_cast<char*>(buffer.raw_data());
    int64_t offset = 0;
    for (size_t i : bucket) {
      const Tensor host = host_contiguous(tensors[i]);
      std::memcpy(bytes + offset, host.raw_data(), static_cast<size_t>(nbytes(host)));
      offset += nbytes(host);
    }
    comm.all_reduce(bytes, count, dtype, combine_of(op), name);
    record_message(offset);
    if (op == ReduceOp::mean) divide(bytes, count, dtype, comm.size());
    offset = 0;
    for (size_t i : bucket) {
      Tensor result = empty(tensors[i].shape(), dtype);
      std::memcpy(result.raw_data(), bytes + offset, static_cast<size_t>(nbytes(result)));
      offset += nbytes(result);
      out[i] = to_device_of(result, tensors[i]);
    }
  }
  return out;
}

TensorList packed_broadcast(Communicator& comm, const TensorList& tensors, int root,
                            std::string_view name) {
  NoGradGuard no_grad;
  if (on_transport_device(comm, tensors)) {  // one message per tensor, on the device
    TensorList out;
    for (const Tensor& t : tensors) {
      Tensor result = t.contiguous().clone();
      comm.device_broadcast(result.raw_data(), nbytes(result), root, name);
      record_message(nbytes(result));
      out.push_back(result);
    }
    return out;
  }
  const std::vector<int64_t> offsets = byte_offsets(tensors);
  std::vector<char> buffer(static_cast<size_t>(offsets.back()));
  if (comm.rank() == root)
    for (size_t i = 0; i < tensors.size(); ++i)
      std::memcpy(buffer.data() + offsets[i], host_contiguous(tensors[i]).raw_data(),
                  static_cast<size_t>(offsets[i + 1] - offsets[i]));
  comm.broadcast(buffer.data(), offsets.back(), root, name);
  record_message(offsets.back());
  TensorList out(tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) {
    Tensor result = empty(tensors[i].shape(), tensors[i].dtype());
    std::memcpy(result.raw_data(), buffer.data() + offsets[i],
                static_cast<size_t>(offsets[i + 1] - offsets[i]));
    out[i] = to_device_of(result, tensors[i]);
  }
  return out;
}

TensorList packed_all_gather(Communicator& comm, const TensorList& tensors, std::string_view name) {
  NoGradGuard no_grad;
  if (on_transport_device(comm, tensors)) {  // one message per tensor, on the device
    TensorList out;
    for (const Tensor& t : tensors) {
      const Tensor in = t.contiguous();
      Dims shape = t.shape();
      shape.insert(0, comm.size());
      Tensor result = empty(shape, TensorOptions(t.dtype(), t.device()));
      comm.device_all_gather(in.raw_data(), result.raw_data(), nbytes(in), name);
      record_message(nbytes(in));
      out.push_back(result);
    }
    return out;
  }
  const std::vector<int64_t> offsets = byte_offsets(tensors);
  const int64_t per_rank = offsets.back();
  std::vector<char> mine(static_cast<size_t>(per_rank));
  for (size_t i = 0; i < tensors.size(); ++i)
    std::memcpy(mine.data() + offsets[i], host_contiguous(tensors[i]).raw_data(),
                static_cast<size_t>(offsets[i + 1] - offsets[i]));
  const int world = comm.size();
  std::vector<char> all(static_cast<size_t>(per_rank) * static_cast<size_t>(world));
  comm.all_gather(mine.data(), all.data(), per_rank, name);
  record_message(per_rank);
  TensorList out(tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) {
    Dims shape = tensors[i].shape();
    shape.insert(0, world);
    Tensor result = empty(shape, tensors[i].dtype());
    const int64_t size = offsets[i + 1] - offsets[i];
    auto* dst = static_cast<char*>(result.raw_data());
    for (int r = 0; r < world; ++r)
      std::memcpy(dst + r * size, all.data() + r * per_rank + offsets[i],
                  static_cast<size_t>(size));
    out[i] = to_device_of(result, tensors[i]);
  }
  return out;
}

TensorList packed_reduce_scatter(Communicator& comm, const TensorList& tensors, ReduceOp op,
                                 std::string_view name) {
  check_reducible(tensors, op, name);
  MG_CHECK(op != ReduceOp::max, "{}: supports sum and mean, not max", name);
  const int world = comm.size();
  for (size_t i = 0; i < tensors.size(); ++i)
    MG_CHECK(tensors[i].dim() >= 1 && tensors[i].size(0) == world,
             "{}: tensor {} has shape {}; each input needs a leading dimension of the world size "
             "{} (slice r goes to rank r)",
             name, i, shape_str(tensors[i].shape()), world);
  NoGradGuard no_grad;
  if (on_transport_device(comm, tensors)) {  // one message per tensor, on the device
    TensorList out;
    for (const Tensor& t : tensors) {
      const Tensor in = t.contiguous();
      Dims shape = t.shape();
      shape.erase(0);
      Tensor result = empty(shape, TensorOptions(t.dtype(), t.device()));
      comm.device_reduce_scatter(in.raw_data(), result.raw_data(), result.numel(), t.dtype(),
                                 Combine::sum, name);
      record_message(nbytes(in));
      out.push_back(op == ReduceOp::mean ? result / static_cast<double>(world) : result);
    }
    return out;
  }
  TensorList out(tensors.size());
  for (const std::vector<size_t>& bucket : reduction_buckets(tensors)) {
    const DType dtype = tensors[bucket[0]].dtype();
    const int64_t elem = static_cast<int64_t>(element_size(dtype));
    int64_t per_rank = 0;  // elements of this bucket that one rank receives
    for (size_t i : bucket) per_rank += tensors[i].numel() / world;
    // Rank-major: rank r's part holds slice r of every tensor of the bucket.
    std::vector<char> in(static_cast<size_t>(per_rank * world * elem));
    int64_t offset = 0;
    for (size_t i : bucket) {
      const Tensor host = host_contiguous(tensors[i]);
      const int64_t slice = host.numel() / world * elem;
      for (int r = 0; r < world; ++r)
        std::memcpy(in.data() + r * per_rank * elem + offset,
                    static_cast<const char*>(host.raw_data()) + r * slice,
                    static_cast<size_t>(slice));
      offset += slice;
    }
    std::vector<char> mine(static_cast<size_t>(per_rank * elem));
    comm.reduce_scatter(in.data(), mine.data(), per_rank, dtype, Combine::sum, name);
    record_message(per_rank * world * elem);
    if (op == ReduceOp::mean) divide(mine.data(), per_rank, dtype, world);
    offset = 0;
    for (size_t i : bucket) {
      Dims shape = tensors[i].shape();
      shape.erase(0);
      Tensor result = empty(shape, dtype);
      std::memcpy(result.raw_data(), mine.data() + offset, static_cast<size_t>(nbytes(result)));
      offset += nbytes(result);
      out[i] = to_device_of(result, tensors[i]);
    }
  }
  return out;
}

}  // namespace metagrad::distributed::detail

namespace metagrad::distributed {

CollectiveStats collective_stats() {
  return {detail::g_calls.load(std::memory_order_relaxed),
          detail::g_bytes.load(std::memory_order_relaxed)};
}

void reset_collective_stats() {
  detail::g_calls.store(0, std::memory_order_relaxed);
  detail::g_bytes.store(0, std::memory_order_relaxed);
}

}  // namespace metagrad::distributed
