#pragma once

// KernelBackend::adam_forward and ::adam_backward (Note [fused adam] in engine/ops/fused_adam.cpp):
// multi-tensor apply, one launch for every slot of one dtype in a call (Note [adam chunks]). The
// arithmetic is cpu_adam.cpp's, operation for operation, without FMA contraction (the .cu is
// compiled with --fmad=false; the host emulation by the pragma below), so float64 results are
// bit-identical to the CPU backend's and to the unfused ops. A slot with a param applies the step
// to it in the same launch (AdamForwardSlot).
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

// Note [adam chunks]
// The Adam step is memory-bound (28 bytes per float32 element with a param), so the kernel's
// only job is to keep enough bytes in flight. The host cuts every slot into chunks of
// kAdamChunkElements and uploads one AdamChunk (slot, chunk index within the slot) per chunk;
// thread u of the launch takes quad u % kAdamQuadsPerChunk (4 consecutive elements) of chunk
// u / kAdamQuadsPerChunk: one table read finds its slot (no per-element search), and each thread
// reads 4 elements of every operand at once, with 16-byte loads where the slot's buffers are
// 16-byte aligned (the caching allocator's blocks are; a view at an odd offset takes the scalar
// path). A chunk's unused tail quads return at once. Slots of the two float dtypes go to two
// launches, each compiled for its one type, so neither pays the other's registers.

namespace metagrad {
namespace kernels {

/// Elements per chunk of the multi-tensor apply (a power of two, a multiple of 4).
inline constexpr int kAdamChunkShift = 14;
inline constexpr int64_t kAdamChunkElements = int64_t{1} << kAdamChunkShift;
/// Elements each thread updates (one 16-byte float32 vector, two float64 ones).
inline constexpr int kAdamLanes = 4;
inline constexpr int64_t kAdamQuadsPerChunk = kAdamChunkElements / kAdamLanes;

/// One chunk of a launch: its slot and its index within that slot.
struct AdamChunk {
  int32_t slot = 0;
  int32_t index = 0;
};

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

/// Up to 4 consecutive elements of one operand, from element j of its buffer: `count` of them, or
/// all 4 as one 16-byte (float32) or two 16-byte (float64) accesses when `vector` (the buffer is
/// 16-byte aligned and count is 4).
template <typename T>
struct Lanes {
  T v[kAdamLanes];

  MG_HD void load(const void* buffer, int64_t j, int count, bool vector) {
    const T* p = static_cast<const T*>(buffer) + j;
#if defined(__CUDA_ARCH__)
    if (vector) {
      if constexpr (sizeof(T) == 4) {
        const float4 x = *reinterpret_cast<const float4*>(p);
        v[0] = x.x, v[1] = x.y, v[2] = x.z, v[3] = x.w;
      } else {
        const double2 a = reinterpret_cast<const double2*>(p)[0];
        const double2 b = reinterpret_cast<const double2*>(p)[1];
        v[0] = a.x, v[1] = a.y, v[2] = b.x, v[3] = b.y;
      }
      return;
    }
#endif
    (void)vector;
    for (int e = 0; e < kAdamLanes; ++e)
      if (e < count) v[e] = p[e];
  }
  MG_HD void store(void* buffer, int64_t j, int count, bool vector) const {
    T* p = static_cast<T*>(buffer) + j;
#if defined(__CUDA_ARCH__)
    if (vector) {
      if constexpr (sizeof(T) == 4) {
        *reinterpret_cast<float4*>(p) = make_float4(v[0], v[1], v[2], v[3]);
      } else {
        reinterpret_cast<double2*>(p)[0] = make_double2(v[0], v[1]);
        reinterpret_cast<double2*>(p)[1] = make_double2(v[2], v[3]);
      }
      return;
    }
#endif
    (void)vector;
    for (int e = 0; e < kAdamLanes; ++e)
      if (e < count) p[e] = v[e];
  }
};

/// Elements [j, j + count) of one forward slot. Reads every input before writing (in-place slots
/// alias them). With a param, param += u * param_scale (rounded as scale then apply_updates) and
/// u is not stored.
template <typename T>
MG_HD inline void adam_lanes(const AdamForwardSlot& s, int64_t j, int count, bool vector,
                             const AdamCoef<T>& k) {
  Lanes<T> g, m, v, out;
  g.load(s.g, j, count, vector);
  m.load(s.mu, j, count, vector);
  v.load(s.nu, j, count, vector);
  if (s.param != nullptr) out.load(s.param, j, count, vector);
  for (int e = 0; e < kAdamLanes; ++e) {
    if (e >= count) break;
    const T gi = g.v[e];
    const T mi = m.v[e] * k.b1 + gi * k.c1;
    const T vi = v.v[e] * k.b2 + gi * gi * k.c2;
    const T root = adam_sqrt(vi / k.bc2 + k.eps_root);
    const T u = mi / k.bc1 / (root + k.eps);
    m.v[e] = mi;
    v.v[e] = vi;
    if (s.param != nullptr) {
      const T step = u * k.param_scale;
      out.v[e] = out.v[e] + step;
    } else {
      out.v[e] = u;
    }
  }
  m.store(s.mu_out, j, count, vector);
  v.store(s.nu_out, j, count, vector);
  out.store(s.param != nullptr ? s.param : s.u_out, j, count, vector);
}

/// Elements [j, j + count) of one backward slot (Note [fused adam]).
template <typename T>
MG_HD inline void adam_lanes(const AdamBackwardSlot& s, int64_t j, int count, bool vector,
                             const AdamCoef<T>& k) {
  Lanes<T> m, g, gm, gn, gu, nu;
  m.load(s.mu, j, count, vector);
  g.load(s.g, j, count, vector);
  gm.load(s.grad_mu, j, count, vector);
  gn.load(s.grad_nu, j, count, vector);
  gu.load(s.grad_u, j, count, vector);
  nu.load(s.nu, j, count, vector);
  Lanes<T> dg, dmu, dnu;
  for (int e = 0; e < kAdamLanes; ++e) {
    if (e >= count) break;
    const T root = adam_sqrt(nu.v[e] / k.bc2 + k.eps_root);
    const T d = root + k.eps;
    const T total_m = gm.v[e] + gu.v[e] / (d * k.bc1);
    const T total_n = gn.v[e] - gu.v[e] * m.v[e] / (d * d * root * k.two_bc1_bc2);
    dg.v[e] = k.c1 * total_m + k.two_c2 * g.v[e] * total_n;
    dmu.v[e] = k.b1 * total_m;
    dnu.v[e] = k.b2 * total_n;
  }
  dg.store(s.dg, j, count, vector);
  dmu.store(s.dmu, j, count, vector);
  dnu.store(s.dnu, j, count, vector);
}

/// True when every buffer of the slot is 16-byte aligned (its quads can move as vectors).
inline bool aligned16(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }
inline bool vector_aligned(const AdamForwardSlot& s) {
  return aligned16(s.g) && aligned16(s.mu) && aligned16(s.nu) && aligned16(s.mu_out) &&
         aligned16(s.nu_out) && aligned16(s.param != nullptr ? s.param : s.u_out);
}
inline bool vector_aligned(const AdamBackwardSlot& s) {
  return aligned16(s.grad_mu) && aligned16(s.grad_nu) && aligned16(s.grad_u) && aligned16(s.g) &&
         aligned16(s.mu) && aligned16(s.nu) && aligned16(s.dg) && aligned16(s.dmu) &&
         aligned16(s.dnu);
}

/// A slot as the kernel sees it: the host's slot and whether its quads move as vectors.
template <typename Slot>
struct AdamLaunchSlot {
  Slot slot;
  bool vector = false;
};

// Quad u of the chunks (Note [adam chunks]): elements [4q, 4q + 4) of chunk u / quads-per-chunk,
// clipped to its slot.
template <typename Slot, typename T>
struct AdamKernel {
  const AdamLaunchSlot<Slot>* slots;
  const AdamChunk* chunks;
  AdamCoef<T> k;
  MG_HD void operator()(int64_t u) const {
    const AdamChunk chunk = chunks[u / kAdamQuadsPerChunk];
    const AdamLaunchSlot<Slot>& s = slots[chunk.slot];
    const int64_t j = (static_cast<int64_t>(chunk.index) << kAdamChunkShift) +
                      (u % kAdamQuadsPerChunk) * kAdamLanes;
    const int64_t left = s.slot.numel - j;
    if (left <= 0) return;
    const int count = left < kAdamLanes ? static_cast<int>(left) : kAdamLanes;
    adam_lanes(s.slot, j, count, s.vector && count == kAdamLanes, k);
  }
};

/// Throws the CPU backend's message unless every slot holds float32/float64 buffers.
template <typename Slot>
void check_adam_dtypes(const Slot* slots, size_t count) {
  for (size_t i = 0; i < count; ++i)
    MG_CHECK(is_floating(slots[i].dtype) && slots[i].numel >= 0,
             "fused adam: slot {} has dtype {} and {} elements; expected float32/float64 buffers",
             i, dtype_name(slots[i].dtype), slots[i].numel);
}

}  // namespace kernels

namespace detail {

// One launch over every element of the slots of dtype T (multi-tensor apply, Note [adam chunks]).
template <typename T, typename Executor, typename Slot>
void launch_adam_dtype(KernelBackend<Executor>& backend, const AdamCoefficients& k,
                       const Slot* slots, size_t count) {
  std::vector<kernels::AdamLaunchSlot<Slot>> launch_slots;
  std::vector<kernels::AdamChunk> chunks;
  for (size_t i = 0; i < count; ++i) {
    if (slots[i].dtype != dtype_of<T>() || slots[i].numel == 0) continue;
    const int64_t slot_chunks =
        (slots[i].numel + kernels::kAdamChunkElements - 1) / kernels::kAdamChunkElements;
    MG_CHECK(slot_chunks <= INT32_MAX && launch_slots.size() < INT32_MAX,
             "fused adam (CUDA): slot {} of {} elements exceeds the launch's chunk table", i,
             slots[i].numel);
    const auto at = static_cast<int32_t>(launch_slots.size());
    launch_slots.push_back({slots[i], kernels::vector_aligned(slots[i])});
    for (int64_t c = 0; c < slot_chunks; ++c) chunks.push_back({at, static_cast<int32_t>(c)});
  }
  if (chunks.empty()) return;
  ScratchBuffer device_slots = backend.upload(launch_slots.data(), launch_slots.size());
  ScratchBuffer device_chunks = backend.upload(chunks.data(), chunks.size());
  backend.executor().for_each(
      static_cast<int64_t>(chunks.size()) * kernels::kAdamQuadsPerChunk,
      kernels::AdamKernel<Slot, T>{device_slots.as<const kernels::AdamLaunchSlot<Slot>>(),
                                   device_chunks.as<const kernels::AdamChunk>(),
                                   kernels::AdamCoef<T>::of(k)});
}

template <typename Executor, typename Slot>
void launch_adam(KernelBackend<Executor>& backend, const AdamCoefficients& k, const Slot* slots,
                 size_t count) {
  kernels::check_adam_dtypes(slots, count);
  launch_adam_dtype<float>(backend, k, slots, count);
  launch_adam_dtype<double>(backend, k, slots, count);
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
