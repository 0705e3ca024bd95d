// Every bad-input error of the foundation issue, pinned by message.
#include "cuda/cuda.hpp"
#include "cuda/emulated_backend.hpp"
#include "tests/support/helpers.hpp"

using namespace metagrad;

TEST_CASE("broadcast mismatch names the op and both shapes", "[errors]") {
  CHECK_THROWS_WITH(ones({2, 3}) + ones({4}),
                    MG_CONTAINS("add: shapes [2, 3] and [4] cannot be broadcast together"));
  CHECK_THROWS_WITH(mul(ones({2, 3}), ones({3, 2})), MG_CONTAINS("mul: shapes [2, 3] and [3, 2]"));
}

TEST_CASE("matmul inner-dimension mismatch", "[errors]") {
  CHECK_THROWS_WITH(matmul(ones({2, 3}), ones({4, 5})),
                    MG_CONTAINS("matmul") && MG_CONTAINS("[2, 3]") && MG_CONTAINS("[4, 5]"));
}

TEST_CASE("float32 and float64 do not mix", "[errors]") {
  CHECK_THROWS_WITH(ones({2}, kFloat32) * ones({2}, kFloat64),
                    MG_CONTAINS("mul: dtype mismatch: float32 [2] and float64 [2]") &&
                        MG_CONTAINS(".to(float32)"));
}

TEST_CASE("device mismatch names both devices", "[errors]") {
  // No such device (index 64, with no backend registered).
  CHECK_THROWS_WITH(
      zeros({2}, cuda_device(64)),
      MG_CONTAINS(cuda::is_built() ? "no such CUDA device" : "built without the CUDA backend"));
  ScopedEmulatedCuda cuda;  // the CUDA kernels on the host (cuda/emulated_backend.hpp)
  Tensor on_device = zeros({2}, cuda_device(0));
  CHECK(on_device.device() == cuda_device(0));
  CHECK_THROWS_WITH(ones({2}) + on_device,
                    MG_CONTAINS("add: expected both operands on the same device, got cpu") &&
                        MG_CONTAINS("cuda:0"));
}

TEST_CASE("integer and bool tensors where a float is required", "[errors]") {
  Tensor i = tensor({1, 2}, kInt64);
  CHECK_THROWS_WITH(exp(i), MG_CONTAINS("exp: expected a float32 or float64 tensor, got int64"));
  CHECK_THROWS_WITH(mean(tensor({1, 0}, kBool)),
                    MG_CONTAINS("mean: expected a float32 or float64 tensor, got bool"));
  CHECK_THROWS_WITH(i.requires_grad_(),
                    MG_CONTAINS("only float32/float64 tensors can require gradients, got a int64"));
  CHECK_THROWS_WITH(ones({2}, TensorOptions(kBool, kCPU, true)),
                    MG_CONTAINS("can require gradients"));
}

TEST_CASE("backward twice without retain_graph", "[errors]") {
  Tensor x = ones({2}, kFloat64).requires_grad_();
  Tensor y = (x * x).sum();
  y.backward();
  CHECK_THROWS_WITH(y.backward(),
                    MG_CONTAINS("Backward: trying to backward through the graph a second time") &&
                        MG_CONTAINS("retain_graph=true"));
}

TEST_CASE("grad of a non-scalar output needs grad_outputs", "[errors]") {
  Tensor x = ones({2, 2}, kFloat64).requires_grad_();
  CHECK_THROWS_WITH(grad({x * 2.0}, {x}),
                    MG_CONTAINS("grad can be implicitly created only for scalar outputs") &&
                        MG_CONTAINS("[2, 2]"));
  CHECK_THROWS_WITH(
      (x * 2.0).backward(),
      MG_CONTAINS("backward: grad can be implicitly created only for scalar outputs"));
  CHECK_THROWS_WITH(grad({x * 2.0}, {x}, {ones({3})}),
                    MG_CONTAINS("grad_outputs[0] has shape [3] but output 0 has shape [2, 2]"));
}

TEST_CASE("an input not reached needs allow_unused", "[errors]") {
  Tensor x = ones({1}, kFloat64).requires_grad_();
  Tensor unused = ones({3}, kFloat64).requires_grad_();
  CHECK_THROWS_WITH(grad({(x * 2.0).sum()}, {x, unused}),
                    MG_CONTAINS("input 1 (shape [3]) appears to not have been used in the graph") &&
                        MG_CONTAINS("allow_unused=true"));
  CHECK_THROWS_WITH(grad({(x * 2.0).sum()}, {ones({1})}),
                    MG_CONTAINS("grad: input 0 does not require grad"));
}

TEST_CASE("an output that does not require grad", "[errors]") {
  Tensor x = ones({1}, kFloat64);
  CHECK_THROWS_WITH(
      grad({x * 2.0}, {x.detach().requires_grad_()}),
      MG_CONTAINS("element 0 of tensors does not require grad and does not have a grad_fn"));
  CHECK_THROWS_WITH((x * 2.0).sum().backward(), MG_CONTAINS("does not require grad"));
}

TEST_CASE("a saved tensor modified in place", "[errors]") {
  Tensor x = ones({2}, kFloat64).requires_grad_();
  Tensor y = exp(x);
  Tensor z = y.sum();
  {
    NoGradGuard no_grad;
    y.add_(1.0);
  }
  CHECK_THROWS_WITH(z.backward(),
                    MG_CONTAINS("ExpBackward: one of the tensors needed for gradient computation "
                                "has been modified by an inplace operation") &&
                        MG_CONTAINS("clone()"));
}

TEST_CASE("in-place op on a leaf that requires grad while recording", "[errors]") {
  Tensor w = ones({2}, kFloat64).requires_grad_();
  CHECK_THROWS_WITH(w.add_(1.0), MG_CONTAINS("add_: a leaf tensor that requires grad (shape [2]) "
                                             "is being used in an in-place operation"));
  NoGradGuard no_grad;
  CHECK_NOTHROW(w.add_(1.0));
}

TEST_CASE("out-of-range dims and indices", "[errors]") {
  Tensor x = ones({2, 3});
  CHECK_THROWS_WITH(
      sum(x, {2}),
      MG_CONTAINS("sum: dimension out of range (expected to be in range of [-2, 1], but got 2)"));
  CHECK_THROWS_WITH(x.transpose(0, -3), MG_CONTAINS("transpose: dimension out of range"));
  CHECK_THROWS_WITH(
      x.unsqueeze(4),
      MG_CONTAINS(
          "unsqueeze: dimension out of range (expected to be in range of [-3, 2], but got 4)"));
  CHECK_THROWS_WITH(x.select(1, 3), MG_CONTAINS("select") && MG_CONTAINS("out of range"));
  CHECK_THROWS_WITH(x.index_select(0, tensor({0, 2}, kInt64)),
                    MG_CONTAINS("index_select") && MG_CONTAINS("out of"));
  CHECK_THROWS_WITH(x.size(2), MG_CONTAINS("size: dimension out of range"));
  CHECK_THROWS_WITH(x.stride(-3), MG_CONTAINS("stride: dimension out of range"));
  // A 0-d tensor takes dims 0 and -1 as op arguments, but has no size or stride to read.
  const Tensor scalar = scalar_tensor(1.0);
  CHECK_THROWS_WITH(scalar.size(0), MG_CONTAINS("size: dimension specified as 0 but the tensor "
                                                "has no dimensions (it is 0-d)"));
  CHECK_THROWS_WITH(scalar.size(-1), MG_CONTAINS("size: dimension specified as -1"));
  CHECK_THROWS_WITH(scalar.stride(0), MG_CONTAINS("stride: dimension specified as 0"));
  CHECK(sum(scalar, {-1}).item<double>() == 1.0);
}

TEST_CASE("reshape to an incompatible size", "[errors]") {
  Tensor x = ones({2, 3});
  CHECK_THROWS_WITH(
      x.reshape({4, 2}),
      MG_CONTAINS("reshape: shape [4, 2] is invalid for input of size 6 (shape [2, 3])"));
  CHECK_THROWS_WITH(x.reshape({-1, -1}), MG_CONTAINS("only one dimension can be inferred"));
  CHECK_THROWS_WITH(x.t().view({6}), MG_CONTAINS("view: size [6] is not compatible") &&
                                         MG_CONTAINS("use reshape()"));
}

TEST_CASE("item on more than one element", "[errors]") {
  CHECK_THROWS_WITH(
      ones({2, 2}).item<float>(),
      MG_CONTAINS("item: a Tensor with 4 elements (shape [2, 2]) cannot be converted to a scalar"));
  CHECK(ones({1, 1}).item<float>() == 1.0f);
}

TEST_CASE("operations on an undefined tensor", "[errors]") {
  Tensor undefined;
  CHECK_THROWS_WITH(exp(undefined), MG_CONTAINS("exp: input is an undefined tensor"));
  CHECK_THROWS_WITH(undefined.shape(), MG_CONTAINS("undefined tensor"));
}
