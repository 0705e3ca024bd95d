// Independent against PyTorch 1.13's torch.distributions.Independent in float64 (a diagonal
// Normal over the last dim: log_prob and its gradients as wave checksums, entropy over two dims,
// kl_divergence), shapes, draws passed through, a discrete base, and errors.
#include <vector>

#include "tests/support/helpers.hpp"

using namespace metagrad;
using namespace metagrad::distributions;
using metagrad::testing::allclose;
using metagrad::testing::check_wave_checksums;
using metagrad::testing::wave;

TEST_CASE("Independent reinterprets batch dims as event dims, as PyTorch", "[distributions]") {
  const Tensor loc = wave({3, 4}, 0.1).requires_grad_();
  const Tensor scale = (0.5 + abs(wave({3, 4}, 0.4))).detach().requires_grad_();
  const Independent diagonal(Normal(loc, scale), 1);
  CHECK(diagonal.batch_shape() == Dims{3});
  CHECK(diagonal.event_shape() == Dims{4});
  CHECK(diagonal.reinterpreted_batch_ndims() == 1);
  const Tensor value = wave({2, 3, 4}, 0.7);
  const Tensor lp = diagonal.log_prob(value);
  CHECK(lp.shape() == Dims{2, 3});
  check_wave_checksums(lp, {loc, scale}, {2, 3},
                       {-45.03335644282795, -1.793778398749033, -1.3539195659249341});
  CHECK(Independent(Normal(loc, scale), 2).entropy().item<double>() ==
        Approx(21.238402417205204).epsilon(1e-13));
  const Independent other(Normal(loc * 0.5, scale * 2.0), 1);
  CHECK(metagrad::testing::wave_checksum(kl_divergence(diagonal, other), 0.3) ==
        Approx(3.5285138441168082).epsilon(1e-13));
  // Draws, mean and variance are the base's; no reinterpreted dims changes nothing.
  Generator a(3), b(3);
  CHECK(allclose(diagonal.rsample({5}, &a), Normal(loc, scale).rsample({5}, &b)));
  CHECK(allclose(diagonal.mean(), loc));
  CHECK(allclose(Independent(Normal(loc, scale), 0).log_prob(value),
                 Normal(loc, scale).log_prob(value)));
  // A discrete base (no rsample) and a nested Independent.
  const Independent coins(Bernoulli::from_probs(full({2, 3}, 0.25, kFloat64)), 1);
  CHECK(
      allclose(coins.log_prob(ones({2, 3}, kFloat64)), full({2}, 3.0 * std::log(0.25), kFloat64)));
  const Independent nested(diagonal, 1);
  CHECK(nested.batch_shape() == Dims{});
  CHECK(nested.event_shape() == Dims{3, 4});
  CHECK(allclose(nested.log_prob(value), sum(lp, {-1})));
  CHECK_THROWS_WITH(Independent(Normal(loc, scale), 3),
                    MG_CONTAINS("Independent: reinterpreted_batch_ndims must be in [0, 2]"));
  CHECK_THROWS_WITH(kl_divergence(diagonal, Independent(Normal(loc, scale), 2)),
                    MG_CONTAINS("reinterpret 1 and 2 batch dims"));
}
