// MetaGradientModule (meta slots, meta inputs in train and eval mode, listings, copies) and
// ImplicitMetaGradientModule: implicit gradients against the closed form of a ridge problem,
// against the unrolled MetaSGD gradient on an iMAML problem as the inner loop converges, the
// lifetime of the module against its solutions, and the memory of 1,000 instances.
#include <Eigen/Dense>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "metagrad.hpp"
#include "tests/support/catch.hpp"
#include "tests/support/eigen_convert.hpp"
#include "tests/support/helpers.hpp"

using namespace metagrad;
using metagrad::testing::randn64;

namespace {

using metagrad::testing::from_vec;
using metagrad::testing::Matrix;
using metagrad::testing::to_matrix;
using metagrad::testing::to_vec;
using metagrad::testing::Vector;

// A list of tensors as one vector, and back (data only).
Vector list_to_vec(const TensorList& list) {
  std::vector<double> all;
  for (const Tensor& t : list) {
    const std::vector<double> v = t.detach().contiguous().to_vector<double>();
    all.insert(all.end(), v.begin(), v.end());
  }
  return Eigen::Map<const Vector>(all.data(), static_cast<Eigen::Index>(all.size()));
}

TensorList vec_to_list(const Vector& v, const TensorList& like) {
  TensorList out;
  Eigen::Index offset = 0;
  for (const Tensor& t : like) {
    out.push_back(from_vec(v.segment(offset, t.numel())).reshape(t.shape()));
    offset += t.numel();
  }
  return out;
}

// The adjoint system solved densely from n matvecs (exact, so the tests measure the module).
linear_solve::LinearSolver dense_solver() {
  return [](const linalg::MatVec& matvec, const TensorList& b) {
    const Vector flat_b = list_to_vec(b);
    const Eigen::Index n = flat_b.size();
    Matrix A(n, n);
    for (Eigen::Index j = 0; j < n; ++j) {
      A.col(j) = list_to_vec(matvec(vec_to_list(Vector::Unit(n, j), b)));
    }
    return vec_to_list(A.partialPivLu().solve(flat_b), b);
  };
}

// ---- MetaGradientModule ------------------------------------------------------------------------

// A task module: a meta-parameter, a meta-module and an inner network of its own.
class Task : public nn::Cloneable<Task, nn::MetaGradientModule> {
 public:
  Task(std::shared_ptr<nn::Module> meta_net, Tensor scale)
      : Cloneable({scale}, {meta_net}),
        scale_(register_parameter("scale", scale)),
        meta_(register_module("meta_net", meta_net)),
        net_(register_module("net", meta_net->clone())),
        own_(register_parameter("own", zeros({2}, kFloat64))) {}
  Tensor forward(const Tensor& x) override {
    return module_at(net_)(x) * meta_parameter_at(scale_) + meta_module_at(meta_)(x);
  }
  size_t scale_, meta_, net_, own_;
};

std::vector<std::string> names(const nn::NamedTensors& named) {
  std::vector<std::string> out;
  for (const auto& [name, t] : named) out.push_back(name);
  return out;
}

}  // namespace

TEST_CASE("MetaGradientModule: meta inputs become meta-parameters and meta-modules", "[module]") {
  auto meta_net = std::make_shared<nn::Linear>(3, 2, nn::LinearOptions{.dtype = kFloat64});
  const Tensor scale = ones({2}, kFloat64).requires_grad_();
  Task task(meta_net, scale);

  CHECK(task.scale_ == 0);  // an index into the meta-parameter slots
  CHECK(task.meta_ == 0);   // an index into the meta-module slots
  CHECK(task.net_ == 0);    // the only submodule
  CHECK(names(task.named_parameters()) ==
        std::vector<std::string>{"own", "net.weight", "net.bias"});
  CHECK(names(task.named_meta_parameters()) ==
        std::vector<std::string>{"scale", "meta_net.weight", "meta_net.bias"});
  const TensorList meta = task.meta_parameters();
  REQUIRE(meta.size() == 3);
  CHECK(meta[0].is_same(scale));
  CHECK(meta[1].is_same(meta_net->weight()));
  CHECK(meta[2].is_same(meta_net->bias()));
  // The submodule is a copy (fresh leaves), the meta-module is the caller's object.
  CHECK(!task.parameters()[1].is_same(meta_net->weight()));
  CHECK(task.children().size() == 1);
  REQUIRE(task.meta_children().size() == 1);
  CHECK(task.meta_children()[0].get() == meta_net.get());
  CHECK(task.named_meta_children()[0].first == "meta_net");
  // state_dict, train and zero_grad leave the meta-module alone.
  CHECK(names(task.state_dict()) == std::vector<std::string>{"own", "net.weight", "net.bias"});
  task.eval();
  CHECK(meta_net->is_training());
  CHECK(!task.children()[0]->is_training());
  CHECK(task.is_meta_input(scale));
  CHECK(task.is_meta_input(*meta_net));
  CHECK(!task.is_meta_input(*task.children()[0]));
  CHECK(!task.is_meta_input(task.parameters()[0]));

  // Gradients of a forward reach both kinds, told apart by the listing.
  const Tensor x = randn64({4, 3}, 1).detach();
  const TensorList g = grad({task.forward(x).sum()}, task.meta_parameters());
  CHECK(g.size() == 3);
}

TEST_CASE("MetaGradientModule: a meta-module in eval mode is still a meta-module (TorchOpt #144)",
          "[module]") {
  auto meta_net = std::make_shared<nn::Sequential>(
      nn::Linear(3, 4, {.dtype = kFloat64}), nn::Tanh(), nn::Linear(4, 1, {.dtype = kFloat64}));
  meta_net->eval();
  Task task(meta_net, ones({1}, kFloat64).requires_grad_());
  CHECK(task.meta_children().size() == 1);
  CHECK(names(task.named_meta_parameters()) ==
        std::vector<std::string>{"scale", "meta_net.0.weight", "meta_net.0.bias",
                                 "meta_net.2.weight", "meta_net.2.bias"});
  CHECK(task.parameters().size() == 5);  // own + the copy's four
  // named_meta_modules lists the meta-module and its submodules, each once.
  std::vector<std::string> module_names;
  for (const auto& [name, module] : task.named_meta_modules()) module_names.push_back(name);
  CHECK(module_names ==
        std::vector<std::string>{"meta_net", "meta_net.0", "meta_net.1", "meta_net.2"});
  CHECK(task.meta_modules().size() == 4);
  CHECK(task.is_meta_input(*meta_net->children()[2]));
}

TEST_CASE("MetaGradientModule: copies share the meta slots; rebinding meta-parameters",
          "[module]") {
  auto meta_net = std::make_shared<nn::Linear>(3, 2, nn::LinearOptions{.dtype = kFloat64});
  const Tensor scale = ones({2}, kFloat64).requires_grad_();
  Task task(meta_net, scale);
  const auto copy = std::dynamic_pointer_cast<Task>(task.clone());
  REQUIRE(copy != nullptr);
  const TensorList a = task.meta_parameters(), b = copy->meta_parameters();
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) CHECK(a[i].is_same(b[i]));
  CHECK(!task.parameters()[0].is_same(copy->parameters()[0]));

  // set_meta_parameters rebinds our slot and the meta-module's parameter slots.
  const Tensor scale2 = full({2}, 3.0, kFloat64);
  const Tensor w2 = zeros({2, 3}, kFloat64);
  const Tensor b2 = ones({2}, kFloat64);
  task.set_meta_parameters({scale2, w2, b2});
  const TensorList now = task.meta_parameters();
  CHECK(now[0].is_same(scale2));
  CHECK(meta_net->weight().is_same(w2));
  CHECK(meta_net->bias().is_same(b2));
  CHECK(copy->meta_parameters()[1].is_same(w2));     // the meta-module is shared
  CHECK(copy->meta_parameters()[0].is_same(scale));  // the copy's own slot is not
  REQUIRE_THROWS_WITH(task.set_meta_parameters({scale2}),
                      Catch::Contains("has 3 meta-parameters, got 1 tensors"));
  REQUIRE_THROWS_WITH(task.set_meta_parameters({scale2, zeros({3, 2}, kFloat64), b2}),
                      Catch::Contains("\"meta_net.weight\""));
  // A failed rebinding changes nothing.
  CHECK(meta_net->weight().is_same(w2));
}

namespace {

// A module with an explicitly registered meta-parameter and a MetaGradientModule submodule.
class Outer : public nn::MetaGradientModule {
 public:
  explicit Outer(std::shared_ptr<nn::Module> meta_net, Tensor alpha) {
    register_meta_parameter("alpha", std::move(alpha));
    register_module("task", std::make_shared<Task>(meta_net, ones({1}, kFloat64).requires_grad_()));
  }
};

}  // namespace

TEST_CASE("MetaGradientModule: explicit registration and nested meta-parameters", "[module]") {
  auto meta_net = std::make_shared<nn::Linear>(2, 1, nn::LinearOptions{.dtype = kFloat64});
  Outer outer(meta_net, zeros({1}, kFloat64).requires_grad_());
  CHECK(names(outer.named_meta_parameters()) == std::vector<std::string>{"alpha", "task.scale",
                                                                         "task.meta_net.weight",
                                                                         "task.meta_net.bias"});
  CHECK(names(outer.named_meta_parameters(false)) == std::vector<std::string>{"alpha"});
  CHECK(names(outer.named_parameters()) ==
        std::vector<std::string>{"task.own", "task.net.weight", "task.net.bias"});
}

// ---- ImplicitMetaGradientModule: ridge --------------------------------------------------------

namespace {

// w*(λ) = argmin ½‖Xw − y‖² + ½ Σ λᵢ wᵢ², solved by gradient descent; optimality either given
// (Xᵀ(Xw − y) + λ ⊙ w) or derived from the objective.
class RidgeModule : public nn::ImplicitMetaGradientModule {
 public:
  RidgeModule(Tensor lambda, bool given_optimality, nn::ImplicitModuleOptions options)
      : ImplicitMetaGradientModule({lambda}, {}, std::move(options)),
        lambda_(register_parameter("lambda", lambda)),
        w_(register_parameter("w", zeros({4}, kFloat64))),
        given_optimality_(given_optimality) {}
  const Tensor& w() const { return parameter_at(w_); }
  int inner_calls = 0;

 protected:
  void inner_solve(const TensorList& in) override {
    ++inner_calls;
    SGD opt(parameters(), {.lr = 0.02});
    for (int step = 0; step < 3000; ++step) {
      const TensorList g = grad({objective(in)}, parameters());
      parameters()[0].set_grad(g[0]);
      opt.step();
    }
  }
  Tensor objective(const TensorList& in) override {
    const Tensor r = matmul(in[0], w()) - in[1];
    return 0.5 * (r * r).sum() + 0.5 * (meta_parameter_at(lambda_) * w() * w()).sum();
  }
  TensorList optimality(const TensorList& in) override {
    if (!given_optimality_) return ImplicitMetaGradientModule::optimality(in);
    return {matmul(in[0].t(), matmul(in[0], w()) - in[1]) + meta_parameter_at(lambda_) * w()};
  }

 private:
  size_t lambda_, w_;
  bool given_optimality_;
};

struct RidgeData {
  Tensor X = randn64({12, 4}, 1).detach();
  Tensor y = randn64({12}, 2).detach();
  Tensor X_val = randn64({9, 4}, 3).detach();
  Tensor y_val = randn64({9}, 4).detach();
};

// dL/dλ = −(H⁻¹ X_valᵀ r) ⊙ w* with H = XᵀX + diag(λ), w* = H⁻¹ Xᵀ y, r = X_val w* − y_val.
Vector ridge_hypergradient(const RidgeData& d, const Vector& lambda, Vector* w_star) {
  const Matrix X = to_matrix(d.X);
  const Matrix H = X.transpose() * X + Matrix(lambda.asDiagonal());
  const Vector w = H.ldlt().solve(X.transpose() * to_vec(d.y));
  const Vector r = to_matrix(d.X_val) * w - to_vec(d.y_val);
  const Vector adj = H.ldlt().solve(to_matrix(d.X_val).transpose() * r);
  *w_star = w;
  return -(adj.array() * w.array()).matrix();
}

}  // namespace

TEST_CASE("ImplicitMetaGradientModule: the ridge hypergradient matches the closed form",
          "[module]") {
  const RidgeData d;
  for (const bool given : {true, false}) {
    INFO((given ? "optimality()" : "optimality from objective()"));
    const Tensor lambda = (0.3 + 0.5 * rand({4}, kFloat64)).detach().requires_grad_();
    RidgeModule module(lambda, given, {.linear_solve = dense_solver()});
    const Tensor w_before = module.w();
    module.solve({d.X, d.y});
    CHECK(module.inner_calls == 1);
    CHECK(!module.w().is_same(w_before));
    CHECK(module.w().requires_grad());
    CHECK(!module.w().is_leaf());
    CHECK(module.meta_parameters()[0].is_same(lambda));

    Vector w_star;
    const Vector expected = ridge_hypergradient(d, to_vec(lambda), &w_star);
    CHECK(metagrad::testing::allclose(module.w().detach(), from_vec(w_star), 1e-9, 1e-11));
    // The residual vanishes at the solution.
    CHECK(to_vec(module.optimality_residual({d.X, d.y})[0]).norm() < 1e-9);

    const Tensor r = matmul(d.X_val, module.w()) - d.y_val;
    (0.5 * (r * r).sum()).backward();
    REQUIRE(lambda.grad().defined());
    CHECK(metagrad::testing::allclose(lambda.grad(), from_vec(expected), 1e-7, 1e-10));

    // A second solve starts from the previous solution and gives a fresh, differentiable one.
    module.solve({d.X, d.y});
    const Tensor r2 = matmul(d.X_val, module.w()) - d.y_val;
    const Tensor g2 = grad({0.5 * (r2 * r2).sum()}, {lambda})[0];
    CHECK(metagrad::testing::allclose(g2, from_vec(expected), 1e-7, 1e-10));
  }
}

// ---- ImplicitMetaGradientModule: iMAML ---------------------------------------------------------

namespace {

constexpr double kInnerLr = 0.15;
constexpr double kLambda = 1.0;

// iMAML on linear regression: φ*(θ) = argmin mse(net_φ(X_s), y_s) + (λ/2)‖φ − θ‖², θ the
// meta-network's parameters, solved by `steps` SGD steps from φ = θ.
class ImamlTask : public nn::ImplicitMetaGradientModule {
 public:
  ImamlTask(const std::shared_ptr<nn::Linear>& meta_net, int steps,
            nn::ImplicitModuleOptions options = {.linear_solve = dense_solver()})
      : ImplicitMetaGradientModule({}, {meta_net}, std::move(options)),
        meta_(register_module("meta_net", meta_net)),
        net_(register_module("net", meta_net->clone())),
        steps_(steps) {}
  Tensor forward(const Tensor& x) override { return module_at(net_)(x); }

 protected:
  void inner_solve(const TensorList& in) override {
    SGD opt(parameters(), {.lr = kInnerLr});
    for (int k = 0; k < steps_; ++k) {
      opt.zero_grad();
      objective(in).backward({}, std::nullopt, false, parameters());
      opt.step();
    }
  }
  Tensor objective(const TensorList& in) override {
    const TensorList phi = parameters();
    const TensorList theta = meta_parameters();
    Tensor reg = ((phi[0] - theta[0]) * (phi[0] - theta[0])).sum();
    for (size_t i = 1; i < phi.size(); ++i)
      reg = reg + ((phi[i] - theta[i]) * (phi[i] - theta[i])).sum();
    return mse_loss(forward(in[0]), in[1]) + 0.5 * kLambda * reg;
  }

 private:
  size_t meta_, net_;
  int steps_;
};

struct ImamlData {
  Tensor xs = randn64({20, 5}, 11).detach();
  Tensor ys = randn64({20, 1}, 12).detach();
  Tensor xq = randn64({15, 5}, 13).detach();
  Tensor yq = randn64({15, 1}, 14).detach();
};

std::shared_ptr<nn::Linear> make_meta_net() {
  Generator gen(7);
  return std::make_shared<nn::Linear>(5, 1,
                                      nn::LinearOptions{.dtype = kFloat64, .generator = &gen});
}

// The meta-gradient by implicit differentiation through an ImamlTask of `steps` inner steps.
Vector implicit_meta_gradient(const std::shared_ptr<nn::Linear>& meta_net, const ImamlData& d,
                              int steps) {
  ImamlTask task(meta_net, steps);
  task.solve({d.xs, d.ys});
  return list_to_vec(grad({mse_loss(task(d.xq), d.yq)}, meta_net->parameters()));
}

// The meta-gradient by unrolling `steps` MetaSGD steps from φ₀ = θ (the same tensors).
Vector unrolled_meta_gradient(const std::shared_ptr<nn::Linear>& meta_net, const ImamlData& d,
                              int steps) {
  nn::Linear net(5, 1, {.dtype = kFloat64});
  net.set_parameters(meta_net->parameters());
  MetaSGD opt(net, {.lr = kInnerLr});
  const TensorList theta = meta_net->parameters();
  for (int k = 0; k < steps; ++k) {
    const TensorList phi = net.parameters();
    Tensor reg = ((phi[0] - theta[0]) * (phi[0] - theta[0])).sum();
    reg = reg + ((phi[1] - theta[1]) * (phi[1] - theta[1])).sum();
    opt.step(mse_loss(net(d.xs), d.ys) + 0.5 * kLambda * reg);
  }
  return list_to_vec(grad({mse_loss(net(d.xq), d.yq)}, theta));
}

// The exact meta-gradient: with Ã = [X, 1], H = (2/n)ÃᵀÃ + λI, φ* = H⁻¹((2/n)Ãᵀy + λθ) and
// dφ*/dθ = λH⁻¹, so the meta-gradient is λH⁻¹ (2/m)Ã_qᵀ(Ã_q φ* − y_q).
Vector exact_meta_gradient(const std::shared_ptr<nn::Linear>& meta_net, const ImamlData& d) {
  const auto augment = [](const Tensor& x) {
    Matrix a(x.shape()[0], x.shape()[1] + 1);
    a << to_matrix(x), Matrix::Ones(x.shape()[0], 1);
    return a;
  };
  const Matrix As = augment(d.xs), Aq = augment(d.xq);
  const double n = static_cast<double>(As.rows()), m = static_cast<double>(Aq.rows());
  const Vector theta = list_to_vec(meta_net->parameters());
  const Matrix H = (2.0 / n) * As.transpose() * As + kLambda * Matrix::Identity(6, 6);
  const Vector phi = H.ldlt().solve((2.0 / n) * As.transpose() * to_vec(d.ys) + kLambda * theta);
  return kLambda * H.ldlt().solve((2.0 / m) * Aq.transpose() * (Aq * phi - to_vec(d.yq)));
}

}  // namespace

TEST_CASE(
    "ImplicitMetaGradientModule: iMAML's implicit meta-gradient agrees with the unrolled "
    "one as the inner loop converges",
    "[module][imaml]") {
  const ImamlData d;
  const auto meta_net = make_meta_net();
  const Vector exact = exact_meta_gradient(meta_net, d);
  std::vector<double> gaps;
  for (const int steps : {5, 10, 20, 40, 80, 160}) {
    const Vector implicit = implicit_meta_gradient(meta_net, d, steps);
    const Vector unrolled = unrolled_meta_gradient(meta_net, d, steps);
    const double gap = (implicit - unrolled).norm() / unrolled.norm();
    std::printf(
        "imaml: %3d inner steps: |implicit - unrolled| / |unrolled| = %.3e, "
        "|implicit - exact| / |exact| = %.3e, |unrolled - exact| / |exact| = %.3e\n",
        steps, gap, (implicit - exact).norm() / exact.norm(),
        (unrolled - exact).norm() / exact.norm());
    gaps.push_back(gap);
  }
  for (size_t i = 1; i < gaps.size(); ++i) CHECK(gaps[i] < gaps[i - 1]);
  CHECK(gaps.front() > 1e-3);  // a short inner loop really differs
  CHECK(gaps.back() < 1e-13);
  CHECK((implicit_meta_gradient(meta_net, d, 160) - exact).norm() < 1e-13 * exact.norm());
}

// ---- ImplicitMetaGradientModule: lifetime and memory -------------------------------------------

TEST_CASE(
    "ImplicitMetaGradientModule: a moved module keeps its solutions differentiable; a "
    "destroyed one makes their backward throw",
    "[module]") {
  const ImamlData d;
  const auto meta_net = make_meta_net();
  const Vector expected = implicit_meta_gradient(meta_net, d, 40);

  std::vector<ImamlTask> tasks;
  {
    ImamlTask task(meta_net, 40);
    task.solve({d.xs, d.ys});
    tasks.push_back(std::move(task));  // the solution's closure follows the module
  }
  const Tensor loss = mse_loss(tasks[0](d.xq), d.yq);
  tasks.reserve(8);  // moves it again
  const Vector moved = list_to_vec(grad({loss}, meta_net->parameters()));
  CHECK((moved - expected).norm() < 1e-14 * expected.norm());

  // Move-assigned over another module: the solution's closure follows it, and the replaced
  // module's own solution can no longer be differentiated.
  {
    ImamlTask source(meta_net, 40), target(meta_net, 40);
    source.solve({d.xs, d.ys});
    target.solve({d.xs, d.ys});
    const Tensor replaced = mse_loss(target(d.xq), d.yq);
    const Tensor carried = mse_loss(source(d.xq), d.yq);
    target = std::move(source);
    const Vector assigned = list_to_vec(grad({carried}, meta_net->parameters()));
    CHECK((assigned - expected).norm() < 1e-14 * expected.norm());
    REQUIRE_THROWS_WITH(grad({replaced}, meta_net->parameters()),
                        Catch::Contains("was destroyed or assigned to before the backward"));
  }

  // Copies get solutions of their own: a copy-constructed module's solution stays differentiable
  // when its source is gone, and the source's does not; copy assignment makes the replaced
  // module's solution non-differentiable, as move assignment does.
  {
    auto source = std::make_unique<ImamlTask>(meta_net, 40);
    ImamlTask copy(*source), target(meta_net, 40);
    target.solve({d.xs, d.ys});
    const Tensor replaced = mse_loss(target(d.xq), d.yq);
    target = *source;
    REQUIRE_THROWS_WITH(grad({replaced}, meta_net->parameters()),
                        Catch::Contains("was destroyed or assigned to before the backward"));
    source->solve({d.xs, d.ys});
    copy.solve({d.xs, d.ys});
    target.solve({d.xs, d.ys});
    const Tensor of_source = mse_loss((*source)(d.xq), d.yq);
    const Tensor of_copy = mse_loss(copy(d.xq), d.yq);
    const Tensor of_target = mse_loss(target(d.xq), d.yq);
    source.reset();
    REQUIRE_THROWS_WITH(grad({of_source}, meta_net->parameters()),
                        Catch::Contains("was destroyed or assigned to before the backward"));
    for (const Tensor& loss_of_copy : {of_copy, of_target}) {
      const Vector copied = list_to_vec(grad({loss_of_copy}, meta_net->parameters()));
      CHECK((copied - expected).norm() < 1e-14 * expected.norm());
    }
  }

  Tensor orphan;
  {
    ImamlTask task(meta_net, 40);
    task.solve({d.xs, d.ys});
    orphan = mse_loss(task(d.xq), d.yq);
  }
  REQUIRE_THROWS_WITH(grad({orphan}, meta_net->parameters()),
                      Catch::Contains("was destroyed or assigned to before the backward"));
}

TEST_CASE(
    "ImplicitMetaGradientModule: 1,000 instances solved and differentiated release their "
    "memory (TorchOpt PR #113)",
    "[module][memory]") {
  const ImamlData d;
  const auto meta_net = make_meta_net();
  const auto one_task = [&] {
    ImamlTask task(meta_net, 10);
    task.solve({d.xs, d.ys});
    mse_loss(task(d.xq), d.yq).backward();
  };
  for (int i = 0; i < 10; ++i) one_task();  // .grad of the meta-parameters now exists
  const StorageStats warm = cpu_storage_stats();
  for (int i = 0; i < 1000; ++i) one_task();
  const StorageStats end = cpu_storage_stats();
  std::printf(
      "imaml memory: %lld live storages (%lld B) after 10 tasks, %lld (%lld B) after 1010\n",
      static_cast<long long>(warm.live_storages), static_cast<long long>(warm.live_bytes),
      static_cast<long long>(end.live_storages), static_cast<long long>(end.live_bytes));
  CHECK(end.live_storages == warm.live_storages);
  CHECK(end.live_bytes == warm.live_bytes);
  // 1010 meta-gradients were accumulated.
  CHECK(meta_net->weight().grad().defined());

  // The measure sees a graph that is kept: 50 outer losses alive hold their solutions (the
  // modules are gone), and release them when dropped.
  {
    std::vector<Tensor> kept;
    for (int i = 0; i < 50; ++i) {
      ImamlTask task(meta_net, 10);
      task.solve({d.xs, d.ys});
      kept.push_back(mse_loss(task(d.xq), d.yq));
    }
    CHECK(cpu_storage_stats().live_storages >= end.live_storages + 50);
  }
  CHECK(cpu_storage_stats().live_storages == end.live_storages);
}

TEST_CASE("ImplicitMetaGradientModule: the library's linear solvers, and the default one",
          "[module][imaml]") {
  const ImamlData d;
  const auto meta_net = make_meta_net();
  const Vector exact = exact_meta_gradient(meta_net, d);
  const auto relative_error = [&](nn::ImplicitModuleOptions options) {
    ImamlTask task(meta_net, 160, std::move(options));
    task.solve({d.xs, d.ys});
    const Vector g = list_to_vec(grad({mse_loss(task(d.xq), d.yq)}, meta_net->parameters()));
    return (g - exact).norm() / exact.norm();
  };
  const double normal_cg = relative_error({});
  const double cg = relative_error({.linear_solve = linear_solve::solve_cg({.rtol = 1e-12})});
  const double inv = relative_error({.linear_solve = linear_solve::solve_inv()});
  std::printf(
      "imaml solvers: |implicit - exact| / |exact| = %.3e (solve_normal_cg, the default), "
      "%.3e (solve_cg rtol 1e-12), %.3e (solve_inv)\n",
      normal_cg, cg, inv);
  CHECK(normal_cg < 1e-10);
  CHECK(cg < 1e-12);
  CHECK(inv < 1e-12);
}

TEST_CASE(
    "ImplicitMetaGradientModule: the backward uses the meta-parameters of the solve, even "
    "after the meta-network was rebound",
    "[module]") {
  const ImamlData d;
  const auto meta_net = make_meta_net();
  const Vector expected = implicit_meta_gradient(meta_net, d, 80);
  const TensorList theta = meta_net->parameters();
  ImamlTask task(meta_net, 80);
  task.solve({d.xs, d.ys});
  const Tensor loss = mse_loss(task(d.xq), d.yq);
  // An outer step rebinds the meta-network's slots (as MetaSGD does) before the backward.
  const TensorList next = {(theta[0] + 1.0).detach().requires_grad_(),
                           (theta[1] + 1.0).detach().requires_grad_()};
  meta_net->set_parameters(next);
  const Vector g = list_to_vec(grad({loss}, theta));
  CHECK((g - expected).norm() < 1e-14 * expected.norm());
  // The slots are back to the new tensors afterwards.
  CHECK(meta_net->weight().is_same(next[0]));
  CHECK(meta_net->bias().is_same(next[1]));
}
TEST_CASE("ImplicitMetaGradientModule: a second derivative through the solution", "[module]") {
  // The first row of the Hessian of the validation loss in λ (four per-feature penalties), by
  // grad-of-grad through the module, against central differences of the closed-form hypergradient.
  const RidgeData d;
  const double eps = 1e-5;
  Vector w;
  Vector plus = Vector::Constant(4, 0.6), minus = Vector::Constant(4, 0.6);
  plus(0) += eps;
  minus(0) -= eps;
  const Vector fd =
      (ridge_hypergradient(d, plus, &w) - ridge_hypergradient(d, minus, &w)) / (2 * eps);
  for (const bool given : {true, false}) {
    INFO((given ? "optimality()" : "optimality from objective()"));
    const Tensor lambda = full({4}, 0.6, kFloat64).requires_grad_();
    // solve_cg runs in differentiable ops, so the recorded backward differentiates the solve too.
    RidgeModule module(lambda, given, {.linear_solve = linear_solve::solve_cg({.rtol = 1e-12})});
    module.solve({d.X, d.y});
    const Tensor r = matmul(d.X_val, module.w()) - d.y_val;
    const Tensor g = grad({0.5 * (r * r).sum()}, {lambda}, {}, {.create_graph = true})[0];
    const Tensor h0 = grad({select(g, 0, 0)}, {lambda})[0];
    CHECK(metagrad::testing::allclose(h0, from_vec(fd), 1e-5, 1e-8));
  }
}
