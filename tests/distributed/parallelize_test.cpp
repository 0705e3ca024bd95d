// torchopt.distributed's partitioners, reducers and parallelize, against single-process
// references, with partitions that do not divide evenly over the ranks.
#include <vector>

#include "tests/distributed/world.hpp"

namespace mg = metagrad;
namespace dist = metagrad::distributed;
using mg::Tensor;
using mg::TensorList;
using mg::testing::allclose;
using mg::testing::world;

namespace {

std::vector<std::vector<int64_t>> as_rows(const std::vector<dist::Partition>& parts) {
  std::vector<std::vector<int64_t>> rows;
  for (const dist::Partition& p : parts) rows.push_back({p.rank, p.start, p.stop});
  return rows;
}

// A task's loss: sum((x_task @ w)^2) / rows, over a [rows, 3] slice of a batch.
Tensor task_loss(const Tensor& w, const TensorList& shard) {
  const Tensor y = shard[0].reshape({-1, 3}).matmul(w);
  return (y * y).sum() / static_cast<double>(shard[0].size(0));
}

}  // namespace

TEST_CASE("dim_partitioner deals a batch as torchopt's does", "[distributed]") {
  using Rows = std::vector<std::vector<int64_t>>;
  // Fewer elements than workers: one element each, the last workers idle.
  REQUIRE(as_rows(dist::batch_partitioner.partitions(2, 3)) == Rows{{0, 0, 1}, {1, 1, 2}});
  // More: batch / workers each, the last worker takes the remainder.
  REQUIRE(as_rows(dist::batch_partitioner.partitions(7, 3)) ==
          Rows{{0, 0, 2}, {1, 2, 4}, {2, 4, 7}});
  // Exclusive: one element per partition, dealt in turn.
  REQUIRE(as_rows(dist::exclusive_batch_partitioner.partitions(5, 2)) ==
          Rows{{0, 0, 1}, {1, 1, 2}, {0, 2, 3}, {1, 3, 4}, {0, 4, 5}});
  // Chosen workers.
  REQUIRE(as_rows(dist::dim_partitioner(0, false, true, {2, 0}).partitions(5, 3)) ==
          Rows{{2, 0, 2}, {0, 2, 5}});
  REQUIRE_THROWS_WITH(dist::dim_partitioner(0, false, false).partitions(4, 2),
                      MG_CONTAINS("keepdim = false needs exclusive = true"));
  REQUIRE_THROWS_WITH(dist::dim_partitioner(0, false, true, {3}).partitions(4, 2),
                      MG_CONTAINS("worker 3 is not a rank"));
  const TensorList shard =
      dist::dim_partitioner(-1, true, false).slice({mg::arange(6.0).reshape({2, 3})}, {0, 2, 3});
  REQUIRE(shard[0].to_vector<float>() == std::vector<float>{2.0f, 5.0f});
  REQUIRE_THROWS_WITH(dist::batch_partitioner.batch_size({mg::ones({3}), mg::ones({4})}),
                      MG_CONTAINS("batch size mismatch"));
}

TEST_CASE("parallelize matches the single-process loss and gradient", "[distributed]") {
  const int n = world().world_size();
  const Tensor batch = mg::testing::randn64({5, 4, 3}, 11).detach();  // 5 tasks: uneven over 2, 3
  const Tensor w0 = mg::testing::randn64({3, 2}, 12);

  struct Case {
    dist::DimPartitioner partitioner;
    dist::Reducer reducer;
    bool mean;
  };
  const std::vector<Case> cases = {
      {dist::batch_partitioner, dist::mean_reducer, true},
      {dist::exclusive_batch_partitioner, dist::sum_reducer, false},
      {dist::dim_partitioner(0, true, false), dist::mean_reducer, true}};
  for (const Case& c : cases) {
    // The reference: the partitions' results in one process.
    const std::vector<dist::Partition> parts = c.partitioner.partitions(5, n);
    TensorList results;
    for (const dist::Partition& p : parts)
      results.push_back(task_loss(w0, c.partitioner.slice({batch}, p)));
    const Tensor reference = c.reducer(results);
    const Tensor ref_grad = mg::grad({reference}, {w0})[0];

    const Tensor w = dist::replicate({w0})[0];  // each rank gets the whole batch's gradient
    const auto loss_fn = dist::parallelize(
        [&](const TensorList& shard) { return task_loss(w, shard); }, c.partitioner, c.reducer);
    const Tensor loss = loss_fn({batch});
    REQUIRE(allclose(loss, reference));
    REQUIRE(allclose(mg::grad({loss}, {w0})[0], ref_grad));
    (void)c.mean;
  }
}

TEST_CASE("parallelize without replicate gives each rank its partitions' gradient",
          "[distributed]") {
  const int me = world().rank();
  const int n = world().world_size();
  const Tensor batch = mg::testing::randn64({2, 4, 3}, 13).detach();  // fewer tasks than 3 ranks
  const Tensor w = mg::testing::randn64({3, 2}, 14);
  const auto loss_fn =
      dist::parallelize([&](const TensorList& shard) { return task_loss(w, shard); },
                        dist::batch_partitioner, dist::sum_reducer);
  const Tensor g = mg::grad({loss_fn({batch})}, {w}, {}, {.allow_unused = true})[0];
  // This rank's share of the sum's gradient; summed over ranks it is the whole gradient.
  Tensor mine = mg::zeros({3, 2}, mg::kFloat64);
  for (const dist::Partition& p : dist::batch_partitioner.partitions(2, n))
    if (p.rank == me)
      mine = mine + mg::grad({task_loss(w, dist::batch_partitioner.slice({batch}, p))}, {w})[0];
  if (g.defined())
    REQUIRE(allclose(g, mine));
  else
    REQUIRE(allclose(mine, mg::zeros({3, 2}, mg::kFloat64)));
}

TEST_CASE("parallelize with idle ranks and results of two dims", "[distributed]") {
  // 2 tasks: under 3 ranks the last has no partition and joins with zeros of the partitions'
  // [4, 2] shape and a zero-weighted shadow call. Without replicate, each rank's gradient is its
  // partitions' share.
  const int me = world().rank();
  const int n = world().world_size();
  const Tensor batch = mg::testing::randn64({2, 4, 3}, 15).detach();
  const Tensor w = mg::testing::randn64({3, 2}, 16);
  const Tensor weight = mg::testing::randn64({4, 2}, 17).detach();
  const auto features = [&](const TensorList& shard) {
    return shard[0].select(0, 0).matmul(w) * static_cast<double>(shard[0].size(0));
  };
  const std::vector<dist::Partition> parts = dist::batch_partitioner.partitions(2, n);
  TensorList results;
  for (const dist::Partition& p : parts)
    results.push_back(features(dist::batch_partitioner.slice({batch}, p)));
  const Tensor reference = dist::mean_reducer(results);

  const auto fn = dist::parallelize(features, dist::batch_partitioner, dist::mean_reducer);
  const Tensor result = fn({batch});
  REQUIRE(result.shape() == mg::Dims{4, 2});
  REQUIRE(allclose(result, reference));
  const Tensor g = mg::grad({(result * weight).sum()}, {w}, {}, {.allow_unused = true})[0];
  Tensor mine = mg::zeros({3, 2}, mg::kFloat64);
  for (const dist::Partition& p : parts)
    if (p.rank == me) {
      const Tensor share =
          features(dist::batch_partitioner.slice({batch}, p)) / static_cast<double>(parts.size());
      mine = mine + mg::grad({(share * weight).sum()}, {w})[0];
    }
  REQUIRE(allclose(g.defined() ? g : mg::zeros({3, 2}, mg::kFloat64), mine));
}

TEST_CASE("parallelize refuses results that differ between partitions", "[distributed]") {
  const int me = world().rank();
  const auto fn = dist::parallelize(
      [me](const TensorList& shard) {
        return shard[0].sum({0}).reshape({-1}).slice(0, 0, me == 0 ? 1 : 2);
      },
      dist::exclusive_batch_partitioner);
  if (world().world_size() > 1)
    REQUIRE_THROWS_WITH(fn({mg::ones({4, 2})}), MG_CONTAINS("another dtype, shape"));
  else
    REQUIRE(fn({mg::ones({4, 2})}).item<float>() == 1.0f);
}

TEST_CASE("parallelize with replicate gives every rank the whole gradient, idle ranks included",
          "[distributed]") {
  // Fewer tasks than ranks (an idle rank under 3) and uneven partition counts (exclusive over 5
  // tasks: 3 and 2 under 2 ranks); the parameter replicated outside the function (one reduction
  // of its gradient) and inside it (one reduction per call of the function). Every rank must end
  // with the single-process gradient, and with the same gradient-of-gradient.
  const int n = world().world_size();
  const Tensor w0 = mg::testing::randn64({3, 2}, 18);
  const Tensor v = mg::testing::randn64({3, 2}, 19).detach();
  struct Case {
    int64_t tasks;
    dist::DimPartitioner partitioner;
    bool replicate_inside;
  };
  for (const Case& c :
       {Case{2, dist::batch_partitioner, false}, Case{2, dist::batch_partitioner, true},
        Case{5, dist::exclusive_batch_partitioner, true},
        Case{5, dist::exclusive_batch_partitioner, false},
        Case{1, dist::exclusive_batch_partitioner, true}}) {
    CAPTURE(c.tasks, c.partitioner.exclusive, c.replicate_inside);
    const Tensor batch = mg::testing::randn64({c.tasks, 4, 3}, 20).detach();
    TensorList results;
    for (const dist::Partition& p : c.partitioner.partitions(c.tasks, n))
      results.push_back(task_loss(w0, c.partitioner.slice({batch}, p)));
    const Tensor reference = dist::mean_reducer(results);
    const Tensor ref_grad = mg::grad({reference}, {w0}, {}, {.create_graph = true})[0];
    const Tensor ref_hvp = mg::grad({(ref_grad * v).sum()}, {w0})[0];

    const Tensor outside = dist::replicate({w0})[0];
    const auto loss_fn = dist::parallelize(
        [&](const TensorList& shard) {
          return task_loss(c.replicate_inside ? dist::replicate({w0})[0] : outside, shard);
        },
        c.partitioner);
    const Tensor loss = loss_fn({batch});
    REQUIRE(allclose(loss, reference));
    const Tensor g = mg::grad({loss}, {w0}, {}, {.create_graph = true})[0];
    REQUIRE(allclose(g, ref_grad));
    REQUIRE(allclose(mg::grad({(g * v).sum()}, {w0})[0], ref_hvp));
  }
}

TEST_CASE("parallelize records the results' reduction on a rank whose shadow needs no grad",
          "[distributed]") {
  // Under 3 ranks, rank 2 has no partition of 2 tasks, and its copy of the weight needs no grad,
  // so neither does its shadow result; it must still record the reduction whose backward the
  // other ranks call. Each rank's gradient is its partitions' share of the sum's.
  const int me = world().rank();
  const int n = world().world_size();
  const Tensor batch = mg::testing::randn64({2, 4, 3}, 21).detach();
  const Tensor w = mg::testing::randn64({3, 2}, 22).detach().requires_grad_(me != 2);
  const auto fn = dist::parallelize([&](const TensorList& shard) { return task_loss(w, shard); },
                                    dist::batch_partitioner, dist::sum_reducer);
  const Tensor loss = fn({batch});
  REQUIRE(loss.requires_grad());
  loss.backward();
  if (me == 2) return;
  Tensor mine = mg::zeros({3, 2}, mg::kFloat64);
  for (const dist::Partition& p : dist::batch_partitioner.partitions(2, n))
    if (p.rank == me)
      mine = mine + mg::grad({task_loss(w, dist::batch_partitioner.slice({batch}, p))}, {w})[0];
  REQUIRE(allclose(w.grad(), mine));
}
