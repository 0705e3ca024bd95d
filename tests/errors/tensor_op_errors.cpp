// Error inputs of the shape, index, linalg, conversion and factory ops.
#include <cmath>
#include <limits>

#include "tests/errors/error_table.hpp"

namespace metagrad::testing {
namespace {

ErrorTable shape_cases() {
  return {
      {"reshape",
       "element count differs",
       [] {
         (void)reshape(f32({2, 3}), {4});
       },
       {"reshape", "[2, 3]", "[4]"}},
      {"reshape",
       "two -1 entries",
       [] {
         (void)reshape(f32({2, 3}), {-1, -1});
       },
       {"reshape", "-1"}},
      {"reshape",
       "negative size",
       [] {
         (void)reshape(f32({2, 3}), {-2, -3});
       },
       {"reshape", "-2"}},
      {"reshape_is_view",
       "element count differs",
       [] {
         (void)reshape_is_view(f32({2, 3}), {4});
       },
       {"reshape_is_view", "[4]", "[2, 3]"}},
      {"reshape_is_view",
       "negative size",
       [] {
         (void)reshape_is_view(f32({2, 3}), {-1, -6});
       },
       {"reshape_is_view", "-1"}},
      {"reshape_is_view",
       "undefined tensor",
       [] { (void)reshape_is_view(Tensor(), {1}); },
       {"reshape_is_view", "undefined"}},
      {"view",
       "strides do not allow a view",
       [] {
         (void)view(f32({2, 3}).t(), {6});
       },
       {"view", "reshape"}},
      {"view",
       "element count differs",
       [] {
         (void)view(f32({2, 3}), {7});
       },
       {"view", "[2, 3]", "[7]"}},
      {"flatten",
       "start after end",
       [] {
         (void)flatten(f32({2, 3, 4}), 2, 1);
       },
       {"flatten", "2", "1"}},
      {"flatten",
       "dim out of range",
       [] {
         (void)flatten(f32({2, 3}), 0, 5);
       },
       {"flatten", "5"}},
      {"squeeze",
       "dim out of range",
       [] {
         (void)squeeze(f32({1, 2}), 2);
       },
       {"squeeze", "2"}},
      {"squeeze", "undefined input", [] { (void)squeeze(Tensor()); }, {"squeeze", "undefined"}},
      {"unsqueeze", "dim out of range", [] { (void)unsqueeze(f32({2}), 3); }, {"unsqueeze", "3"}},
      {"permute",
       "not a permutation",
       [] {
         (void)permute(f32({2, 3}), {0, 0});
       },
       {"permute", "[0, 0]"}},
      {"permute",
       "wrong length",
       [] {
         (void)permute(f32({2, 3}), {0});
       },
       {"permute: number of dims in the permutation (1)", "[2, 3]"}},
      {"transpose",
       "dim out of range",
       [] {
         (void)transpose(f32({2, 3}), 0, 2);
       },
       {"transpose", "2"}},
      {"t",
       "3-d input",
       [] {
         (void)t(f32({2, 3, 4}));
       },
       {"t", "[2, 3, 4]"}},
      {"expand",
       "size that does not match",
       [] {
         (void)expand(f32({2, 3}), {4, 3});
       },
       {"expand", "[2, 3]", "[4, 3]"}},
      {"expand",
       "fewer dims",
       [] {
         (void)expand(f32({2, 3}), {3});
       },
       {"expand: the number of sizes provided (1)", "[2, 3]"}},
      {"broadcast_to",
       "size that does not match",
       [] {
         (void)broadcast_to(f32({3}), {2, 4});
       },
       {"[3]", "[2, 4]"}},
      {"sum_to",
       "shape that does not broadcast",
       [] {
         (void)sum_to(f32({2, 3}), {4});
       },
       {"sum_to", "[2, 3]", "[4]"}},
  };
}

ErrorTable index_cases() {
  return {
      {"flip",
       "repeated dim",
       [] {
         (void)flip(f32({2, 3}), {1, -1});
       },
       {"flip: dim 1 appears more than once in the dims [1, -1]"}},
      {"roll",
       "shifts and dims of different lengths",
       [] {
         (void)roll(f32({2, 3}), {1, 2}, {0});
       },
       {"roll: shifts and dims must have the same length, got 2 shifts and dims [0]"}},
      {"repeat",
       "fewer repeats than dims",
       [] {
         (void)repeat(f32({2, 3}), {2});
       },
       {"repeat: the number of repeats (1) must not be smaller than the number of dimensions "
        "of the tensor (2, shape [2, 3])"}},
      {"cat",
       "tensors on different devices",
       [] {
         ScopedEmulatedCuda cuda;
         (void)cat({f32({2}), on_cuda({2})});
       },
       {"cat", "cpu", "cuda:0"}},
      {"gather",
       "index on another device",
       [] {
         ScopedEmulatedCuda cuda;
         (void)gather(f32({2}), 0, zeros({1}, TensorOptions(kInt64, cuda_device(0))));
       },
       {"gather", "cpu", "cuda:0"}},
      {"index_select",
       "index on another device",
       [] {
         ScopedEmulatedCuda cuda;
         (void)index_select(f32({2}), 0, zeros({1}, TensorOptions(kInt64, cuda_device(0))));
       },
       {"index_select", "cpu", "cuda:0"}},
      {"cat", "no tensors", [] { (void)cat({}); }, {"cat", "empty"}},
      {"cat",
       "sizes differ off the dim",
       [] {
         (void)cat({f32({2, 3}), f32({2, 4})}, 0);
       },
       {"cat", "[2, 3]", "[2, 4]"}},
      {"cat",
       "dtype mismatch",
       [] {
         (void)cat({f32({2}), f64({2})});
       },
       {"cat", "float32", "float64"}},
      {"cat",
       "dim out of range",
       [] {
         (void)cat({f32({2}), f32({2})}, 1);
       },
       {"cat", "1"}},
      {"stack",
       "shapes differ",
       [] {
         (void)stack({f32({2}), f32({3})});
       },
       {"stack", "[2]", "[3]"}},
      {"stack", "no tensors", [] { (void)stack({}); }, {"stack", "empty"}},
      {"split", "zero split size", [] { (void)split(f32({4}), int64_t{0}); }, {"split", "0"}},
      {"split",
       "sizes do not sum to the size",
       [] {
         (void)split(f32({4}), std::vector<int64_t>{1, 2});
       },
       {"split", "4"}},
      {"split",
       "negative size in the list",
       [] {
         (void)split(f32({4}), std::vector<int64_t>{5, -1});
       },
       {"split", "-1"}},
      {"chunk", "zero chunks", [] { (void)chunk(f32({4}), 0); }, {"chunk", "0"}},
      {"slice", "zero step", [] { (void)slice(f32({4}), 0, 0, 2, 0); }, {"slice", "step"}},
      {"slice", "dim out of range", [] { (void)slice(f32({4}), 1, 0, 2); }, {"slice", "1"}},
      {"select",
       "index out of range",
       [] {
         (void)select(f32({2, 3}), 1, 3);
       },
       {"select", "3", "[2, 3]"}},
      {"select", "0-d input", [] { (void)select(scalar_tensor(1.0), 0, 0); }, {"select"}},
      {"index_select",
       "index out of range",
       [] {
         (void)index_select(f32({3, 2}), 0, i64({0, 3}));
       },
       {"index_select", "3"}},
      {"index_select",
       "float index",
       [] { (void)index_select(f32({3}), 0, f32({1})); },
       {"index_select", "int64"}},
      {"index_select",
       "2-d index",
       [] {
         (void)index_select(f32({3}), 0, tensor({0, 1}, {1, 2}, kInt64));
       },
       {"index_select: index must be 0-d or 1-d, got shape [1, 2]"}},
      {"index_add",
       "src of the wrong shape",
       [] {
         (void)index_add(f32({3, 2}), 0, i64({0}), f32({2, 2}));
       },
       {"index_add", "[2, 2]"}},
      {"index_add",
       "negative index out of range",
       [] { (void)index_add(f32({3}), 0, i64({-4}), f32({1})); },
       {"index_add", "-4"}},
      {"gather",
       "index out of range",
       [] {
         (void)gather(f32({2, 2}), 1, tensor({0, 2}, {1, 2}, kInt64));
       },
       {"gather", "2"}},
      {"gather",
       "index ndim differs",
       [] {
         (void)gather(f32({2, 2}), 1, i64({0}));
       },
       {"gather", "[2, 2]"}},
      {"scatter_add",
       "index out of range",
       [] { (void)scatter_add(f32({2}), 0, i64({5}), f32({1})); },
       {"scatter_add", "5"}},
      {"scatter_add",
       "src dtype differs",
       [] { (void)scatter_add(f32({2}), 0, i64({0}), f64({1})); },
       {"scatter_add", "float32", "float64"}},
      {"pad",
       "odd pad list",
       [] {
         (void)pad(f32({2, 2}), {1});
       },
       {"pad", "pairs"}},
      {"pad",
       "more pairs than dims",
       [] {
         (void)pad(f32({2}), {1, 1, 1, 1});
       },
       {"pad", "[2]"}},
      {"pad",
       "crop past the size",
       [] {
         (void)pad(f32({2}), {-3, 0});
       },
       {"pad", "-3"}},
      {"pad",
       "reflect padding as large as the dim",
       [] {
         (void)pad(f32({1, 2, 3}), {3, 0}, PadMode::Reflect);
       },
       {"pad: reflect padding (3, 0) of dim 2 must be smaller than its size 3 (input shape [1, 2, "
        "3])"}},
      {"pad",
       "reflect padding of a 1-D tensor",
       [] {
         (void)pad(f32({4}), {1, 1}, PadMode::Reflect);
       },
       {"pad: reflect mode padding 1 dims needs a 2-D (unbatched) or 3-D (batched) input, got "
        "shape [4]"}},
      {"pad",
       "circular padding that wraps twice",
       [] {
         (void)pad(f32({1, 1, 3}), {4, 0}, PadMode::Circular);
       },
       {"pad: circular padding (4, 0) of dim 2 wraps around more than once: the dim keeps 3 cells "
        "(input shape [1, 1, 3]); pad at most the size"}},
  };
}

ErrorTable linalg_cases() {
  return {
      {"einsum",
       "sizes of a shared subscript differ",
       [] {
         (void)einsum("ij,jk->ik", {f32({2, 3}), f32({4, 2})});
       },
       {"einsum: subscript 'j' has size 3 in one operand and 4 in another"}},
      {"einsum",
       "operand count",
       [] {
         (void)einsum("ij,jk", {f32({2, 3})});
       },
       {"einsum: \"ij,jk\" names 2 operands but 1 were given"}},
      {"tril",
       "1-d input",
       [] { (void)tril(f32({3})); },
       {"tril: input must have at least 2 dimensions", "got shape [3]"}},
      {"triu", "undefined input", [] { (void)triu(Tensor()); }, {"triu", "undefined"}},
      {"diagonal",
       "dim1 == dim2",
       [] {
         (void)diagonal(f32({2, 3}), 0, 1, -1);
       },
       {"diagonal: dim1 and dim2 must differ, both are 1 (input shape [2, 3])"}},
      {"trace",
       "3-d input",
       [] {
         (void)trace(f32({2, 2, 2}));
       },
       {"trace: expected a matrix (2-D input), got shape [2, 2, 2]"}},
      {"matmul",
       "operands on different devices",
       [] {
         ScopedEmulatedCuda cuda;
         (void)matmul(f32({2, 2}), on_cuda({2, 2}));
       },
       {"matmul", "cpu", "cuda:0"}},
      {"matmul",
       "inner dims differ",
       [] {
         (void)matmul(f32({2, 3}), f32({4, 5}));
       },
       {"matmul", "[2, 3]", "[4, 5]"}},
      {"matmul",
       "0-d operand",
       [] { (void)matmul(scalar_tensor(1.0), f32({2})); },
       {"matmul: both arguments need to be at least 1D, got shapes [] and [2]"}},
      {"matmul",
       "int64 operands",
       [] {
         (void)matmul(i64({1, 2}), i64({1, 2}));
       },
       {"matmul", "int64"}},
      {"matmul",
       "batch dims that do not broadcast",
       [] {
         (void)matmul(f32({2, 2, 3}), f32({3, 3, 4}));
       },
       {"matmul", "[2, 2, 3]", "[3, 3, 4]"}},
      {"matmul",
       "dtype mismatch",
       [] {
         (void)matmul(f32({2, 2}), f64({2, 2}));
       },
       {"matmul", "float32", "float64"}},
      {"dot", "lengths differ", [] { (void)dot(f32({2}), f32({3})); }, {"dot", "[2]", "[3]"}},
      {"dot",
       "2-d operand",
       [] {
         (void)dot(f32({2, 2}), f32({2}));
       },
       {"dot", "[2, 2]"}},
      {"outer",
       "2-d operand",
       [] {
         (void)outer(f32({2, 2}), f32({2}));
       },
       {"outer", "[2, 2]"}},
      {"mv",
       "length differs",
       [] {
         (void)mv(f32({2, 3}), f32({2}));
       },
       {"mv", "[2, 3]", "[2]"}},
      {"mv", "1-d matrix", [] { (void)mv(f32({3}), f32({3})); }, {"mv", "[3]"}},
      {"mm",
       "1-d operand",
       [] {
         (void)mm(f32({3}), f32({3, 2}));
       },
       {"mm", "[3]"}},
      {"mm",
       "inner dims differ",
       [] {
         (void)mm(f32({2, 3}), f32({2, 3}));
       },
       {"mm", "[2, 3]"}},
  };
}

ErrorTable convert_cases() {
  return {
      {"clone", "undefined input", [] { (void)clone(Tensor()); }, {"clone", "undefined"}},
      {"contiguous",
       "undefined input",
       [] { (void)contiguous(Tensor()); },
       {"contiguous", "undefined"}},
      {"to_dtype",
       "undefined input",
       [] { (void)to_dtype(Tensor(), kFloat64); },
       {"to: input is an undefined tensor"}},
      {"to_device",
       "no CUDA backend",
       [] { (void)to_device(f32({2}), missing_cuda_device()); },
       {missing_cuda_device_fragment()}},
  };
}

ErrorTable arrange_cases() {
  return {
      {"movedim",
       "a repeated dim",
       [] {
         (void)movedim(f32({2, 3}), {0, -2}, {0, 1});
       },
       {"movedim: dim -2 is repeated in [0, -2] (a tensor of 2 dims)"}},
      {"narrow",
       "past the end",
       [] {
         (void)narrow(f32({2, 3}), 1, 2, 2);
       },
       {"narrow: start 2 and length 2 leave dim 1 of shape [2, 3] (size 3)",
        "start + length <= size"}},
      {"rot90",
       "one dim",
       [] {
         (void)rot90(f32({2, 3}), 1, {0});
       },
       {"rot90: expected two dims", "got dims [0] for shape [2, 3]"}},
      {"diff",
       "a negative order",
       [] { (void)diff(f32({4}), -1); },
       {"diff: order n must be non-negative, got -1"}},
      {"take_along_dim",
       "float indices",
       [] { (void)take_along_dim(f32({4}), f32({2})); },
       {"take_along_dim: indices must be int64, got float32"}},
      {"diag_embed",
       "equal dims",
       [] { (void)diag_embed(f32({3}), 0, 0, -2); },
       {"diag_embed: dim -2 is repeated in [0, -2]"}},
      {"block_diag",
       "no tensors",
       [] { (void)block_diag({}); },
       {"block_diag: expected at least one tensor"}},
      {"meshgrid",
       "a 2-D tensor",
       [] {
         (void)meshgrid({f32({3}), f32({2, 2})});
       },
       {"meshgrid: tensor 1 has shape [2, 2]; expected 0-d or 1-D"}},
      {"kron",
       "an undefined operand",
       [] { (void)kron(f32({2}), Tensor()); },
       {"kron: b is an undefined tensor"}},
      {"tensordot",
       "mismatched sizes",
       [] {
         (void)tensordot(f32({2, 3}), f32({2, 3}), {1}, {0});
       },
       {"tensordot: dim 1 of a (shape [2, 3]) has size 3 but dim 0 of b (shape [2, 3]) has 2"}},
  };
}

ErrorTable statistics_cases() {
  return {
      {"cumprod",
       "a dim out of range",
       [] {
         (void)cumprod(f32({2, 3}), 2);
       },
       {"cumprod", "2"}},
      {"logcumsumexp",
       "an int64 tensor",
       [] { (void)logcumsumexp(zeros({3}, kInt64), 0); },
       {"logcumsumexp: expected a float32 or float64 tensor, got int64"}},
      {"nansum",
       "an int64 tensor",
       [] { (void)nansum(zeros({3}, kInt64)); },
       {"nansum: expected a float32 or float64 tensor, got int64"}},
      {"nanmean",
       "a bool tensor",
       [] { (void)nanmean(zeros({3}, kBool)); },
       {"nanmean: expected a float32 or float64 tensor, got bool"}},
      {"var_mean",
       "a dim out of range",
       [] {
         (void)var_mean(f32({2, 3}), {3});
       },
       {"3"}},
      {"std_mean",
       "a dim out of range",
       [] {
         (void)std_mean(f32({2, 3}), {-4});
       },
       {"-4"}},
      {"cov",
       "frequency weights of another length",
       [] {
         (void)cov(f32({2, 3}), 1, zeros({2}, kInt64));
       },
       {"cov: fweights must be 1-D with one weight per observation (3), got shape [2]"}},
      {"corrcoef",
       "a 3-D input",
       [] {
         (void)corrcoef(f32({2, 3, 4}));
       },
       {"cov: expected x [variables, observations] or [observations], got shape [2, 3, 4]"}},
      {"count_nonzero", "a dim out of range", [] { (void)count_nonzero(f32({2}), {1}); }, {"1"}},
      {"isclose",
       "a negative tolerance",
       [] { (void)isclose(f32({2}), f32({2}), 1e-5, -1.0); },
       {"isclose: rtol (1e-05) and atol (-1) must be non-negative"}},
  };
}

ErrorTable factory_cases() {
  return {
      {"empty",
       "negative size",
       [] {
         (void)empty({2, -1});
       },
       {"[2, -1]"}},
      {"zeros", "negative size", [] { (void)zeros({-3}); }, {"[-3]"}},
      {"zeros",
       "no CUDA backend",
       [] { (void)zeros({2}, missing_cuda_device()); },
       {missing_cuda_device_fragment()}},
      {"ones",
       "int64 requiring grad",
       [] { (void)ones({2}, TensorOptions(kInt64, kCPU, true)); },
       {"can require gradients", "int64"}},
      {"full", "negative size", [] { (void)full({-1}, 2.0); }, {"[-1]"}},
      {"scalar_tensor",
       "bool requiring grad",
       [] { (void)scalar_tensor(1.0, TensorOptions(kBool, kCPU, true)); },
       {"can require gradients"}},
      {"arange", "zero step", [] { (void)arange(0, 5, 0); }, {"arange", "step"}},
      {"arange", "step of the wrong sign", [] { (void)arange(0, 5, -1); }, {"arange", "-1"}},
      {"arange", "NaN end", [] { (void)arange(kNaN); }, {"arange", "nan"}},
      {"linspace", "negative steps", [] { (void)linspace(0, 1, -1); }, {"linspace", "-1"}},
      {"eye", "negative n", [] { (void)eye(-2); }, {"eye", "-2"}},
      {"rand", "int64 dtype", [] { (void)rand({2}, kInt64); }, {"rand", "int64"}},
      {"randn", "negative size", [] { (void)randn({-2}); }, {"[-2]"}},
      {"randint", "empty range", [] { (void)randint(3, 3, {2}); }, {"randint", "3"}},
      {"tensor",
       "count differs from the shape",
       [] {
         (void)tensor({1, 2, 3}, {2, 2});
       },
       {"tensor", "3", "[2, 2]"}},
      {"tensor",
       "int64 requiring grad",
       [] {
         (void)tensor({1, 2}, TensorOptions(kInt64, kCPU, true));
       },
       {"can require gradients"}},
      {"empty_like",
       "undefined like",
       [] { (void)empty_like(Tensor()); },
       {"empty_like: like is an undefined tensor"}},
      {"zeros_like",
       "undefined like",
       [] { (void)zeros_like(Tensor()); },
       {"zeros_like: like is an undefined tensor"}},
      {"zeros_like",
       "int64 requiring grad",
       [] { (void)zeros_like(f32({2}), TensorOptions(kInt64, kCPU, true)); },
       {"can require gradients"}},
      {"ones_like",
       "undefined like",
       [] { (void)ones_like(Tensor()); },
       {"ones_like: like is an undefined tensor"}},
      {"full_like",
       "undefined like",
       [] { (void)full_like(Tensor(), 1.0); },
       {"full_like: like is an undefined tensor"}},
      {"rand_like", "int64 like", [] { (void)rand_like(tensor({1}, kInt64)); }, {"rand", "int64"}},
      {"rand_like",
       "undefined like",
       [] { (void)rand_like(Tensor()); },
       {"rand_like: like is an undefined tensor"}},
      {"empty_like",
       "undefined like with options",
       [] { (void)empty_like(Tensor(), kFloat64); },
       {"empty_like: like is an undefined tensor"}},
      {"randn_like",
       "undefined like",
       [] { (void)randn_like(Tensor()); },
       {"randn_like: like is an undefined tensor"}},
  };
}

}  // namespace

ErrorTable tensor_op_error_cases() {
  ErrorTable all;
  for (ErrorTable part : {shape_cases(), index_cases(), linalg_cases(), convert_cases(),
                          arrange_cases(), statistics_cases(), factory_cases()}) {
    for (ErrorCase& c : part) all.push_back(std::move(c));
  }
  return all;
}

}  // namespace metagrad::testing
