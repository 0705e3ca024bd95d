#include "engine/ops/fused_adam.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "engine/autograd/custom_function.hpp"
#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"

// Note [fused adam]
// Forward, per element (float64: bit-identical to scale_by_adam, same operations in the same
// order, no FMA contraction; float32: the sqrt the backend's unfused sqrt op uses — Eigen's
// vectorised one on the CPU, which may differ from the correctly rounded CUDA sqrtf by an ulp):
//   mu' = mu b1 + g (1 - b1),  nu' = nu b2 + (g g)(1 - b2),
//   s = sqrt(nu' / bc2 + eps_root),  d = s + eps,  u = (mu' / bc1) / d.
// First-order backward (exact for every eps and eps_root: s and d are kept apart, unlike
// TorchOpt's, which rebuilds d from u and is exact only for eps = 0):
//   Gm = G_mu' + G_u / (bc1 d),  Gn = G_nu' - G_u mu' / (2 bc1 bc2 d^2 s),
//   dg = (1 - b1) Gm + 2 (1 - b2) g Gn,  dmu = b1 Gm,  dnu = b2 Gn.
// It is itself an op (AcceleratedAdamGrad) with a fused kernel whose backward is written in
// public differentiable ops (DESIGN §3), so derivatives of every order exist.
namespace metagrad {
namespace {

// Three new contiguous tensors shaped like t.
TensorList three_like(const Tensor& t) {
  TensorList out;
  for (int k = 0; k < 3; ++k) out.push_back(make_empty(t.shape(), t.dtype(), t.device()));
  return out;
}

// One forward slot per index of (g, mu, nu) into (mu_out, nu_out, u_out).
AdamForwardSlot forward_slot(const Tensor& g, const Tensor& mu, const Tensor& nu,
                             const Tensor& mu_out, const Tensor& nu_out, const Tensor& u_out) {
  return {g.dtype(),     g.numel(),         g.raw_data(),      mu.raw_data(),
          nu.raw_data(), mu_out.raw_data(), nu_out.raw_data(), u_out.raw_data()};
}

// new_mu, new_nu, u from contiguous (g, mu, nu).
TensorList forward_kernel(const TensorList& in, const AdamCoefficients& k) {
  TensorList out = three_like(in[0]);
  const AdamForwardSlot slot = forward_slot(in[0], in[1], in[2], out[0], out[1], out[2]);
  detail::backend_of(in[0]).adam_forward(k, &slot, 1);
  return out;
}

// dg, dmu, dnu from contiguous (gm, gn, gu, g, mu', nu').
TensorList backward_kernel(const TensorList& in, const AdamCoefficients& k) {
  TensorList out = three_like(in[0]);
  const AdamBackwardSlot slot{in[0].dtype(),     in[0].numel(),    in[0].raw_data(),
                              in[1].raw_data(),  in[2].raw_data(), in[3].raw_data(),
                              in[4].raw_data(),  in[5].raw_data(), out[0].raw_data(),
                              out[1].raw_data(), out[2].raw_data()};
  detail::backend_of(in[0]).adam_backward(k, &slot, 1);
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
  explicit AcceleratedAdamGrad(const AdamCoefficients& k) : step_(k) {}
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
  AdamCoefficients step_;
};

// The fused step as an op: (g, mu, nu) -> (mu', nu', u), backward through AcceleratedAdamGrad.
class AcceleratedAdam final : public CustomFunction {
 public:
  explicit AcceleratedAdam(const AdamCoefficients& k) : step_(k) {}
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
  AdamCoefficients step_;
};

}  // namespace

TensorList fused_adam(const Tensor& g, const Tensor& mu, const Tensor& nu,
                      const AdamCoefficients& k) {
  return CustomFunction::apply<AcceleratedAdam>({g, mu, nu}, k);
}

namespace {

// One backend call per device, in the order the devices first appear; slots with a param when
// `param` is given.
void fused_adam_inplace(const TensorList* param, const TensorList& g, const TensorList& mu,
                        const TensorList& nu, const AdamCoefficients& k) {
  std::vector<Device> devices;
  for (const Tensor& t : g)
    if (std::find(devices.begin(), devices.end(), t.device()) == devices.end())
      devices.push_back(t.device());
  for (const Device device : devices) {
    std::vector<AdamForwardSlot> slots;
    for (size_t i = 0; i < g.size(); ++i) {
      if (g[i].device() != device) continue;
      AdamForwardSlot slot = forward_slot(g[i], mu[i], nu[i], mu[i], nu[i], g[i]);
      if (param != nullptr) {
        slot.u_out = nullptr;
        slot.param = (*param)[i].raw_data();
      }
      slots.push_back(slot);
    }
    backend_for(device).adam_forward(k, slots.data(), slots.size());
  }
  for (size_t i = 0; i < g.size(); ++i) {
    (param != nullptr ? (*param)[i] : g[i]).storage()->bump_version();
    mu[i].storage()->bump_version();
    nu[i].storage()->bump_version();
  }
}

}  // namespace

void fused_adam_(const TensorList& g, const TensorList& mu, const TensorList& nu,
                 const AdamCoefficients& k) {
  fused_adam_inplace(nullptr, g, mu, nu, k);
}

void fused_adam_apply_(const TensorList& param, const TensorList& g, const TensorList& mu,
                       const TensorList& nu, const AdamCoefficients& k) {
  fused_adam_inplace(&param, g, mu, nu, k);
}

}  // namespace metagrad
