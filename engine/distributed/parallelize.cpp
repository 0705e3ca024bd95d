#include "engine/distributed/parallelize.hpp"

#include <algorithm>
#include <utility>

#include "engine/distributed/process_group.hpp"
#include "engine/grad_mode.hpp"
#include "engine/ops/binary.hpp"
#include "engine/ops/factory.hpp"
#include "engine/ops/index_ops.hpp"
#include "engine/shape.hpp"

namespace metagrad::distributed {
namespace {

int64_t normalized_dim(int64_t dim, const Tensor& t, size_t index) {
  const int64_t rank = t.dim();
  MG_CHECK(dim >= -rank && dim < rank,
           "parallelize: dim {} is out of range for batch tensor {} of shape {}", dim, index,
           shape_str(t.shape()));
  return dim < 0 ? dim + rank : dim;
}

// What every rank learns of the partitions' results (ranks without a partition have none).
struct ResultLayout {
  DType dtype;
  Dims shape;
  bool requires_grad;
};

// Exchanges rows [has result, dtype, requires grad, ndim, sizes...] and checks that they agree.
ResultLayout result_layout(const TensorList& mine) {
  constexpr int64_t kRow = 4 + kMaxDims;
  Tensor row = full({kRow}, -1.0, kInt64);
  auto* r = row.data_ptr<int64_t>();
  if (!mine.empty()) {
    const Tensor& first = mine.front();
    for (size_t i = 1; i < mine.size(); ++i)
      MG_CHECK(mine[i].dtype() == first.dtype() && mine[i].shape() == first.shape(),
               "parallelize: the function returned {} {} for one partition and {} {} for another; "
               "every partition's result needs the same dtype and shape",
               dtype_name(first.dtype()), shape_str(first.shape()), dtype_name(mine[i].dtype()),
               shape_str(mine[i].shape()));
    r[0] = 1;
    r[1] = static_cast<int64_t>(first.dtype());
    r[2] = std::any_of(mine.begin(), mine.end(), [](const Tensor& t) { return t.requires_grad(); });
    r[3] = first.dim();
    for (int d = 0; d < first.dim(); ++d) r[4 + d] = first.size(d);
  }
  Tensor rows;
  {
    NoGradGuard no_grad;
    rows = all_gather({row})[0];
  }
  const auto* all = rows.data_ptr<int64_t>();
  const int world = static_cast<int>(rows.size(0));
  int first_owner = -1;
  for (int k = 0; k < world; ++k) {
    const int64_t* other = all + k * kRow;
    if (other[0] != 1) continue;
    if (first_owner < 0) {
      first_owner = k;
      continue;
    }
    const int64_t* ref = all + first_owner * kRow;
    MG_CHECK(std::equal(ref, ref + kRow, other),
             "parallelize: rank {}'s partitions returned another dtype, shape or requires_grad "
             "than rank {}'s; every partition's result needs the same",
             k, first_owner);
  }
  MG_CHECK(first_owner >= 0, "parallelize: no rank has a partition (empty batch?)");
  const int64_t* ref = all + first_owner * kRow;
  Dims shape;
  for (int64_t d = 0; d < ref[3]; ++d) shape.push_back(ref[4 + d]);
  return {static_cast<DType>(ref[1]), shape, ref[2] == 1};
}

// Note [shadow partitions]: a backward that crosses ranks needs every rank to make the same
// collective calls. The backward of fn's graph makes one per replicate() that fn reaches (inside
// fn, or on a parameter it reads), once per call of fn, so a rank with fewer partitions than
// another (or none) would miss some. Such a rank runs fn on shadows of the first partition until
// it has called fn as often as the busiest rank, and weights their results zero in a slot another
// rank computes: where(false, shadow, 0) is exactly 0 forward and passes a gradient of exactly 0
// back, so the shadows join every collective of fn's backward (and of higher orders) adding
// nothing, as PyTorch's Join shadows the collectives of ranks that ran out of inputs. When neither
// this rank's results nor its shadows need grad (fn reads tensors that need grad on other ranks
// only), the first foreign slot requires grad instead, so that this rank still records the
// results' reduction, whose backward is a collective too.
void join_backward(const PartitionFn& fn, const DimPartitioner& partitioner,
                   const TensorList& batch, const std::vector<Partition>& parts, int me,
                   const ResultLayout& layout, TensorList& slots) {
  std::vector<size_t> calls(static_cast<size_t>(world_size()), 0);
  std::vector<size_t> foreign;
  for (size_t p = 0; p < parts.size(); ++p) {
    ++calls[static_cast<size_t>(parts[p].rank)];
    if (parts[p].rank != me) foreign.push_back(p);
  }
  const size_t busiest = *std::max_element(calls.begin(), calls.end());
  const Tensor never = zeros({}, kBool);
  bool recorded =
      std::any_of(slots.begin(), slots.end(), [](const Tensor& t) { return t.requires_grad(); });
  for (size_t k = calls[static_cast<size_t>(me)]; k < busiest; ++k) {
    const Tensor shadow = fn(partitioner.slice(batch, parts.front()));
    MG_CHECK(shadow.defined() && shadow.dtype() == layout.dtype && shadow.shape() == layout.shape,
             "parallelize: the function returned {} {} for a shadow of the first partition, "
             "whose result is {} {} on the rank that computes it; the result must depend on the "
             "partition's shape only",
             shadow.defined() ? dtype_name(shadow.dtype()) : "undefined",
             shadow.defined() ? shape_str(shadow.shape()) : "", dtype_name(layout.dtype),
             shape_str(layout.shape));
    Tensor& slot = slots[foreign[k % foreign.size()]];
    slot = slot + where(never, shadow, 0.0);
    recorded = recorded || shadow.requires_grad();
  }
  if (!recorded && !foreign.empty()) slots[foreign.front()].requires_grad_(true);
}

}  // namespace

std::vector<Partition> DimPartitioner::partitions(int64_t batch_size, int world_size) const {
  MG_CHECK(keepdim || exclusive,
           "dim_partitioner: keepdim = false needs exclusive = true (one element per partition)");
  MG_CHECK(batch_size >= 0, "dim_partitioner: negative batch size {}", batch_size);
  std::vector<int> ranks = workers;
  if (ranks.empty())
    for (int r = 0; r < world_size; ++r) ranks.push_back(r);
  for (int r : ranks)
    MG_CHECK(r >= 0 && r < world_size,
             "dim_partitioner: worker {} is not a rank of this world of {} rank(s)", r, world_size);
  const auto workers_count = static_cast<int64_t>(ranks.size());
  std::vector<Partition> out;
  if (exclusive || batch_size <= workers_count) {
    for (int64_t i = 0; i < batch_size; ++i)
      out.push_back({ranks[static_cast<size_t>(i % workers_count)], i, i + 1});
    return out;
  }
  const int64_t local = batch_size / workers_count;
  for (int64_t k = 0; k < workers_count; ++k)
    out.push_back({ranks[static_cast<size_t>(k)], k * local,
                   k + 1 == workers_count ? batch_size : (k + 1) * local});
  return out;
}

int64_t DimPartitioner::batch_size(const TensorList& batch) const {
  MG_CHECK(!batch.empty(), "parallelize: the batch has no tensor to partition");
  int64_t size = -1;
  for (size_t i = 0; i < batch.size(); ++i) {
    MG_CHECK(batch[i].defined(), "parallelize: batch tensor {} is undefined", i);
    const int64_t n = batch[i].size(normalized_dim(dim, batch[i], i));
    MG_CHECK(size < 0 || n == size,
             "parallelize: batch size mismatch on dim {}: tensor 0 has {}, tensor {} has {} "
             "(shape {})",
             dim, size, i, n, shape_str(batch[i].shape()));
    size = n;
  }
  return size;
}

TensorList DimPartitioner::slice(const TensorList& batch, const Partition& partition) const {
  TensorList out;
  out.reserve(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    const int64_t d = normalized_dim(dim, batch[i], i);
    out.push_back(keepdim ? batch[i].slice(d, partition.start, partition.stop)
                          : batch[i].select(d, partition.start));
  }
  return out;
}

DimPartitioner dim_partitioner(int64_t dim, bool exclusive, bool keepdim,
                               std::vector<int> workers) {
  return {dim, exclusive, keepdim, std::move(workers)};
}

Tensor mean_reducer(const TensorList& results) {
  MG_CHECK(!results.empty(), "mean_reducer: no results to reduce");
  return stack(results).mean({0});
}

Tensor sum_reducer(const TensorList& results) {
  MG_CHECK(!results.empty(), "sum_reducer: no results to reduce");
  return stack(results).sum({0});
}

BatchFn parallelize(PartitionFn fn, DimPartitioner partitioner, Reducer reducer) {
  MG_CHECK(fn != nullptr, "parallelize: the function is empty");
  MG_CHECK(reducer != nullptr, "parallelize: the reducer is empty");
  return [fn = std::move(fn), partitioner = std::move(partitioner),
          reducer = std::move(reducer)](const TensorList& batch) {
    const int me = rank();
    const std::vector<Partition> parts =
        partitioner.partitions(partitioner.batch_size(batch), world_size());
    TensorList mine(parts.size());
    TensorList own;
    for (size_t p = 0; p < parts.size(); ++p) {
      if (parts[p].rank != me) continue;
      mine[p] = fn(partitioner.slice(batch, parts[p]));
      MG_CHECK(mine[p].defined(), "parallelize: the function returned an undefined tensor");
      own.push_back(mine[p]);
    }
    const ResultLayout layout = result_layout(own);
    // Every partition's slot: this rank's results, zeros where another rank computes. Summed over
    // the ranks, each slot holds its partition's result (and its gradient comes back unchanged).
    for (Tensor& slot : mine)
      if (!slot.defined()) slot = zeros(layout.shape, layout.dtype);
    if (layout.requires_grad && is_grad_enabled())
      join_backward(fn, partitioner, batch, parts, me, layout, mine);
    const Tensor all = reduce_replicated({stack(mine)})[0];
    TensorList results(parts.size());
    for (size_t p = 0; p < parts.size(); ++p) results[p] = all.select(0, static_cast<int64_t>(p));
    return reducer(results);
  };
}

}  // namespace metagrad::distributed
