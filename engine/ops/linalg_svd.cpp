#include <algorithm>
#include <limits>
#include <optional>

#include "engine/autograd/custom_function.hpp"
#include "engine/error.hpp"
#include "engine/ops.hpp"
#include "engine/ops/dense_linalg.hpp"
#include "engine/ops/linalg_support.hpp"

// The orthogonal factorizations of torch.linalg and what is built on them: qr and svd (custom
// functions over the backend's Householder QR and SVD, with backwards in matmuls and triangular
// solves), svdvals, pinv, matrix_rank, lstsq and cond.
namespace metagrad::linalg {
namespace {

using detail::mT;

// x / d where d != 0, and 0 where d == 0 (no NaN, and none in the derivative either: the
// masked quotient divides by 1).
Tensor divide_where_nonzero(const Tensor& x, const Tensor& d) {
  const Tensor zero = eq(d, 0.0);
  return where(zero, 0.0, x / where(zero, 1.0, d));
}

// The first `count` entries of x along dim (from the end when negative).
Tensor leading(const Tensor& x, int64_t dim, int64_t count) {
  return x.slice(dim < 0 ? dim + x.dim() : dim, 0, count);
}

// diag(v) for a batch of vectors v [*, k]: [*, k, k].
Tensor diag_matrix(const Tensor& v) {
  const int64_t k = v.size(-1);
  return v.unsqueeze(-1) * eye(k, k, TensorOptions(v.dtype(), v.device()));
}

// gA of A = U diag(S) Vh (reduced factors) given gU, gS, gVh (PyTorch's svd_backward, real case).
Tensor svd_backward(const Tensor& gU, const Tensor& gS, const Tensor& gVh, const Tensor& U,
                    const Tensor& S, const Tensor& Vh) {
  const int64_t m = U.size(-2), n = Vh.size(-1);
  // skew(X) = X - Xᵀ; E[j, k] = S[k]² - S[j]².
  const Tensor ut_gu = matmul(mT(U), gU);
  const Tensor vt_gv = matmul(Vh, mT(gVh));
  const Tensor S2 = S * S;
  const Tensor gaps = S2.unsqueeze(-2) - S2.unsqueeze(-1);
  Tensor inner = divide_where_nonzero(
      (ut_gu - mT(ut_gu)) * S.unsqueeze(-2) + S.unsqueeze(-1) * (vt_gv - mT(vt_gv)), gaps);
  inner = inner + diag_matrix(gS);
  if (m > n) {
    // gA = [U inner + (I - U Uᵀ) gU S⁻¹] Vh.
    const Tensor gu_sinv = divide_where_nonzero(gU, S.unsqueeze(-2));
    const Tensor left = matmul(U, inner) + gu_sinv - matmul(U, matmul(mT(U), gu_sinv));
    return matmul(left, Vh);
  }
  if (m < n) {
    // gA = U [inner Vh + S⁻¹ gVh (I - V Vh)].
    const Tensor sinv_gvh = divide_where_nonzero(gVh, S.unsqueeze(-1));
    const Tensor right = matmul(inner, Vh) + sinv_gvh - matmul(matmul(sinv_gvh, mT(Vh)), Vh);
    return matmul(U, right);
  }
  return matmul(matmul(U, inner), Vh);
}

// U, S, Vh of every matrix of A; U [*, m, m] and Vh [*, n, n] with full_matrices.
TensorList svd_factors(const Tensor& A, bool full_matrices, const char* op) {
  return custom_function(
      "LinalgSvd", {A},
      [full_matrices, op](CustomFunctionContext& ctx, const TensorList& in) {
        const int64_t m = in[0].size(-2), n = in[0].size(-1), k = std::min(m, n);
        const detail::Factorization svd =
            detail::factorize(Decomposition::Svd, in[0],
                              {{m, full_matrices ? m : k}, {k}, {full_matrices ? n : k, n}},
                              {in[0].dtype(), in[0].dtype(), in[0].dtype()});
        const int64_t failed = detail::first_failure(svd.info);
        MG_CHECK(failed < 0,
                 "{}: the SVD did not converge for the input{} of shape {} (it has a non-finite "
                 "entry); check it for NaN or inf",
                 op, detail::batch_element(detail::batch_shape(in[0]), failed),
                 shape_str(in[0].shape()));
        ctx.save_for_backward(svd.factors);
        return svd.factors;
      },
      [](CustomFunctionContext& ctx, const TensorList& grads) {
        const TensorList saved = ctx.saved_tensors();
        const int64_t k = saved[1].size(-1);
        // Full factors: only their first k columns of U (rows of Vh) depend on A.
        return TensorList{svd_backward(leading(grads[0], -1, k), grads[1], leading(grads[2], -2, k),
                                       leading(saved[0], -1, k), saved[1],
                                       leading(saved[2], -2, k))};
      });
}

// gA of A = Q R for A [*, m, n] with m >= n (reduced): gA = (gQ + Q copyltu(M)) R⁻ᵀ with
// M = R gRᵀ - gQᵀ Q and copyltu(M) the symmetric matrix with M's lower triangle.
Tensor qr_backward_tall(const Tensor& gQ, const Tensor& gR, const Tensor& Q, const Tensor& R) {
  const Tensor M = matmul(R, mT(gR)) - matmul(mT(gQ), Q);
  const Tensor copyltu = tril(M) + mT(tril(M, -1));
  const Tensor b = gQ + matmul(Q, copyltu);
  return solve_triangular(mT(R), b, /*upper=*/false, /*left=*/false);
}

// gA of A = Q R for any shape: a wide A = [X | Y] is X = Q R₁ (square) and Y = Q R₂.
Tensor qr_backward(const Tensor& gQ, const Tensor& gR, const Tensor& A, const Tensor& Q,
                   const Tensor& R) {
  const int64_t m = A.size(-2), n = A.size(-1);
  if (m >= n) return qr_backward_tall(gQ, gR, Q, R);
  const int64_t last = A.dim() - 1;
  const Tensor Y = A.slice(last, m, n);
  const Tensor gR1 = gR.slice(last, 0, m), gR2 = gR.slice(last, m, n);
  // R₂ = Qᵀ Y: gY = Q gR₂, and Q collects Y gR₂ᵀ.
  const Tensor gX = qr_backward_tall(gQ + matmul(Y, mT(gR2)), gR1, Q, R.slice(last, 0, m));
  return cat({gX, matmul(Q, gR2)}, last);
}

// Q, R of every matrix of A; Q [*, m, m] and R [*, m, n] with `complete`.
TensorList qr_factors(const Tensor& A, bool complete) {
  return custom_function(
      "LinalgQr", {A},
      [complete](CustomFunctionContext& ctx, const TensorList& in) {
        const int64_t m = in[0].size(-2), n = in[0].size(-1), k = std::min(m, n);
        const int64_t q_cols = complete ? m : k;
        const detail::Factorization qr = detail::factorize(
            Decomposition::Qr, in[0], {{m, q_cols}, {q_cols, n}}, {in[0].dtype(), in[0].dtype()});
        ctx.save_for_backward({in[0], qr.factors[0], qr.factors[1]});
        return qr.factors;
      },
      [complete](CustomFunctionContext& ctx, const TensorList& grads) {
        const TensorList saved = ctx.saved_tensors();
        const int64_t m = saved[0].size(-2), n = saved[0].size(-1);
        MG_CHECK(!complete || m <= n,
                 "linalg::qr: mode \"complete\" with more rows than columns ({} > {}) has no "
                 "derivative (Q's last {} columns are not unique); use mode \"reduced\"",
                 m, n, m - n);
        return TensorList{qr_backward(grads[0], grads[1], saved[0], saved[1], saved[2])};
      });
}

// The singular-value cut-off of pinv and matrix_rank: max(atol, rtol σ_max), with torch's
// default rtol = eps max(m, n) when neither tolerance is given, and 0 when only atol is.
Tensor singular_value_cutoff(const Tensor& A, const Tensor& largest,
                             const PseudoInverseOptions& options) {
  const double eps = A.dtype() == kFloat64 ? std::numeric_limits<double>::epsilon()
                                           : std::numeric_limits<float>::epsilon();
  const double rtol = options.rtol.value_or(
      options.atol.has_value() ? 0.0 : eps * static_cast<double>(std::max(A.size(-2), A.size(-1))));
  return clamp(largest * rtol, options.atol.value_or(0.0), std::nullopt);
}

void check_tolerances(const PseudoInverseOptions& options, const char* op) {
  MG_CHECK(!options.atol.has_value() || *options.atol >= 0.0,
           "{}: atol must be non-negative, got {}", op, *options.atol);
  MG_CHECK(!options.rtol.has_value() || *options.rtol >= 0.0,
           "{}: rtol must be non-negative, got {}", op, *options.rtol);
}

// gA of P = A⁺ (PyTorch's pinv_backward, the adjoint of Golub and Pereyra's derivative
// dP = -P dA P + P Pᵀ dAᵀ (I - A P) + (I - P A) dAᵀ Pᵀ P, valid where A's rank is constant):
// gA = -Pᵀ G Pᵀ + (I - A P) Gᵀ P Pᵀ + Pᵀ P Gᵀ (I - P A).
Tensor pinv_backward(const Tensor& G, const Tensor& P, const Tensor& A) {
  const Tensor gt_ppt = matmul(mT(G), matmul(P, mT(P)));
  const Tensor ptp_gt = matmul(matmul(mT(P), P), mT(G));
  return matmul(matmul(mT(P), G), mT(P)).neg() + gt_ppt - matmul(A, matmul(P, gt_ppt)) + ptp_gt -
         matmul(matmul(ptp_gt, P), A);
}

// The singular values (or, hermitian, the eigenvalues) and which pass the cut-off, with the
// vectors pinv rebuilds the matrix from.
struct Spectrum {
  Tensor left, values, right, kept;
};

// History-free: pinv differentiates through its own backward. `op` names the caller in errors.
Spectrum kept_spectrum(const Tensor& A, const PseudoInverseOptions& options, const char* op) {
  Spectrum spectrum;
  if (options.hermitian) {
    const EighResult e = eigh(A);
    spectrum.left = e.eigenvectors;
    spectrum.values = e.eigenvalues;
    spectrum.right = mT(e.eigenvectors);
    const Tensor magnitude = abs(e.eigenvalues);
    spectrum.kept = gt(magnitude, singular_value_cutoff(A, amax(magnitude, {-1}, true), options));
  } else {
    const TensorList usv = svd_factors(A, false, op);
    spectrum.left = usv[0];
    spectrum.values = usv[1];
    spectrum.right = usv[2];
    const Tensor largest = leading(usv[1], -1, std::min<int64_t>(1, usv[1].size(-1)));
    spectrum.kept = gt(usv[1], singular_value_cutoff(A, largest, options));
  }
  return spectrum;
}

}  // namespace

QrResult qr(const Tensor& A, const std::string& mode) {
  detail::check_matrix(A, "linalg::qr");
  MG_CHECK(mode == "reduced" || mode == "complete" || mode == "r",
           "linalg::qr: mode must be \"reduced\", \"complete\" or \"r\", got \"{}\"", mode);
  const TensorList qr = qr_factors(A, mode == "complete");
  if (mode == "r") return {empty({0}, TensorOptions(A.dtype(), A.device())), qr[1]};
  return {qr[0], qr[1]};
}

SvdResult svd(const Tensor& A, bool full_matrices) {
  detail::check_matrix(A, "linalg::svd");
  const TensorList usv = svd_factors(A, full_matrices, "linalg::svd");
  return {usv[0], usv[1], usv[2]};
}

Tensor svdvals(const Tensor& A) {
  detail::check_matrix(A, "linalg::svdvals");
  return svd_factors(A, false, "linalg::svdvals")[1];
}

Tensor pinv(const Tensor& A, const PseudoInverseOptions& options) {
  constexpr const char* kOp = "linalg::pinv";
  detail::check_matrix(A, kOp);
  check_tolerances(options, kOp);
  if (options.hermitian) detail::check_square(A, kOp);
  const TensorList out = custom_function(
      "LinalgPinv", {A},
      [options](CustomFunctionContext& ctx, const TensorList& in) {
        const Spectrum s = kept_spectrum(in[0], options, "linalg::pinv");
        // A⁺ = V diag(1/σ on the kept values) Uᵀ.
        const Tensor inverted = where(s.kept, reciprocal(where(s.kept, s.values, 1.0)), 0.0);
        Tensor inverse = matmul(mT(s.right) * inverted.unsqueeze(-2), mT(s.left));
        ctx.save_for_backward({in[0], inverse});
        return TensorList{inverse};
      },
      [](CustomFunctionContext& ctx, const TensorList& grads) {
        const TensorList saved = ctx.saved_tensors();
        return TensorList{pinv_backward(grads[0], saved[1], saved[0])};
      });
  return out[0];
}

Tensor matrix_rank(const Tensor& A, const PseudoInverseOptions& options) {
  detail::check_matrix(A, "linalg::matrix_rank");
  check_tolerances(options, "linalg::matrix_rank");
  if (options.hermitian) detail::check_square(A, "linalg::matrix_rank");
  const NoGradGuard no_grad;
  return sum(kept_spectrum(A.detach(), options, "linalg::matrix_rank").kept.to(kInt64), {-1});
}

LstsqResult lstsq(const Tensor& A, const Tensor& B, std::optional<double> rcond) {
  constexpr const char* kOp = "linalg::lstsq";
  detail::check_matrix(A, kOp);
  detail::check_operand_pair(A, B, kOp);
  MG_CHECK(B.dim() >= 2 && B.size(-2) == A.size(-2),
           "linalg::lstsq: B must be [*, m, k] with m = {} (A has shape {}), got shape {}",
           A.size(-2), shape_str(A.shape()), shape_str(B.shape()));
  const PseudoInverseOptions options{.rtol = rcond};
  LstsqResult result;
  {
    const NoGradGuard no_grad;
    const Spectrum s = kept_spectrum(A.detach(), options, kOp);
    result.rank = sum(s.kept.to(kInt64), {-1});
    result.singular_values = s.values;
  }
  // X = A⁺ B: the least-squares solution of least norm (LAPACK's gelsd), differentiable as
  // torch's lstsq (through pinv's backward).
  result.solution = matmul(pinv(A, options), B);
  const int64_t m = A.size(-2), n = A.size(-1);
  const bool full_rank = all(eq(result.rank, static_cast<double>(n))).item<bool>();
  result.residuals = m > n && full_rank ? sum(square(matmul(A, result.solution) - B), {-2})
                                        : empty({0}, TensorOptions(A.dtype(), A.device()));
  return result;
}

Tensor cond(const Tensor& A, double ord) {
  detail::check_matrix(A, "linalg::cond");
  if (ord == 2.0 || ord == -2.0) {
    // σ_max / σ_min (or its inverse): no inverse needed, so a singular matrix gives inf.
    const Tensor s = svdvals(A);
    const Tensor ratio = s.select(-1, 0) / s.select(-1, s.size(-1) - 1);
    return ord > 0 ? ratio : reciprocal(ratio);
  }
  detail::check_square(A, "linalg::cond");
  return matrix_norm(A, ord) * matrix_norm(detail::inverse(A, "linalg::cond"), ord);
}

Tensor cond(const Tensor& A, const std::string& ord) {
  detail::check_square(A, "linalg::cond");
  return matrix_norm(A, ord) * matrix_norm(detail::inverse(A, "linalg::cond"), ord);
}

}  // namespace metagrad::linalg
