// Elementwise ops, in-place ops, copies, reductions and matmul on random strided layouts, against
// a reference that reads every operand element by element through its strides. The layouts are
// what hand-written cases rarely combine: steps in several dims at once, dims permuted in memory,
// expanded (stride 0) and unit dims, empty dims, storage offsets, operands of different ranks
// broadcast together. The CPU kernels merge dims, take contiguous fast paths and split work across
// threads by layout, so a mistake in any of those shows here. The values are small integers in
// float64, so that sums and products in any order are exact and the comparisons are too (exp is
// compared to 1e-14). Each property runs a few hundred seeded trials and reports the first failure
// with the layouts that produced it. Gradients are checked the same way: through every chain of
// views back to the leaves under them.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <numeric>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "metagrad.hpp"
#include "tests/support/catch.hpp"
#include "tests/support/random_layouts.hpp"

using namespace metagrad;
using namespace metagrad::testing;

namespace {

constexpr int kTrials = 400;

// The element of a CPU float64 tensor at `index` (broadcast as offset_of), read through strides.
double at(const Tensor& t, const Dims& index) { return t.data_ptr<double>()[offset_of(t, index)]; }

// Compares result (of `shape`) with expected(index) at every index; "" when all agree within
// rel_tol, else a description of the first mismatch.
std::string compare(const Tensor& result, const Dims& shape,
                    const std::function<double(const Dims&)>& expected, double rel_tol = 0.0) {
  if (result.shape() != shape)
    return fmt::format("shape {} instead of {}", shape_str(result.shape()), shape_str(shape));
  std::string failure;
  for_each_index(shape, [&](const Dims& index) {
    const double got = at(result, index), want = expected(index);
    if (failure.empty() && !(std::abs(got - want) <= rel_tol * std::abs(want)))
      failure = fmt::format("at {}: {} instead of {} (result {})", shape_str(index), got, want,
                            describe(result));
  });
  return failure;
}

// The first `n` entries of `dims`.
Dims leading(const Dims& dims, int n) { return Dims(std::span<const int64_t>(dims.data(), n)); }

using Binary = std::function<Tensor(const Tensor&, const Tensor&)>;
using Scalar2 = std::function<double(double, double)>;

}  // namespace

TEST_CASE("strided layouts: unary ops read every element through its strides", "[strided]") {
  Rng rng(101);
  const std::vector<std::pair<
      std::string, std::pair<std::function<Tensor(const Tensor&)>, std::function<double(double)>>>>
      ops = {
          {"neg", {[](const Tensor& x) { return neg(x); }, [](double v) { return -v; }}},
          {"relu",
           {[](const Tensor& x) { return relu(x); }, [](double v) { return v > 0 ? v : 0.0; }}},
          {"x * 3 + 1",
           {[](const Tensor& x) { return x * 3.0 + 1.0; }, [](double v) { return v * 3.0 + 1.0; }}},
          {"contiguous",
           {[](const Tensor& x) { return x.contiguous(); }, [](double v) { return v; }}},
      };
  for (const auto& entry : ops) {
    // Named, not structured bindings: clang before 16 cannot capture those in lambdas.
    const std::string& name = entry.first;
    const auto& op = entry.second;
    run_trials(kTrials, [&]() -> std::string {
      std::string failure;
      const Tensor x = random_operand(rng, random_shape(rng));
      failure = compare(op.first(x), x.shape(), [&](const Dims& i) { return op.second(at(x, i)); });
      if (!failure.empty()) failure = name + " of " + describe(x) + ": " + failure;
      return failure;
    });
  }
  run_trials(kTrials, [&]() -> std::string {
    std::string failure;
    const Tensor x = random_operand(rng, random_shape(rng));
    failure = compare(
        exp(x), x.shape(), [&](const Dims& i) { return std::exp(at(x, i)); }, 1e-14);
    if (!failure.empty()) failure = "exp of " + describe(x) + ": " + failure;
    return failure;
  });
}

TEST_CASE("strided layouts: binary ops broadcast operands of any layout", "[strided]") {
  Rng rng(202);
  const std::vector<std::pair<std::string, std::pair<Binary, Scalar2>>> ops = {
      {"add",
       {[](const Tensor& a, const Tensor& b) { return add(a, b); },
        [](double a, double b) { return a + b; }}},
      {"sub",
       {[](const Tensor& a, const Tensor& b) { return sub(a, b); },
        [](double a, double b) { return a - b; }}},
      {"mul",
       {[](const Tensor& a, const Tensor& b) { return mul(a, b); },
        [](double a, double b) { return a * b; }}},
      {"maximum",
       {[](const Tensor& a, const Tensor& b) { return maximum(a, b); },
        [](double a, double b) { return std::max(a, b); }}},
      {"gt",
       {[](const Tensor& a, const Tensor& b) { return gt(a, b).to(kFloat64); },
        [](double a, double b) { return a > b ? 1.0 : 0.0; }}},
      {"where(a < b, a, b * 2)",
       {[](const Tensor& a, const Tensor& b) { return where(lt(a, b), a, b * 2.0); },
        [](double a, double b) { return a < b ? a : b * 2.0; }}},
  };
  for (const auto& entry : ops) {
    const std::string& name = entry.first;
    const auto& op = entry.second;
    run_trials(kTrials, [&]() -> std::string {
      std::string failure;
      const Dims shape = random_shape(rng);
      const Tensor a = random_operand(rng, shape), b = random_operand(rng, shape);
      const Dims result_shape = broadcast_shapes(a.shape(), b.shape(), "test");
      failure = compare(op.first(a, b), result_shape,
                        [&](const Dims& i) { return op.second(at(a, i), at(b, i)); });
      if (!failure.empty())
        failure = fmt::format("{}({}; {}): {}", name, describe(a), describe(b), failure);
      return failure;
    });
  }
}

TEST_CASE("strided layouts: in-place ops and copy_ write exactly the view's elements",
          "[strided]") {
  Rng rng(303);
  const std::vector<
      std::pair<std::string, std::pair<std::function<void(Tensor&, const Tensor&)>, Scalar2>>>
      ops = {
          {"add_",
           {[](Tensor& d, const Tensor& s) { d.add_(s); },
            [](double d, double s) { return d + s; }}},
          {"mul_",
           {[](Tensor& d, const Tensor& s) { d.mul_(s); },
            [](double d, double s) { return d * s; }}},
          {"copy_",
           {[](Tensor& d, const Tensor& s) { d.copy_(s); }, [](double, double s) { return s; }}},
      };
  for (const auto& entry : ops) {
    const std::string& name = entry.first;
    const auto& op = entry.second;
    run_trials(kTrials, [&]() -> std::string {
      std::string failure;
      const Dims shape = random_shape(rng);
      Layout dest = random_layout(rng, shape);  // never expanded: its elements are distinct
      const Tensor src = random_operand(rng, shape);
      // The base after the op: the view's elements updated, every other element as it was.
      std::vector<double> expected = dest.base.to_vector<double>();
      const int64_t view_start = dest.view.data_ptr<double>() - dest.base.data_ptr<double>();
      for_each_index(shape, [&](const Dims& i) {
        double& e = expected[static_cast<size_t>(view_start + offset_of(dest.view, i))];
        e = op.second(e, at(src, i));
      });
      op.first(dest.view, src);
      const std::vector<double> got = dest.base.to_vector<double>();
      for (size_t k = 0; k < got.size() && failure.empty(); ++k)
        if (got[k] != expected[k])
          failure = fmt::format("{} into {} from {}: base element {} is {} instead of {}", name,
                                describe(dest.view), describe(src), k, got[k], expected[k]);
      return failure;
    });
  }
}

TEST_CASE("strided layouts: reductions over any set of dims", "[strided]") {
  Rng rng(404);
  enum class Kind { sum, mean, amax, amin };
  for (const Kind kind : {Kind::sum, Kind::mean, Kind::amax, Kind::amin}) {
    run_trials(kTrials, [&]() -> std::string {
      std::string failure;
      const Tensor x = random_operand(rng, random_shape(rng));
      const ReductionDims r = random_reduction_dims(rng, x.dim());
      const int64_t count = r.count(x.shape());
      if (count == 0 && kind != Kind::sum) return {};  // mean: nan; amax/amin: an error
      // The reference: every input element folded into its output element.
      const Dims out_shape = r.output_shape(x.shape());
      const Dims out_strides = contiguous_strides(out_shape);
      std::vector<double> acc(static_cast<size_t>(numel_of(out_shape)),
                              kind == Kind::amax   ? -INFINITY
                              : kind == Kind::amin ? INFINITY
                                                   : 0.0);
      for_each_index(x.shape(), [&](const Dims& i) {
        const Dims o = r.output_index(i);
        int64_t flat = 0;
        for (int d = 0; d < o.size(); ++d) flat += o[d] * out_strides[d];
        double& a = acc[static_cast<size_t>(flat)];
        const double v = at(x, i);
        a = kind == Kind::amax ? std::max(a, v) : kind == Kind::amin ? std::min(a, v) : a + v;
      });
      if (kind == Kind::mean)
        for (double& a : acc) a /= static_cast<double>(count);
      const Tensor result = kind == Kind::sum    ? sum(x, r.dims, r.keepdim)
                            : kind == Kind::mean ? mean(x, r.dims, r.keepdim)
                            : kind == Kind::amax ? amax(x, r.dims, r.keepdim)
                                                 : amin(x, r.dims, r.keepdim);
      const Tensor expected = tensor(acc, out_shape, kFloat64);
      failure = compare(
          result, out_shape, [&](const Dims& i) { return at(expected, i); },
          kind == Kind::mean ? 1e-15 : 0.0);
      if (!failure.empty())
        failure = fmt::format("reduction {} over {} (keepdim {}) of {}: {}", static_cast<int>(kind),
                              shape_str(r.dims), r.keepdim, describe(x), failure);
      return failure;
    });
  }
}

TEST_CASE("strided layouts: matmul of any operand layouts, batched and broadcast", "[strided]") {
  Rng rng(505);
  run_trials(kTrials, [&]() -> std::string {
    std::string failure;
    const MatmulProblem p = random_matmul_problem(rng, 70);  // 70: past the parallel threshold
    const Tensor r = matmul(p.a, p.b);
    // The reference: out[batch..., i, j] = sum_q a[batch..., i, q] b[batch..., q, j], the batch
    // dims broadcast, a 1-D operand's dim dropped from the result.
    const Dims a_batch = leading(p.a.shape(), p.a.dim() - (p.a_vector ? 1 : 2));
    const Dims b_batch = leading(p.b.shape(), p.b.dim() - (p.b_vector ? 1 : 2));
    const Dims out_batch = broadcast_shapes(a_batch, b_batch, "test");
    Dims out_shape = out_batch;
    if (!p.a_vector) out_shape.push_back(p.a.size(-2));
    if (!p.b_vector) out_shape.push_back(p.b.size(-1));
    failure = compare(r, out_shape, [&](const Dims& i) {
      const int nb = out_batch.size();
      const int64_t row = p.a_vector ? 0 : i[nb], col = p.b_vector ? 0 : i[out_shape.size() - 1];
      double total = 0;
      for (int64_t q = 0; q < p.k; ++q) {
        Dims ai = leading(i, nb), bi = ai;
        if (!p.a_vector) ai.push_back(row);
        ai.push_back(q);
        bi.push_back(q);
        if (!p.b_vector) bi.push_back(col);
        total += at(p.a, ai) * at(p.b, bi);
      }
      return total;
    });
    if (!failure.empty())
      failure = fmt::format("matmul({}; {}): {}", describe(p.a), describe(p.b), failure);
    return failure;
  });
}

TEST_CASE("strided layouts: gradients reach the bases through any chain of views",
          "[strided][autograd]") {
  // loss = sum(R * f(a, b)) with a and b random views of leaves: d loss / d base accumulates
  // R * df/da at the base element under each view element (several, for an expanded dim).
  Rng rng(606);
  struct Op {
    std::string name;
    Binary fn;
    Scalar2 da, db;
  };
  const std::vector<Op> ops = {
      {"add", [](const Tensor& a, const Tensor& b) { return add(a, b); },
       [](double, double) { return 1.0; }, [](double, double) { return 1.0; }},
      {"sub", [](const Tensor& a, const Tensor& b) { return sub(a, b); },
       [](double, double) { return 1.0; }, [](double, double) { return -1.0; }},
      {"mul", [](const Tensor& a, const Tensor& b) { return mul(a, b); },
       [](double, double b) { return b; }, [](double a, double) { return a; }},
      {"relu(a) * b", [](const Tensor& a, const Tensor& b) { return relu(a) * b; },
       [](double a, double b) { return a > 0 ? b : 0.0; },
       [](double a, double) { return a > 0 ? a : 0.0; }},
  };
  for (const Op& op : ops) {
    run_trials(kTrials / 2, [&]() -> std::string {
      std::string failure;
      const Dims shape = random_shape(rng);
      const Layout a = random_operand_layout(rng, shape, true);
      const Layout b = random_operand_layout(rng, shape, true);
      const Tensor y = op.fn(a.view, b.view);
      const Tensor r = random_layout(rng, y.shape()).view;
      const TensorList grads = grad({(y * r).sum()}, {a.base, b.base});
      std::vector<double> ga(static_cast<size_t>(a.base.numel()), 0.0),
          gb(static_cast<size_t>(b.base.numel()), 0.0);
      const int64_t a_start = a.view.data_ptr<double>() - a.base.data_ptr<double>();
      const int64_t b_start = b.view.data_ptr<double>() - b.base.data_ptr<double>();
      for_each_index(y.shape(), [&](const Dims& i) {
        const double av = at(a.view, i), bv = at(b.view, i), rv = at(r, i);
        ga[static_cast<size_t>(a_start + offset_of(a.view, i))] += rv * op.da(av, bv);
        gb[static_cast<size_t>(b_start + offset_of(b.view, i))] += rv * op.db(av, bv);
      });
      if (grads[0].to_vector<double>() != ga || grads[1].to_vector<double>() != gb)
        failure = fmt::format("{}({}; {}): the gradient of a base differs", op.name,
                              describe(a.view), describe(b.view));
      return failure;
    });
  }

  // Reductions: d sum(x, dims) / d base spreads R back over the reduced dims.
  run_trials(kTrials / 2, [&]() -> std::string {
    std::string failure;
    const Layout x = random_operand_layout(rng, random_shape(rng), true);
    const ReductionDims reduction = random_reduction_dims(rng, x.view.dim());
    const Tensor y = sum(x.view, reduction.dims, reduction.keepdim);
    const Tensor r = random_layout(rng, y.shape()).view;
    const Tensor gx = grad({(y * r).sum()}, {x.base})[0];
    std::vector<double> expected(static_cast<size_t>(x.base.numel()), 0.0);
    const int64_t start = x.view.data_ptr<double>() - x.base.data_ptr<double>();
    for_each_index(x.view.shape(), [&](const Dims& i) {
      expected[static_cast<size_t>(start + offset_of(x.view, i))] +=
          at(r, reduction.output_index(i));
    });
    if (gx.to_vector<double>() != expected)
      failure = fmt::format("sum over {} (keepdim {}) of {}: the gradient of the base differs",
                            shape_str(reduction.dims), reduction.keepdim, describe(x.view));
    return failure;
  });
}

namespace {

int64_t index_at(const Tensor& index, const Dims& i) {
  return index.data_ptr<int64_t>()[offset_of(index, i)];
}

}  // namespace

TEST_CASE("strided layouts: index_select, gather and scatter_add read and write through strides",
          "[strided][index]") {
  Rng rng(707);
  run_trials(kTrials, [&]() -> std::string {
    std::string failure;
    IndexProblem p;
    index_select_problem(rng, p);
    const Tensor r = index_select(p.x, p.dim, p.index);
    Dims shape = p.x.shape();
    shape[p.dim] = p.index.numel();
    failure = compare(r, shape, [&](const Dims& i) {
      Dims source = i;
      source[p.dim] = index_at(p.index, {i[p.dim]});
      return at(p.x, source);
    });
    if (!failure.empty())
      failure = fmt::format("index_select({}, dim {}, {}): {}", describe(p.x), p.dim,
                            describe(p.index), failure);
    return failure;
  });

  run_trials(kTrials, [&]() -> std::string {
    std::string failure;
    IndexProblem p;
    gather_problem(rng, p);
    const Tensor r = gather(p.x, p.dim, p.index);
    failure = compare(r, p.index.shape(), [&](const Dims& i) {
      Dims source = i;
      source[p.dim] = index_at(p.index, i);
      return at(p.x, source);
    });
    if (!failure.empty())
      failure = fmt::format("gather({}, dim {}, {}): {}", describe(p.x), p.dim, describe(p.index),
                            failure);
    return failure;
  });

  run_trials(kTrials, [&]() -> std::string {
    std::string failure;
    IndexProblem p;
    gather_problem(rng, p);
    const Tensor src = random_layout(rng, p.index.shape()).view;
    const Tensor r = scatter_add(p.x, p.dim, p.index, src);
    // The reference: the input, then every source element added at its index.
    std::vector<double> expected(static_cast<size_t>(p.x.numel()), 0.0);
    const Dims strides = contiguous_strides(p.x.shape());
    const auto flat = [&](const Dims& i) {
      int64_t f = 0;
      for (int d = 0; d < i.size(); ++d) f += i[d] * strides[d];
      return static_cast<size_t>(f);
    };
    for_each_index(p.x.shape(), [&](const Dims& i) { expected[flat(i)] = at(p.x, i); });
    for_each_index(p.index.shape(), [&](const Dims& i) {
      Dims target = i;
      target[p.dim] = index_at(p.index, i);
      expected[flat(target)] += at(src, i);
    });
    failure = compare(r, p.x.shape(), [&](const Dims& i) { return expected[flat(i)]; });
    if (!failure.empty())
      failure = fmt::format("scatter_add({}, dim {}, {}, {}): {}", describe(p.x), p.dim,
                            describe(p.index), describe(src), failure);
    return failure;
  });
}
