// The fused Adam kernels of the CPU backend (Note [fused adam] in engine/ops/fused_adam.cpp):
// vectorised blocks, the tensors of one call split into chunks over OpenMP threads.
#include <Eigen/Core>
#include <algorithm>
#include <cstdint>
#include <vector>

#include "engine/backend/cpu/cpu_backend.hpp"
#include "engine/backend/cpu/loop.hpp"
#include "engine/backend/view_checks.hpp"
#include "engine/error.hpp"

// Float64 results must be bit-identical to the unfused ops, which round after every operation.
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

namespace metagrad::cpu {
namespace {

// Elements per parallel job, and per block inside a job (the scratch buffer for the square root).
constexpr int64_t kChunk = 16384;
constexpr int64_t kBlock = 512;

// The step's scalars in the tensors' dtype (the unfused ops round each scalar to it the same way).
template <typename T>
struct Coef {
  T b1, c1, b2, c2, bc1, bc2, eps_root, eps, two_c2, two_bc1_bc2, param_scale;
  explicit Coef(const AdamCoefficients& s)
      : b1(static_cast<T>(s.b1)),
        c1(static_cast<T>(1.0 - s.b1)),
        b2(static_cast<T>(s.b2)),
        c2(static_cast<T>(1.0 - s.b2)),
        bc1(static_cast<T>(s.bc1)),
        bc2(static_cast<T>(s.bc2)),
        eps_root(static_cast<T>(s.eps_root)),
        eps(static_cast<T>(s.eps)),
        two_c2(static_cast<T>(2.0 * (1.0 - s.b2))),
        two_bc1_bc2(static_cast<T>(2.0 * s.bc1 * s.bc2)),
        param_scale(static_cast<T>(s.param_scale)) {}
};

// x = sqrt(x) over a block, vectorised through Eigen (std::sqrt in a plain loop is not, because
// of errno).
template <typename T>
void sqrt_block(T* x, int64_t n) {
  Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>> a(x, n);
  a = a.sqrt();
}

// The forward in place: mu and nu are overwritten; u is written into g, or, with a param p,
// p += u * param_scale (u rounded, then the product rounded, then the sum: scale and
// apply_updates' rounding) and g is only read.
template <typename T>
void forward_inplace(T* __restrict__ g, T* __restrict__ m, T* __restrict__ v, T* __restrict__ p,
                     int64_t n, const Coef<T>& k) {
  alignas(64) T root[kBlock];
  for (int64_t lo = 0; lo < n; lo += kBlock) {
    const int64_t len = std::min(kBlock, n - lo);
    T* __restrict__ gb = g + lo;
    T* __restrict__ mb = m + lo;
    T* __restrict__ vb = v + lo;
    for (int64_t i = 0; i < len; ++i) {
      const T gi = gb[i];
      const T mi = mb[i] * k.b1 + gi * k.c1;
      const T vi = vb[i] * k.b2 + gi * gi * k.c2;
      mb[i] = mi;
      vb[i] = vi;
      root[i] = vi / k.bc2 + k.eps_root;
    }
    sqrt_block(root, len);
    if (p != nullptr) {
      T* __restrict__ pb = p + lo;
      for (int64_t i = 0; i < len; ++i) {
        const T u = mb[i] / k.bc1 / (root[i] + k.eps);
        pb[i] = pb[i] + u * k.param_scale;
      }
    } else {
      for (int64_t i = 0; i < len; ++i) gb[i] = mb[i] / k.bc1 / (root[i] + k.eps);
    }
  }
}

// The forward into new buffers.
template <typename T>
void forward_out(const T* __restrict__ g, const T* __restrict__ m, const T* __restrict__ v,
                 T* __restrict__ mo, T* __restrict__ vo, T* __restrict__ uo, int64_t n,
                 const Coef<T>& k) {
  alignas(64) T root[kBlock];
  for (int64_t lo = 0; lo < n; lo += kBlock) {
    const int64_t len = std::min(kBlock, n - lo);
    for (int64_t i = 0; i < len; ++i) {
      const T gi = g[lo + i];
      const T mi = m[lo + i] * k.b1 + gi * k.c1;
      const T vi = v[lo + i] * k.b2 + gi * gi * k.c2;
      mo[lo + i] = mi;
      vo[lo + i] = vi;
      root[i] = vi / k.bc2 + k.eps_root;
    }
    sqrt_block(root, len);
    for (int64_t i = 0; i < len; ++i) uo[lo + i] = mo[lo + i] / k.bc1 / (root[i] + k.eps);
  }
}

// The first-order backward (Note [fused adam]) from the output gradients (gm, gn, gu) and the
// saved g, mu', nu'.
template <typename T>
void backward_out(const T* __restrict__ gm, const T* __restrict__ gn, const T* __restrict__ gu,
                  const T* __restrict__ g, const T* __restrict__ m, const T* __restrict__ v,
                  T* __restrict__ dg, T* __restrict__ dm, T* __restrict__ dv, int64_t n,
                  const Coef<T>& k) {
  alignas(64) T root[kBlock];
  for (int64_t lo = 0; lo < n; lo += kBlock) {
    const int64_t len = std::min(kBlock, n - lo);
    for (int64_t i = 0; i < len; ++i) root[i] = v[lo + i] / k.bc2 + k.eps_root;
    sqrt_block(root, len);
    for (int64_t i = 0; i < len; ++i) {
      const int64_t j = lo + i;
      const T s = root[i];
      const T d = s + k.eps;
      const T total_m = gm[j] + gu[j] / (d * k.bc1);
      const T total_n = gn[j] - gu[j] * m[j] / (d * d * s * k.two_bc1_bc2);
      dg[j] = k.c1 * total_m + k.two_c2 * g[j] * total_n;
      dm[j] = k.b1 * total_m;
      dv[j] = k.b2 * total_n;
    }
  }
}

template <typename T>
void forward_slot(const AdamForwardSlot& s, int64_t b, int64_t n, const Coef<T>& k) {
  if (s.param != nullptr) {  // the step applied to param (mu and nu in place, g only read)
    forward_inplace(const_cast<T*>(static_cast<const T*>(s.g)) + b, static_cast<T*>(s.mu_out) + b,
                    static_cast<T*>(s.nu_out) + b, static_cast<T*>(s.param) + b, n, k);
  } else if (s.u_out == s.g) {  // in place (AdamForwardSlot: all three outputs alias their inputs)
    forward_inplace(static_cast<T*>(s.u_out) + b, static_cast<T*>(s.mu_out) + b,
                    static_cast<T*>(s.nu_out) + b, static_cast<T*>(nullptr), n, k);
  } else {
    forward_out(static_cast<const T*>(s.g) + b, static_cast<const T*>(s.mu) + b,
                static_cast<const T*>(s.nu) + b, static_cast<T*>(s.mu_out) + b,
                static_cast<T*>(s.nu_out) + b, static_cast<T*>(s.u_out) + b, n, k);
  }
}

template <typename T>
void backward_slot(const AdamBackwardSlot& s, int64_t b, int64_t n, const Coef<T>& k) {
  auto in = [b](const void* p) { return static_cast<const T*>(p) + b; };
  auto out = [b](void* p) { return static_cast<T*>(p) + b; };
  backward_out(in(s.grad_mu), in(s.grad_nu), in(s.grad_u), in(s.g), in(s.mu), in(s.nu), out(s.dg),
               out(s.dmu), out(s.dnu), n, k);
}

// Runs run(slot, begin, count) over chunks of every slot, split among OpenMP threads when the
// call is large enough.
template <typename Slot, typename F>
void for_each_chunk(const Slot* slots, size_t count, const F& run) {
  struct Job {
    size_t slot;
    int64_t begin, end;
  };
  std::vector<Job> jobs;
  int64_t total = 0;
  for (size_t i = 0; i < count; ++i) {
    MG_CHECK(is_floating(slots[i].dtype) && slots[i].numel >= 0,
             "fused adam: slot {} has dtype {} and {} elements; expected float32/float64 buffers",
             i, dtype_name(slots[i].dtype), slots[i].numel);
    for (int64_t lo = 0; lo < slots[i].numel; lo += kChunk)
      jobs.push_back({i, lo, std::min(lo + kChunk, slots[i].numel)});
    total += slots[i].numel;
  }
  const auto jobs_count = static_cast<int64_t>(jobs.size());
  if (total < kParallelThreshold || jobs_count < 2) {
    for (const Job& job : jobs) run(slots[job.slot], job.begin, job.end - job.begin);
    return;
  }
#pragma omp parallel for schedule(static)
  for (int64_t j = 0; j < jobs_count; ++j) {
    const Job& job = jobs[static_cast<size_t>(j)];
    run(slots[job.slot], job.begin, job.end - job.begin);
  }
}

}  // namespace

void CpuBackend::adam_forward(const AdamCoefficients& k, const AdamForwardSlot* slots,
                              size_t count) {
  const Coef<float> kf(k);
  const Coef<double> kd(k);
  for (size_t i = 0; i < count; ++i) check_adam_param_slot(slots[i], i);
  for_each_chunk(slots, count, [&](const AdamForwardSlot& s, int64_t b, int64_t n) {
    if (s.dtype == DType::Float32) {
      forward_slot(s, b, n, kf);
    } else {
      forward_slot(s, b, n, kd);
    }
  });
}

void CpuBackend::adam_backward(const AdamCoefficients& k, const AdamBackwardSlot* slots,
                               size_t count) {
  const Coef<float> kf(k);
  const Coef<double> kd(k);
  for_each_chunk(slots, count, [&](const AdamBackwardSlot& s, int64_t b, int64_t n) {
    if (s.dtype == DType::Float32) {
      backward_slot(s, b, n, kf);
    } else {
      backward_slot(s, b, n, kd);
    }
  });
}

}  // namespace metagrad::cpu
