#pragma once

// KernelBackend::adam_forward and ::adam_backward (Note [fused adam] in engine/ops/fused_adam.cpp):
// multi-tensor apply, one launch for every slot of a call. The slot array and the prefix sums of
// the slots' sizes are uploaded; thread i finds its slot by binary search over the prefix sums and
// branches on the slot's dtype. The arithmetic is cpu_adam.cpp's, operation for operation, without
// FMA contraction (the .cu is compiled with --fmad=false; the host emulation by the pragma below),
// so float64 results are bit-identical to the CPU backend's and to the unfused ops. A slot with a
// param applies the step to it in the same launch (AdamForwardSlot).
#include <cstddef>
#include <cstdint>
#include <vector>

#include "cuda/kernel_backend.hpp"
#include "engine/backend/view_checks.hpp"

#if !defined(__CUDACC__) && defined(__clang__)
#pragma clang fp contract(off)
#elif !defined(__CUDACC__) && defined(__GNUC__)
#pragma GCC push_options
#pragma GCC optimize("fp-contract=off")
#endif

namespace metagrad {
namespace kernels {

/// The step's scalars in one float dtype, rounded as cpu_adam.cpp's Coef rounds them.
template <typename T>
struct AdamCoef {
  T b1, c1, b2, c2, bc1, bc2, eps_root, eps, two_c2, two_bc1_bc2, param_scale;
  static AdamCoef of(const AdamCoefficients& s) {
    return {static_cast<T>(s.b1),
            static_cast<T>(1.0 - s.b1),
            static_cast<T>(s.b2),
            static_cast<T>(1.0 - s.b2),
            static_cast<T>(s.bc1),
            static_cast<T>(s.bc2),
            static_cast<T>(s.eps_root),
            static_cast<T>(s.eps),
            static_cast<T>(2.0 * (1.0 - s.b2)),
            static_cast<T>(2.0 * s.bc1 * s.bc2),
            static_cast<T>(s.param_scale)};
  }
};

/// MG_HD square roots (correctly rounded on both sides).
MG_HD inline float adam_sqrt(float x) { return ::sqrtf(x); }
MG_HD inline double adam_sqrt(double x) { return ::sqrt(x); }

/// The slot holding flat element i: the last s < count with prefix[s] <= i (empty slots, whose
/// prefix equals the next one's, are skipped).
MG_HD inline int64_t find_slot(const int64_t* prefix, int64_t count, int64_t i) {
  int64_t lo = 0, hi = count;  // prefix[lo] <= i < prefix[hi]
  while (hi - lo > 1) {
    const int64_t mid = lo + (hi - lo) / 2;
    if (prefix[mid] <= i) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return lo;
}

/// Element j of one forward slot. Reads every input before writing (in-place slots alias them).
/// With a param, param += u * param_scale (rounded as scale then apply_updates) and u is not
/// stored.
template <typename T>
MG_HD inline void adam_element(const AdamForwardSlot& s, int64_t j, const AdamCoef<T>& k) {
  const T gi = static_cast<const T*>(s.g)[j];
  const T mi = static_cast<const T*>(s.mu)[j] * k.b1 + gi * k.c1;
  const T vi = static_cast<const T*>(s.nu)[j] * k.b2 + gi * gi * k.c2;
  const T root = adam_sqrt(vi / k.bc2 + k.eps_root);
  static_cast<T*>(s.mu_out)[j] = mi;
  static_cast<T*>(s.nu_out)[j] = vi;
  const T u = mi / k.bc1 / (root + k.eps);
  if (s.param != nullptr) {
    T* p = static_cast<T*>(s.param);
    const T step = u * k.param_scale;
    p[j] = p[j] + step;
  } else {
    static_cast<T*>(s.u_out)[j] = u;
  }
}

/// Element j of one backward slot (Note [fused adam]).
template <typename T>
MG_HD inline void adam_element(const AdamBackwardSlot& s, int64_t j, const AdamCoef<T>& k) {
  auto in = [j](const void* p) { return static_cast<const T*>(p)[j]; };
  const T m = in(s.mu), g = in(s.g), gm = in(s.grad_mu), gn = in(s.grad_nu), gu = in(s.grad_u);
  const T root = adam_sqrt(in(s.nu) / k.bc2 + k.eps_root);
  const T d = root + k.eps;
  const T total_m = gm + gu / (d * k.bc1);
  const T total_n = gn - gu * m / (d * d * root * k.two_bc1_bc2);
  static_cast<T*>(s.dg)[j] = k.c1 * total_m + k.two_c2 * g * total_n;
  static_cast<T*>(s.dmu)[j] = k.b1 * total_m;
  static_cast<T*>(s.dnu)[j] = k.b2 * total_n;
}

// Flat element i of the concatenated slots (AdamForwardSlot or AdamBackwardSlot): one element
// of that slot's forward or backward.
template <typename Slot>
struct AdamKernel {
  const Slot* slots;
  const int64_t* prefix;
  int64_t count;
  AdamCoef<float> kf;
  AdamCoef<double> kd;
  MG_HD void operator()(int64_t i) const {
    const int64_t s = find_slot(prefix, count, i);
    const Slot& slot = slots[s];
    if (slot.dtype == DType::Float32) {
      adam_element(slot, i - prefix[s], kf);
    } else {
      adam_element(slot, i - prefix[s], kd);
    }
  }
};

/// The prefix sums of the slots' sizes (count + 1 values), after the CPU backend's checks.
template <typename Slot>
std::vector<int64_t> adam_prefix(const Slot* slots, size_t count) {
  std::vector<int64_t> prefix(count + 1, 0);
  for (size_t i = 0; i < count; ++i) {
    MG_CHECK(is_floating(slots[i].dtype) && slots[i].numel >= 0,
             "fused adam: slot {} has dtype {} and {} elements; expected float32/float64 buffers",
             i, dtype_name(slots[i].dtype), slots[i].numel);
    prefix[i + 1] = prefix[i] + slots[i].numel;
  }
  return prefix;
}

}  // namespace kernels

namespace detail {

// One launch over every element of the slots (multi-tensor apply).
template <typename Executor, typename Slot>
void launch_adam(KernelBackend<Executor>& backend, const AdamCoefficients& k, const Slot* slots,
                 size_t count) {
  const std::vector<int64_t> prefix = kernels::adam_prefix(slots, count);
  const int64_t total = prefix.back();
  if (total == 0) return;
  ScratchBuffer device_slots = backend.upload(slots, count);
  ScratchBuffer device_prefix = backend.upload(prefix.data(), prefix.size());
  backend.executor().for_each(
      total,
      kernels::AdamKernel<Slot>{device_slots.as<const Slot>(), device_prefix.as<const int64_t>(),
                                static_cast<int64_t>(count), kernels::AdamCoef<float>::of(k),
                                kernels::AdamCoef<double>::of(k)});
}

}  // namespace detail

template <typename Executor>
void KernelBackend<Executor>::adam_forward(const AdamCoefficients& k, const AdamForwardSlot* slots,
                                           size_t count) {
  for (size_t i = 0; i < count; ++i) check_adam_param_slot(slots[i], i);
  detail::launch_adam(*this, k, slots, count);
}

template <typename Executor>
void KernelBackend<Executor>::adam_backward(const AdamCoefficients& k,
                                            const AdamBackwardSlot* slots, size_t count) {
  detail::launch_adam(*this, k, slots, count);
}

}  // namespace metagrad

#if !defined(__CUDACC__) && !defined(__clang__) && defined(__GNUC__)
#pragma GCC pop_options
#endif
