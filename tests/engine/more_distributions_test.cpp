// LogNormal, HalfNormal, Cauchy, Gumbel, StudentT, Geometric and MultivariateNormal: log_prob,
// cdf, entropy, moments and kl_divergence against PyTorch 1.13's values (float64; Cauchy's KL,
// which 1.13 lacks, against its closed form), sample moments and shapes, reparametrised
// gradients, gradcheck and gradgradcheck in the parameters, and the errors.
#include <cmath>
#include <limits>
#include <vector>

#include "tests/support/helpers.hpp"

using namespace metagrad;
using metagrad::distributions::Cauchy;
using metagrad::distributions::Geometric;
using metagrad::distributions::Gumbel;
using metagrad::distributions::HalfNormal;
using metagrad::distributions::kl_divergence;
using metagrad::distributions::LogNormal;
using metagrad::distributions::MultivariateNormal;
using metagrad::distributions::StudentT;
using metagrad::testing::allclose;
using metagrad::testing::check_grads;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

Tensor f64(const std::vector<double>& values) {
  return tensor(values, {static_cast<int64_t>(values.size())}, kFloat64);
}

// Mean and variance of the draws along dim 0.
std::pair<Tensor, Tensor> moments(const Tensor& draws) {
  const Tensor mean = draws.mean({0});
  return {mean, square(draws - mean).mean({0})};
}

// The fraction of true values along dim 0.
Tensor mean_of_bool(const Tensor& flags) { return flags.to(kFloat64).mean({0}); }

// NaN where expected is NaN, else allclose.
bool close_with_nan(const Tensor& actual, const Tensor& expected) {
  const std::vector<double> a = actual.to_vector<double>(), e = expected.to_vector<double>();
  if (a.size() != e.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::isnan(e[i]) != std::isnan(a[i])) return false;
    if (std::isinf(e[i]) && a[i] != e[i]) return false;
    if (std::isfinite(e[i]) && std::abs(a[i] - e[i]) > 1e-12 + 1e-12 * std::abs(e[i])) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("LogNormal and HalfNormal match torch.distributions", "[distributions]") {
  const LogNormal ln(f64({0.2, -0.5, 1.0}), f64({0.7, 1.3, 0.4}));
  const Tensor v = f64({0.5, 2.0, 3.1});
  CHECK(allclose(
      ln.log_prob(v),
      tensor({-0.6831081292592395, -2.295633467722685, -1.1880077718976172}, {3}, kFloat64),
      1e-13));
  CHECK(allclose(
      ln.cdf(v),
      tensor({0.10099109699735204, 0.820639655000535, 0.6287351731471695}, {3}, kFloat64), 1e-13));
  CHECK(allclose(
      ln.entropy(),
      tensor({1.2622635892659402, 1.1813027976721637, 1.5026478013305176}, {3}, kFloat64), 1e-13));
  CHECK(allclose(ln.mean(),
                 tensor({1.5604901958326667, 1.4119899196676593, 2.944679551065524}, {3}, kFloat64),
                 1e-13));
  CHECK(allclose(ln.variance(),
                 tensor({1.5397719762048734, 8.81118733068818, 1.5045366476098807}, {3}, kFloat64),
                 1e-13));
  CHECK(allclose(
      kl_divergence(ln, LogNormal(f64({0.0, 0.3, 0.8}), f64({1.0, 0.9, 0.6}))),
      tensor({0.1216749439387324, 0.5705468248129542, 0.18324288588594206}, {3}, kFloat64), 1e-13));

  const HalfNormal hn(f64({0.7, 1.3, 2.0}));
  const Tensor h = f64({0.5, 2.0, 0.1});
  CHECK(allclose(
      hn.log_prob(h),
      tensor({-0.12421844952232153, -1.6715875697749398, -0.9201885332046725}, {3}, kFloat64),
      1e-13));
  CHECK(allclose(
      hn.cdf(h),
      tensor({0.5249494759460469, 0.8760641943272576, 0.03987761167674497}, {3}, kFloat64), 1e-13));
  CHECK(allclose(
      hn.entropy(),
      tensor({0.36911640870599494, 0.9881556171122184, 1.4189385332046727}, {3}, kFloat64), 1e-13));
  CHECK(allclose(
      hn.mean(),
      tensor({0.5585191925620058, 1.0372499290437251, 1.5957691216057308}, {3}, kFloat64), 1e-13));
  CHECK(allclose(
      hn.variance(),
      tensor({0.1780563115398851, 0.6141125846987875, 1.4535209105296745}, {3}, kFloat64), 1e-13));
  CHECK(allclose(
      kl_divergence(hn, HalfNormal(f64({1.0, 0.5, 2.5}))),
      tensor({0.10167494393873244, 1.9244885549725639, 0.043143551314209716}, {3}, kFloat64),
      1e-13));
  CHECK(hn.log_prob(f64({-0.1, 0.0, 1.0})).to_vector<double>()[0] == -kInf);

  Generator gen(5);
  const Tensor loc = f64({0.1, -0.3}).requires_grad_(), scale = f64({0.4, 0.2}).requires_grad_();
  const Tensor draws = LogNormal(loc, scale).rsample({40000}, &gen);
  REQUIRE(draws.shape() == Dims{40000, 2});
  const auto [mean, variance] = moments(draws.detach());
  CHECK(allclose(mean, LogNormal(loc, scale).mean().detach(), 0.02));
  CHECK(allclose(variance, LogNormal(loc, scale).variance().detach(), 0.05));
  // d exp(loc + scale eps) / d loc = the draw itself.
  CHECK(allclose(grad({sum(draws)}, {loc})[0], sum(draws.detach(), {0})));
  const Tensor folded = HalfNormal(scale).rsample({40000}, &gen);
  CHECK(all(ge(folded, 0.0)).item<bool>());
  CHECK(allclose(moments(folded.detach()).first, HalfNormal(scale).mean().detach(), 0.02));
  check_grads(
      [&](const TensorList& in) {
        return TensorList{LogNormal(in[0], in[1]).log_prob(f64({0.5, 2.0})),
                          HalfNormal(in[1]).log_prob(f64({0.3, 0.1})),
                          kl_divergence(HalfNormal(in[1]), HalfNormal(in[1] * 2.0 + 0.1))};
      },
      {f64({0.2, -0.4}).requires_grad_(), f64({0.7, 1.1}).requires_grad_()});
}

TEST_CASE("Cauchy and Gumbel match torch.distributions", "[distributions]") {
  const Cauchy c(f64({0.2, -0.5, 1.0}), f64({0.7, 1.3, 0.4}));
  const Tensor v = f64({0.5, 2.0, -3.1});
  CHECK(allclose(
      c.log_prob(v),
      tensor({-0.9566776543464605, -2.9542788966409534, -4.89246769696969}, {3}, kFloat64), 1e-13));
  CHECK(allclose(
      c.cdf(v),
      tensor({0.6288810584091566, 0.8473642687429048, 0.030956654466465505}, {3}, kFloat64),
      1e-13));
  CHECK(allclose(c.entropy(),
                 tensor({2.1743493030305583, 2.793388511436782, 1.6147335150951356}, {3}, kFloat64),
                 1e-13));
  CHECK(allclose(
      kl_divergence(c, Cauchy(f64({0.0, 0.3, 0.8}), f64({1.0, 0.9, 0.6}))),
      tensor({0.04538300584781775, 0.15780699103036866, 0.08004270767353656}, {3}, kFloat64),
      1e-13));
  CHECK(std::isnan(c.mean().to_vector<double>()[1]));
  CHECK(c.variance().to_vector<double>()[2] == kInf);

  const Gumbel g(f64({0.2, -0.5, 1.0}), f64({0.7, 1.3, 0.4}));
  const Tensor w = f64({0.5, 2.0, -0.1});
  CHECK(allclose(
      g.log_prob(w),
      tensor({-0.7233355421637517, -2.331597744615957, -11.976341152314017}, {3}, kFloat64),
      1e-13));
  CHECK(allclose(
      g.cdf(w),
      tensor({0.5212950631440081, 0.8640224237750319, 1.6087601140135632e-07}, {3}, kFloat64),
      1e-13));
  CHECK(allclose(
      g.entropy(),
      tensor({1.2205407209628003, 1.8395799293690238, 0.6609249330273778}, {3}, kFloat64), 1e-13));
  CHECK(allclose(
      g.mean(),
      tensor({0.6040509654310731, 0.25038036437199274, 1.2308862659606132}, {3}, kFloat64), 1e-13));
  CHECK(allclose(
      g.variance(),
      tensor({0.8060176927556308, 2.7799385729735024, 0.2631894506957162}, {3}, kFloat64), 1e-13));
  CHECK(allclose(
      kl_divergence(g, Gumbel(f64({0.0, 0.3, 0.8}), f64({1.0, 0.9, 0.6}))),
      tensor({0.12744071849307037, 1.1119436201615147, 0.1932384876801052}, {3}, kFloat64), 1e-13));

  Generator gen(9);
  const Tensor loc = f64({0.5, -1.0}).requires_grad_(), scale = f64({0.3, 2.0}).requires_grad_();
  const Tensor gumbel_draws = Gumbel(loc, scale).rsample({40000}, &gen);
  const auto [mean, variance] = moments(gumbel_draws.detach());
  CHECK(allclose(mean, Gumbel(loc, scale).mean().detach(), 0.02));
  CHECK(allclose(variance, Gumbel(loc, scale).variance().detach(), 0.05));
  // Half the Cauchy draws fall below loc, a quarter below loc - scale.
  const Tensor cauchy_draws = Cauchy(loc, scale).sample({40000}, &gen);
  CHECK(allclose(mean_of_bool(lt(cauchy_draws, loc.detach())), f64({0.5, 0.5}), 0, 0.01));
  CHECK(
      allclose(mean_of_bool(lt(cauchy_draws, (loc - scale).detach())), f64({0.25, 0.25}), 0, 0.01));
  // d (loc + scale z) / d scale = z = (draw - loc) / scale.
  const Tensor cauchy_rdraws = Cauchy(loc, scale).rsample({3}, &gen);
  CHECK(allclose(grad({sum(cauchy_rdraws)}, {scale})[0],
                 sum((cauchy_rdraws.detach() - loc.detach()) / scale.detach(), {0})));
  check_grads(
      [&](const TensorList& in) {
        return TensorList{Cauchy(in[0], in[1]).log_prob(f64({0.5, 2.0})),
                          Cauchy(in[0], in[1]).cdf(f64({0.5, 2.0})),
                          Gumbel(in[0], in[1]).log_prob(f64({0.5, 2.0})),
                          kl_divergence(Gumbel(in[0], in[1]), Gumbel(in[1], in[1] + 0.5)),
                          kl_divergence(Cauchy(in[0], in[1]), Cauchy(in[1], in[1] + 0.5))};
      },
      {f64({0.2, -0.4}).requires_grad_(), f64({0.7, 1.1}).requires_grad_()});
}

TEST_CASE("StudentT and Geometric match torch.distributions", "[distributions]") {
  const StudentT st(f64({0.8, 1.5, 3.0, 7.0}), f64({0.2, -0.5, 1.0, 0.0}),
                    f64({0.7, 1.3, 0.4, 2.0}));
  const Tensor v = f64({0.5, 2.0, -0.1, 1.0});
  CHECK(allclose(
      st.log_prob(v),
      tensor({-1.0204338481300277, -2.8925796550442744, -2.60199352577972, -1.788046610376402}, {4},
             kFloat64),
      1e-12));
  CHECK(allclose(
      st.entropy(),
      tensor({2.4602316364701613, 2.4120237323121403, 0.8571868399891368, 2.2595254422775506}, {4},
             kFloat64),
      1e-12));
  CHECK(close_with_nan(st.mean(), tensor({kNaN, -0.5, 1.0, 0.0}, {4}, kFloat64)));
  CHECK(
      close_with_nan(st.variance(), tensor({kNaN, kInf, 0.4800000000000001, 5.6}, {4}, kFloat64)));
  // Defaults: loc 0, scale 1.
  CHECK(allclose(StudentT(f64({3.0})).log_prob(f64({0.4})),
                 StudentT(f64({3.0}), f64({0.0}), f64({1.0})).log_prob(f64({0.4})), 0, 0));
  Generator gen(13);
  const Tensor draws = StudentT(f64({7.0}), f64({1.0}), f64({2.0})).sample({60000}, &gen);
  const auto [mean, variance] = moments(draws);
  CHECK(allclose(mean, f64({1.0}), 0, 0.03));
  CHECK(allclose(variance, f64({4.0 * 7.0 / 5.0}), 0.05));
  check_grads(
      [&](const TensorList& in) {
        return TensorList{StudentT(in[0], in[1], in[2]).log_prob(f64({0.5, 2.0})),
                          StudentT(in[0], in[1], in[2]).entropy()};
      },
      {f64({2.5, 4.0}).requires_grad_(), f64({0.2, -0.4}).requires_grad_(),
       f64({0.7, 1.1}).requires_grad_()});

  const Geometric geo = Geometric::from_probs(f64({0.2, 0.5, 0.9, 1.0}));
  const Tensor k = f64({0.0, 3.0, 1.0, 0.0});
  CHECK(allclose(
      geo.log_prob(k),
      tensor({-1.6094379124341003, -2.772588722239781, -2.4079456086518722, 0.0}, {4}, kFloat64),
      1e-13));
  CHECK(allclose(
      geo.entropy().slice(0, 0, 3),
      tensor({2.5020121176909393, 1.3862943611198906, 0.36120330376827586}, {3}, kFloat64), 1e-13));
  CHECK(allclose(geo.mean(), tensor({4.0, 1.0, 0.11111111111111116, 0.0}, {4}, kFloat64), 1e-13));
  CHECK(allclose(geo.variance(), tensor({20.0, 2.0, 0.12345679012345684, 0.0}, {4}, kFloat64),
                 1e-13));
  CHECK(allclose(
      Geometric::from_logits(f64({-1.0, 0.5, 2.0})).log_prob(f64({2.0, 0.0, 5.0})),
      tensor({-1.9397850625546684, -0.47407698418010663, -10.761568066257828}, {3}, kFloat64),
      1e-13));
  CHECK(allclose(
      kl_divergence(Geometric::from_probs(f64({0.2, 0.5, 0.9})),
                    Geometric::from_probs(f64({0.3, 0.4, 0.6}))),
      tensor({0.128660462389926, 0.040821994520255145, 0.25143240131706535}, {3}, kFloat64),
      1e-13));
  const Tensor counts = Geometric::from_probs(f64({0.25, 0.6})).sample({60000}, &gen);
  CHECK(allclose(moments(counts).first, f64({3.0, 1.0 / 0.6 - 1.0}), 0.03));
  CHECK(allclose(counts, floor(counts), 0, 0));
  check_grads(
      [&](const TensorList& in) {
        return TensorList{Geometric::from_logits(in[0]).log_prob(f64({2.0, 0.0})),
                          Geometric::from_logits(in[0]).entropy()};
      },
      {f64({-0.5, 1.2}).requires_grad_()});
}

TEST_CASE("MultivariateNormal matches torch.distributions", "[distributions]") {
  const Tensor loc = tensor({0.2, -0.5, 1.0, 0.0, 0.4, -0.3}, {2, 3}, kFloat64);
  const Tensor cov =
      tensor({1.6300000000000001, 0.26, -0.66, 0.26, 1.31, 0.55, -0.66, 0.55, 2.0,
              0.8399999999999999, 0.09, 0.14, 0.09, 1.8299999999999998, 0.48, 0.14, 0.48, 1.27},
             {2, 3, 3}, kFloat64);
  const MultivariateNormal m = MultivariateNormal::from_covariance(loc, cov);
  CHECK(m.batch_shape() == Dims{2});
  CHECK(m.event_shape() == Dims{3});
  const Tensor v =
      tensor({0.5, 0.1, -0.2, 1.0, 0.0, 0.3, -0.4, 0.9, 0.2, 0.0, 0.0, 0.0}, {2, 2, 3}, kFloat64);
  CHECK(allclose(
      m.log_prob(v),
      tensor({-4.100938851319065, -3.8356642010111344, -5.460523669398178, -3.1449784440832023},
             {2, 2}, kFloat64),
      1e-12));
  CHECK(allclose(m.entropy(), tensor({4.786218995228263, 4.52932737537299}, {2}, kFloat64), 1e-12));
  CHECK(allclose(m.variance(),
                 tensor({1.63, 1.3099999999999998, 2.0, 0.8399999999999997, 1.8299999999999996,
                         1.2700000000000002},
                        {2, 3}, kFloat64),
                 1e-12));
  CHECK(allclose(
      m.precision_matrix(),
      tensor({0.8038699530928439, -0.30628572538553667, 0.3495056590016611, -0.30628572538553667,
              0.9796980778923103, -0.3704912607976124, 0.3495056590016611, -0.3704912607976124,
              0.7172219641898915, 1.2139861502253504, -0.02730990479801978, -0.1235033911248028,
              -0.02730990479801978, 0.6071960149572464, -0.22648086654153976, -0.1235033911248028,
              -0.22648086654153976, 0.8866151895255208},
             {2, 3, 3}, kFloat64),
      1e-11));
  CHECK(allclose(m.scale_tril(),
                 tensor({1.2767145334803705, 0.0, 0.0, 0.2036477169968689, 1.1262893089086672, 0.0,
                         -0.5169518969920518, 0.5818008467598528, 1.1807914764706924,
                         0.9165151389911679, 0.0, 0.0, 0.09819805060619657, 1.349206115779625, 0.0,
                         0.1527525231651947, 0.3446471184510637, 1.0620193173431665},
                        {2, 3, 3}, kFloat64),
                 1e-12));
  CHECK(allclose(m.covariance_matrix(), cov, 1e-12));
  const MultivariateNormal q =
      MultivariateNormal::from_covariance(f64({0.1, 0.1, 0.1}), cov.select(0, 1));
  CHECK(allclose(kl_divergence(m, q),
                 tensor({1.0539501804182903, 0.12737983207017778}, {2}, kFloat64), 1e-12));
  // From the precision (PyTorch's flipped factorization) and from the factor.
  const MultivariateNormal p =
      MultivariateNormal::from_precision(loc.select(0, 0), cov.select(0, 0));
  CHECK(allclose(p.scale_tril(),
                 tensor({0.8965879505619313, 0.0, 0.0, -0.34161258267365063, 0.9289773523888235,
                         0.0, 0.3898174839206912, -0.25546877190692646, 0.7071067811865475},
                        {3, 3}, kFloat64),
                 1e-12));
  CHECK(allclose(p.covariance_matrix(),
                 tensor({0.8038699530928441, -0.3062857253855367, 0.34950565900166114,
                         -0.3062857253855367, 0.9796980778923101, -0.3704912607976124,
                         0.34950565900166114, -0.3704912607976124, 0.7172219641898915},
                        {3, 3}, kFloat64),
                 1e-12));
  const MultivariateNormal f = MultivariateNormal::from_scale_tril(loc, m.scale_tril());
  CHECK(allclose(f.log_prob(v), m.log_prob(v), 1e-14));

  // The gradient of log_prob in loc and in the covariance (through cholesky), as PyTorch's.
  const Tensor loc_leaf = loc.clone().detach().requires_grad_();
  const Tensor cov_leaf = cov.clone().detach().requires_grad_();
  const Tensor weights = tensor({0.3, -0.7, 1.1, 0.4}, {2, 2}, kFloat64);
  const Tensor lp = MultivariateNormal::from_covariance(loc_leaf, cov_leaf).log_prob(v);
  const TensorList g = grad({sum(lp * weights)}, {loc_leaf, cov_leaf});
  CHECK(allclose(g[0],
                 tensor({-1.4184043380881042, 2.319072720833569, -1.725818429798306,
                         -0.8160164763960669, 0.15992471511594536, -0.20670988705527898},
                        {2, 3}, kFloat64),
                 1e-11));
  CHECK(allclose(
      g[1],
      tensor({0.23675580306514216, -1.049377705763719, 0.6612496689173045, -1.0493777057637188,
              1.3328199072404903, -1.2048503408221818, 0.6612496689173043, -1.2048503408221816,
              0.5740532029026498, -0.28129128377054063, 0.1610884643813259, -0.22140078958180062,
              0.1610884643813259, 0.05268711082402774, 0.01479100494691834, -0.22140078958180057,
              0.014791004946918342, 0.07125106129282771},
             {2, 3, 3}, kFloat64),
      1e-10));

  // rsample: loc + L eps with the moments of N(loc, cov).
  Generator gen(17);
  const Tensor draws = m.rsample({50000}, &gen);
  REQUIRE(draws.shape() == Dims{50000, 2, 3});
  const Tensor centered = draws.detach() - draws.detach().mean({0});
  const Tensor sample_cov =
      matmul(permute(centered, {1, 2, 0}), permute(centered, {1, 0, 2})) / 50000.0;
  CHECK(allclose(draws.detach().mean({0}), loc, 0, 0.03));
  CHECK(allclose(sample_cov, cov, 0, 0.06));
  check_grads(
      [&](const TensorList& in) {
        const Tensor sym = matmul(in[1], transpose(in[1], -2, -1)) + eye(3, -1, kFloat64);
        const MultivariateNormal d = MultivariateNormal::from_covariance(in[0], sym);
        const MultivariateNormal e = MultivariateNormal::from_precision(in[0] * 0.5, sym);
        return TensorList{d.log_prob(v.select(0, 0)), d.entropy(), kl_divergence(d, e)};
      },
      {loc.clone().detach().requires_grad_(),
       tensor({1.0, 0.3, -0.2, 0.1, 0.8, 0.4, -0.5, 0.2, 1.1}, {3, 3}, kFloat64).requires_grad_()});
}

TEST_CASE("the new distributions reject bad parameters by name", "[distributions]") {
  CHECK_THROWS_WITH(LogNormal(f64({0.0}), f64({-1.0})),
                    Catch::Contains("LogNormal: scale must be positive"));
  CHECK_THROWS_WITH(HalfNormal(f64({0.0})), Catch::Contains("HalfNormal: scale must be positive"));
  CHECK_THROWS_WITH(Cauchy(f64({0.0, 1.0}), f64({1.0, 1.0, 1.0})), Catch::Contains("Cauchy"));
  CHECK_THROWS_WITH(StudentT(f64({0.0})), Catch::Contains("StudentT: df must be positive"));
  CHECK_THROWS_WITH(Geometric::from_probs(f64({0.0, 0.5})),
                    Catch::Contains("Geometric: probs must be in (0, 1]"));
  const Tensor loc = f64({0.0, 0.0});
  CHECK_THROWS_WITH(MultivariateNormal::from_covariance(loc, eye(3, -1, kFloat64)),
                    Catch::Contains("covariance_matrix must be [*, 2, 2] for loc shape [2]"));
  CHECK_THROWS_WITH(
      MultivariateNormal::from_covariance(loc, tensor({1.0, 2.0, 2.0, 1.0}, {2, 2}, kFloat64)),
      Catch::Contains("covariance_matrix (shape [2, 2]) must be positive definite"));
  CHECK_THROWS_WITH(
      MultivariateNormal::from_scale_tril(loc, tensor({1.0, 0.5, 0.0, 1.0}, {2, 2}, kFloat64)),
      Catch::Contains("scale_tril must be lower triangular with a positive diagonal"));
  const MultivariateNormal m = MultivariateNormal::from_covariance(loc, eye(2, -1, kFloat64));
  CHECK_THROWS_WITH(m.log_prob(f64({1.0, 2.0, 3.0})),
                    Catch::Contains("must end in the event size 2"));
}
