// A tour of metagrad's autodiff: a gradient, a Hessian-vector product and a third derivative of a
// small function, then its full Hessian, a Jacobian-vector product (torch.autograd.functional) and
// the gradient through an activation checkpoint (torch.utils.checkpoint), each printed beside its
// closed form.
//
// Usage: autodiff_tour [--device cpu|cuda]
#include <fmt/core.h>
#include <fmt/ranges.h>

#include <cmath>
#include <vector>

#include "examples/common/cli.hpp"
#include "examples/common/example_main.hpp"
#include "metagrad.hpp"

namespace mg = metagrad;
namespace ex = metagrad::examples;

namespace {

struct Config {
  mg::Device device = mg::kCPU;
};

void add_options(ex::Options& o, Config& c) {
  o.device("--device", "cpu or cuda: where the tensors live (cpu)", c.device);
}

void print_row(const char* what, const std::vector<double>& got, const std::vector<double>& want) {
  double worst = 0;
  for (size_t i = 0; i < got.size(); ++i) worst = std::max(worst, std::abs(got[i] - want[i]));
  fmt::print("  {:<10} metagrad {::+.10f}\n  {:<10} analytic {::+.10f}   max |diff| {:.1e}\n", what,
             got, "", want, worst);
}

void run(const Config& cfg) {
  // f(x) = sum_i x_i^3 sin(x_i)
  auto x = mg::tensor({0.3, 1.1, -2.0}, {3}, mg::kFloat64).to(cfg.device).requires_grad_();
  auto f = (x * x * x * mg::sin(x)).sum();
  fmt::print("f(x) = sum x^3 sin(x) at x = {}\n", x);
  fmt::print("f    = {}\n\n", f);

  // First derivative, recorded so that it can be differentiated again.
  auto g = mg::grad({f}, {x}, {}, {.create_graph = true})[0];
  std::vector<double> xs = x.to_vector<double>(), dg, d2, hv, d3;
  const std::vector<double> v = {1.0, -0.5, 2.0};
  for (size_t i = 0; i < xs.size(); ++i) {
    const double a = xs[i], s = std::sin(a), c = std::cos(a);
    dg.push_back(3 * a * a * s + a * a * a * c);
    const double second = 6 * a * s + 6 * a * a * c - a * a * a * s;  // f'' (diagonal Hessian)
    d2.push_back(second);
    hv.push_back(second * v[i]);
    d3.push_back(6 * s + 18 * a * c - 9 * a * a * s - a * a * a * c);  // f'''
  }
  fmt::print("gradient  df/dx = {}\n", g);
  print_row("grad", g.to_vector<double>(), dg);

  // Hessian-vector product: the gradient of <grad f, v>.
  auto vt = mg::tensor(v, {3}, mg::kFloat64).to(cfg.device);
  auto hvp = mg::grad({(g * vt).sum()}, {x}, {}, {.create_graph = true})[0];
  fmt::print("\nHessian-vector product H v, v = {}\n", vt);
  print_row("Hv", hvp.to_vector<double>(), hv);

  // Third derivative: differentiate the diagonal of the Hessian once more.
  auto h_diag = mg::grad({g.sum()}, {x}, {}, {.create_graph = true})[0];
  auto third = mg::grad({h_diag.sum()}, {x})[0];
  fmt::print("\nthird derivative d3f/dx3\n");
  print_row("d3f", third.to_vector<double>(), d3);

  // The same through torch.autograd.functional: the full Hessian (diagonal here) and J v of the
  // elementwise map x -> x^3 sin(x), whose Jacobian is diagonal with f' on it.
  namespace AF = mg::autograd::functional;
  const AF::UnaryFunction terms = [](const mg::Tensor& t) { return t * t * t * mg::sin(t); };
  auto hessian = AF::hessian([&terms](const mg::Tensor& t) { return terms(t).sum(); }, x);
  std::vector<double> h_analytic(9, 0.0), jv;
  for (size_t i = 0; i < xs.size(); ++i) {
    h_analytic[i * 4] = d2[i];
    jv.push_back(dg[i] * v[i]);
  }
  fmt::print("\nfull Hessian (autograd::functional::hessian), row by row\n");
  print_row("H", hessian.to_vector<double>(), h_analytic);
  auto [values, jvp] = AF::jvp(terms, x, vt);
  fmt::print("\nJacobian-vector product of x -> x^3 sin(x) (autograd::functional::jvp)\n");
  print_row("Jv", jvp.to_vector<double>(), jv);

  // Activation checkpointing: the function's saved activations are dropped after the forward and
  // recomputed in backward; the gradient is unchanged.
  auto checkpointed = mg::utils::checkpoint(
      [&terms](const mg::TensorList& in) -> mg::TensorList { return {terms(in[0]).sum()}; },
      {x})[0];
  fmt::print("\ngradient through utils::checkpoint\n");
  print_row("grad", mg::grad({checkpointed}, {x})[0].to_vector<double>(), dg);
}

}  // namespace

int main(int argc, char** argv) {
  return ex::run_example("autodiff_tour", argc, argv, add_options, run);
}
