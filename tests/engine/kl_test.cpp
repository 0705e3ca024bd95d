// kl_divergence between families (engine/distributions/kl.hpp) against PyTorch 1.13's KL
// registry in float64 on wave() inputs: checksums sum(kl * wave(kl.shape, 0.3)) and of the
// gradients of sum(kl * wave(kl.shape, 0.9)) in every parameter of p and q (phase 1.3); the pairs
// PyTorch defines as +inf; the support checks that make a finite pair infinite; gradcheck and
// gradgradcheck of a few closed forms.
#include <cmath>
#include <limits>
#include <map>
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

struct Reference {
  std::string pair;                 // "<P> <Q>"
  std::vector<std::string> inputs;  // the parameters PyTorch differentiated in, in order
  std::vector<double> checksums;
};

// PyTorch's inputs, by name.
std::map<std::string, Tensor> make_inputs() {
  return {
      {"a", leaf(1.2 + abs(wave({3}, 0.3)))},
      {"b", leaf(0.7 + abs(wave({3}, 0.8)))},
      {"loc", leaf(wave({3}, 0.5))},
      {"u", leaf(0.1 + 0.8 * (wave({3}, 1.1) / 3.0 + 0.5))},
      {"alpha", leaf(2.5 + abs(wave({3}, 0.4)))},
      {"low", leaf(0.1 + 0.2 * abs(wave({3}, 0.2)))},
      {"width", leaf(0.3 + 0.2 * abs(wave({3}, 0.9)))},
      {"v", leaf(0.1 + 0.8 * (wave({3}, 1.7) / 3.0 + 0.5))},
      {"loc2", leaf(wave({3}, 1.5))},
      {"small", leaf(0.05 + 0.01 * abs(wave({3}, 0.6)))},
      {"qlow", leaf(-0.1 - 0.2 * abs(wave({3}, 1.2)))},
      {"qhigh", leaf(1.1 + 0.2 * abs(wave({3}, 0.7)))},
      {"logits", leaf(wave({3, 4}, 0.1))},
      {"logits2", leaf(wave({3, 4}, 0.6))},
  };
}

// The KL of a reference pair, built from the inputs as PyTorch's script builds it.
Tensor pair_kl(const std::string& pair, std::map<std::string, Tensor>& in) {
  const Beta beta_p(in["a"], in["b"]);
  const ContinuousBernoulli cb_p = ContinuousBernoulli::from_probs(in["u"]);
  const Exponential exponential_p(in["a"]);
  const Gamma gamma_p(in["a"], in["b"]);
  const Gumbel gumbel_p(in["loc"], in["b"]);
  const Laplace laplace_p(in["loc"], in["b"]);
  const Normal normal_p(in["loc"], in["b"]);
  const Pareto pareto_p(in["a"], in["alpha"]);
  const Uniform uniform_p(in["low"], in["low"] + in["width"]);
  const ContinuousBernoulli cb_q = ContinuousBernoulli::from_probs(in["v"]);
  const Exponential exponential_q(in["b"]);
  const Gamma gamma_q(in["b"], in["a"]);
  const Normal normal_q(in["loc2"], in["a"]);
  const Uniform uniform_q(in["qlow"], in["qhigh"]);
  const Gumbel gumbel_q(in["loc2"], in["a"]);
  const Laplace laplace_q(in["loc2"], in["a"]);
  const Beta beta_q(in["b"], in["a"]);
  const Pareto pareto_q(in["small"], in["b"]);
  if (pair == "Pareto ParetoP") return kl_divergence(pareto_p, pareto_q);
  if (pair == "OneHotCategorical OneHotCategorical")
    return kl_divergence(OneHotCategorical::from_logits(in["logits"]),
                         OneHotCategorical::from_logits(in["logits2"]));
  if (pair == "Bernoulli Poisson")
    return kl_divergence(Bernoulli::from_probs(in["u"]), Poisson(in["b"]));
  if (pair == "Beta ContinuousBernoulli") return kl_divergence(beta_p, cb_q);
  if (pair == "Beta Exponential") return kl_divergence(beta_p, exponential_q);
  if (pair == "Beta Gamma") return kl_divergence(beta_p, gamma_q);
  if (pair == "Beta Normal") return kl_divergence(beta_p, normal_q);
  if (pair == "Beta Uniform") return kl_divergence(beta_p, uniform_q);
  if (pair == "ContinuousBernoulli Exponential") return kl_divergence(cb_p, exponential_q);
  if (pair == "ContinuousBernoulli Normal") return kl_divergence(cb_p, normal_q);
  if (pair == "ContinuousBernoulli Uniform") return kl_divergence(cb_p, uniform_q);
  if (pair == "Exponential Gamma") return kl_divergence(exponential_p, gamma_q);
  if (pair == "Exponential Gumbel") return kl_divergence(exponential_p, gumbel_q);
  if (pair == "Exponential Normal") return kl_divergence(exponential_p, normal_q);
  if (pair == "Gamma Exponential") return kl_divergence(gamma_p, exponential_q);
  if (pair == "Gamma Gumbel") return kl_divergence(gamma_p, gumbel_q);
  if (pair == "Gamma Normal") return kl_divergence(gamma_p, normal_q);
  if (pair == "Gumbel Normal") return kl_divergence(gumbel_p, normal_q);
  if (pair == "Laplace Normal") return kl_divergence(laplace_p, normal_q);
  if (pair == "Normal Gumbel") return kl_divergence(normal_p, gumbel_q);
  if (pair == "Normal Laplace") return kl_divergence(normal_p, laplace_q);
  if (pair == "Pareto Exponential") return kl_divergence(pareto_p, exponential_q);
  if (pair == "Pareto Gamma") return kl_divergence(pareto_p, gamma_q);
  if (pair == "Pareto Normal") return kl_divergence(pareto_p, normal_q);
  if (pair == "Uniform Beta") return kl_divergence(uniform_p, beta_q);
  if (pair == "Uniform ContinuousBernoulli") return kl_divergence(uniform_p, cb_q);
  if (pair == "Uniform Exponential") return kl_divergence(uniform_p, exponential_q);
  if (pair == "Uniform Gamma") return kl_divergence(uniform_p, gamma_q);
  if (pair == "Uniform Gumbel") return kl_divergence(uniform_p, gumbel_q);
  if (pair == "Uniform Normal") return kl_divergence(uniform_p, normal_q);
  if (pair == "Uniform Pareto") return kl_divergence(uniform_p, pareto_q);
  return Tensor();
}

}  // namespace

TEST_CASE("kl_divergence across families matches PyTorch", "[distributions][kl]") {
  // Gradients through digamma (Beta's and Gamma's) are PyTorch's with its trigamma, which is 5e-10
  // off, replaced by mpmath's (the script's AccurateDigamma).
  const std::vector<Reference> references{
      {"Pareto ParetoP",
       {"a", "alpha", "small", "b"},
       {20.20519908468919, 5.689084663383887, 0.7058209380555059, -191.0909704392506,
        19.30907645910047}},
      {"OneHotCategorical OneHotCategorical",
       {"logits", "logits2"},
       {0.04957716427049845, -0.21685377778712436, 0.21638670862829232}},
      {"Bernoulli Poisson", {"u", "b"}, {2.887512619279655, 7.661070959094264, 3.29087665906553}},
      {"Beta ContinuousBernoulli",
       {"a", "b", "v"},
       {0.6326051728919329, -0.7699037110945399, 1.6411222634691516, 6.336776918018662}},
      {"Beta Exponential", {"a", "b"}, {1.3162447533230153, 1.873068608694707, -0.970661676099165}},
      {"Beta Gamma", {"a", "b"}, {1.4093237797583928, -2.8314899822792294, 3.571837253280697}},
      {"Beta Normal",
       {"a", "b", "loc2"},
       {5.191585417071302, 2.4403805716987046, 0.5766077817680328, 1.2829545920215537}},
      {"Beta Uniform",
       {"a", "b", "qlow", "qhigh"},
       {1.9023827989893856, 0.45329995814097723, 0.41842914350497096, -3.3544977296115217,
        3.3544977296115217}},
      {"ContinuousBernoulli Exponential",
       {"u", "b"},
       {2.144146373685154, 15.895785604590746, 0.9454556584974607}},
      {"ContinuousBernoulli Normal",
       {"u", "loc2", "a"},
       {5.150128503477276, 7.152793113995737, 1.0639824824806072, 2.3453106222136864}},
      {"ContinuousBernoulli Uniform",
       {"u", "qlow", "qhigh"},
       {1.9235852601586476, 7.922807540492229, -3.3544977296115217, 3.3544977296115217}},
      {"Exponential Gamma",
       {"a", "b"},
       {1.7997026862466745, -1.6571466695705865e-16, 5.926023316012474}},
      {"Exponential Gumbel",
       {"a", "loc2"},
       {4.568727143257395, 4.7966968478454906, 1.7544872782176895}},
      {"Exponential Normal",
       {"a", "loc2"},
       {4.290198945112359, 5.0192268344423745, 1.2617793697259998}},
      {"Gamma Exponential",
       {"a", "b"},
       {1.5581912430131446, 3.817935711283033, -6.1800126228825e-16}},
      {"Gamma Gumbel",
       {"a", "b", "loc2"},
       {2.5552386891946397, -0.0679659846270094, 2.943498535336538, 0.8651419729766224}},
      {"Gamma Normal",
       {"a", "b", "loc2"},
       {2.3255735708830514, 0.1685467461018974, 2.8117235686763955, 0.5654122917467637}},
      {"Gumbel Normal",
       {"loc", "b", "loc2", "a"},
       {0.7060696305339677, 1.0731009184359426, 2.3387521798338344, -1.0731009184359426,
        -2.249931060498793}},
      {"Laplace Normal",
       {"loc", "b", "loc2", "a"},
       {0.5605805923787874, -0.5457594499520597, 2.715160244470353, 0.5457594499520597,
        -2.993521265028922}},
      {"Normal Gumbel",
       {"loc", "b", "loc2", "a"},
       {0.8786739265267454, -3.057891497485283, 3.0731232799146655, 3.057891497485283,
        -4.237674327610351}},
      {"Normal Laplace",
       {"loc", "b", "loc2", "a"},
       {0.2802827071701564, -0.389190704566149, -0.7151048169775074, 0.389190704566149,
        0.5070168367694537}},
      {"Pareto Exponential",
       {"a", "alpha", "b"},
       {13.195102946543036, 13.764288428761464, -1.790851074771461, 14.321240338135155}},
      {"Pareto Gamma",
       {"a", "alpha", "b"},
       {8.947883657089653, 23.05239997053748, -1.4367741322465584, -7.6988716541287125}},
      {"Pareto Normal",
       {"a", "alpha", "loc2"},
       {3.753990187620527, 1.3542282332051907, -0.06994896826485303, -2.015776139517437}},
      {"Uniform Beta",
       {"low", "width", "b", "a"},
       {1.0984332232002325, 8.36502968738836, -1.543372305331915, -1.0523506653053225,
        0.5357737330655726}},
      {"Uniform ContinuousBernoulli",
       {"low", "width", "v"},
       {1.4749751738942032, -9.686407870766743, -15.00411960195986, 5.279760241052828}},
      {"Uniform Exponential",
       {"low", "width", "b"},
       {2.718427734252353, 11.869520835034198, -4.226155249059392, 0.303553839526365}},
      {"Uniform Gamma",
       {"low", "width", "b", "a"},
       {2.297900642724108, 0.030662900037623286, -8.936895963680108, 2.1698094290801695,
        -2.4914865133400497}},
      {"Uniform Gumbel",
       {"low", "width", "loc2", "a"},
       {6.4652269952830554, -1.6667988738781527, -10.885677340244666, 1.6667988738781527,
        1.931189420232851}},
      {"Uniform Normal",
       {"low", "width", "loc2", "a"},
       {6.206418875993277, -1.257851538125217, -10.722718060793248, 1.2578515381252175,
        2.175584986371425}},
      {"Uniform Pareto",
       {"low", "width", "small", "b"},
       {9.917075101369221, 36.97928862813196, 4.633501228107293, -191.0909704392506,
        9.440395375891587}},
  };
  for (const Reference& r : references) {
    INFO(r.pair);
    std::map<std::string, Tensor> in = make_inputs();
    const Tensor kl = pair_kl(r.pair, in);
    REQUIRE(kl.defined());
    TensorList inputs;
    for (const std::string& name : r.inputs) inputs.push_back(in[name]);
    check_wave_checksums(kl, inputs, {3}, r.checksums);
  }
}

TEST_CASE("kl_divergence: +inf where q misses part of p's support", "[distributions][kl]") {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  const Tensor one = tensor({1.0, 2.0}, kFloat64);
  auto all_infinite = [&](const Tensor& kl) {
    const std::vector<double> values = kl.to_vector<double>();
    REQUIRE(values.size() == 2);
    return values[0] == kInf && values[1] == kInf;
  };
  // Pairs PyTorch defines as +inf everywhere, of p's batch shape.
  CHECK(all_infinite(kl_divergence(Normal(one, one), Uniform(one - 3.0, one))));
  CHECK(all_infinite(kl_divergence(Gamma(one, one), Beta(one, one))));
  CHECK(all_infinite(kl_divergence(Laplace(one, one), Exponential(one))));
  CHECK(all_infinite(kl_divergence(Gumbel(one, one), Pareto(one, one))));
  CHECK(all_infinite(kl_divergence(Poisson(one), Bernoulli::from_probs(one * 0.3))));
  CHECK(all_infinite(kl_divergence(Poisson(one), Binomial::from_probs(one, one * 0.3))));
  CHECK(all_infinite(kl_divergence(Exponential(one), ContinuousBernoulli::from_probs(one * 0.3))));
  CHECK(!kl_divergence(Normal(one, one), Uniform(one - 3.0, one)).requires_grad());
  // Support checks: finite only where q covers p.
  const std::vector<double> beta_uniform =
      kl_divergence(Beta(one, one),
                    Uniform(tensor({0.0, 0.1}, kFloat64), tensor({1.0, 1.0}, kFloat64)))
          .to_vector<double>();
  CHECK(beta_uniform[0] == Approx(0.0).margin(1e-15));
  CHECK(beta_uniform[1] == kInf);
  // PyTorch gives +inf for a ContinuousBernoulli against U(0, 1) itself; the KL is finite.
  const ContinuousBernoulli cb = ContinuousBernoulli::from_probs(tensor({0.3, 0.7}, kFloat64));
  const Tensor unit_kl = kl_divergence(cb, Uniform(zeros({2}, kFloat64), ones({2}, kFloat64)));
  CHECK(allclose(unit_kl, -cb.entropy()));
  const std::vector<double> pareto = kl_divergence(Pareto(tensor({1.0, 0.5}, kFloat64), one),
                                                   Pareto(tensor({0.8, 0.8}, kFloat64), one))
                                         .to_vector<double>();
  CHECK(std::isfinite(pareto[0]));
  CHECK(pareto[1] == kInf);
  const std::vector<double> heavy =
      kl_divergence(Pareto(one, tensor({0.9, 1.5}, kFloat64)), Exponential(one))
          .to_vector<double>();
  CHECK((heavy[0] == kInf && std::isfinite(heavy[1])));
}

TEST_CASE("kl_divergence across families: gradcheck and gradgradcheck",
          "[distributions][kl][gradcheck]") {
  check_grads(
      [](const TensorList& in) -> TensorList {
        return {kl_divergence(Gamma(in[0], in[1]), Normal(in[1], in[0])),
                kl_divergence(Normal(in[1], in[0]), Laplace(in[0], in[1])),
                kl_divergence(Uniform(in[0], in[0] + in[1]), Gumbel(in[1], in[0])),
                kl_divergence(Beta(in[0], in[1]), ContinuousBernoulli::from_logits(in[1] - 1.0))};
      },
      {leaf(tensor({1.3, 2.1}, kFloat64)), leaf(tensor({0.6, 1.7}, kFloat64))});
}
