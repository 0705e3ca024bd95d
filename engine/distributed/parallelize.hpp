#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "engine/distributed/collectives.hpp"
#include "engine/tensor.hpp"

// torchopt.distributed's partition-run-reduce helpers, for SPMD programs: every rank calls the
// parallelized function with the whole batch; each runs the function on its partitions and the
// results are reduced over the ranks, differentiably, into one value every rank holds. Its
// gradient is the single-process one (Note [differentiable collectives]: the results cross ranks
// through reduce_replicated). Tensors the function uses that every rank holds alike (parameters)
// get, on each rank, the gradient of that rank's partitions; pass them through replicate() (before
// parallelize or inside the function), or combine their gradients with all_reduce_grads(params,
// ReduceOp::sum), to get the whole batch's gradient.
//
//   auto loss_fn = distributed::parallelize(
//       [&](const TensorList& shard) { return task_loss(shard[0], shard[1]); });
//   Tensor loss = loss_fn({xs, ys});  // mean over the partitions, on every rank

namespace metagrad::distributed {
/// \addtogroup distributed
/// @{

/// One partition of a batch: rows [start, stop) of the partitioned dimension, computed by `rank`.
struct Partition {
  /// The rank that runs the function on this partition.
  int rank = 0;
  /// The first index along the dimension.
  int64_t start = 0;
  /// One past the last index.
  int64_t stop = 0;
};

/// Splits a batch along one dimension (torchopt.distributed.dim_partitioner's
/// TensorDimensionPartitioner).
struct DimPartitioner {
  /// The dimension to partition (negative counts from the end).
  int64_t dim = 0;
  /// true: one partition per batch element, dealt to the workers in turn; false:
  /// min(batch, workers) partitions of batch / workers elements, the last taking the remainder.
  bool exclusive = false;
  /// false: select the element (the dimension disappears); needs exclusive.
  bool keepdim = true;
  /// The ranks that compute, in order; empty means every rank.
  std::vector<int> workers;

  /// The partitions of a batch of `batch_size` elements over a world of `world_size` ranks, in
  /// batch order. Throws for a worker outside the world or keepdim = false without exclusive.
  std::vector<Partition> partitions(int64_t batch_size, int world_size) const;
  /// The slice of every tensor of `batch` that `partition` covers (select when !keepdim).
  TensorList slice(const TensorList& batch, const Partition& partition) const;
  /// The size of `batch`'s tensors along `dim` (they must agree; throws naming both otherwise).
  int64_t batch_size(const TensorList& batch) const;
};

/// A DimPartitioner (torchopt.distributed.dim_partitioner).
DimPartitioner dim_partitioner(int64_t dim = 0, bool exclusive = false, bool keepdim = true,
                               std::vector<int> workers = {});
/// dim_partitioner(0): contiguous shares of the first dimension, one per rank.
inline const DimPartitioner batch_partitioner{};
/// dim_partitioner(0, true): one partition per element of the first dimension.
inline const DimPartitioner exclusive_batch_partitioner{.exclusive = true};

/// Combines the results of all partitions, in batch order, into one tensor.
using Reducer = std::function<Tensor(const TensorList& results)>;
/// The elementwise mean of the results (torchopt.distributed.mean_reducer).
Tensor mean_reducer(const TensorList& results);
/// The elementwise sum of the results (torchopt.distributed.sum_reducer).
Tensor sum_reducer(const TensorList& results);

/// The function a partition runs: the partition's slices of the batch, in the batch's order, to a
/// result whose shape and dtype are the same for every partition.
using PartitionFn = std::function<Tensor(const TensorList& shard)>;

/// A function of a whole batch (what parallelize returns).
using BatchFn = std::function<Tensor(const TensorList& batch)>;

/// torchopt.distributed.parallelize: a function of the whole batch that runs `fn` on this rank's
/// partitions (per `partitioner`), gathers every partition's result on every rank and returns
/// `reducer` of them (see the comment at the top of this header for gradients). Every rank must
/// call it with the same batch shapes. When the result is recorded for backward, a rank with
/// fewer partitions than the busiest rank (or none) also calls `fn` on copies of the first
/// partition until it has called it as often, and weights those results zero, so that every rank
/// makes the collective calls of `fn`'s backward (replicate()d parameters); `fn` must then be free
/// of side effects that a call on an extra partition would disturb. The extra calls cost no wall
/// time beyond the busiest rank's.
BatchFn parallelize(PartitionFn fn, DimPartitioner partitioner = {},
                    Reducer reducer = mean_reducer);

/// @}

}  // namespace metagrad::distributed
