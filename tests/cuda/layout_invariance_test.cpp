// Every op of the table (op_cases.hpp) on inputs laid out at random in memory (steps, dims permuted
// in memory, storage offsets: tests/support/random_layouts.hpp), with the same values, against
// the same op on the table's contiguous inputs: outputs, gradients and double-backward gradients.
// On the CPU this checks that no kernel, backward formula or view of the engine depends on its
// operands' layout; on the CUDA device (or the host emulation) the strided run is compared with
// the CPU's contiguous one. The table's cases that need a viewable layout (view()) are left out.
#include <string>
#include <vector>

#include "tests/cuda/cuda_test_device.hpp"
#include "tests/cuda/op_cases.hpp"
#include "tests/cuda/op_gradients.hpp"
#include "tests/support/random_layouts.hpp"

namespace {

using namespace metagrad;
using namespace metagrad::testing;

// A copy of `t` on `device` with the same values, dtype and requires_grad, laid out at random.
Tensor restrided(Rng& rng, const Tensor& t, Device device) {
  if (!t.defined()) return t;
  Tensor out = converted_view(random_layout(rng, t.shape()).view, t.dtype(), device);
  {
    NoGradGuard no_grad;
    out.copy_(t.detach().to(device));
  }
  if (t.requires_grad()) out.requires_grad_(true);
  return out;
}

// Compares the lists element by element; `what` names them in failures.
void check_lists(const TensorList& got, const TensorList& expected, Device device, DType dtype,
                 int64_t reduction, const std::string& what) {
  if (got.size() != expected.size()) {
    FAIL_CHECK(what << ": " << got.size() << " results on the strided inputs, " << expected.size()
                    << " on the contiguous ones");
    return;
  }
  for (size_t k = 0; k < got.size(); ++k)
    if (got[k].defined() && expected[k].defined())
      check_matches(got[k], expected[k], device,
                    tolerance_for(expected[k].dtype() == kFloat32 ? kFloat32 : dtype, reduction),
                    what + ", result " + std::to_string(k));
    else if (got[k].defined() != expected[k].defined())
      FAIL_CHECK(what << ", result " << k << ": defined on one side only");
}

// The op of `c` on its contiguous CPU inputs against the op on strided copies on `device`.
void check_case(const OpCase& c, DType dtype, Device device, Rng& rng) {
  const std::string what = c.name + " (" + std::string(dtype_name(dtype)) + ", strided inputs)";
  try {
    const TensorList contiguous = c.inputs(dtype);
    TensorList strided;
    std::string layouts;
    for (const Tensor& t : contiguous) {
      strided.push_back(restrided(rng, t, device));
      if (t.defined()) layouts += " " + describe(strided.back());
    }
    INFO(what << ":" << layouts);
    const TensorList expected = c.fn(contiguous);
    check_lists(c.fn(strided), expected, device, dtype, c.reduction, what);
    if (!c.differentiable) return;
    const int64_t reduction = backward_reduction(c, expected);
    check_lists(gradients(c, strided, false), gradients(c, contiguous, false), device, dtype,
                reduction, what + ", gradients");
    check_lists(gradients(c, strided, true), gradients(c, contiguous, true), device, dtype,
                4 * reduction, what + ", double backward");
  } catch (const std::exception& e) {
    FAIL_CHECK(what << " threw: " << e.what());
  }
}

}  // namespace

TEST_CASE("layout invariance: every op on strided CPU inputs equals the op on contiguous ones",
          "[cuda][strided][layout]") {
  Rng rng(1111);
  for (const OpCase& c : all_op_cases()) {
    if (!c.any_layout) continue;
    for (const DType dtype : {kFloat64, kFloat32}) check_case(c, dtype, kCPU, rng);
  }
}

TEST_CASE(
    "layout invariance: every op on strided device inputs equals the CPU's on contiguous ones",
    "[cuda][strided][layout]") {
  CudaTestDevice device;
  Rng rng(1212);
  for (const OpCase& c : all_op_cases()) {
    if (!c.any_layout) continue;
    for (const DType dtype : {kFloat64, kFloat32}) check_case(c, dtype, device.device(), rng);
  }
}
