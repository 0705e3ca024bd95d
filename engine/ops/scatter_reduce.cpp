// scatter_reduce and index_reduce (scatter_ops.hpp). Each entry of src has a target place: its
// flat position in x, gather(positions of x, dim, index). sum and mean are scatter_adds; prod
// sorts the entries by target and runs a segmented Hillis-Steele product scan (each round
// multiplies only within a target's run), whose last value per run is the run's product; amax
// and amin take the ends of runs sorted by value and record a backward that splits the gradient
// evenly among the values equal to the result, as PyTorch's.
#include <limits>
#include <optional>

#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"
#include "engine/ops/selection_support.hpp"

namespace metagrad {
namespace {

enum class ScatterReduction { Sum, Prod, Mean, Amax, Amin };

ScatterReduction parse_scatter_reduction(std::string_view reduce, const char* op) {
  if (reduce == "sum") return ScatterReduction::Sum;
  if (reduce == "prod") return ScatterReduction::Prod;
  if (reduce == "mean") return ScatterReduction::Mean;
  if (reduce == "amax") return ScatterReduction::Amax;
  if (reduce == "amin") return ScatterReduction::Amin;
  MG_FAIL("{}: reduce must be \"sum\", \"prod\", \"mean\", \"amax\" or \"amin\", got \"{}\"", op,
          reduce);
}

// The entries of a scatter_reduce: src read over index's shape, and the flat place in x each
// entry goes to (int64, index's shape).
struct Entries {
  Tensor values;
  Tensor target;
};

Entries entries_of(const Tensor& x, int d, const Tensor& index, const Tensor& src) {
  const Tensor values = detail::over_index_shape(src, index);
  NoGradGuard no_grad;
  const Tensor places =
      reshape(arange(static_cast<double>(x.numel()), TensorOptions(kInt64, x.device())), x.shape());
  return {values, x.dim() == 0 ? index : gather(places, d, index)};
}

// The product of each target's entries, at its place (flat [x.numel()]; 0 where none goes).
Tensor products_by_target(const Entries& entries, int64_t places) {
  const Tensor target = reshape(entries.target, {-1});
  const Tensor order = argsort(target, 0);
  const Tensor run = index_select(target, 0, order);
  const Tensor values = index_select(reshape(entries.values, {-1}), 0, order);
  const int64_t n = run.numel();
  // A segmented scan: a round multiplies entry i by entry i - shift only within one run.
  Tensor scanned = values;
  for (int64_t shift = 1; shift < n; shift *= 2) {
    const Tensor same_run = eq(slice(run, 0, shift, n), slice(run, 0, 0, n - shift));
    const Tensor later = slice(scanned, 0, shift, n);
    const Tensor combined = where(same_run, later * slice(scanned, 0, 0, n - shift), later);
    scanned = cat({slice(scanned, 0, 0, shift), combined}, 0);
  }
  const Tensor run_ends = cat({ne(slice(run, 0, 0, n - 1), slice(run, 0, 1, n)),
                               ones({1}, TensorOptions(kBool, run.device()))},
                              0);
  // Each run's last scanned value goes to its place (the one nonzero term added there).
  return index_add(zeros({places}, TensorOptions(values.dtype(), values.device())), 0, run,
                   where(run_ends, scanned, 0.0));
}

// The largest (`largest`) or smallest entry of each target (flat [x.numel()], NaN where one is
// NaN; unspecified where none goes), without history.
Tensor extremes_by_target(const Entries& entries, int64_t places, bool largest) {
  NoGradGuard no_grad;
  const Tensor target = reshape(entries.target, {-1});
  const Tensor values = reshape(entries.values, {-1});
  const int64_t n = target.numel();
  // Stable sorts by value, then by target: each run of a target is in ascending order.
  const Tensor by_value = argsort(values, 0);
  const Tensor order = index_select(by_value, 0, argsort(index_select(target, 0, by_value), 0));
  const Tensor run = index_select(target, 0, order);
  const Tensor sorted = index_select(values, 0, order);
  const TensorOptions flag_options(kBool, run.device());
  const Tensor end =
      largest ? cat({ne(slice(run, 0, 0, n - 1), slice(run, 0, 1, n)), ones({1}, flag_options)}, 0)
              : cat({ones({1}, flag_options), ne(slice(run, 0, 1, n), slice(run, 0, 0, n - 1))}, 0);
  Tensor out = index_add(zeros({places}, TensorOptions(values.dtype(), values.device())), 0, run,
                         where(end, sorted, 0.0));
  if (is_floating(values.dtype())) {
    const Tensor nan_count = index_add(zeros({places}, TensorOptions(kInt64, values.device())), 0,
                                       target, isnan(values).to(kInt64));
    out = where(gt(nan_count, 0.0), std::numeric_limits<double>::quiet_NaN(), out);
  }
  return out;
}

// amax / amin: the extremes, with a backward that shares the gradient of each place evenly among
// x's value (when it takes part) and the entries equal to the result.
Tensor scatter_extreme(const Tensor& x, int d, const Tensor& index, const Entries& entries,
                       const Tensor& touched, bool include_self, bool largest) {
  Tensor out, self_ties, entry_ties, ties;
  {
    NoGradGuard no_grad;
    const Tensor extreme = reshape(extremes_by_target(entries, x.numel(), largest), x.shape());
    const Tensor combined =
        include_self ? (largest ? maximum(x, extreme) : minimum(x, extreme)) : extreme;
    out = where(touched, combined, x);
    self_ties = include_self ? logical_and(touched, eq(x, out)).to(x.dtype())
                             : zeros(x.shape(), TensorOptions(x.dtype(), x.device()));
    entry_ties = eq(entries.values, gather(out, d, index)).to(x.dtype());
    ties = scatter_add(self_ties, d, index, entry_ties);
  }
  if (needs_grad(x, entries.values)) {
    // d out = (sum over the values v equal to out of dv) / (their number), dx where untouched
    describe_attrs(
        record(largest ? "ScatterAmaxBackward" : "ScatterAminBackward", {x, entries.values}, {out},
               [d, touched, saved_index = SavedTensor(index, false), self_ties, entry_ties, ties](
                   const TensorList& g, Node& self) -> TensorList {
                 const Tensor index = saved_index.unpack(self);
                 const Tensor share = g[0] / where(touched, ties, 1.0);
                 return {self.next_edges()[0].valid() ? where(touched, share * self_ties, g[0])
                                                      : Tensor(),
                         self.next_edges()[1].valid() ? gather(share, d, index) * entry_ties
                                                      : Tensor()};
               }),
        {{"dim", d}});
  }
  return out;
}

}  // namespace

Tensor scatter_reduce(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src,
                      std::string_view reduce, bool include_self) {
  detail::check_defined(src, "scatter_reduce", "src");
  const ScatterReduction reduction = parse_scatter_reduction(reduce, "scatter_reduce");
  const Tensor counts = detail::scatter_counts(x, dim, index, src, "scatter_reduce");
  if (index.numel() == 0) return clone(x);
  const int d = normalize_dim(dim, std::max(x.dim(), 1), "scatter_reduce");
  const Tensor touched = ne(counts, 0.0);
  const Entries entries = entries_of(x, d, index, src);
  // x's value where it takes part; 0 (1 for prod) at the touched places otherwise.
  const Tensor base =
      include_self ? x : where(touched, reduction == ScatterReduction::Prod ? 1.0 : 0.0, x);
  switch (reduction) {
    case ScatterReduction::Sum:
      return scatter_add(base, d, index, entries.values);
    case ScatterReduction::Mean: {
      const Tensor total = scatter_add(base, d, index, entries.values);
      const Tensor number = include_self ? counts + 1.0 : where(touched, counts, 1.0);
      if (is_floating(x.dtype())) return where(touched, total / number.to(x.dtype()), x);
      return where(touched, floor(total.to(kFloat64) / number.to(kFloat64)).to(x.dtype()), x);
    }
    case ScatterReduction::Prod:
      return where(touched, base * reshape(products_by_target(entries, x.numel()), x.shape()), x);
    case ScatterReduction::Amax:
    case ScatterReduction::Amin:
      return scatter_extreme(x, d, index, entries, touched, include_self,
                             reduction == ScatterReduction::Amax);
  }
  return x;
}

Tensor index_reduce(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& source,
                    std::string_view reduce, bool include_self) {
  detail::check_defined(x, "index_reduce");
  detail::check_defined(source, "index_reduce", "source");
  detail::check_defined(index, "index_reduce", "index");
  MG_CHECK(index.dtype() == kInt64 && index.dim() <= 1,
           "index_reduce: the index must be a 0-d or 1-D int64 tensor, got {} of shape {}",
           dtype_name(index.dtype()), shape_str(index.shape()));
  const int d = normalize_dim(dim, std::max(x.dim(), 1), "index_reduce");
  Dims want = x.shape();
  if (x.dim() > 0) want[d] = index.numel();
  MG_CHECK(source.shape() == want,
           "index_reduce: the source must have shape {} (the input's shape {} with dim {} of size "
           "index.numel() = {}), got {}",
           shape_str(want), shape_str(x.shape()), dim, index.numel(), shape_str(source.shape()));
  if (x.dim() == 0) return scatter_reduce(x, 0, reshape(index, {}), source, reduce, include_self);
  Dims along(x.dim(), 1);
  along[d] = index.numel();
  const Tensor spread = expand(reshape(index, along), want);
  return scatter_reduce(x, d, contiguous(spread), source, reduce, include_self);
}

}  // namespace metagrad
