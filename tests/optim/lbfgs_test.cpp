// LBFGS against torch.optim.LBFGS in float64 on a 5-dimensional Rosenbrock function split over two
// parameters: the loss of every step, the final point and the evaluation counts, without a line
// search, with the strong-Wolfe one, and with a short history; then its options and errors.
#include <cmath>
#include <optional>
#include <vector>

#include "tests/support/helpers.hpp"

using namespace metagrad;
using metagrad::testing::allclose;

namespace {

// Σ 100 (v[i+1] - v[i]²)² + (1 - v[i])² over the concatenation of the parameters.
Tensor rosenbrock(const Tensor& v) {
  const Tensor head = slice(v, 0, 0, -1), tail = slice(v, 0, 1, std::nullopt);
  const Tensor ridge = tail - head * head, offset = 1.0 - head;
  return sum(ridge * ridge * 100.0 + offset * offset);
}

struct Expected {
  std::vector<double> losses;  // what step() returned, four times
  std::vector<double> point;   // the parameters afterwards, concatenated
  int64_t func_evals, n_iter;
};

void check_against_pytorch(const LBFGSOptions& options, const Expected& want) {
  const Tensor p1 = tensor({-1.5, 2.0, -0.5}, kFloat64).requires_grad_();
  const Tensor p2 = tensor({1.2, 0.3}, kFloat64).requires_grad_();
  LBFGS opt({p1, p2}, options);
  const auto closure = [&] {
    opt.zero_grad();
    Tensor loss = rosenbrock(cat({p1, p2}, 0));
    loss.backward();
    return loss;
  };
  std::vector<double> losses;
  for (int s = 0; s < 4; ++s) losses.push_back(opt.step(closure).item<double>());
  for (size_t i = 0; i < losses.size(); ++i)
    CHECK(losses[i] == Approx(want.losses[i]).epsilon(1e-9));
  CHECK(allclose(cat({p1, p2}, 0).detach(), tensor(want.point, kFloat64), 1e-8, 1e-9));
  CHECK(opt.func_evals() == want.func_evals);
  CHECK(opt.n_iter() == want.n_iter);
}

}  // namespace

TEST_CASE("LBFGS follows torch.optim.LBFGS on Rosenbrock", "[optim][lbfgs]") {
  SECTION("no line search, lr 0.1") {
    check_against_pytorch({.lr = 0.1},
                          {{2261.0, 51.032065138782066, 5.907811272281083, 3.965894368926256},
                           {-0.9667267659180085, 0.9445665845720639, 0.8954317509309164,
                            0.8029251856371173, 0.6438580196990111},
                           80,
                           80});
  }
  SECTION("strong Wolfe") {
    check_against_pytorch({.line_search_fn = LineSearch::StrongWolfe},
                          {{2261.0, 4.0558667843013145, 3.9308394341559176, 3.9308394341559176},
                           {-0.9620506061830435, 0.9357384794489962, 0.880712089921298,
                            0.7778749836201826, 0.60508979091896},
                           40,
                           36});
  }
  SECTION("strong Wolfe with three curvature pairs") {
    check_against_pytorch({.history_size = 3, .line_search_fn = LineSearch::StrongWolfe},
                          {{2261.0, 4.145137188644109, 3.9308394349741826, 3.9308394349741826},
                           {-0.9620544365404288, 0.9357452209009546, 0.8807237735635631,
                            0.7778964009719458, 0.6051244551732003},
                           47,
                           42});
  }
}

TEST_CASE("LBFGS solves a least-squares problem to its normal-equation solution",
          "[optim][lbfgs]") {
  const Tensor a = testing::randn64({30, 6}, 3).detach(), b = testing::randn64({30}, 4).detach();
  const Tensor x = zeros({6}, kFloat64).requires_grad_();
  // Tolerances tighter than the defaults (which stop at a loss change of 1e-9, about 1e-6 from
  // the solution here), so that the test sees the iteration converge.
  LBFGS opt({x}, {.max_iter = 100,
                  .tolerance_grad = 1e-10,
                  .tolerance_change = 1e-14,
                  .line_search_fn = LineSearch::StrongWolfe});
  opt.step([&] {
    opt.zero_grad();
    const Tensor r = matmul(a, x) - b;
    Tensor loss = sum(r * r);
    loss.backward();
    return loss;
  });
  const Tensor at = a.t();
  const Tensor solution = linalg::solve(matmul(at, a), matmul(at, b));
  CHECK(allclose(x.detach(), solution, 0, 5e-8));  // the loss is flat to 1e-16 within ~1e-8
  CHECK(opt.func_evals() < 40);
}

TEST_CASE("LBFGS: clear errors for bad parameters, options and closures", "[optim][lbfgs]") {
  const Tensor p = zeros({2}, kFloat64).requires_grad_();
  CHECK_THROWS_WITH(LBFGS({}), MG_CONTAINS("LBFGS: no parameters to optimize"));
  CHECK_THROWS_WITH(LBFGS({p, p}), MG_CONTAINS("LBFGS: parameter 1 is parameter 0 again"));
  CHECK_THROWS_WITH(LBFGS({p, zeros({2})}),
                    MG_CONTAINS("LBFGS: parameters must be float tensors of one dtype and device; "
                                "parameter 1 is float32 on cpu, parameter 0 float64 on cpu"));
  CHECK_THROWS_WITH(LBFGS({p}, {.history_size = 0}), MG_CONTAINS("history_size >= 1 (got 0)"));
  LBFGS opt({p});
  CHECK_THROWS_WITH(opt.step([] { return zeros({2}); }),
                    MG_CONTAINS("LBFGS: the closure must return the loss as a one-element tensor, "
                                "got shape [2]"));
  // At a stationary point the first gradient test stops it: one evaluation, no iteration.
  const Tensor loss = opt.step([&] {
    opt.zero_grad();
    Tensor l = sum(p * p);
    l.backward();
    return l;
  });
  CHECK(loss.item<double>() == 0.0);
  CHECK(opt.func_evals() == 1);
  CHECK(opt.n_iter() == 0);
}
