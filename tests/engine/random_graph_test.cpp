// Property test of the autograd engine on random programs: chains and diamonds of elementwise,
// broadcasting, reduction, matmul, view, reshape, expand, cat and index_select ops over three
// leaves, with in-place writes into views of intermediate results, views that go stale when their
// base is written, views of a buffer taken before it gains a history, several outputs at once. For
// each program, in float64:
// - gradcheck and gradgradcheck against finite differences;
// - the gradient with respect to an intermediate value equals the gradient with respect to a
//   leaf that replaces it (the engine's capture of non-leaf inputs and its pruning);
// - backward() accumulates grad()'s result into the leaves' .grad, twice with retain_graph;
// - grad() of several roots with grad_outputs equals grad() of their weighted sum.
#include <algorithm>
#include <functional>
#include <string>
#include <vector>

#include "tests/support/helpers.hpp"
#include "tests/support/random_layouts.hpp"

namespace metagrad {
namespace {

using testing::allclose;
using testing::one_in;
using testing::Rng;
using testing::uniform;

using Values = std::vector<Tensor>;
// One step of a program: a new value from the values before it.
struct Step {
  std::string what;
  std::function<Tensor(const Values&)> run;
};

// The dims of `from` that broadcast to `to` (so that an in-place op on a `to` view can take it).
bool broadcasts_to(const Dims& from, const Dims& to) {
  if (from.size() > to.size()) return false;
  for (int i = 1; i <= from.size(); ++i)
    if (from[from.size() - i] != 1 && from[from.size() - i] != to[to.size() - i]) return false;
  return true;
}

bool broadcastable(const Dims& a, const Dims& b) {
  for (int i = 1; i <= std::min(a.size(), b.size()); ++i) {
    const int64_t x = a[a.size() - i], y = b[b.size() - i];
    if (x != y && x != 1 && y != 1) return false;
  }
  return true;
}

// A random view of `t` (slice with a step, select, transpose) named in `what`.
std::function<Tensor(const Tensor&)> random_view(Rng& rng, const Tensor& t, std::string& what) {
  if (t.dim() == 0) return [](const Tensor& x) { return x.unsqueeze(0); };
  const int64_t d = uniform(rng, 0, t.dim() - 1), n = t.size(d);
  if (n > 1 && one_in(rng, 3)) {
    const int64_t i = uniform(rng, 0, n - 1);
    what += fmt::format(".select({}, {})", d, i);
    return [d, i](const Tensor& x) { return x.select(d, i); };
  }
  if (t.dim() == 2 && one_in(rng, 3)) {
    what += ".t()";
    return [](const Tensor& x) { return x.t(); };
  }
  const int64_t start = uniform(rng, 0, n - 1), step = uniform(rng, 1, 2);
  const int64_t stop = uniform(rng, start + 1, n);
  what += fmt::format(".slice({}, {}, {}, {})", d, start, stop, step);
  return [=](const Tensor& x) { return x.slice(d, start, stop, step); };
}

// Draws a step over `values` (their shapes fix which ops fit).
Step random_step(Rng& rng, const Values& values) {
  const auto pick = [&] { return static_cast<size_t>(uniform(rng, 0, values.size() - 1)); };
  const size_t a = pick();
  const Tensor& x = values[a];
  switch (uniform(rng, 0, 10)) {
    case 0: {  // binary with broadcasting
      const size_t b = pick();
      if (!broadcastable(x.shape(), values[b].shape())) break;
      const int op = static_cast<int>(uniform(rng, 0, 3));
      return {fmt::format("v{} {} v{}", a, "+-*/"[op], b), [=](const Values& v) {
                switch (op) {
                  case 0:
                    return v[a] + v[b];
                  case 1:
                    return v[a] - v[b];
                  case 2:
                    return v[a] * v[b];
                  default:
                    return v[a] / (v[b] * v[b] + 1.0);
                }
              }};
    }
    case 1: {  // reduction over a dim
      if (x.dim() == 0) break;
      const int64_t d = uniform(rng, 0, x.dim() - 1);
      const bool keep = one_in(rng, 2);
      return {fmt::format("v{}.sum({}, {})", a, d, keep),
              [=](const Values& v) { return v[a].sum({d}, keep); }};
    }
    case 2: {  // matmul, with the second operand transposed when that fits
      if (x.dim() != 2) break;
      const size_t b = pick();
      const Tensor& y = values[b];
      if (y.dim() == 2 && y.size(0) == x.size(1))
        return {fmt::format("v{} @ v{}", a, b), [=](const Values& v) { return v[a].matmul(v[b]); }};
      if (y.dim() == 2 && y.size(1) == x.size(1))
        return {fmt::format("v{} @ v{}.t()", a, b),
                [=](const Values& v) { return v[a].matmul(v[b].t()); }};
      break;
    }
    case 3: {  // a view
      std::string what = fmt::format("v{}", a);
      const auto view = random_view(rng, x, what);
      return {what, [=](const Values& v) { return view(v[a]); }};
    }
    case 4: {  // a write into a view of a copy: h = v * 1; view(h) op= operand
      std::string what = fmt::format("h = v{} * 1; h", a);
      const auto view = random_view(rng, x, what);
      const Dims view_shape = view(x).shape();
      const size_t b = pick();
      const bool fits = broadcasts_to(values[b].shape(), view_shape);
      const int op = static_cast<int>(uniform(rng, 0, 2));
      what += fmt::format(".{}({}); h",
                          op == 0   ? "mul_"
                          : op == 1 ? "add_"
                                    : "copy_",
                          fits ? fmt::format("v{}", b) : fmt::format("v{}.sum()", b));
      return {what, [=](const Values& v) {
                Tensor h = v[a] * 1.0;
                const Tensor operand = fits ? v[b] : v[b].sum();
                Tensor target = view(h);
                if (op == 0) target.mul_(operand);
                if (op == 1) target.add_(operand);
                if (op == 2) target.copy_(operand.tanh().expand(view_shape));
                return h;
              }};
    }
    case 5: {  // a view that goes stale: taken before its base is multiplied
      std::string what = fmt::format("h = v{} * 1; w = h", a);
      const auto view = random_view(rng, x, what);
      const size_t b = pick();
      const bool fits = broadcasts_to(values[b].shape(), x.shape());
      what += fmt::format("; h.mul_({}); w", fits ? fmt::format("v{}", b) : "2");
      return {what, [=](const Values& v) {
                Tensor h = v[a] * 1.0;
                const Tensor stale = view(h);
                if (fits)
                  h.mul_(v[b]);
                else
                  h.mul_(2.0);
                return stale;
              }};
    }
    case 6: {  // reshape (a view, or a copy of a strided value), or expand a new leading dim
      if (one_in(rng, 2)) {
        return {fmt::format("v{}.reshape(-1)", a),
                [=](const Values& v) { return v[a].reshape({-1}); }};
      }
      return {fmt::format("v{}.unsqueeze(0).expand(2)", a), [=](const Values& v) {
                Dims shape = v[a].shape();
                shape.insert(0, 2);
                return v[a].unsqueeze(0).expand(shape);
              }};
    }
    case 7: {  // cat with a value of the same shape, or index_select with repeated indices
      if (x.dim() == 0) break;
      const size_t b = pick();
      if (values[b].shape() == x.shape() && one_in(rng, 2)) {
        const int64_t d = uniform(rng, 0, x.dim() - 1);
        return {fmt::format("cat(v{}, v{}, {})", a, b, d), [=](const Values& v) {
                  return cat({v[a], v[b]}, d);
                }};
      }
      const int64_t d = uniform(rng, 0, x.dim() - 1);
      std::vector<double> picks;
      for (int64_t k = uniform(rng, 1, 5); k > 0; --k)
        picks.push_back(static_cast<double>(uniform(rng, 0, x.size(d) - 1)));
      return {fmt::format("v{}.index_select({}, [{}])", a, d, fmt::join(picks, ", ")),
              [=](const Values& v) { return v[a].index_select(d, tensor(picks, kInt64)); }};
    }
    case 8: {  // a view of a zeros buffer taken before a write into the buffer gives it history
      std::string what = fmt::format("buf = zeros_like(v{}); w = buf", a);
      const auto view = random_view(rng, x, what);
      what += fmt::format("; buf.copy_(v{}.sin()); w", a);
      return {what, [=](const Values& v) {
                Tensor buffer = zeros(v[a].shape(), kFloat64);
                const Tensor early = view(buffer);
                buffer.copy_(v[a].sin());
                return early;
              }};
    }
    default:
      break;
  }
  const int op = static_cast<int>(uniform(rng, 0, 3));
  return {
      fmt::format("{}(v{})", std::vector<std::string>{"tanh", "sin", "sigmoid", "log1p_sq"}[op], a),
      [=](const Values& v) {
        switch (op) {
          case 0:
            return v[a].tanh();
          case 1:
            return v[a].sin();
          case 2:
            return v[a].sigmoid();
          default:
            return (v[a] * v[a]).log1p();
        }
      }};
}

struct Program {
  std::vector<Step> steps;
  std::vector<size_t> outputs;  // indices into the values (leaves first)
  std::string text;
};

constexpr size_t kLeaves = 3;

Values leaves(uint64_t seed) {
  return {testing::randn64({3, 4}, seed), testing::randn64({4}, seed + 1),
          testing::randn64({3, 1}, seed + 2)};
}

// Runs the program; after step `replace` (when given), its value is replaced by a fresh leaf of
// the same values, which is stored in `*replacement`.
Values run(const Program& p, const Values& in, size_t replace = SIZE_MAX,
           Tensor* replacement = nullptr) {
  Values v = in;
  for (size_t s = 0; s < p.steps.size(); ++s) {
    v.push_back(p.steps[s].run(v));
    if (kLeaves + s == replace) {
      v.back() = v.back().detach().clone().requires_grad_();
      *replacement = v.back();
    }
  }
  return v;
}

Program random_program(Rng& rng, const Values& in) {
  Program p;
  Values v = in;
  const int64_t length = uniform(rng, 4, 16);
  for (int64_t s = 0; s < length; ++s) {
    p.steps.push_back(random_step(rng, v));
    v.push_back(p.steps.back().run(v));
    p.text += fmt::format("v{} = {}\n", v.size() - 1, p.steps.back().what);
  }
  p.outputs.push_back(v.size() - 1);
  for (int64_t k = uniform(rng, 0, 2); k > 0; --k)
    p.outputs.push_back(static_cast<size_t>(uniform(rng, kLeaves, v.size() - 1)));
  return p;
}

TensorList outputs_of(const Program& p, const Values& v) {
  TensorList out;
  for (size_t i : p.outputs) out.push_back(v[i]);
  return out;
}

// sum_i <out_i, w_i>.
Tensor weighted(const TensorList& outs, const TensorList& weights) {
  Tensor total = zeros({}, kFloat64);
  for (size_t i = 0; i < outs.size(); ++i) total = total + (outs[i] * weights[i]).sum();
  return total;
}

}  // namespace

TEST_CASE("random programs: engine gradients against finite differences and each other",
          "[autograd][random]") {
  Rng rng(20261206);
  for (int trial = 0; trial < 200; ++trial) {
    const Values in = leaves(static_cast<uint64_t>(100 + 3 * trial));
    const Program p = random_program(rng, in);
    INFO("trial " << trial << ":\n" << p.text << "outputs " << fmt::format("{}", p.outputs.size()));
    const TensorList inputs(in.begin(), in.end());
    const CheckedFunction fn = [&p](const TensorList& x) {
      return outputs_of(p, run(p, Values(x.begin(), x.end())));
    };
    testing::check_grads(fn, inputs);

    const Values v = run(p, in);
    const TensorList outs = outputs_of(p, v);
    TensorList weights;
    for (size_t i = 0; i < outs.size(); ++i)
      weights.push_back(testing::randn64(outs[i].shape(), 1000 + i).detach());
    const Tensor loss = weighted(outs, weights);

    // Several roots with grad_outputs = their weighted sum.
    const TensorList g = grad({loss}, inputs, {}, {.retain_graph = true, .allow_unused = true});
    const TensorList g_roots =
        grad(outs, inputs, weights, {.retain_graph = true, .allow_unused = true});
    for (size_t i = 0; i < inputs.size(); ++i) {
      REQUIRE(g[i].defined() == g_roots[i].defined());
      if (g[i].defined()) REQUIRE(allclose(g_roots[i], g[i]));
    }

    // An intermediate value as input = a leaf in its place.
    const size_t k = static_cast<size_t>(uniform(rng, kLeaves, v.size() - 1));
    INFO("intermediate v" << k);
    const TensorList g_k = grad({loss}, {v[k]}, {}, {.retain_graph = true, .allow_unused = true});
    Tensor leaf;
    const Values replaced = run(p, in, k, &leaf);
    const TensorList g_leaf =
        grad({weighted(outputs_of(p, replaced), weights)}, {leaf}, {}, {.allow_unused = true});
    REQUIRE(g_k[0].defined() == g_leaf[0].defined());
    if (g_k[0].defined()) REQUIRE(allclose(g_k[0], g_leaf[0]));

    // backward() accumulates into .grad, and again with the retained graph.
    for (const Tensor& x : inputs) x.set_grad(Tensor());
    loss.backward({}, true);
    loss.backward();
    for (size_t i = 0; i < inputs.size(); ++i) {
      REQUIRE(inputs[i].grad().defined() == g[i].defined());
      if (g[i].defined()) REQUIRE(allclose(inputs[i].grad(), g[i] * 2.0));
    }
  }
}

}  // namespace metagrad
