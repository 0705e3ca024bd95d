// movedim, narrow, rot90, diff, take_along_dim, diag_embed, block_diag, meshgrid, kron and
// tensordot against PyTorch 1.13 in float64 on wave() inputs: each case compares the output's
// shape and checksums sum(t * wave(t.shape, phase)) of the output (phase 0.3) and of the
// gradients of sum(y * wave(y.shape, 0.9)) (phase 1.3); gradcheck and gradgradcheck; errors.
#include <cmath>
#include <vector>

#include "tests/support/helpers.hpp"

using namespace metagrad;
using metagrad::testing::allclose;
using metagrad::testing::check_grads;
using metagrad::testing::check_wave_checksums;
using metagrad::testing::wave;

namespace {

Tensor leaf(const Dims& shape, double phase) {
  return wave(shape, phase).to(kFloat64).detach().requires_grad_();
}

Tensor int64s(const std::vector<double>& values, const Dims& shape) {
  return tensor(values, shape, kInt64);
}

}  // namespace

TEST_CASE("movedim, narrow and rot90 match PyTorch", "[ops][arrange]") {
  const Tensor x = leaf({2, 3, 4, 5}, 0.1);
  check_wave_checksums(movedim(x, {0, 3}, {2, 0}), {x}, {5, 3, 2, 4},
                       {-0.15921741686221946, 0.30435007268336955});
  CHECK(movedim(x, 1, -1).shape() == Dims{2, 4, 5, 3});
  check_wave_checksums(narrow(x, 2, -3, 2), {x}, {2, 3, 2, 5},
                       {1.8993773576365354, -3.655863905343562});
  check_wave_checksums(rot90(x, 1, {1, 3}), {x}, {2, 5, 4, 3},
                       {-10.865680747521399, -11.241721107861});
  check_wave_checksums(rot90(x, -1, {3, 1}), {x}, {2, 5, 4, 3},
                       {-10.865680747521399, -11.241721107861});
  check_wave_checksums(rot90(x, 2, {0, 2}), {x}, {2, 3, 4, 5},
                       {-25.27680775980842, -31.888304398152645});
  CHECK(allclose(rot90(x, 4, {1, 2}), x, 0, 0));
  CHECK(allclose(rot90(rot90(x, 1, {1, 2}), 3, {1, 2}), x, 0, 0));
}

TEST_CASE("diff and take_along_dim match PyTorch", "[ops][arrange]") {
  const Tensor x = leaf({2, 3, 4, 5}, 0.1), p = leaf({2, 1, 4, 5}, 0.5),
               a = leaf({2, 3, 4, 2}, 0.7);
  check_wave_checksums(diff(x, 2, 1, p), {x, p}, {2, 2, 4, 5},
                       {-69.56420120742733, -90.83025255266378, 37.63408105315721});
  check_wave_checksums(diff(x, 1, -1, {}, a), {x, a}, {2, 3, 4, 6},
                       {6.094829976145646, 0.032447805181206935, -0.05037313421234657});
  const Tensor flags = tensor({1, 0, 0, 1, 1}, {5}, kBool);
  CHECK(allclose(diff(flags).to(kInt64), int64s({1, 0, 1, 0}, {4}), 0, 0));
  CHECK(diff(x, 7, 1).shape() == Dims{2, 0, 4, 5});

  const Tensor y = leaf({2, 3, 4}, 0.2);
  check_wave_checksums(take_along_dim(y, int64s({3, 0, 2}, {1, 3, 1}), 2), {y}, {2, 3, 1},
                       {0.8753066732113828, 2.116599198456876});
  check_wave_checksums(take_along_dim(y, int64s({5, 0, 23, 7}, {2, 2})), {y}, {4},
                       {2.904340126647864, -0.1733515917441122});
}

TEST_CASE("diag_embed, block_diag and meshgrid match PyTorch", "[ops][arrange]") {
  const Tensor v = leaf({2, 3}, 0.4);
  check_wave_checksums(diag_embed(v, 1, 0, 2), {v}, {4, 2, 4},
                       {2.4758836564251627, 2.2596817522971384});
  check_wave_checksums(diag_embed(v, -2), {v}, {2, 5, 5}, {1.2603271479614842, 0.9136385250994158});
  const Tensor b1 = leaf({2, 3}, 0.1), b2 = leaf({3}, 0.6), b3 = leaf({}, 0.8),
               b4 = leaf({1, 2}, 0.2);
  check_wave_checksums(block_diag({b1, b2, b3, b4}), {b1, b2, b3, b4}, {5, 9},
                       {0.29964776301717055, 3.7344461805122187, 2.355407877169133,
                        1.121391422106118, -4.162169459208946});
  const Tensor m1 = leaf({3}, 0.1), m2 = leaf({4}, 0.5), m3 = leaf({2}, 0.9);
  const TensorList grid = meshgrid({m1, m2, m3}, "xy");
  for (const Tensor& g : grid) CHECK(g.shape() == Dims{4, 3, 2});
  check_wave_checksums(
      grid[0] * 2.0 + grid[1] * grid[2], {m1, m2, m3}, {4, 3, 2},
      {20.425403102969682, 20.52838026168051, 9.535521661814895, 10.502691940259771});
  const TensorList ij = meshgrid({m1, m2});
  CHECK(ij[0].shape() == Dims{3, 4});
  CHECK(allclose(ij[1].select(0, 2), m2, 0, 0));
}

TEST_CASE("kron and tensordot match PyTorch", "[ops][arrange]") {
  const Tensor k1 = leaf({2, 3}, 0.3), k2 = leaf({4, 1, 2}, 0.6);
  check_wave_checksums(kron(k1, k2), {k1, k2}, {4, 2, 6},
                       {5.723219518296601, 3.168421333528563, 14.329901102902388});
  const Tensor t1 = leaf({3, 4, 5}, 0.2), t2 = leaf({4, 5, 2}, 0.7), t3 = leaf({5, 3, 2}, 0.1);
  check_wave_checksums(tensordot(t1, t2, 2), {t1, t2}, {3, 2},
                       {23.097994952130556, 13.1115702355325, 19.635567813776124});
  check_wave_checksums(tensordot(t1, t3, {2, 0}, {0, 1}), {t1, t3}, {4, 2},
                       {-2.0681854053137387, -5.644813300085669, 8.691654994959418});
  CHECK(allclose(tensordot(k1, k1, 0), einsum("ij,kl->ijkl", {k1, k1}), 1e-15, 1e-15));
}

TEST_CASE("arrange ops have first and second derivatives", "[ops][arrange]") {
  check_grads(
      [](const TensorList& in) -> TensorList {
        return {diag_embed(in[0] * in[0], 1), kron(in[0], in[1]),
                tensordot(in[1], in[0] * in[0], {0}, {1}), diff(in[0] * in[0], 1, 0)};
      },
      {leaf({2, 3}, 0.2), leaf({3, 2}, 0.5)});
}

TEST_CASE("arrange ops: errors name the op and the shapes", "[ops][arrange]") {
  const Tensor x = wave({2, 3}, 0.1);
  CHECK_THROWS_WITH(movedim(x, {0, 0}, {0, 1}), MG_CONTAINS("movedim: dim 0 is repeated"));
  CHECK_THROWS_WITH(narrow(x, 1, 2, 2), MG_CONTAINS("narrow: start 2 and length 2"));
  CHECK_THROWS_WITH(rot90(x, 1, {1, 1}), MG_CONTAINS("rot90: dim 1 is repeated"));
  CHECK_THROWS_WITH(diff(x, 1, 0, wave({1, 2}, 0.3)),
                    MG_CONTAINS("diff: prepend and append must have x's shape [2, 3]"));
  CHECK_THROWS_WITH(take_along_dim(x, int64s({0}, {1, 1, 1}), 0),
                    MG_CONTAINS("same number of dims"));
  CHECK_THROWS_WITH(block_diag({x, wave({2, 2, 2}, 0.1)}),
                    MG_CONTAINS("block_diag: tensor 1 has shape [2, 2, 2]"));
  CHECK_THROWS_WITH(meshgrid({x}), MG_CONTAINS("meshgrid: tensor 0 has shape [2, 3]"));
  CHECK_THROWS_WITH(meshgrid({wave({2}, 0.1)}, "yx"), MG_CONTAINS("indexing must be"));
  CHECK_THROWS_WITH(tensordot(x, x, {1}, {1, 0}), MG_CONTAINS("must list as many dims"));
  CHECK_THROWS_WITH(tensordot(x, x, {1}, {0}),
                    MG_CONTAINS("tensordot: dim 1 of a (shape [2, 3]) has size 3 but dim 0"));
}
