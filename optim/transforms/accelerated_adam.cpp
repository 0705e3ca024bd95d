// scale_by_accelerated_adam's fused step (TorchOpt's accelerated AdamOp): CPU kernels for the
// forward and the first-order backward, the two custom ops that record them, and the in-place
// driver. See Note [fused adam].
#include <Eigen/Core>
#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "engine/autograd/custom_function.hpp"
#include "engine/grad_mode.hpp"
#include "engine/ops.hpp"
#include "optim/transforms/adam_step.hpp"

// Note [fused adam]
// Forward, per element (float64: bit-identical to scale_by_adam, same operations in the same
// order, no FMA contraction; float32: Eigen's vectorised sqrt, as the unfused sqrt op uses):
//   mu' = mu b1 + g (1 - b1),  nu' = nu b2 + (g g)(1 - b2),
//   s = sqrt(nu' / bc2 + eps_root),  d = s + eps,  u = (mu' / bc1) / d.
// First-order backward (exact for every eps and eps_root: s and d are kept apart, unlike
// TorchOpt's, which rebuilds d from u and is exact only for eps = 0):
//   Gm = G_mu' + G_u / (bc1 d),  Gn = G_nu' - G_u mu' / (2 bc1 bc2 d^2 s),
//   dg = (1 - b1) Gm + 2 (1 - b2) g Gn,  dmu = b1 Gm,  dnu = b2 Gn.
// It is itself an op (AcceleratedAdamGrad) with a fused kernel whose backward is written in
// public differentiable ops (DESIGN §3), so derivatives of every order exist.
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

namespace metagrad {
namespace optim_detail {
namespace {

constexpr const char* kWho = "scale_by_accelerated_adam";
// Elements per parallel job, and per block inside a job (the scratch buffer for the square root).
constexpr int64_t kChunk = 16384;
constexpr int64_t kBlock = 512;
// Below this many elements in one call, the kernels run on the calling thread only.
constexpr int64_t kParallelThreshold = 32768;

// The step's scalars in the tensors' dtype (the unfused ops round each scalar to it the same way).
template <typename T>
struct Coef {
  T b1, c1, b2, c2, bc1, bc2, eps_root, eps, two_c2, two_bc1_bc2;
  explicit Coef(const AdamStep& s)
      : b1(static_cast<T>(s.b1)),
        c1(static_cast<T>(1.0 - s.b1)),
        b2(static_cast<T>(s.b2)),
        c2(static_cast<T>(1.0 - s.b2)),
        bc1(static_cast<T>(s.bc1)),
        bc2(static_cast<T>(s.bc2)),
        eps_root(static_cast<T>(s.eps_root)),
        eps(static_cast<T>(s.eps)),
        two_c2(static_cast<T>(2.0 * (1.0 - s.b2))),
        two_bc1_bc2(static_cast<T>(2.0 * s.bc1 * s.bc2)) {}
};

// x = sqrt(x) over a block, vectorised through Eigen (std::sqrt in a plain loop is not, because
// of errno).
template <typename T>
void sqrt_block(T* x, int64_t n) {
  Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>> a(x, n);
  a = a.sqrt();
}

// The forward in place: mu and nu are overwritten, u is written into g.
template <typename T>
void forward_inplace(T* __restrict__ g, T* __restrict__ m, T* __restrict__ v, int64_t n,
                     const Coef<T>& k) {
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
    for (int64_t i = 0; i < len; ++i) gb[i] = mb[i] / k.bc1 / (root[i] + k.eps);
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

// One contiguous range [begin, end) of tensor `item` of a parallel call.
struct Job {
  size_t item;
  int64_t begin, end;
};

// Runs run(job) over chunks of every tensor (numels[i] elements each), split among OpenMP threads
// when the call is large enough.
template <typename F>
void for_each_chunk(const std::vector<int64_t>& numels, const F& run) {
  std::vector<Job> jobs;
  int64_t total = 0;
  for (size_t i = 0; i < numels.size(); ++i) {
    for (int64_t lo = 0; lo < numels[i]; lo += kChunk)
      jobs.push_back({i, lo, std::min(lo + kChunk, numels[i])});
    total += numels[i];
  }
  const auto count = static_cast<int64_t>(jobs.size());
  if (total < kParallelThreshold || count < 2) {
    for (const Job& job : jobs) run(job);
    return;
  }
#pragma omp parallel for schedule(static)
  for (int64_t j = 0; j < count; ++j) run(jobs[static_cast<size_t>(j)]);
}

// Base pointers are taken before a parallel region: data_ptr checks the dtype and could throw,
// which must not happen inside one.
template <typename T>
void forward_typed(const TensorList& in, const TensorList& out, const AdamStep& step) {
  const T *g = in[0].data_ptr<T>(), *m = in[1].data_ptr<T>(), *v = in[2].data_ptr<T>();
  T *mo = out[0].data_ptr<T>(), *vo = out[1].data_ptr<T>(), *uo = out[2].data_ptr<T>();
  const Coef<T> k(step);
  for_each_chunk({in[0].numel()}, [&](const Job& job) {
    const int64_t b = job.begin;
    forward_out(g + b, m + b, v + b, mo + b, vo + b, uo + b, job.end - b, k);
  });
}

template <typename T>
void backward_typed(const TensorList& in, const TensorList& out, const AdamStep& step) {
  const T *gm = in[0].data_ptr<T>(), *gn = in[1].data_ptr<T>(), *gu = in[2].data_ptr<T>();
  const T *g = in[3].data_ptr<T>(), *m = in[4].data_ptr<T>(), *v = in[5].data_ptr<T>();
  T *dg = out[0].data_ptr<T>(), *dm = out[1].data_ptr<T>(), *dv = out[2].data_ptr<T>();
  const Coef<T> k(step);
  for_each_chunk({in[0].numel()}, [&](const Job& job) {
    const int64_t b = job.begin;
    backward_out(gm + b, gn + b, gu + b, g + b, m + b, v + b, dg + b, dm + b, dv + b, job.end - b,
                 k);
  });
}

// Three new contiguous tensors shaped like t.
TensorList three_like(const Tensor& t) {
  TensorList out;
  for (int k = 0; k < 3; ++k) out.push_back(make_empty(t.shape(), t.dtype(), t.device()));
  return out;
}

// new_mu, new_nu, u from contiguous (g, mu, nu).
TensorList forward_kernel(const TensorList& in, const AdamStep& step) {
  TensorList out = three_like(in[0]);
  if (in[0].dtype() == kFloat32) {
    forward_typed<float>(in, out, step);
  } else {
    forward_typed<double>(in, out, step);
  }
  return out;
}

// dg, dmu, dnu from contiguous (gm, gn, gu, g, mu', nu').
TensorList backward_kernel(const TensorList& in, const AdamStep& step) {
  TensorList out = three_like(in[0]);
  if (in[0].dtype() == kFloat32) {
    backward_typed<float>(in, out, step);
  } else {
    backward_typed<double>(in, out, step);
  }
  return out;
}

TensorList contiguous_all(const TensorList& in) {
  TensorList out;
  out.reserve(in.size());
  for (const Tensor& t : in) out.push_back(t.contiguous());
  return out;
}

// The first-order backward as an op: (G_mu', G_nu', G_u, g, mu', nu') -> (dg, dmu, dnu).
class AcceleratedAdamGrad final : public CustomFunction {
 public:
  explicit AcceleratedAdamGrad(const AdamStep& step) : step_(step) {}
  std::string name() const override { return "AcceleratedAdamGrad"; }

  TensorList forward(CustomFunctionContext& ctx, const TensorList& in) override {
    ctx.save_for_backward(in);
    return backward_kernel(contiguous_all(in), step_);
  }

  // With Pm = (1-b1) Hg + b1 Hmu, Pn = 2(1-b2) g Hg + b2 Hnu, A = 1/(bc1 d),
  // C = 1/(2 bc1 bc2 d^2 s), s' = ds/dnu' = 1/(2 bc2 s):
  // dG_mu' = Pm, dG_nu' = Pn, dG_u = Pm A - Pn mu' C, dg = 2(1-b2) Gn Hg, dmu' = -Pn G_u C,
  // dnu' = G_u C (Pn mu' s' (2/d + 1/s) - Pm).
  TensorList backward(CustomFunctionContext& ctx, const TensorList& h) override {
    const TensorList in = ctx.saved_tensors();
    const Tensor &gn = in[1], &gu = in[2], &g = in[3], &m = in[4], &v = in[5];
    const double c1 = 1.0 - step_.b1, c2 = 1.0 - step_.b2;
    const Tensor s = sqrt(v / step_.bc2 + step_.eps_root);
    const Tensor d = s + step_.eps;
    const Tensor a = 1.0 / (d * step_.bc1);
    const Tensor c = 1.0 / (d * d * s * (2.0 * step_.bc1 * step_.bc2));
    const Tensor pm = h[0] * c1 + h[1] * step_.b1;
    const Tensor pn = g * h[0] * (2.0 * c2) + h[2] * step_.b2;
    TensorList out(6);
    if (ctx.needs_input_grad(0)) out[0] = pm;
    if (ctx.needs_input_grad(1)) out[1] = pn;
    if (ctx.needs_input_grad(2)) out[2] = pm * a - pn * m * c;
    if (ctx.needs_input_grad(3)) out[3] = (gn - gu * m * c) * h[0] * (2.0 * c2);
    if (ctx.needs_input_grad(4)) out[4] = -(pn * gu * c);
    if (ctx.needs_input_grad(5)) {
      const Tensor ds = 1.0 / (s * (2.0 * step_.bc2));
      out[5] = gu * c * (pn * m * ds * (2.0 / d + 1.0 / s) - pm);
    }
    return out;
  }

 private:
  AdamStep step_;
};

// The fused step as an op: (g, mu, nu) -> (mu', nu', u), backward through AcceleratedAdamGrad.
class AcceleratedAdam final : public CustomFunction {
 public:
  explicit AcceleratedAdam(const AdamStep& step) : step_(step) {}
  std::string name() const override { return "AcceleratedAdam"; }

  TensorList forward(CustomFunctionContext& ctx, const TensorList& in) override {
    TensorList out = forward_kernel(contiguous_all(in), step_);
    ctx.save_for_backward({in[0], out[0], out[1]});
    return out;
  }

  // (dg, dmu, dnu) = AcceleratedAdamGrad(G_mu', G_nu', G_u, g, mu', nu') (Note [fused adam]).
  TensorList backward(CustomFunctionContext& ctx, const TensorList& grads) override {
    const TensorList saved = ctx.saved_tensors();
    TensorList d = CustomFunction::apply<AcceleratedAdamGrad>(
        {grads[0], grads[1], grads[2], saved[0], saved[1], saved[2]}, step_);
    for (size_t i = 0; i < d.size(); ++i)
      if (!ctx.needs_input_grad(i)) d[i] = Tensor();
    return d;
  }

 private:
  AdamStep step_;
};

// Throws unless update i and its moments agree in shape, dtype (a float one) and device.
void check_operands(size_t i, const Tensor& g, const Tensor& mu, const Tensor& nu) {
  MG_CHECK(mu.defined() && nu.defined(),
           "{}: the state has no moments for update {}; the state must come from init() with the "
           "same parameters",
           kWho, i);
  MG_CHECK(g.shape() == mu.shape() && g.shape() == nu.shape(),
           "{}: update {} has shape {} but its moments mu and nu have shapes {} and {}; the state "
           "must come from init() with the same parameters",
           kWho, i, shape_str(g.shape()), shape_str(mu.shape()), shape_str(nu.shape()));
  MG_CHECK(is_floating(g.dtype()) && g.dtype() == mu.dtype() && g.dtype() == nu.dtype(),
           "{}: update {} has dtype {} but its moments mu and nu have dtypes {} and {}; all three "
           "must be the same float dtype (convert the updates or re-init the state)",
           kWho, i, dtype_name(g.dtype()), dtype_name(mu.dtype()), dtype_name(nu.dtype()));
  MG_CHECK(g.device() == mu.device() && g.device() == nu.device(),
           "{}: update {} is on {} but its moments mu and nu are on {} and {}; move them to one "
           "device",
           kWho, i, g.device().str(), mu.device().str(), nu.device().str());
}

// One fused pass over every listed tensor, in place: mu[i], nu[i] and (u) updates[i].
void run_inplace(const TensorList& updates, TensorList& mu, TensorList& nu,
                 const std::vector<size_t>& items, const AdamStep& step) {
  struct Item {
    void *g, *m, *v;
    bool single;
  };
  std::vector<Item> ptrs;
  std::vector<int64_t> numels;
  for (const size_t i : items) {
    ptrs.push_back({updates[i].raw_data(), mu[i].raw_data(), nu[i].raw_data(),
                    updates[i].dtype() == kFloat32});
    numels.push_back(updates[i].numel());
  }
  const Coef<float> cf(step);
  const Coef<double> cd(step);
  for_each_chunk(numels, [&](const Job& job) {
    const Item& it = ptrs[job.item];
    const int64_t b = job.begin, n = job.end - job.begin;
    if (it.single) {
      forward_inplace(static_cast<float*>(it.g) + b, static_cast<float*>(it.m) + b,
                      static_cast<float*>(it.v) + b, n, cf);
    } else {
      forward_inplace(static_cast<double*>(it.g) + b, static_cast<double*>(it.m) + b,
                      static_cast<double*>(it.v) + b, n, cd);
    }
  });
  for (const size_t i : items) {
    updates[i].storage()->bump_version();
    mu[i].storage()->bump_version();
    nu[i].storage()->bump_version();
  }
}

}  // namespace

TensorList adam_step_fused(const TensorList& updates, TensorList& mu, TensorList& nu,
                           const AdamStep& step, bool inplace) {
  TensorList out(updates.size());
  std::vector<size_t> candidates;  // in place without recording
  for (size_t i = 0; i < updates.size(); ++i) {
    const Tensor& g = updates[i];
    if (!g.defined()) continue;
    check_operands(i, g, mu[i], nu[i]);
    if (!g.device().is_cpu()) {
      out[i] = adam_step_unfused(g, mu[i], nu[i], step, inplace);
    } else if (!inplace) {
      TensorList r = CustomFunction::apply<AcceleratedAdam>({g, mu[i], nu[i]}, step);
      mu[i] = r[0];
      nu[i] = r[1];
      out[i] = r[2];
    } else if (needs_grad({&g, &mu[i], &nu[i]})) {
      out[i] = adam_step_unfused(g, mu[i], nu[i], step, true);
    } else {
      candidates.push_back(i);
    }
  }
  if (candidates.empty()) return out;

  // Tensors written in place by the shared pass must own their storage within this call.
  std::unordered_map<const Storage*, int> uses;
  for (const size_t i : candidates)
    for (const Tensor* t : {&updates[i], &std::as_const(mu)[i], &std::as_const(nu)[i]})
      ++uses[t->storage().get()];
  std::vector<size_t> direct, copied;
  for (const size_t i : candidates) {
    bool ok = true;
    for (const Tensor* t : {&updates[i], &std::as_const(mu)[i], &std::as_const(nu)[i]})
      ok = ok && t->is_contiguous() && uses[t->storage().get()] == 1;
    (ok ? direct : copied).push_back(i);
  }
  run_inplace(updates, mu, nu, direct, step);
  for (const size_t i : direct) out[i] = updates[i];
  // The rest: the fused kernel into new buffers, then written back into mu and nu in order.
  for (const size_t i : copied) {
    const TensorList r = forward_kernel(contiguous_all({updates[i], mu[i], nu[i]}), step);
    mu[i].copy_(r[0]);
    nu[i].copy_(r[1]);
    out[i] = r[2];
  }
  return out;
}

}  // namespace optim_detail
}  // namespace metagrad
