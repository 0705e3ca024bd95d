// scale_by_accelerated_adam (fused kernels) against scale_by_adam: bit-identical values in float64
// in place and out of place over several steps and eps/eps_root settings, non-contiguous and
// shared operands, float32, first and second derivatives through unrolled steps (gradcheck,
// gradgradcheck and fused-vs-unfused), the fused nodes in the graph, and operand errors.
#include <cmath>
#include <string>
#include <vector>

#include "tests/support/helpers.hpp"

namespace {

using namespace metagrad;
using metagrad::testing::allclose;
using metagrad::testing::check_grads;
using metagrad::testing::noncontiguous;
using metagrad::testing::uniform64;

using V = std::vector<double>;

// Option sets covering eps = 0 with eps_root > 0, both > 0, both 0 and non-default betas.
std::vector<ScaleByAdamOptions> option_sets() {
  return {{.b1 = 0.9, .b2 = 0.999, .eps = 1e-8, .eps_root = 0.0},
          {.b1 = 0.9, .b2 = 0.999, .eps = 0.0, .eps_root = 1e-8},
          {.b1 = 0.8, .b2 = 0.95, .eps = 1e-3, .eps_root = 0.5},
          {.b1 = 0.0, .b2 = 0.5, .eps = 0.0, .eps_root = 0.0},
          {.b1 = 0.5, .b2 = 0.9, .eps = 0.3, .eps_root = 0.0}};
}

std::string describe(const ScaleByAdamOptions& o) {
  return fmt::format("b1 {} b2 {} eps {} eps_root {}", o.b1, o.b2, o.eps, o.eps_root);
}

// Shapes: 0-d, empty, small, one that spans several parallel chunks and a ragged block.
const std::vector<Dims> kShapes = {{}, {0}, {3, 4}, {70001}, {5}};

// Gradients of step k (plain tensors, not requiring grad).
TensorList grads_at(int k, DType dtype, const std::vector<Dims>& shapes = kShapes) {
  TensorList out;
  uint64_t seed = 1000 * static_cast<uint64_t>(k);
  for (const Dims& shape : shapes) {
    Generator gen(++seed);
    out.push_back(randn(shape, dtype, &gen));
  }
  return out;
}

TensorList zeros_for(const std::vector<Dims>& shapes, DType dtype) {
  TensorList out;
  for (const Dims& shape : shapes) out.push_back(zeros(shape, dtype));
  return out;
}

TensorList clones(const TensorList& list) {
  TensorList out;
  for (const Tensor& t : list) out.push_back(t.clone());
  return out;
}

bool same_values(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && a.to_vector<double>() == b.to_vector<double>();
}

bool same_lists(const TensorList& a, const TensorList& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (!same_values(a[i], b[i])) return false;
  return true;
}

TEST_CASE("accelerated adam equals scale_by_adam bit for bit in float64", "[optim][accelerated]") {
  for (const ScaleByAdamOptions& o : option_sets()) {
    for (const bool inplace : {false, true}) {
      INFO(describe(o) << (inplace ? ", in place" : ", out of place"));
      const auto fused = scale_by_accelerated_adam(o), plain = scale_by_adam(o);
      const TensorList params = zeros_for(kShapes, kFloat64);
      OptState fs = fused.init(params), ps = plain.init(params);
      for (int k = 1; k <= 4; ++k) {
        const TensorList g = grads_at(k, kFloat64);
        // The fused in-place step overwrites its updates: each side gets its own copy.
        const TensorList fu = fused.update(clones(g), fs, params, inplace);
        const TensorList pu = plain.update(clones(g), ps, params, inplace);
        CHECK(same_lists(fu, pu));
        CHECK(same_lists(fs.tensor_list("mu"), ps.tensor_list("mu")));
        CHECK(same_lists(fs.tensor_list("nu"), ps.tensor_list("nu")));
        CHECK(fs.counter("count") == k);
      }
    }
  }
}

TEST_CASE("accelerated adam in place writes into the state and the updates",
          "[optim][accelerated]") {
  const auto fused = scale_by_accelerated_adam({.eps_root = 1e-6, .moment_requires_grad = true});
  const TensorList params = zeros_for({{4}, {2, 3}}, kFloat64);
  OptState state = fused.init(params);
  const TensorList mu = state.tensor_list("mu"), nu = state.tensor_list("nu");
  const uint64_t mu_version = mu[0].version();
  const TensorList g = grads_at(1, kFloat64, {{4}, {2, 3}});
  const Tensor g0_before = g[0].clone();
  TensorList u;
  {
    // Moments requiring grad, but nothing is recorded: the fused in-place pass.
    NoGradGuard no_grad;
    u = fused.update(g, state, params, true);
  }
  CHECK(u[0].is_same(g[0]));
  CHECK(u[1].is_same(g[1]));
  CHECK(state.tensor_list("mu")[0].is_same(mu[0]));
  CHECK(state.tensor_list("nu")[1].is_same(nu[1]));
  CHECK(mu[0].version() > mu_version);
  // First step: mu = (1 - b1) g, nu = (1 - b2) g^2, u = g / (sqrt(g^2 + eps_root) + eps).
  const auto gv = g0_before.to_vector<double>(), uv = u[0].to_vector<double>();
  const auto mv = mu[0].to_vector<double>(), nv = nu[0].to_vector<double>();
  for (size_t i = 0; i < gv.size(); ++i) {
    CHECK(mv[i] == Approx((1 - 0.9) * gv[i]).epsilon(1e-14));
    CHECK(nv[i] == Approx((1 - 0.999) * gv[i] * gv[i]).epsilon(1e-14));
    CHECK(uv[i] == Approx(gv[i] / (std::sqrt(gv[i] * gv[i] + 1e-6) + 1e-8)).epsilon(1e-12));
  }
}

TEST_CASE("accelerated adam handles non-contiguous and shared operands", "[optim][accelerated]") {
  // Parameter 3 receives the very same update tensor as parameter 0.
  const std::vector<Dims> shapes = {{3, 5}, {40000}, {3, 5}, {3, 5}};
  for (const bool inplace : {false, true}) {
    INFO((inplace ? "in place" : "out of place"));
    const ScaleByAdamOptions o{.eps = 1e-4, .eps_root = 1e-3};
    const auto fused = scale_by_accelerated_adam(o), plain = scale_by_adam(o);
    const TensorList params = zeros_for(shapes, kFloat64);
    OptState fs = fused.init(params), ps = plain.init(params);
    // Non-contiguous moments for parameter 0 (every other element of a wider buffer).
    fs.tensor_list("mu")[0] = noncontiguous(zeros(shapes[0], kFloat64));
    fs.tensor_list("nu")[0] = noncontiguous(zeros(shapes[0], kFloat64));
    const Tensor mu0 = fs.tensor_list("mu")[0];
    for (int k = 1; k <= 3; ++k) {
      const TensorList g = grads_at(k, kFloat64, shapes);
      auto updates = [&] {
        TensorList u = {g[0].clone(), noncontiguous(g[1]), g[2].t().contiguous().t()};
        u.push_back(u[0]);
        return u;
      };
      const TensorList fu = fused.update(updates(), fs, {}, inplace);
      const TensorList pu = plain.update(updates(), ps, {}, inplace);
      CHECK(same_lists(fu, pu));
      CHECK(same_lists(fs.tensor_list("mu"), ps.tensor_list("mu")));
      CHECK(same_lists(fs.tensor_list("nu"), ps.tensor_list("nu")));
    }
    // In place, the non-contiguous moment was written where it lives.
    CHECK(fs.tensor_list("mu")[0].is_same(mu0) == inplace);
    CHECK(fs.tensor_list("mu")[0].is_contiguous() == !inplace);
  }
}

TEST_CASE("accelerated adam in float32 agrees with scale_by_adam and float64",
          "[optim][accelerated]") {
  for (const ScaleByAdamOptions& o : option_sets()) {
    for (const bool inplace : {false, true}) {
      INFO(describe(o) << (inplace ? ", in place" : ", out of place"));
      const auto fused = scale_by_accelerated_adam(o), plain = scale_by_adam(o);
      const TensorList p32 = zeros_for(kShapes, kFloat32), p64 = zeros_for(kShapes, kFloat64);
      OptState fs = fused.init(p32), ps = plain.init(p32), f64 = fused.init(p64);
      for (int k = 1; k <= 3; ++k) {
        const TensorList g = grads_at(k, kFloat32);
        TensorList g64;
        for (const Tensor& t : g) g64.push_back(t.to(kFloat64));
        const TensorList fu = fused.update(clones(g), fs, {}, inplace);
        const TensorList pu = plain.update(clones(g), ps, {}, inplace);
        const TensorList du = fused.update(g64, f64, {}, inplace);
        for (size_t i = 0; i < kShapes.size(); ++i) {
          CHECK(fu[i].dtype() == kFloat32);
          CHECK(allclose(fu[i], pu[i], 1e-5, 1e-6));
          CHECK(allclose(fu[i], du[i], 1e-4, 1e-5));
          CHECK(allclose(fs.tensor_list("nu")[i], ps.tensor_list("nu")[i], 1e-6, 1e-9));
        }
      }
    }
  }
}

// Inner objective sum(exp(0.3 theta) + w (theta - c)^2), non-quadratic so that the Hessian
// matters.
Tensor inner_loss(const Tensor& theta, const Tensor& w) {
  const Tensor c = tensor({0.5, -1.0, 2.0}, kFloat64);
  return sum(exp(theta * 0.3)) + sum(w * square(theta - c));
}

// `steps` differentiable Adam steps (lr 0.1) on inner_loss from theta; returns the final
// parameters and moments. Records even when called without grad (gradgradcheck's shape probe).
TensorList unroll(const TensorList& in, const ScaleByAdamOptions& o, bool fused, int steps) {
  const EnableGradGuard enable_grad;  // the inner gradients need recording (gradgradcheck)
  const auto opt = chain(fused ? scale_by_accelerated_adam(o) : scale_by_adam(o), scale(-0.1));
  Tensor theta = in[0];
  OptState state = opt.init({theta});
  for (int k = 0; k < steps; ++k) {
    const TensorList g = grad({inner_loss(theta, in[1])}, {theta}, {}, {.create_graph = true});
    theta = apply_updates({theta}, opt.update(g, state, {theta}, false), false)[0];
  }
  return {theta, state.children[0].tensor_list("mu")[0], state.children[0].tensor_list("nu")[0]};
}

// Three accelerated steps fed with the given updates, from the given moments: every input slot
// (g, mu, nu) and every output (mu', nu', u) of the fused op is on the path.
TensorList three_steps(const TensorList& in, const ScaleByAdamOptions& o, bool fused) {
  const auto opt = fused ? scale_by_accelerated_adam(o) : scale_by_adam(o);
  OptState state = opt.init({in[0]});
  state.tensor_list("mu")[0] = in[3];
  state.tensor_list("nu")[0] = in[4];
  Tensor total;
  for (int k = 0; k < 3; ++k) {
    const Tensor u = opt.update({in[k]}, state, {}, false)[0];
    total = k == 0 ? u : total + u * (k + 1.0);
  }
  return {total, state.tensor_list("mu")[0], state.tensor_list("nu")[0]};
}

std::vector<ScaleByAdamOptions> grad_option_sets() {
  return {{.eps = 1e-8, .eps_root = 0.0},
          {.eps = 0.0, .eps_root = 1e-3},
          {.b1 = 0.7, .b2 = 0.8, .eps = 0.1, .eps_root = 0.2, .moment_requires_grad = true}};
}

TEST_CASE("gradients through accelerated steps pass gradcheck and gradgradcheck",
          "[optim][accelerated][gradcheck]") {
  for (const ScaleByAdamOptions& o : grad_option_sets()) {
    INFO(describe(o));
    const TensorList in = {uniform64({3}, -1.0, 1.0, 1), uniform64({3}, -1.0, 1.0, 2),
                           uniform64({3}, -1.0, 1.0, 3), uniform64({3}, -0.5, 0.5, 4),
                           uniform64({3}, 0.1, 1.0, 5)};
    check_grads([&](const TensorList& x) { return three_steps(x, o, true); }, in);
    const TensorList meta = {tensor(V{0.3, -0.7, 1.1}, kFloat64).requires_grad_(),
                             tensor(V{1.0, 0.5, 2.0}, kFloat64).requires_grad_()};
    check_grads([&](const TensorList& x) { return unroll(x, o, true, 2); }, meta);
  }
}

TEST_CASE("first and second derivatives match scale_by_adam's", "[optim][accelerated]") {
  for (const ScaleByAdamOptions& o : grad_option_sets()) {
    INFO(describe(o));
    const TensorList in = {tensor(V{0.3, -0.7, 1.1}, kFloat64).requires_grad_(),
                           tensor(V{1.0, 0.5, 2.0}, kFloat64).requires_grad_()};
    const Tensor v = tensor(V{0.4, -1.2, 0.9}, kFloat64);
    TensorList first[2], second[2];
    for (const bool fused : {false, true}) {
      const TensorList out = unroll(in, o, fused, 3);
      const Tensor loss = sum(sin(out[0])) + sum(out[1] * out[2]);
      first[fused] = grad({loss}, in, {}, {.create_graph = true});
      // Hessian-vector products w.r.t. theta0 and w, through the fused backward's backward.
      second[fused] = grad({sum(first[fused][0] * v) + sum(first[fused][1] * v)}, in);
    }
    for (size_t i = 0; i < in.size(); ++i) {
      CHECK(allclose(first[1][i], first[0][i], 1e-10, 1e-12));
      CHECK(allclose(second[1][i], second[0][i], 1e-9, 1e-11));
    }
    CHECK(std::abs(second[1][0].to_vector<double>()[0]) > 1e-6);
  }
}

TEST_CASE("the differentiable path records the fused op and its fused backward",
          "[optim][accelerated]") {
  const auto opt = scale_by_accelerated_adam({.eps = 0.2, .eps_root = 0.1});
  const Tensor g = tensor(V{0.5, -2.0, 1.5}, kFloat64).requires_grad_();
  OptState state = opt.init({g});
  const Tensor u = opt.update({g}, state, {}, false)[0];
  REQUIRE(u.grad_fn() != nullptr);
  CHECK(u.grad_fn()->name() == "AcceleratedAdamBackward");
  CHECK(state.tensor_list("nu")[0].grad_fn() == u.grad_fn());
  const Tensor dg = grad({sum(u * u)}, {g}, {}, {.create_graph = true})[0];
  REQUIRE(dg.grad_fn() != nullptr);
  CHECK(dg.grad_fn()->name() == "AcceleratedAdamGradBackward");
  // One step: u = g / (sqrt(g^2 + eps_root) + eps) elementwise; d(u^2)/dg = 2 u du/dg with
  // du/dg = 1/d - g^2 / (d^2 s), s = sqrt(g^2 + eps_root), d = s + eps (exact for eps > 0).
  const auto gv = g.to_vector<double>(), dv = dg.to_vector<double>();
  for (size_t i = 0; i < gv.size(); ++i) {
    const double s = std::sqrt(gv[i] * gv[i] + 0.1), d = s + 0.2, ui = gv[i] / d;
    CHECK(dv[i] == Approx(2 * ui * (1 / d - gv[i] * gv[i] / (d * d * s))).epsilon(1e-12));
  }
  // In place while recording: the unfused in-place path, with history, same values.
  const auto plain = scale_by_adam({.eps = 0.2, .eps_root = 0.1});
  OptState fs = opt.init({g}), ps = plain.init({g});
  const Tensor gx = g * 1.0;
  const Tensor fu = opt.update({gx}, fs, {}, true)[0];
  const Tensor pu = plain.update({gx}, ps, {}, true)[0];
  CHECK(fu.requires_grad());
  CHECK(same_values(fu, pu));
}

TEST_CASE("accelerated adam: alias use_accelerated_op trains exactly like adam",
          "[optim][accelerated]") {
  for (const bool inplace : {false, true}) {
    TensorList pf = {tensor(V{1.0, -2.0, 0.5}, kFloat64), tensor(V{3.0, 0.25}, kFloat64)};
    TensorList pp = clones(pf);
    const auto fused = adam({.lr = 0.05, .eps_root = 1e-10, .use_accelerated_op = true});
    const auto plain = adam({.lr = 0.05, .eps_root = 1e-10});
    OptState fs = fused.init(pf), ps = plain.init(pp);
    for (int k = 0; k < 5; ++k) {
      // Gradient of sum(p^2 + sin(p)).
      TensorList gf, gp;
      for (const Tensor& p : pf) gf.push_back(p * 2.0 + cos(p));
      for (const Tensor& p : pp) gp.push_back(p * 2.0 + cos(p));
      pf = apply_updates(pf, fused.update(gf, fs, pf, inplace), inplace);
      pp = apply_updates(pp, plain.update(gp, ps, pp, inplace), inplace);
    }
    CHECK(same_lists(pf, pp));
    CHECK(pf[0].to_vector<double>()[0] < 1.0);
  }
}

TEST_CASE("accelerated adam rejects updates that do not match the state",
          "[optim][accelerated][errors]") {
  const auto opt = scale_by_accelerated_adam();
  OptState state = opt.init({zeros({3}, kFloat64)});
  CHECK_THROWS_WITH(opt.update({zeros({3}, kFloat32)}, state, {}, false),
                    MG_CONTAINS("scale_by_accelerated_adam: update 0 has dtype float32 but its "
                                "moments mu and nu have dtypes float64 and float64"));
  CHECK_THROWS_WITH(opt.update({zeros({2}, kFloat64)}, state, {}, true),
                    MG_CONTAINS("update 0 has shape [2] but its moments mu and nu have shapes "
                                "[3] and [3]"));
  CHECK_THROWS_WITH(opt.update({}, state, {}, true), MG_CONTAINS("got 0 updates"));
}

TEST_CASE("accelerated_op_available: the CPU always, a CUDA device where a backend serves it",
          "[optim][accelerated]") {
  CHECK(accelerated_op_available(kCPU));
  CHECK(accelerated_op_available(std::vector<Device>{kCPU, kCPU}));
  // Without a GPU (or the CUDA backend) a CUDA query answers false and does not throw.
  CHECK(accelerated_op_available(cuda_device(0)) == cuda::is_available());
  CHECK(accelerated_op_available() == cuda::is_available());  // TorchOpt's devices=None
  CHECK(accelerated_op_available(std::vector<Device>{kCPU, cuda_device(0)}) ==
        cuda::is_available());
  CHECK_FALSE(accelerated_op_available(cuda_device(cuda::device_count())));  // one past the last
  CHECK_FALSE(accelerated_op_available(cuda_device(-1)));
}

}  // namespace
