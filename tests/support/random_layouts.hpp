#pragma once

// Random strided layouts for property tests: views over a larger base of small integers, with steps
// in several dims, dims permuted in memory, expanded (stride 0) and unit dims, empty dims and
// storage offsets; operand shapes that broadcast to a result shape across ranks; the problems of
// reductions, matmul and index ops drawn over them; and a trial runner that reports the first
// failing trial. Used by tests/engine/strided_layout_test.cpp (the CPU kernels against a reference
// reading through the strides), tests/cuda/strided_layout_test.cpp (the CUDA kernels against the
// CPU's) and tests/cuda/layout_invariance_test.cpp (every op on re-laid-out inputs).
#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "metagrad.hpp"
#include "tests/support/catch.hpp"

namespace metagrad::testing {

using Rng = std::mt19937_64;
inline int64_t uniform(Rng& rng, int64_t lo, int64_t hi) {
  return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
}

inline bool one_in(Rng& rng, int n) { return uniform(rng, 1, n) == 1; }

// Calls f(index) for every multi-index of `shape`, in row-major order.
inline void for_each_index(const Dims& shape, const std::function<void(const Dims&)>& f) {
  if (numel_of(shape) == 0) return;
  Dims index(shape.size(), 0);
  for (;;) {
    f(index);
    int d = shape.size() - 1;
    for (; d >= 0; --d) {
      if (++index[d] < shape[d]) break;
      index[d] = 0;
    }
    if (d < 0) return;
  }
}

// The offset, in elements from t's first element, of the element at `index` of a shape that t
// broadcasts to: t's dims align with the trailing ones of the index, and a size-1 dim reads 0.
inline int64_t offset_of(const Tensor& t, const Dims& index) {
  int64_t offset = 0;
  const int skip = index.size() - t.dim();
  for (int d = 0; d < t.dim(); ++d)
    if (t.size(d) != 1) offset += index[skip + d] * t.stride(d);
  return offset;
}

inline std::string describe(const Tensor& t) {
  return fmt::format("shape {} strides {} offset {}", shape_str(t.shape()), shape_str(t.strides()),
                     t.storage_offset());
}

// A view with a random layout, and the contiguous tensor whose storage it reads.
struct Layout {
  Tensor base;
  Tensor view;
};

// A float64 view of `shape` over a larger base of small integers: its dims permuted in memory,
// each stepped by 1 to 3 and started past the base's first element. With `expand_to` given (a
// shape of the same rank), each size-1 dim may instead be expanded to that size (stride 0). With
// `requires_grad` the base is a leaf requiring grad, and the view is recorded from it.
inline Layout random_layout(Rng& rng, const Dims& shape, const Dims* expand_to = nullptr,
                            bool requires_grad = false) {
  const int n = shape.size();
  std::vector<int> order(static_cast<size_t>(n));  // the dims from outermost to innermost in memory
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), rng);
  Dims base_shape, starts, steps;
  for (const int d : order) {
    const int64_t step = one_in(rng, 2) ? 1 : uniform(rng, 2, 3);
    const int64_t start = one_in(rng, 2) ? 0 : uniform(rng, 1, 2);
    const int64_t span = shape[d] == 0 ? 0 : (shape[d] - 1) * step + 1;
    base_shape.push_back(start + span + uniform(rng, 0, 1));
    starts.push_back(start);
    steps.push_back(step);
  }
  std::vector<double> values(static_cast<size_t>(numel_of(base_shape)));
  for (double& v : values) v = static_cast<double>(uniform(rng, -4, 4));
  Layout out{tensor(values, base_shape, kFloat64), Tensor()};
  if (requires_grad) out.base.requires_grad_(true);
  Tensor view = out.base;
  for (int k = 0; k < n; ++k) {
    const int64_t size = shape[order[static_cast<size_t>(k)]];
    view =
        view.slice(k, starts[k], starts[k] + (size == 0 ? 0 : (size - 1) * steps[k] + 1), steps[k]);
  }
  Dims inverse(n, 0);
  for (int k = 0; k < n; ++k) inverse[order[static_cast<size_t>(k)]] = k;
  view = n == 0 ? view : view.permute(inverse);
  if (expand_to != nullptr && one_in(rng, 2)) {
    Dims expanded = shape;
    for (int d = 0; d < n; ++d)
      if (shape[d] == 1 && one_in(rng, 2)) expanded[d] = (*expand_to)[d];
    view = view.expand(expanded);
  }
  out.view = view;
  return out;
}

// An int64 view of `shape` with a random layout (never expanded) holding values in [0, high).
inline Tensor random_index(Rng& rng, const Dims& shape, int64_t high) {
  const Layout layout = random_layout(rng, shape);
  std::vector<double> values(static_cast<size_t>(layout.base.numel()), 0.0);
  if (high > 0)
    for (double& v : values) v = static_cast<double>(uniform(rng, 0, high - 1));
  const Tensor base = tensor(values, layout.base.shape(), kInt64);
  return make_view(base, layout.view.shape(), layout.view.strides(), layout.view.storage_offset());
}

// A random result shape: 0 to 4 dims of 1 to 4 elements, now and then an empty dim; one time in
// 20 two or three dims of tens of thousands of elements, past the kernels' parallel threshold.
inline Dims random_shape(Rng& rng, int max_dims = 4) {
  if (max_dims >= 3 && one_in(rng, 20)) {
    if (one_in(rng, 2)) return {uniform(rng, 150, 300), uniform(rng, 150, 300)};
    return {uniform(rng, 2, 5), uniform(rng, 60, 120), uniform(rng, 60, 120)};
  }
  Dims shape;
  const int64_t n = uniform(rng, 0, max_dims);
  for (int64_t d = 0; d < n; ++d) shape.push_back(one_in(rng, 12) ? 0 : uniform(rng, 1, 4));
  return shape;
}

// An operand shape that broadcasts to `shape`: some leading dims dropped, some dims made 1.
inline Dims broadcastable_to(Rng& rng, const Dims& shape) {
  Dims out;
  const int drop = one_in(rng, 3) ? static_cast<int>(uniform(rng, 0, shape.size())) : 0;
  for (int d = drop; d < shape.size(); ++d) out.push_back(one_in(rng, 3) ? 1 : shape[d]);
  return out;
}

// An operand of random layout that broadcasts to `shape`, and its base (see random_layout).
inline Layout random_operand_layout(Rng& rng, const Dims& shape, bool requires_grad = false) {
  const Dims operand_shape = broadcastable_to(rng, shape);
  Dims target;
  for (int d = shape.size() - operand_shape.size(); d < shape.size(); ++d)
    target.push_back(shape[d]);
  return random_layout(rng, operand_shape, &target, requires_grad);
}

// An operand of random layout that broadcasts to `shape`.
inline Tensor random_operand(Rng& rng, const Dims& shape) {
  return random_operand_layout(rng, shape).view;
}

// The problem of an index op: an input of random layout (at least 1-d, expanded dims allowed), a
// dim and an index of random layout shaped for the op.
struct IndexProblem {
  Tensor x;
  int dim = 0;
  Tensor index;
};

// A random input of at least 1 dim for an index op, and a dim of it; returns the dim's size.
inline int64_t random_indexed_input(Rng& rng, IndexProblem& p) {
  Dims shape = random_shape(rng);
  if (shape.empty()) shape.push_back(uniform(rng, 1, 4));
  p.x = random_layout(rng, shape, &shape).view;
  p.dim = static_cast<int>(uniform(rng, 0, p.x.dim() - 1));
  return p.x.size(p.dim);
}

// index_select's: a 1-D index of 0 to 5 entries into dim (none when the dim is empty).
inline void index_select_problem(Rng& rng, IndexProblem& p) {
  const int64_t extent = random_indexed_input(rng, p);
  p.index = random_index(rng, {extent == 0 ? 0 : uniform(rng, 0, 5)}, extent);
}

// gather's and scatter_add's: an index of the input's rank, no larger than the input in the other
// dims, with 0 to 4 entries along dim.
inline void gather_problem(Rng& rng, IndexProblem& p) {
  const int64_t extent = random_indexed_input(rng, p);
  Dims index_shape;
  for (int d = 0; d < p.x.dim(); ++d)
    index_shape.push_back(d == p.dim ? (extent == 0 ? 0 : uniform(rng, 0, 4))
                                     : uniform(rng, 0, p.x.size(d)));
  p.index = random_index(rng, index_shape, extent);
}

// The dims of a reduction: a random subset of an input's dims, some given as negative (an empty
// list reduces them all), and keepdim.
struct ReductionDims {
  Dims dims;                  // as the op takes them
  std::vector<bool> reduced;  // per input dim
  bool keepdim = false;

  // The result's shape for an input of `shape`.
  Dims output_shape(const Dims& shape) const { return output(shape, 1); }
  // The result's element that the input element at `index` is reduced into.
  Dims output_index(const Dims& index) const { return output(index, 0); }
  // The number of input elements reduced into each result element.
  int64_t count(const Dims& shape) const {
    int64_t n = 1;
    for (int d = 0; d < shape.size(); ++d)
      if (reduced[static_cast<size_t>(d)]) n *= shape[d];
    return n;
  }

 private:
  // `dims` with each reduced one dropped, or replaced by `reduced_value` under keepdim.
  Dims output(const Dims& dims_in, int64_t reduced_value) const {
    Dims out;
    for (int d = 0; d < dims_in.size(); ++d) {
      if (!reduced[static_cast<size_t>(d)])
        out.push_back(dims_in[d]);
      else if (keepdim)
        out.push_back(reduced_value);
    }
    return out;
  }
};

inline ReductionDims random_reduction_dims(Rng& rng, int ndim) {
  ReductionDims r;
  r.reduced.assign(static_cast<size_t>(ndim), false);
  for (int d = 0; d < ndim; ++d) {
    if (!one_in(rng, 2)) continue;
    r.dims.push_back(one_in(rng, 2) ? d : d - ndim);
    r.reduced[static_cast<size_t>(d)] = true;
  }
  if (r.dims.empty()) std::fill(r.reduced.begin(), r.reduced.end(), true);
  r.keepdim = one_in(rng, 2);
  return r;
}

// matmul's operands: batch dims (up to two) broadcast between them, then M x K and K x N with M, K
// and N up to 4 (one time in 20 up to `large`); one time in 6 either operand is a 1-D vector.
struct MatmulProblem {
  Tensor a, b;
  int64_t k = 0;
  bool a_vector = false, b_vector = false;
};

inline MatmulProblem random_matmul_problem(Rng& rng, int64_t large) {
  MatmulProblem p;
  const int64_t most = one_in(rng, 20) ? large : 4;
  const int64_t m = uniform(rng, 0, most), n = uniform(rng, 0, most);
  p.k = uniform(rng, 0, most);
  const Dims batch = random_shape(rng, 2);
  p.a_vector = one_in(rng, 6);
  p.b_vector = one_in(rng, 6);
  Dims a_shape = p.a_vector ? Dims{} : broadcastable_to(rng, batch);
  Dims b_shape = p.b_vector ? Dims{} : broadcastable_to(rng, batch);
  if (!p.a_vector) a_shape.push_back(m);
  a_shape.push_back(p.k);
  b_shape.push_back(p.k);
  if (!p.b_vector) b_shape.push_back(n);
  p.a = random_layout(rng, a_shape, &a_shape).view;
  p.b = random_layout(rng, b_shape, &b_shape).view;
  return p;
}

// All the elements of the storage under `view`, from its first, as a 1-D tensor.
inline Tensor whole_storage(const Tensor& view) {
  const auto elements = static_cast<int64_t>(view.storage()->nbytes() / element_size(view.dtype()));
  return make_view(view, {elements}, {1}, 0);
}

// `view`'s layout over a copy of its whole storage converted to `dtype` on `device`: the same
// shape, strides and offset over the same values.
inline Tensor converted_view(const Tensor& view, DType dtype, Device device) {
  const Tensor storage = whole_storage(view).to(dtype).to(device).clone();
  return make_view(storage, view.shape(), view.strides(), view.storage_offset());
}

// Runs `trial` (which returns "" or what failed) up to `trials` times, stopping at the first
// failure, which it reports.
inline void run_trials(int trials, const std::function<std::string()>& trial) {
  std::string failure;
  for (int t = 0; t < trials && failure.empty(); ++t) failure = trial();
  CHECK(failure == "");
}

}  // namespace metagrad::testing
