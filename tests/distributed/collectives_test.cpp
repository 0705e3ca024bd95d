// Each collective, forward and backward (first and second order), against a single-process
// reference that rebuilds every rank's input. Runs alone (a world of one) and under mpirun -np 2
// and -np 3 (tests/distributed/meson.build).
#include <string>
#include <vector>

#include "tests/distributed/world.hpp"

namespace mg = metagrad;
namespace dist = metagrad::distributed;
using mg::Tensor;
using mg::TensorList;
using mg::testing::allclose;
using mg::testing::rank_input;
using mg::testing::world;

namespace {

// All ranks' inputs for (shape, salt), as fresh leaves of this process.
TensorList all_inputs(const mg::Dims& shape, uint64_t salt) {
  TensorList xs;
  for (int r = 0; r < world().world_size(); ++r) xs.push_back(rank_input(r, shape, salt));
  return xs;
}

// Rank r's loss of a collective's output y: sum(w_r * y^2), nonlinear so that the second order is
// not trivially zero.
Tensor rank_loss(int r, const Tensor& y, uint64_t salt) {
  const Tensor w = rank_input(r, y.shape(), salt + 500).detach();
  return (w * y * y).sum();
}

// Checks a collective `op` (one tensor in, one out) against `reference` (every rank's inputs to
// the value rank r's output takes): the output, the gradient of the sum over ranks of the ranks'
// losses, and the second-order gradient of that gradient's projection on a rank-specific vector.
template <typename Op, typename Reference>
void check_against_reference(const mg::Dims& shape, uint64_t salt, Op op, Reference reference) {
  const int me = world().rank();
  const int n = world().world_size();
  const Tensor x = rank_input(me, shape, salt);
  const Tensor y = op(x);
  const TensorList xs = all_inputs(shape, salt);
  REQUIRE(allclose(y, reference(xs, me)));

  const Tensor g = mg::grad({rank_loss(me, y, salt)}, {x}, {}, {.create_graph = true})[0];
  Tensor total;
  for (int r = 0; r < n; ++r) {
    const Tensor l = rank_loss(r, reference(xs, r), salt);
    total = total.defined() ? total + l : l;
  }
  TensorList g_ref = mg::grad({total}, xs, {}, {.create_graph = true, .allow_unused = true});
  for (size_t r = 0; r < g_ref.size(); ++r)
    if (!g_ref[r].defined()) g_ref[r] = mg::zeros_like(xs[r]);
  REQUIRE(allclose(g, g_ref[static_cast<size_t>(me)]));

  const Tensor gg_mine = mg::grad({(rank_input(me, shape, salt + 900).detach() * g).sum()}, {x}, {},
                                  {.allow_unused = true})[0];
  const Tensor gg = gg_mine.defined() ? gg_mine : mg::zeros_like(x);
  Tensor projected;
  for (int r = 0; r < n; ++r) {
    const Tensor s =
        (rank_input(r, shape, salt + 900).detach() * g_ref[static_cast<size_t>(r)]).sum();
    projected = projected.defined() ? projected + s : s;
  }
  const Tensor gg_ref =
      mg::grad({projected}, {xs[static_cast<size_t>(me)]}, {}, {.allow_unused = true})[0];
  REQUIRE(allclose(gg, gg_ref.defined() ? gg_ref : mg::zeros_like(x)));
}

Tensor sum_of(const TensorList& xs) {
  Tensor s = xs[0];
  for (size_t i = 1; i < xs.size(); ++i) s = s + xs[i];
  return s;
}

}  // namespace

TEST_CASE("the world: ranks, size and a world of one without a launcher", "[distributed]") {
  const int n = world().world_size();
  REQUIRE(n >= 1);
  REQUIRE(dist::world_size() == n);
  REQUIRE(dist::rank() == world().rank());
  REQUIRE(dist::is_initialized());
  REQUIRE(world().backend() == (dist::launched_by_mpi() && dist::is_mpi_available()
                                    ? dist::Backend::mpi
                                    : dist::Backend::local));
  const Tensor ranks = dist::all_gather({mg::scalar_tensor(world().rank(), mg::kInt64)})[0];
  REQUIRE(ranks.to_vector<int64_t>() == mg::arange(n, mg::kInt64).to_vector<int64_t>());
  dist::barrier();
}

TEST_CASE("all_reduce: sum, mean and max with their backwards", "[distributed]") {
  const int n = world().world_size();
  check_against_reference(
      {3, 4}, 1, [](const Tensor& x) { return dist::all_reduce(x); },
      [](const TensorList& xs, int) { return sum_of(xs); });
  check_against_reference(
      {5}, 2, [](const Tensor& x) { return dist::all_reduce(x, dist::ReduceOp::mean); },
      [n](const TensorList& xs, int) { return sum_of(xs) / static_cast<double>(n); });
  check_against_reference(
      {2, 3}, 3, [](const Tensor& x) { return dist::all_reduce(x, dist::ReduceOp::max); },
      [](const TensorList& xs, int) { return mg::stack(xs).amax({0}); });
}

TEST_CASE("all_reduce(max) shares the gradient between tied ranks", "[distributed]") {
  const int n = world().world_size();
  const Tensor x = mg::tensor({1.0, 2.0}, mg::kFloat64).requires_grad_();
  const Tensor y = dist::all_reduce(x, dist::ReduceOp::max);  // every rank ties
  const Tensor g = mg::grad({y.sum()}, {x})[0];
  // d(sum over ranks of y) / dx_r: n gradients of 1, shared among n tied ranks.
  REQUIRE(allclose(g, mg::ones({2}, mg::kFloat64)));
  (void)n;
}

TEST_CASE("broadcast and reduce are adjoint", "[distributed]") {
  const int root = world().world_size() - 1;
  check_against_reference(
      {4}, 4, [root](const Tensor& x) { return dist::broadcast({x}, root)[0]; },
      [root](const TensorList& xs, int) { return xs[static_cast<size_t>(root)]; });
  check_against_reference(
      {2, 2}, 5, [root](const Tensor& x) { return dist::reduce({x}, root)[0]; },
      [root](const TensorList& xs, int r) {
        return r == root ? sum_of(xs) : mg::zeros_like(xs[0]);
      });
}

TEST_CASE("all_gather and reduce_scatter are adjoint", "[distributed]") {
  const int n = world().world_size();
  check_against_reference(
      {3}, 6, [](const Tensor& x) { return dist::all_gather({x})[0]; },
      [](const TensorList& xs, int) { return mg::stack(xs); });
  check_against_reference(
      {n, 2}, 7, [](const Tensor& x) { return dist::reduce_scatter({x})[0]; },
      [](const TensorList& xs, int r) { return sum_of(xs).select(0, r); });
  check_against_reference(
      {n, 3}, 8, [](const Tensor& x) { return dist::reduce_scatter({x}, dist::ReduceOp::mean)[0]; },
      [n](const TensorList& xs, int r) {
        return sum_of(xs).select(0, r) / static_cast<double>(n);
      });
}

TEST_CASE("lists: mixed dtypes, views and empty tensors in few messages", "[distributed]") {
  const int me = world().rank();
  const int n = world().world_size();
  TensorList tensors;
  for (int i = 0; i < 100; ++i)
    tensors.push_back(mg::full({2}, static_cast<double>(i + me), mg::kFloat32));
  tensors.push_back(mg::arange(6, mg::kInt64).reshape({2, 3}).t() + me);  // a transposed view
  tensors.push_back(mg::zeros({0, 3}, mg::kFloat64));
  dist::reset_collective_stats();
  const TensorList out = dist::all_reduce(tensors);
  // One message per dtype: 100 float32 tensors, one int64, one (empty) float64.
  REQUIRE(dist::collective_stats().messages == 3);
  const double rank_sum = n * (n - 1) / 2.0;
  for (int i = 0; i < 100; ++i)
    REQUIRE(out[static_cast<size_t>(i)].to_vector<float>() ==
            std::vector<float>(2, static_cast<float>(n * i + rank_sum)));
  const Tensor expected =
      mg::arange(6, mg::kInt64).reshape({2, 3}).t() * n + static_cast<int64_t>(rank_sum);
  REQUIRE(out[100].dtype() == mg::kInt64);
  REQUIRE(out[100].to_vector<int64_t>() == expected.contiguous().to_vector<int64_t>());
  REQUIRE(out[101].shape() == mg::Dims{0, 3});
}

TEST_CASE("all_gather of a list: every tensor from every rank, whatever its size and dtype",
          "[distributed]") {
  const int me = world().rank();
  const int n = world().world_size();
  const auto of_rank = [](int r) {
    return TensorList{mg::full({2}, static_cast<double>(r), mg::kFloat32),
                      mg::arange(5, mg::kInt64) + 10 * r,
                      mg::full({3, 1}, 0.5 * r, mg::kFloat64).t(),  // a transposed view
                      mg::zeros({0}, mg::kFloat64), mg::full({4}, -static_cast<double>(r))};
  };
  const TensorList out = dist::all_gather(of_rank(me));
  REQUIRE(out.size() == 5);
  for (size_t i = 0; i < out.size(); ++i) {
    TensorList expected;
    for (int r = 0; r < n; ++r) expected.push_back(of_rank(r)[i]);
    INFO("tensor " << i);
    REQUIRE(out[i].dtype() == expected[0].dtype());
    REQUIRE(out[i].shape() == mg::stack(expected).shape());
    REQUIRE(out[i].to(mg::kFloat64).to_vector<double>() ==
            mg::stack(expected).to(mg::kFloat64).to_vector<double>());
  }
}

TEST_CASE("all_reduce_grads averages the gradients in place", "[distributed]") {
  const int me = world().rank();
  const int n = world().world_size();
  const Tensor a = mg::zeros({3}, mg::kFloat64).requires_grad_();
  const Tensor b = mg::zeros({2}, mg::kFloat32).requires_grad_();  // no gradient on any rank
  (a * static_cast<double>(me + 1)).sum().backward();
  dist::all_reduce_grads({a, b});
  REQUIRE(allclose(a.grad(), mg::full({3}, (n + 1) / 2.0, mg::kFloat64)));
  REQUIRE(b.grad().to_vector<float>() == std::vector<float>{0.0f, 0.0f});
}

TEST_CASE("replicate and reduce_replicated give the single-process gradient", "[distributed]") {
  const int me = world().rank();
  const int n = world().world_size();
  // One logical loss L = sum_r <c_r, w> ^ 2 computed on every rank from shares s_r = <c_r, w>.
  const Tensor w0 = mg::testing::randn64({4}, 77);
  const Tensor w = dist::replicate({w0})[0];
  const Tensor share = (rank_input(me, {4}, 9).detach() * w).sum();
  const Tensor total = dist::reduce_replicated({share})[0];
  const Tensor loss = total * total;
  const Tensor g = mg::grad({loss}, {w0}, {}, {.create_graph = true})[0];
  const Tensor gg = mg::grad({g.sum()}, {w0})[0];

  const Tensor v = mg::testing::randn64({4}, 77);
  Tensor ref_total;
  for (int r = 0; r < n; ++r) {
    const Tensor s = (rank_input(r, {4}, 9).detach() * v).sum();
    ref_total = ref_total.defined() ? ref_total + s : s;
  }
  const Tensor ref_g = mg::grad({ref_total * ref_total}, {v}, {}, {.create_graph = true})[0];
  REQUIRE(allclose(loss, ref_total * ref_total));
  REQUIRE(allclose(g, ref_g));
  REQUIRE(allclose(gg, mg::grad({ref_g.sum()}, {v})[0]));
}

TEST_CASE("collectives reject bad input with a clear error", "[distributed]") {
  const int n = world().world_size();
  REQUIRE_THROWS_WITH(dist::all_reduce({mg::ones({2}, mg::kBool)}), MG_CONTAINS("bool"));
  REQUIRE_THROWS_WITH(dist::all_reduce({mg::ones({2}, mg::kInt64)}, dist::ReduceOp::mean),
                      MG_CONTAINS("a mean needs float32 or float64"));
  REQUIRE_THROWS_WITH(dist::reduce_scatter({mg::ones({n + 1}, mg::kFloat64)}),
                      MG_CONTAINS("leading dimension of the world size"));
  REQUIRE_THROWS_WITH(dist::broadcast({mg::ones({1})}, n), MG_CONTAINS("is not a rank"));
  REQUIRE_THROWS_WITH(dist::all_reduce(TensorList{Tensor()}), MG_CONTAINS("undefined"));
  for (size_t undefined = 0; undefined < 2; ++undefined) {
    TensorList list{mg::ones({1}), mg::ones({1})};
    list[undefined] = Tensor();
    const std::string expected =
        "tensor " + std::to_string(undefined) + " of the list is undefined";
    REQUIRE_THROWS_WITH(dist::replicate(list), MG_CONTAINS("replicate: " + expected));
    REQUIRE_THROWS_WITH(dist::all_gather(list), MG_CONTAINS("all_gather: " + expected));
  }
  // The group is still usable after every rank refused the same call.
  REQUIRE(dist::all_reduce(mg::ones({1}, mg::kFloat64)).item<double>() == n);
}

TEST_CASE("ranks that disagree on a call all throw, naming both, and stay usable",
          "[distributed]") {
  const int me = world().rank();
  const int n = world().world_size();
  if (n == 1) MG_SKIP("needs two ranks");
  const Tensor x = mg::ones({me == 0 ? 3 : 4}, mg::kFloat32);
  REQUIRE_THROWS_AS(dist::all_reduce({x}), dist::DistributedError);
  std::string message;
  try {
    dist::all_reduce({mg::ones({me == 0 ? 3 : 4}, mg::kFloat32)});
  } catch (const dist::DistributedError& e) {
    message = e.what();
  }
  {
    REQUIRE_THAT(message, MG_CONTAINS("rank 0 calls all_reduce(sum) with 1 tensor: float32 [3]"));
    REQUIRE_THAT(message, MG_CONTAINS("rank 1 calls all_reduce(sum) with 1 tensor: float32 [4]"));
  }
  REQUIRE(dist::all_reduce(mg::ones({2}, mg::kFloat64)).sum().item<double>() == 2.0 * n);

  // Recording is part of the call: a rank that records it would call its backward, a collective
  // the others would never join.
  const Tensor maybe_leaf = mg::ones({2}, mg::kFloat64).requires_grad_(me == 0);
  std::string recorded_message;
  try {
    dist::all_reduce({maybe_leaf});
  } catch (const dist::DistributedError& e) {
    recorded_message = e.what();
  }
  REQUIRE_THAT(recorded_message,
               MG_CONTAINS("rank 0 calls all_reduce(sum) with 1 tensor: float64 [2] (recorded), "
                           "but rank 1 calls all_reduce(sum) with 1 tensor: float64 [2]. "));
}
