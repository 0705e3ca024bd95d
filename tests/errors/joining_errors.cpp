// Error-input table of the joins and splits, the scaled-sum products, the calculus ops and the
// small elementwise extras (engine/ops/{joining,fused_arithmetic,calculus,elementwise_extras}.hpp).
#include "tests/errors/error_table.hpp"

namespace metagrad::testing {

ErrorTable joining_error_cases() {
  return {
      {"atleast_1d",
       "an undefined tensor",
       [] { (void)atleast_1d(Tensor()); },
       {"atleast_1d: input is an undefined tensor"}},
      {"atleast_2d",
       "an undefined tensor",
       [] { (void)atleast_2d(Tensor()); },
       {"atleast_2d: input is an undefined tensor"}},
      {"atleast_3d",
       "an undefined tensor",
       [] { (void)atleast_3d(Tensor()); },
       {"atleast_3d: input is an undefined tensor"}},
      {"hstack",
       "an empty list",
       [] { (void)hstack({}); },
       {"hstack: expected a non-empty list of tensors"}},
      {"vstack",
       "mismatched columns",
       [] {
         (void)vstack({f32({2}), f32({3})});
       },
       {"cat"}},
      {"row_stack",
       "an empty list",
       [] { (void)row_stack({}); },
       {"row_stack: expected a non-empty list of tensors"}},
      {"dstack",
       "an undefined tensor",
       [] {
         (void)dstack({f32({2}), Tensor()});
       },
       {"dstack: tensor is an undefined tensor"}},
      {"column_stack",
       "an empty list",
       [] { (void)column_stack({}); },
       {"column_stack: expected a non-empty list of tensors"}},
      {"tensor_split",
       "zero sections",
       [] { (void)tensor_split(f32({4}), 0); },
       {"tensor_split: the number of sections must be positive, got 0"}},
      {"hsplit",
       "sections that do not divide the size",
       [] {
         (void)hsplit(f32({2, 5}), 2);
       },
       {"hsplit: the size 5 of dim 1 (shape [2, 5]) is not divisible by 2 sections"}},
      {"vsplit",
       "a 1-D tensor",
       [] { (void)vsplit(f32({4}), 2); },
       {"vsplit: expected a tensor of at least 2 dims, got shape [4]"}},
      {"dsplit",
       "a 2-D tensor",
       [] {
         (void)dsplit(f32({4, 2}), std::vector<int64_t>{1});
       },
       {"dsplit: expected a tensor of at least 3 dims, got shape [4, 2]"}},
      {"unbind",
       "a 0-d tensor",
       [] { (void)unbind(f32({})); },
       {"unbind: expected a tensor of at least 1 dim, got a 0-d tensor"}},
      {"swapaxes",
       "an axis out of range",
       [] {
         (void)swapaxes(f32({2, 3}), 0, 2);
       },
       {"transpose"}},
      {"swapdims",
       "a dim out of range",
       [] {
         (void)swapdims(f32({2, 3}), 0, 2);
       },
       {"transpose"}},
      {"moveaxis",
       "an axis out of range",
       [] {
         (void)moveaxis(f32({2, 3}), 3, 0);
       },
       {"movedim"}},
      {"fliplr",
       "a 1-D tensor",
       [] { (void)fliplr(f32({3})); },
       {"fliplr: expected a tensor of at least 2 dims, got shape [3]"}},
      {"flipud",
       "a 0-d tensor",
       [] { (void)flipud(f32({})); },
       {"flipud: expected a tensor of at least 1 dims, got shape []"}},
      {"diag",
       "a 3-D tensor",
       [] {
         (void)diag(f32({2, 2, 2}));
       },
       {"diag: expected a 1-D tensor (to make a matrix) or a 2-D one (to read a diagonal), got "
        "shape [2, 2, 2]"}},
      {"diagflat",
       "an undefined tensor",
       [] { (void)diagflat(Tensor()); },
       {"diagflat: input is an undefined tensor"}},
      {"addmm",
       "an input that does not broadcast",
       [] {
         (void)addmm(f32({3, 3}), f32({2, 4}), f32({4, 5}));
       },
       {"addmm"}},
      {"addmv",
       "a 2-D vec",
       [] {
         (void)addmv(f32({2}), f32({2, 3}), f32({3, 1}));
       },
       {"addmv: vec must be 1-D, got shape [3, 1]"}},
      {"addbmm",
       "batches of different counts",
       [] {
         (void)addbmm(f32({2, 2}), f32({3, 2, 4}), f32({2, 4, 2}));
       },
       {"addbmm: batch1 (shape [3, 2, 4]) and batch2 (shape [2, 4, 2]) must hold the same number "
        "of matrices"}},
      {"baddbmm",
       "a 2-D batch1",
       [] {
         (void)baddbmm(f32({2, 2}), f32({2, 2}), f32({1, 2, 2}));
       },
       {"baddbmm: batch1 must be 3-D, got shape [2, 2]"}},
      {"addr",
       "a 2-D vec1",
       [] {
         (void)addr(f32({2, 2}), f32({2, 1}), f32({2}));
       },
       {"addr: vec1 must be 1-D, got shape [2, 1]"}},
      {"addcmul",
       "an undefined input",
       [] { (void)addcmul(Tensor(), f32({2}), f32({2})); },
       {"addcmul: input is an undefined tensor"}},
      {"addcdiv",
       "integer tensors",
       [] { (void)addcdiv(i64({1}), i64({1}), i64({1})); },
       {"addcdiv: expected a float32 or float64 tensor, got int64"}},
      {"inner",
       "last dims of different sizes",
       [] {
         (void)inner(f32({2, 3}), f32({4}));
       },
       {"inner: the last dims of a (shape [2, 3]) and b (shape [4]) must have the same size"}},
      {"vdot",
       "a 2-D operand",
       [] {
         (void)vdot(f32({2, 2}), f32({2}));
       },
       {"vdot: a must be 1-D, got shape [2, 2]"}},
      {"trapezoid",
       "a 0-d y",
       [] { (void)trapezoid(f32({})); },
       {"trapezoid: y must have at least one dim, got a 0-d tensor"}},
      {"trapezoid",
       "x of another length",
       [] {
         (void)trapezoid(f32({2, 4}), f32({3}), 1);
       },
       {"trapezoid: a 1-D x must have the size 4 of dim 1 of y (shape [2, 4]), got shape [3]"}},
      {"cumulative_trapezoid",
       "an integer y",
       [] {
         (void)cumulative_trapezoid(i64({1, 2}));
       },
       {"cumulative_trapezoid: expected a float32 or float64 tensor, got int64"}},
      {"gradient",
       "edge_order 2 with two samples",
       [] { (void)gradient(f32({2}), std::vector<double>{}, {}, 2); },
       {"gradient: dim 0 of f (shape [2]) has 2 samples; edge_order 2 needs at least 3"}},
      {"gradient",
       "coordinates of another length",
       [] { (void)gradient(f32({4}), TensorList{f32({3})}); },
       {"gradient: the coordinates of dim 0 must be 1-D with 4 entries, got shape [3]"}},
      {"copysign",
       "an integer magnitude",
       [] { (void)copysign(i64({1}), f32({1})); },
       {"copysign: expected a float32 or float64 tensor, got int64"}},
      {"heaviside",
       "values of another dtype",
       [] { (void)heaviside(f32({2}), f64({1})); },
       {"heaviside: input (float32) and values (float64) must have the same dtype"}},
      {"rad2deg",
       "an integer tensor",
       [] { (void)rad2deg(i64({1})); },
       {"rad2deg: expected a float32 or float64 tensor, got int64"}},
      {"deg2rad",
       "an integer tensor",
       [] { (void)deg2rad(i64({1})); },
       {"deg2rad: expected a float32 or float64 tensor, got int64"}},
      {"logspace",
       "negative steps",
       [] { (void)logspace(0, 1, -1); },
       {"logspace: steps must be non-negative, got -1"}},
      {"vander",
       "a 2-D x",
       [] {
         (void)vander(f32({2, 2}));
       },
       {"vander: x must be 1-D, got shape [2, 2]"}},
      {"aminmax",
       "an empty tensor over every dim",
       [] { (void)aminmax(f32({0})); },
       {"aminmax: cannot reduce an empty tensor (shape [0]) over every dim"}},
      {"renorm",
       "a negative maxnorm",
       [] {
         (void)renorm(f32({2, 2}), 2.0, 0, -1.0);
       },
       {"renorm: maxnorm must be non-negative, got -1"}},
  };
}

}  // namespace metagrad::testing
