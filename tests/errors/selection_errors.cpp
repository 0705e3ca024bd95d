// Error-input table of the selection, search and counting ops (engine/ops/{masking,scatter_ops,
// advanced_indexing,search,unique,histograms,combinatorics}.hpp, cummax/cummin and
// repeat_interleave).
#include "tests/errors/error_table.hpp"

namespace metagrad::testing {

ErrorTable selection_error_cases() {
  return {
      {"nonzero",
       "an undefined tensor",
       [] { (void)nonzero(Tensor()); },
       {"nonzero: input is an undefined tensor"}},
      {"nonzero_tuple",
       "an undefined tensor",
       [] { (void)nonzero_tuple(Tensor()); },
       {"nonzero: input is an undefined tensor"}},
      {"argwhere",
       "an undefined tensor",
       [] { (void)argwhere(Tensor()); },
       {"nonzero: input is an undefined tensor"}},
      {"masked_fill",
       "a float mask",
       [] { (void)masked_fill(f32({2}), f32({2}), 1.0); },
       {"masked_fill: expected a bool mask, got float32 (mask shape [2])"}},
      {"masked_select",
       "an int64 mask",
       [] {
         (void)masked_select(f32({2}), i64({1, 0}));
       },
       {"masked_select: expected a bool mask, got int64 (mask shape [2])"}},
      {"masked_scatter",
       "a source too short",
       [] { (void)masked_scatter(f32({3}), ones({3}, kBool), f32({2})); },
       {"masked_scatter: the mask has 3 true places but the source (shape [2]) holds only 2"}},
      {"scatter",
       "src of fewer dims than the index",
       [] {
         (void)scatter(f32({2, 2}), 0, zeros({1, 1}, kInt64), f32({1}));
       },
       {"scatter: src (shape [1]) and index (shape [1, 1]) must have the same number of dims"}},
      {"scatter_reduce",
       "an unknown reduce",
       [] { (void)scatter_reduce(f32({2}), 0, i64({0}), f32({1}), "max"); },
       {"scatter_reduce: reduce must be \"sum\", \"prod\", \"mean\", \"amax\" or \"amin\", "
        "got \"max\""}},
      {"index_reduce",
       "a source of the wrong shape",
       [] {
         (void)index_reduce(f32({3, 2}), 0, i64({0, 1}), f32({2, 3}), "amax");
       },
       {"index_reduce: the source must have shape [2, 2]"}},
      {"index_fill",
       "a 2-D index",
       [] {
         (void)index_fill(f32({2, 2}), 0, zeros({1, 1}, kInt64), 1.0);
       },
       {"index_fill: the index must be a 0-d or 1-D int64 tensor, got int64 of shape [1, 1]"}},
      {"index_copy",
       "a float index",
       [] {
         (void)index_copy(f32({2, 2}), 0, f32({1}), f32({1, 2}));
       },
       {"index_copy: the index must be a 0-d or 1-D int64 tensor, got float32 of shape [1]"}},
      {"index",
       "an index out of range",
       [] {
         (void)index(f32({2, 3}), {i64({0}), i64({3})});
       },
       {"index: index 1 holds a value out of range for dim 1 of size 3 (shape [2, 3])"}},
      {"index_put",
       "values that do not broadcast",
       [] {
         (void)index_put(f32({4, 3}), {i64({0, 1})}, f32({3, 3}));
       },
       {"index_put: shapes [3, 3] and [2, 3] cannot be broadcast together"}},
      {"take",
       "a float index",
       [] {
         (void)take(f32({2, 3}), f32({1}));
       },
       {"take: the index must be int64, got float32 of shape [1]"}},
      {"cummax",
       "a dim out of range",
       [] {
         (void)cummax(f32({2, 3}), 2);
       },
       {"cummax", "2"}},
      {"cummin",
       "an undefined tensor",
       [] { (void)cummin(Tensor(), 0); },
       {"cummin: input is an undefined tensor"}},
      {"repeat_interleave",
       "negative repeats",
       [] {
         (void)repeat_interleave(i64({1, -1}));
       },
       {"repeat_interleave: repeats must be non-negative (shape [2])"}},
      {"searchsorted",
       "a bool sequence",
       [] { (void)searchsorted(ones({3}, kBool), f32({2})); },
       {"searchsorted: the sorted sequence is a bool tensor (shape [3])"}},
      {"bucketize",
       "2-D boundaries",
       [] {
         (void)bucketize(f32({3}), f32({2, 2}));
       },
       {"bucketize: the boundaries must be 1-D, got shape [2, 2]"}},
      {"isin",
       "test elements on another device",
       [] {
         ScopedEmulatedCuda cuda;
         (void)isin(f32({2}), on_cuda({2}));
       },
       {"isin: the test elements are on cuda:0 but the elements are on cpu"}},
      {"unique",
       "a dim out of range",
       [] {
         (void)unique(f32({2, 3}), 2);
       },
       {"unique", "2"}},
      {"unique_consecutive",
       "a dim for a 0-d input",
       [] { (void)unique_consecutive(f32({}), 0); },
       {"unique_consecutive: dim 0 given for a 0-d input; leave dim unset"}},
      {"bincount",
       "a 2-D input",
       [] {
         (void)bincount(zeros({2, 2}, kInt64));
       },
       {"bincount: the input must be a 1-D int64 tensor, got int64 of shape [2, 2]"}},
      {"histc",
       "zero bins",
       [] { (void)histc(f32({3}), 0); },
       {"histc: bins must be at least 1, got 0"}},
      {"histogram",
       "weights of another shape",
       [] { (void)histogram(f32({3}), 4, std::nullopt, f32({2})); },
       {"histogram: the weight (float32 of shape [2] on cpu) must have the input's shape"}},
      {"tril_indices",
       "a float dtype",
       [] { (void)tril_indices(2, 2, 0, kFloat32); },
       {"tril_indices: the dtype must be int64, got float32"}},
      {"triu_indices",
       "a negative size",
       [] { (void)triu_indices(2, -3); },
       {"triu_indices: row and col must be non-negative, got 2 and -3"}},
      {"cartesian_prod",
       "a 2-D tensor",
       [] {
         (void)cartesian_prod({f32({2}), f32({2, 2})});
       },
       {"cartesian_prod: tensor 1 must be 1-D, got shape [2, 2]"}},
      {"combinations",
       "a negative r",
       [] { (void)combinations(f32({3}), -1); },
       {"combinations: r must be non-negative, got -1"}},
  };
}

}  // namespace metagrad::testing
