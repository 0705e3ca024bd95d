// The fused Adam forward with a param (AdamForwardSlot::param, Note [folded adam step]) on the
// CUDA backend (the GPU or its host emulation) against a scalar reference and the CPU backend:
// param += u * param_scale in the launch that updates mu and nu, u stored nowhere, g untouched.
#include <cmath>
#include <cstdint>
#include <iterator>
#include <optional>
#include <vector>

#include "engine/backend/backend.hpp"
#include "engine/ops.hpp"
#include "engine/random/generator.hpp"
#include "tests/cuda/cuda_test_device.hpp"
#include "tests/support/catch.hpp"

using namespace metagrad;
using metagrad::testing::CudaTestDevice;

namespace {

AdamCoefficients coefficients() {
  AdamCoefficients k{0.9, 0.999, 1e-8, 1e-10, 1.0 - 0.9 * 0.9, 1.0 - 0.999 * 0.999};
  k.param_scale = -0.0375;
  return k;
}

// (p, g, mu, nu) of n elements on the CPU, nu >= 0.
TensorList operands(DType dtype, int64_t n, uint64_t seed) {
  Generator gen(seed);
  TensorList t;
  for (int k = 0; k < 4; ++k) t.push_back(randn({n}, dtype, &gen));
  t[3] = abs(t[3]) * 0.1;
  return t;
}

// Scalar reference, operation by operation (no FMA contraction, correctly rounded sqrt): the new
// p, mu, nu from (p, g, mu, nu).
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC push_options
#pragma GCC optimize("fp-contract=off")
#endif
template <typename T>
TensorList reference(const TensorList& in) {
  const AdamCoefficients c = coefficients();
  const T b1 = static_cast<T>(c.b1), c1 = static_cast<T>(1.0 - c.b1), b2 = static_cast<T>(c.b2),
          c2 = static_cast<T>(1.0 - c.b2), bc1 = static_cast<T>(c.bc1), bc2 = static_cast<T>(c.bc2),
          eps_root = static_cast<T>(c.eps_root), eps = static_cast<T>(c.eps),
          scale = static_cast<T>(c.param_scale);
  std::vector<T> p = in[0].to_vector<T>(), g = in[1].to_vector<T>(), m = in[2].to_vector<T>(),
                 v = in[3].to_vector<T>();
  std::vector<double> po(p.size()), mo(p.size()), vo(p.size());
  for (size_t j = 0; j < p.size(); ++j) {
    const T mi = m[j] * b1 + g[j] * c1;
    const T vi = v[j] * b2 + g[j] * g[j] * c2;
    const T u = mi / bc1 / (std::sqrt(vi / bc2 + eps_root) + eps);
    const T step = u * scale;
    po[j] = p[j] + step;
    mo[j] = mi;
    vo[j] = vi;
  }
  const Dims shape = in[0].shape();
  return {tensor(po, shape, in[0].dtype()), tensor(mo, shape, in[0].dtype()),
          tensor(vo, shape, in[0].dtype())};
}
#if !defined(__clang__) && defined(__GNUC__)
#pragma GCC pop_options
#endif

bool same_bits(const Tensor& got, const Tensor& want) {
  return got.dtype() == want.dtype() &&
         got.to(kCPU).to_vector<double>() == want.to(kCPU).to_vector<double>();
}

AdamForwardSlot param_slot(const TensorList& t) {
  AdamForwardSlot s{t[1].dtype(),    t[1].numel(),    t[1].raw_data(), t[2].raw_data(),
                    t[3].raw_data(), t[2].raw_data(), t[3].raw_data(), nullptr};
  s.param = t[0].raw_data();
  return s;
}

}  // namespace

TEST_CASE("cuda fused adam with a param: one launch updates p, mu, nu bit for bit, g untouched",
          "[cuda][elementwise][adam]") {
  CudaTestDevice device;
  const int64_t sizes[] = {1000, 0, 7, 4099, 1};
  std::vector<TensorList> host, dev;
  std::vector<AdamForwardSlot> host_slots, dev_slots;
  for (size_t i = 0; i < std::size(sizes); ++i) {
    const TensorList in = operands(i % 2 == 0 ? kFloat64 : kFloat32, sizes[i], 40 + i);
    TensorList h, d;
    for (const Tensor& t : in) {
      h.push_back(t.clone());
      d.push_back(t.to(device.device()));
    }
    host.push_back(h);
    dev.push_back(d);
    host_slots.push_back(param_slot(h));
    dev_slots.push_back(param_slot(d));
  }
  const AdamCoefficients k = coefficients();
  device.backend().adam_forward(k, dev_slots.data(), dev_slots.size());
  backend_for(kCPU).adam_forward(k, host_slots.data(), host_slots.size());
  for (size_t i = 0; i < std::size(sizes); ++i) {
    const TensorList in = operands(i % 2 == 0 ? kFloat64 : kFloat32, sizes[i], 40 + i);
    INFO("slot " << i << " " << dtype_name(in[0].dtype()) << ", " << sizes[i] << " elements");
    const TensorList want =
        in[0].dtype() == kFloat32 ? reference<float>(in) : reference<double>(in);
    for (size_t j = 0; j < 3; ++j) {
      const size_t at = j == 0 ? 0 : j + 1;  // p, mu, nu
      CHECK(same_bits(dev[i][at], want[j]));
      // Eigen's float32 sqrt on the CPU may be an ulp off the correctly rounded one.
      if (in[0].dtype() == kFloat64) CHECK(same_bits(host[i][at], want[j]));
    }
    CHECK(same_bits(dev[i][1], in[1]));  // g is only read
    CHECK(same_bits(host[i][1], in[1]));
    if (sizes[i] > 0) CHECK_FALSE(same_bits(dev[i][0], in[0]));  // the step moved p
  }
}

TEST_CASE("fused adam with a param rejects moments not updated in place on both backends",
          "[cuda][elementwise][adam]") {
  CudaTestDevice device;
  for (const Device where : {device.device(), Device(kCPU)}) {
    TensorList t;
    for (int k = 0; k < 5; ++k) t.push_back(zeros({4}, TensorOptions(kFloat32, where)));
    AdamForwardSlot slot = param_slot(t);
    slot.mu_out = t[4].raw_data();
    REQUIRE_THROWS_WITH(
        backend_for(where).adam_forward(coefficients(), &slot, 1),
        "fused adam: slot 0 has a param but its moments are not updated in place or the param "
        "aliases g, mu or nu; a slot with a param needs mu_out == mu, nu_out == nu and a param "
        "buffer of its own");
    slot = param_slot(t);
    slot.param = t[1].raw_data();
    CHECK_THROWS(backend_for(where).adam_forward(coefficients(), &slot, 1));
  }
}

TEST_CASE("cuda fused adam with a param: slots over many chunks, buffers at unaligned offsets",
          "[cuda][elementwise][adam]") {
  // Note [adam chunks]: 16384-element chunks of 4-element quads, 16-byte vectors where aligned.
  CudaTestDevice device;
  const int64_t offset = GENERATE(0, 1);  // 1: every buffer 4 or 8 bytes past a 16-byte boundary
  INFO("buffers at element offset " << offset);
  const int64_t sizes[] = {2 * 16384 + 5, 16384, 3, 3 * 16384 + 1};
  std::vector<TensorList> inputs, dev;
  std::vector<AdamForwardSlot> slots;
  for (size_t i = 0; i < std::size(sizes); ++i) {
    const TensorList padded = operands(i == 1 ? kFloat64 : kFloat32, sizes[i] + offset, 70 + i);
    TensorList in, d;
    for (const Tensor& t : padded) {
      in.push_back(t.slice(0, offset, std::nullopt).contiguous());
      d.push_back(t.to(device.device()).slice(0, offset, std::nullopt));
    }
    inputs.push_back(in);
    dev.push_back(d);
    slots.push_back(param_slot(d));
  }
  device.backend().adam_forward(coefficients(), slots.data(), slots.size());
  for (size_t i = 0; i < std::size(sizes); ++i) {
    const TensorList& in = inputs[i];
    INFO("slot " << i << " " << dtype_name(in[0].dtype()) << ", " << sizes[i] << " elements");
    const TensorList want =
        in[0].dtype() == kFloat32 ? reference<float>(in) : reference<double>(in);
    CHECK(same_bits(dev[i][0], want[0]));
    CHECK(same_bits(dev[i][2], want[1]));
    CHECK(same_bits(dev[i][3], want[2]));
    CHECK(same_bits(dev[i][1], in[1]));
  }
}
