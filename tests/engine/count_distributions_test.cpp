// Binomial, NegativeBinomial and Multinomial against PyTorch 1.13's torch.distributions in
// float64 on wave() inputs (checksums sum(t * wave(t.shape, phase)) of log_prob, entropy, mean,
// variance and kl_divergence, phase 0.3, and of their gradients of sum(y * wave(y.shape, 0.9)) in
// the parameters, phase 1.3); the samplers' frequencies and moments against the exact ones over
// many draws, in both Binomial regimes; gradcheck and gradgradcheck; errors.
#include <cmath>
#include <string>
#include <vector>

#include "tests/support/helpers.hpp"

using namespace metagrad;
using namespace metagrad::distributions;
using metagrad::testing::allclose;
using metagrad::testing::check_grads;
using metagrad::testing::check_wave_checksums;
using metagrad::testing::leaf;
using metagrad::testing::wave;

namespace {

// Named "<distribution> <parameterisation> <quantity>".
using Reference = metagrad::testing::ChecksumReference;

// PyTorch's inputs: whole counts [2, 3], probabilities and logits [3], counts k <= n [4, 2, 3];
// NegativeBinomial's positive total counts [2, 3] and counts [4, 2, 3]; Multinomial's [2, 4]
// probabilities and logits and counts [3, 2, 4].
struct Inputs {
  Tensor n = floor(2.0 + 4.0 * abs(wave({2, 3}, 0.3)));
  Tensor probs = leaf(0.05 + 0.9 * (wave({3}, 0.8) / 3.0 + 0.5));
  Tensor logits = leaf(wave({3}, 0.8));
  Tensor k = floor(abs(wave({4, 2, 3}, 0.5)) * n / 1.5);
  Tensor q = leaf(0.1 + 0.8 * (wave({2, 3}, 1.1) / 3.0 + 0.5));
  Tensor failures = leaf(0.5 + abs(wave({2, 3}, 0.3)));
  Tensor successes = floor(abs(wave({4, 2, 3}, 0.5)) * 3.0);
  Tensor category_probs = leaf(0.2 + abs(wave({2, 4}, 0.6)));
  Tensor category_logits = leaf(wave({2, 4}, 0.6));
  Tensor tallies = floor(abs(wave({3, 2, 4}, 0.2)) * 2.0);
};

// The quantity named by a reference row, and the inputs PyTorch differentiated it in.
std::pair<Tensor, TensorList> evaluate(const std::string& name, const Inputs& in) {
  const bool by_probs = name.find(" probs ") != std::string::npos;
  const std::string what = name.substr(name.rfind(' ') + 1);
  if (name.starts_with("Binomial kl"))
    return {kl_divergence(Binomial::from_probs(in.n, in.probs), Binomial::from_probs(in.n, in.q)),
            {in.probs, in.q}};
  if (name.starts_with("Binomial")) {
    const Tensor& parameter = by_probs ? in.probs : in.logits;
    const Tensor seven = full({}, 7.0, kFloat64);
    const Binomial d = by_probs
                           ? Binomial::from_probs(what == "entropy" ? seven : in.n, parameter)
                           : Binomial::from_logits(what == "entropy" ? seven : in.n, parameter);
    if (what == "log_prob") return {d.log_prob(in.k), {parameter}};
    if (what == "entropy") return {d.entropy(), {parameter}};
    return {what == "mean" ? d.mean() : d.variance(), {parameter}};
  }
  if (name.starts_with("NegativeBinomial")) {
    const Tensor& parameter = by_probs ? in.probs : in.logits;
    const NegativeBinomial d = by_probs ? NegativeBinomial::from_probs(in.failures, parameter)
                                        : NegativeBinomial::from_logits(in.failures, parameter);
    const TensorList inputs{in.failures, parameter};
    if (what == "log_prob") return {d.log_prob(in.successes), inputs};
    return {what == "mean" ? d.mean() : d.variance(), inputs};
  }
  const Tensor& parameter = by_probs ? in.category_probs : in.category_logits;
  const int64_t total = name == "Multinomial logits entropy" ? 6 : 5;
  const Multinomial d = by_probs ? Multinomial::from_probs(total, parameter)
                                 : Multinomial::from_logits(total, parameter);
  if (what == "log_prob") return {d.log_prob(in.tallies), {parameter}};
  if (what == "entropy") return {d.entropy(), {parameter}};
  return {what == "mean" ? d.mean() : d.variance(), {parameter}};
}

// Frequencies of the values 0..n in `draws` (one distribution's draws, flattened).
std::vector<double> frequencies(const Tensor& draws, int64_t n) {
  std::vector<double> counts(n + 1, 0.0);
  const std::vector<double> values = draws.to_vector<double>();
  for (double v : values) {
    REQUIRE((v >= 0 && v <= static_cast<double>(n) && v == std::floor(v)));
    counts[static_cast<size_t>(v)] += 1.0 / static_cast<double>(values.size());
  }
  return counts;
}

}  // namespace

TEST_CASE("Binomial, NegativeBinomial and Multinomial match PyTorch", "[distributions]") {
  const std::vector<Reference> references{
      {"Binomial probs log_prob", {-21.3882884648219, -155.12858165401386}},
      {"Binomial logits log_prob", {-12.453296163872482, -5.007230681399744}},
      {"Binomial probs entropy", {2.5186681420646257, -34.41741882453731}},
      {"Binomial logits entropy", {3.8006633005890116, -2.069920519047103}},
      {"Binomial probs mean", {40.21866003905084, 59.7135406587758}},
      {"Binomial logits variance", {7.2757162919099185, -5.6559001572595875}},
      {"Binomial kl", {4.742847434943094, 43.35484361843916, -13.21477403399525}},
      {"NegativeBinomial probs log_prob",
       {-25.74740585269372, -4.812436065189621, -149.62470184193512}},
      {"NegativeBinomial logits log_prob",
       {-17.678879599862665, 1.5275360222462047, -4.6822685493563085}},
      {"NegativeBinomial probs mean", {146.17074579500314, 80.62340627710299, 2963.58012881198}},
      {"NegativeBinomial logits variance",
       {233.2655375424771, 137.48430296844754, 548.0963380591145}},
      {"Multinomial probs log_prob", {-21.583183997287893, -10.768596619593321}},
      {"Multinomial logits log_prob", {-20.65859997169874, -4.397736680423497}},
      {"Multinomial probs entropy", {4.710245668824338, -1.9392725586936521}},
      {"Multinomial logits entropy", {5.2024872996465135, -0.8228554328567291}},
      {"Multinomial probs mean", {11.559138835628321, 2.2163374770331306}},
      {"Multinomial logits variance", {7.975702618870631, 0.4756967524403205}},
  };
  for (const Reference& r : references) {
    INFO(r.name);
    const Inputs in;
    const auto [y, inputs] = evaluate(r.name, in);
    check_wave_checksums(y, inputs, y.shape(), r.checksums);
  }
  // Binomial KL: +inf where p's count exceeds q's.
  const Tensor p = tensor({0.3, 0.6}, {2}, kFloat64);
  const Tensor kl = kl_divergence(Binomial::from_probs(tensor({5.0, 4.0}, {2}, kFloat64), p),
                                  Binomial::from_probs(tensor({5.0, 3.0}, {2}, kFloat64), p));
  const std::vector<double> kl_values = kl.to_vector<double>();
  CHECK(kl_values[0] == Approx(0.0).margin(1e-15));
  CHECK(std::isinf(kl_values[1]));
}

TEST_CASE("Binomial KL where q's total_count exceeds p's: the sum over p's support",
          "[distributions]") {
  // Counts [3, 5, 2] against [6, 5, 4] (the middle pair equal: the closed form). The checksums
  // are mpmath's (40 digits) of the sum over k <= n_p, which PyTorch does not implement.
  const Tensor p = leaf(tensor({0.3, 0.55, 0.8}, {3}, kFloat64));
  const Tensor q = leaf(tensor({0.45, 0.2, 0.6}, {3}, kFloat64));
  const Tensor n_p = tensor({3.0, 5.0, 2.0}, {3}, kFloat64);
  const Tensor n_q = tensor({6.0, 5.0, 4.0}, {3}, kFloat64);
  auto kl = [&](const Tensor& a, const Tensor& b) {
    return kl_divergence(Binomial::from_probs(n_p, a), Binomial::from_probs(n_q, b));
  };
  const Tensor y = kl(p, q);
  CHECK(allclose(
      y, tensor({1.2442862808220398, 1.4873331810828057, 0.6470807493620437}, {3}, kFloat64),
      1e-13));
  check_wave_checksums(y, {p, q}, {3}, {2.7740549639684167, 9.199852525631854, -4.364456450000351});
  check_grads([&](const TensorList& x) { return TensorList{kl(x[0], x[1])}; }, {p, q});
  // A count larger than q's in another element stays +inf; equal distributions give 0.
  const Tensor mixed = kl_divergence(
      Binomial::from_probs(tensor({2.0, 7.0}, {2}, kFloat64), tensor({0.4, 0.4}, {2}, kFloat64)),
      Binomial::from_probs(tensor({4.0, 3.0}, {2}, kFloat64), tensor({0.4, 0.4}, {2}, kFloat64)));
  CHECK(mixed.to_vector<double>()[0] > 0.0);
  CHECK(std::isinf(mixed.to_vector<double>()[1]));
  const Tensor one_more = kl_divergence(Binomial::from_probs(full({}, 4.0, kFloat64), p),
                                        Binomial::from_probs(full({}, 4.0, kFloat64), p));
  CHECK(allclose(one_more, zeros({3}, kFloat64), 0.0, 1e-15));
}

TEST_CASE("Binomial draws follow the pmf in both sampling regimes", "[distributions]") {
  // n q < 10 (waiting times), n q >= 10 (BTRS), p > 1/2 (counted as failures) and the edges.
  const Tensor n = tensor({12, 60, 40, 60, 0, 9}, {6}, kFloat64);
  const Tensor p = tensor({0.3, 0.35, 0.9, 0.75, 0.5, 1.0}, {6}, kFloat64);
  const Binomial d = Binomial::from_probs(n, p);
  Generator generator(5);
  const int64_t draws = 60000;
  const Tensor sampled = d.sample({draws}, &generator);
  REQUIRE(sampled.shape() == Dims{draws, 6});
  const std::vector<double> ns{12, 60, 40, 60, 0, 9};
  for (int64_t j = 0; j < 6; ++j) {
    INFO("column " << j);
    const auto count = static_cast<int64_t>(ns[j]);
    const std::vector<double> seen = frequencies(select(sampled, 1, j).contiguous(), count);
    const Tensor support = arange(static_cast<double>(count + 1), kFloat64);
    const std::vector<double> pmf =
        exp(Binomial::from_probs(full({}, ns[j], kFloat64), select(p, 0, j)).log_prob(support))
            .to_vector<double>();
    for (int64_t v = 0; v <= count; ++v) {
      // Within 5 standard errors of the exact probability.
      const double se = std::sqrt(pmf[v] * (1 - pmf[v]) / static_cast<double>(draws));
      CHECK(std::abs(seen[v] - pmf[v]) <= 5 * se + 1e-12);
    }
  }
  // A huge count (only the rejection sampler can do it) keeps its mean and spread.
  const Binomial huge = Binomial::from_probs(full({}, 1e9, kFloat64), full({}, 0.25, kFloat64));
  const Tensor big = huge.sample({4000}, &generator);
  const double m = mean(big).item<double>(), sd = std::sqrt(var(big).item<double>());
  const double exact_sd = std::sqrt(1e9 * 0.25 * 0.75);
  CHECK(std::abs(m - 2.5e8) < 5 * exact_sd / std::sqrt(4000.0));
  CHECK(sd == Approx(exact_sd).epsilon(0.05));
}

TEST_CASE("NegativeBinomial and Multinomial draws have the exact moments", "[distributions]") {
  Generator generator(9);
  const Tensor failures = tensor({0.7, 3.0, 20.0}, {3}, kFloat64);
  const Tensor p = tensor({0.4, 0.8, 0.1}, {3}, kFloat64);
  const NegativeBinomial nb = NegativeBinomial::from_probs(failures, p);
  const Tensor draws = nb.sample({50000}, &generator);
  CHECK(allclose(mean(draws, {0}), nb.mean(), 0.03, 0));
  CHECK(allclose(var(draws, {0}), nb.variance(), 0.06, 0));
  CHECK(all(eq(draws, floor(draws))).item<bool>());

  const Tensor probs = tensor({0.1, 0.2, 0.7, 0.5, 0.25, 0.25}, {2, 3}, kFloat64);
  const Multinomial multinomial = Multinomial::from_probs(9, probs);
  const Tensor counts = multinomial.sample({20000}, &generator);
  REQUIRE(counts.shape() == Dims{20000, 2, 3});
  CHECK(all(eq(sum(counts, {-1}), 9.0)).item<bool>());
  CHECK(allclose(mean(counts, {0}), multinomial.mean(), 0.03, 0.01));
  CHECK(allclose(var(counts, {0}), multinomial.variance(), 0.06, 0.01));
  CHECK(Multinomial::from_probs(0, probs).sample({2}, &generator).shape() == Dims{2, 2, 3});
  // A probability-0 category drawn 0 times adds nothing; drawn once, it is impossible.
  const Multinomial sparse = Multinomial::from_probs(3, tensor({0.0, 0.5, 0.5}, {3}, kFloat64));
  CHECK(sparse.log_prob(tensor({0.0, 1.0, 2.0}, {3}, kFloat64)).item<double>() ==
        Approx(std::log(3.0 / 8.0)).epsilon(1e-14));
}

TEST_CASE("count distributions: gradcheck and gradgradcheck", "[distributions][gradcheck]") {
  const Tensor n = tensor({4, 7, 2}, {3}, kFloat64);
  const Tensor k = tensor({1, 5, 2}, {3}, kFloat64);
  check_grads(
      [&](const TensorList& in) -> TensorList {
        return {Binomial::from_logits(n, in[0]).log_prob(k),
                Binomial::from_logits(full({}, 5.0, kFloat64), in[0]).entropy(),
                NegativeBinomial::from_logits(in[1], in[0]).log_prob(k),
                Multinomial::from_logits(4, reshape(in[0], {1, 3})).entropy()};
      },
      {leaf(tensor({-0.4, 0.3, 1.2}, {3}, kFloat64)),
       leaf(tensor({0.8, 2.5, 4.0}, {3}, kFloat64))});
}

TEST_CASE("count distributions reject bad parameters", "[distributions][errors]") {
  const Tensor p = tensor({0.2, 0.5}, {2}, kFloat64);
  CHECK_THROWS_WITH(Binomial::from_probs(tensor({2.5, 3.0}, {2}, kFloat64), p),
                    MG_CONTAINS("Binomial: total_count must be a non-negative whole number"));
  CHECK_THROWS_WITH(
      Binomial::from_probs(tensor({2.0}, {1}, kFloat64), tensor({1.5}, {1}, kFloat64)),
      MG_CONTAINS("Binomial: probs must be in [0, 1]"));
  CHECK_THROWS_WITH(Binomial::from_probs(tensor({2.0, 3.0}, {2}, kFloat64), p).entropy(),
                    MG_CONTAINS("Binomial.entropy: every total_count must be the same"));
  CHECK_THROWS_WITH(
      NegativeBinomial::from_probs(tensor({2.0}, {1}, kFloat64), tensor({1.0}, {1}, kFloat64)),
      MG_CONTAINS("NegativeBinomial: probs must be in [0, 1)"));
  CHECK_THROWS_WITH(NegativeBinomial::from_probs(tensor({-1.0}, {1}, kFloat64), p),
                    MG_CONTAINS("NegativeBinomial: total_count must be non-negative"));
  CHECK_THROWS_WITH(Multinomial::from_probs(-1, p), MG_CONTAINS("Multinomial: total_count"));
  CHECK_THROWS_WITH(
      Multinomial::from_probs(3, p).log_prob(tensor({1.0, 1.0, 1.0}, {3}, kFloat64)),
      MG_CONTAINS("Multinomial.log_prob: value must hold counts of the 2 categories"));
  CHECK_THROWS_WITH(kl_divergence(Binomial::from_probs(full({}, 1e9, kFloat64), p),
                                  Binomial::from_probs(full({}, 2e9, kFloat64), p)),
                    MG_CONTAINS("sums over p's support"));
  // An integer total_count takes the probabilities' dtype, as PyTorch's type_as.
  const Binomial from_int = Binomial::from_probs(tensor({3, 4}, {2}, kInt64), p);
  CHECK(from_int.total_count().dtype() == kFloat64);
}
