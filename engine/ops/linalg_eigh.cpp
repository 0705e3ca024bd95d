#include "engine/autograd/custom_function.hpp"
#include "engine/error.hpp"
#include "engine/ops.hpp"
#include "engine/ops/dense_linalg.hpp"
#include "engine/ops/linalg_support.hpp"

// eigh and eigvalsh: one custom function over the backend's symmetric eigensolver, whose backward
// is matmuls of the saved eigenvectors (so it differentiates again).
namespace metagrad::linalg {
namespace {

using detail::mT;

// w, V with A = V diag(w) Vᵀ, reading A's lower triangle.
TensorList eigh_lower(const Tensor& A) {
  return custom_function(
      "LinalgEigh", {A},
      [](CustomFunctionContext& ctx, const TensorList& in) {
        const int64_t n = in[0].size(-1);
        const detail::Factorization eigen = detail::factorize(
            Decomposition::SymmetricEigen, in[0], {{n}, {n, n}}, {in[0].dtype(), in[0].dtype()});
        const int64_t failed = detail::first_failure(eigen.info);
        MG_CHECK(failed < 0,
                 "linalg::eigh: the eigenvalue iteration did not converge for the input{} of shape "
                 "{} (it has a non-finite entry, or is badly scaled); check it for NaN or inf",
                 detail::batch_element(detail::batch_shape(in[0]), failed),
                 shape_str(in[0].shape()));
        ctx.save_for_backward(eigen.factors);
        return eigen.factors;
      },
      [](CustomFunctionContext& ctx, const TensorList& grads) {
        const TensorList saved = ctx.saved_tensors();
        const Tensor& w = saved[0];
        const Tensor& V = saved[1];
        const int64_t n = w.size(-1);
        // gA = V (diag(gw) + skew(Vᵀ gV) / E) Vᵀ with E[i, j] = w[j] - w[i]. A pair of equal
        // eigenvalues (E = 0) contributes nothing: its term is 0 when gV spans no rotation in
        // that eigenspace, which is the only case where the derivative exists.
        const Tensor vt_gv = matmul(mT(V), grads[1]);
        const Tensor skew = 0.5 * (vt_gv - mT(vt_gv));
        const Tensor gaps = w.unsqueeze(-2) - w.unsqueeze(-1);
        const Tensor equal = eq(gaps, 0.0);
        const Tensor rotation = where(equal, 0.0, skew / where(equal, 1.0, gaps));
        const Tensor identity = eye(n, n, TensorOptions(w.dtype(), w.device()));
        const Tensor inner = rotation + grads[0].unsqueeze(-1) * identity;
        return TensorList{matmul(matmul(V, inner), mT(V))};
      });
}

// eigh_lower of A, or of Aᵀ when uplo says to read the upper triangle.
TensorList eigh_uplo(const Tensor& A, const std::string& uplo, const char* op) {
  detail::check_square(A, op);
  MG_CHECK(uplo == "L" || uplo == "U", "{}: uplo must be \"L\" or \"U\", got \"{}\"", op, uplo);
  return eigh_lower(uplo == "L" ? A : mT(A));
}

}  // namespace

EighResult eigh(const Tensor& A, const std::string& uplo) {
  const TensorList out = eigh_uplo(A, uplo, "linalg::eigh");
  return {out[0], out[1]};
}

Tensor eigvalsh(const Tensor& A, const std::string& uplo) {
  return eigh_uplo(A, uplo, "linalg::eigvalsh")[0];
}

}  // namespace metagrad::linalg
