// Tensor printing: exact strings of PyTorch's repr for the same tensors.
#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "tests/support/helpers.hpp"

using namespace metagrad;

namespace {
constexpr double kNan = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
}  // namespace

TEST_CASE("floats print with 4 decimals aligned to the widest element", "[format]") {
  CHECK(fmt::format("{}", tensor({1.0, 2.5, -3.0})) == "tensor([ 1.0000,  2.5000, -3.0000])");
  CHECK(to_string(tensor({0.3, 1.1})) == "tensor([0.3000, 1.1000])");
  CHECK(to_string(tensor({12.25, 0.5})) == "tensor([12.2500,  0.5000])");
}

TEST_CASE("integer-valued floats print with a trailing dot", "[format]") {
  CHECK(to_string(tensor({1.0, 2.0, 3.0})) == "tensor([1., 2., 3.])");
  CHECK(to_string(tensor({-1.0, 2.0})) == "tensor([-1.,  2.])");
  CHECK(to_string(scalar_tensor(3.0)) == "tensor(3.)");
  CHECK(to_string(scalar_tensor(-0.0)) == "tensor(-0.)");
  CHECK(to_string(zeros({2})) == "tensor([0., 0.])");
  CHECK(to_string(tensor({100000.0, 2.0})) == "tensor([1.0000e+05, 2.0000e+00])");
}

TEST_CASE("scientific notation follows PyTorch's thresholds", "[format]") {
  // max / min > 1000
  CHECK(to_string(tensor({1e5, 1.0, 0.5})) == "tensor([1.0000e+05, 1.0000e+00, 5.0000e-01])");
  // min < 1e-4 (non-integers only)
  CHECK(to_string(tensor({1e-5, 2e-5})) == "tensor([1.0000e-05, 2.0000e-05])");
  // max > 1e8
  CHECK(to_string(scalar_tensor(1e9)) == "tensor(1.0000e+09)");
  CHECK(to_string(tensor({-2.5e-7}, kFloat64)) == "tensor([-2.5000e-07], dtype=metagrad.float64)");
  // ratio exactly 1000 stays fixed
  CHECK(to_string(tensor({0.001, 1.0})) == "tensor([0.0010, 1.0000])");
  PrintOptions forced;
  forced.sci_mode = true;
  CHECK(to_string(tensor({1.5, 2.0}), forced) == "tensor([1.5000e+00, 2.0000e+00])");
}

TEST_CASE("nan and infinities print as nan, inf, -inf", "[format]") {
  CHECK(to_string(tensor({1.0, kNan, kInf, -kInf})) == "tensor([1., nan, inf, -inf])");
  CHECK(to_string(tensor({1.5, kNan})) == "tensor([1.5000,    nan])");
  CHECK(to_string(tensor({1e-5, -kNan})) == "tensor([1.0000e-05,        nan])");
  CHECK(to_string(tensor({kNan, kNan})) == "tensor([nan, nan])");
}

TEST_CASE("int64 and bool print without dtype", "[format]") {
  CHECK(to_string(tensor({1, 2, 3}, kInt64)) == "tensor([1, 2, 3])");
  CHECK(to_string(tensor({1, 100, -7}, kInt64)) == "tensor([  1, 100,  -7])");
  CHECK(to_string(scalar_tensor(5, kInt64)) == "tensor(5)");
  CHECK(to_string(tensor({1, 0}, kBool)) == "tensor([ True, False])");
  CHECK(to_string(tensor({1, 1}, kBool)) == "tensor([True, True])");
}

TEST_CASE("N-d tensors nest brackets with newlines and indentation", "[format]") {
  CHECK(to_string(tensor({1, 2, 3, 4}, {2, 2})) == "tensor([[1., 2.],\n        [3., 4.]])");
  CHECK(to_string(arange(8.0).reshape({2, 2, 2})) ==
        "tensor([[[0., 1.],\n"
        "         [2., 3.]],\n"
        "\n"
        "        [[4., 5.],\n"
        "         [6., 7.]]])");
  // Non-contiguous input prints its logical order.
  CHECK(to_string(tensor({1, 2, 3, 4}, {2, 2}).t()) == "tensor([[1., 3.],\n        [2., 4.]])");
  CHECK(to_string(tensor({1, 0, 0, 1}, {1, 2, 2}, kInt64)) ==
        "tensor([[[1, 0],\n         [0, 1]]])");
}

TEST_CASE("long rows wrap at 80 columns, as do suffixes", "[format]") {
  CHECK(to_string(arange(20.0) / 3.0) ==
        "tensor([0.0000, 0.3333, 0.6667, 1.0000, 1.3333, 1.6667, 2.0000, 2.3333, 2.6667,\n"
        "        3.0000, 3.3333, 3.6667, 4.0000, 4.3333, 4.6667, 5.0000, 5.3333, 5.6667,\n"
        "        6.0000, 6.3333])");
  CHECK(to_string(arange(30.0, kInt64)) ==
        "tensor([ 0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14, 15, 16, 17,\n"
        "        18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29])");
  CHECK(to_string(arange(9.0, kFloat64) / 3.0) ==
        "tensor([0.0000, 0.3333, 0.6667, 1.0000, 1.3333, 1.6667, 2.0000, 2.3333, 2.6667],\n"
        "       dtype=metagrad.float64)");
}

TEST_CASE("more than 1000 elements are summarised with 3 edge items", "[format]") {
  CHECK(to_string(arange(1001.0)) == "tensor([   0.,    1.,    2.,  ...,  998.,  999., 1000.])");
  CHECK(to_string(arange(1001.0, kInt64)) == "tensor([   0,    1,    2,  ...,  998,  999, 1000])");
  CHECK(to_string(zeros({100, 100})) ==
        "tensor([[0., 0., 0.,  ..., 0., 0., 0.],\n"
        "        [0., 0., 0.,  ..., 0., 0., 0.],\n"
        "        [0., 0., 0.,  ..., 0., 0., 0.],\n"
        "        ...,\n"
        "        [0., 0., 0.,  ..., 0., 0., 0.],\n"
        "        [0., 0., 0.,  ..., 0., 0., 0.],\n"
        "        [0., 0., 0.,  ..., 0., 0., 0.]])");
  // Hidden elements do not influence the format (1e10 at index 500 is not shown).
  std::vector<double> values(1001, 1.0);
  values[500] = 1e10;
  CHECK(to_string(tensor(values)) == "tensor([1., 1., 1.,  ..., 1., 1., 1.])");
  // Exactly 1000 elements are not summarised.
  CHECK(to_string(ones({1000})).find("...") == std::string::npos);
}

TEST_CASE("suffixes: dtype, requires_grad, grad_fn", "[format]") {
  CHECK(to_string(tensor({1.5}, kFloat64)) == "tensor([1.5000], dtype=metagrad.float64)");
  CHECK(to_string(scalar_tensor(3.0, kFloat64)) == "tensor(3., dtype=metagrad.float64)");
  Tensor x = tensor({1.0, 2.0}).requires_grad_();
  CHECK(to_string(x) == "tensor([1., 2.], requires_grad=True)");
  CHECK(to_string(x * 2.0) == "tensor([2., 4.], grad_fn=<MulBackward>)");
  CHECK(to_string(x.sum()) == "tensor(3., grad_fn=<SumBackward>)");
  Tensor y = tensor({0.5}, kFloat64).requires_grad_();
  CHECK(to_string(y) == "tensor([0.5000], dtype=metagrad.float64, requires_grad=True)");
  CHECK(to_string((x * 2.0).detach()) == "tensor([2., 4.])");
}

TEST_CASE("empty tensors print [] with size and dtype where PyTorch does", "[format]") {
  CHECK(to_string(zeros({0})) == "tensor([])");
  CHECK(to_string(zeros({0, 3})) == "tensor([], size=(0, 3))");
  CHECK(to_string(zeros({0}, kInt64)) == "tensor([], dtype=metagrad.int64)");
  CHECK(to_string(zeros({0}, kBool)) == "tensor([], dtype=metagrad.bool)");
  CHECK(to_string(zeros({2, 0}, kFloat64)) == "tensor([], size=(2, 0), dtype=metagrad.float64)");
  CHECK(to_string(zeros({0}).requires_grad_()) == "tensor([], requires_grad=True)");
}

TEST_CASE("format options and undefined tensors", "[format]") {
  CHECK(to_string(Tensor()) == "tensor(undefined)");
  CHECK(fmt::format("{:>20}", tensor({1.0})) == "        tensor([1.])");
  PrintOptions opts;
  opts.precision = 2;
  CHECK(to_string(tensor({0.125, 1.0}), opts) == "tensor([0.12, 1.00])");
  opts = PrintOptions{};
  opts.threshold = 5;
  opts.edgeitems = 1;
  CHECK(to_string(arange(6.0), opts) == "tensor([0.,  ..., 5.])");
}
