#include <Eigen/Eigenvalues>
#include <Eigen/LU>
#include <Eigen/QR>
#include <Eigen/SVD>
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "engine/backend/cpu/cpu_backend.hpp"

// Backend::lu_solve, decompose and triangular_solve on the CPU: Eigen's partial-pivoting LU,
// symmetric eigensolver, Householder QR, divide-and-conquer SVD and triangular solves, and a
// row-oriented Cholesky that reports which leading minor fails (Eigen's LLT says only that one
// does), over batches of strided views.
namespace metagrad::cpu {
namespace {

template <typename T>
using Matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Strides = Eigen::Stride<Eigen::Dynamic, Eigen::Dynamic>;
template <typename T>
using MatrixMap = Eigen::Map<Matrix<T>, Eigen::Unaligned, Strides>;
template <typename T>
using VectorMap = Eigen::Map<Eigen::Matrix<T, Eigen::Dynamic, 1>, Eigen::Unaligned,
                             Eigen::InnerStride<Eigen::Dynamic>>;

// Matrix `b` of a batch view [B, rows, cols].
template <typename T>
MatrixMap<T> matrix_at(const View& v, int64_t b) {
  T* data = static_cast<T*>(v.data) + b * v.strides[0];
  return {data, v.shape[1], v.shape[2], Strides(v.strides[1], v.strides[2])};
}

// Row `b` of a batch view [B, n].
template <typename T>
VectorMap<T> vector_at(const View& v, int64_t b) {
  T* data = static_cast<T*>(v.data) + b * v.strides[0];
  return {data, v.shape[1], Eigen::InnerStride<Eigen::Dynamic>(v.strides[1])};
}

// A view [n] or [n, k] as an n x k matrix with its own strides.
template <typename T>
MatrixMap<T> as_matrix(const View& v) {
  const int64_t rows = v.shape[0];
  const int64_t cols = v.ndim() == 2 ? v.shape[1] : 1;
  const int64_t row_stride = v.strides[0];
  const int64_t col_stride = v.ndim() == 2 ? v.strides[1] : 1;
  return {static_cast<T*>(v.data), rows, cols, Strides(row_stride, col_stride)};
}

template <typename T>
double lu_solve_typed(const View& a, const View& b, const View& out) {
  const auto am = as_matrix<T>(a);
  if (am.rows() == 0) return 1.0;
  if (!am.allFinite()) return 0.0;
  const Eigen::PartialPivLU<Matrix<T>> lu(am);
  // An exact zero pivot can slip past Eigen's condition estimate (its inverse-norm estimate
  // turns to NaN or inf silently), so it is checked first.
  if ((lu.matrixLU().diagonal().array() == T(0)).any()) return 0.0;
  const double rcond = static_cast<double>(lu.rcond());
  if (!(rcond > 0.0)) return 0.0;
  as_matrix<T>(out) = lu.solve(as_matrix<T>(b));
  return rcond;
}

int64_t& info_at(const View& info, int64_t b) { return static_cast<int64_t*>(info.data)[b]; }

template <typename T>
int64_t lu_factor(const MatrixMap<T>& a, MatrixMap<T> lu, VectorMap<int64_t> rows) {
  const int64_t n = a.rows();
  if (n == 0) return 0;
  const Eigen::PartialPivLU<Matrix<T>> factor(a);
  lu = factor.matrixLU();
  // P a = L U; P moves row i of a to row indices[i] of P a.
  const auto& indices = factor.permutationP().indices();
  for (int64_t i = 0; i < n; ++i) rows[indices[i]] = i;
  for (int64_t k = 0; k < n; ++k) {
    if (lu(k, k) == T(0)) return k + 1;
  }
  return 0;
}

// Cholesky–Banachiewicz by rows: L[i, j] = (a[i, j] - L[i, :j]·L[j, :j]) / L[j, j], so every
// dot product runs over contiguous rows of the row-major result.
template <typename T>
int64_t cholesky(const MatrixMap<T>& a, MatrixMap<T> l) {
  const int64_t n = a.rows();
  Matrix<T> work = Matrix<T>::Zero(n, n);
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j <= i; ++j) {
      const T partial = j == 0 ? T(0) : work.row(i).head(j).dot(work.row(j).head(j));
      const T entry = a(i, j) - partial;
      if (i == j) {
        if (!(entry > T(0)) || !std::isfinite(entry)) return i + 1;
        work(i, i) = std::sqrt(entry);
      } else {
        work(i, j) = entry / work(j, j);
        if (!std::isfinite(work(i, j))) return i + 1;
      }
    }
  }
  l = work;
  return 0;
}

template <typename T>
int64_t symmetric_eigen(const MatrixMap<T>& a, VectorMap<T> values, MatrixMap<T> vectors) {
  const int64_t n = a.rows();
  if (n == 0) return 0;
  const Matrix<T> lower = a.template triangularView<Eigen::Lower>();
  if (!lower.allFinite()) return 1;
  const Eigen::SelfAdjointEigenSolver<Matrix<T>> solver(a, Eigen::ComputeEigenvectors);
  if (solver.info() != Eigen::Success) return 1;
  values = solver.eigenvalues();
  vectors = solver.eigenvectors();
  return 0;
}

// Householder QR: q [m, c], r [c, n] with c = min(m, n) (reduced) or m (complete), as q's shape
// says (LAPACK's geqrf + orgqr signs).
template <typename T>
int64_t householder_qr(const MatrixMap<T>& a, MatrixMap<T> q, MatrixMap<T> r) {
  const int64_t m = a.rows(), columns = q.cols();
  if (m == 0) return 0;
  if (a.cols() == 0) {
    q = Matrix<T>::Identity(m, columns);
    return 0;
  }
  const Eigen::HouseholderQR<Matrix<T>> qr(a);
  q = qr.householderQ() * Matrix<T>::Identity(m, columns);
  r = qr.matrixQR().topRows(columns).template triangularView<Eigen::Upper>();
  return 0;
}

// SVD a = U diag(s) Vh, s descending; U [m, m] and Vh [n, n] when `u` and `vh` are that wide
// (full_matrices), else [m, k] and [k, n]. Always computed in float64: Eigen's divide-and-conquer
// SVD costs minutes of compile time per scalar type, and a float32 matrix's factors come out
// rounded from the float64 ones (at least as accurate as LAPACK's sgesdd).
template <typename T>
int64_t singular_value_decomposition(const MatrixMap<T>& a, MatrixMap<T> u, VectorMap<T> s,
                                     MatrixMap<T> vh) {
  const int64_t m = a.rows(), n = a.cols();
  if (!a.allFinite()) return 1;
  const bool full = u.cols() == m && vh.rows() == n && m != n;
  const unsigned int options =
      full ? Eigen::ComputeFullU | Eigen::ComputeFullV : Eigen::ComputeThinU | Eigen::ComputeThinV;
  if (std::min(m, n) == 0) {
    u = Matrix<T>::Identity(u.rows(), u.cols());
    vh = Matrix<T>::Identity(vh.rows(), vh.cols());
    return 0;
  }
  const Eigen::BDCSVD<Matrix<double>> svd(a.template cast<double>(), options);
  if (svd.info() != Eigen::Success) return 1;
  u = svd.matrixU().template cast<T>();
  s = svd.singularValues().template cast<T>();
  vh = svd.matrixV().transpose().template cast<T>();
  return 0;
}

template <typename T>
void decompose_typed(Decomposition kind, const View& a, const View* out, const View& info) {
  const int64_t batch = a.shape[0];
  for (int64_t b = 0; b < batch; ++b) {
    const MatrixMap<T> matrix = matrix_at<T>(a, b);
    switch (kind) {
      case Decomposition::Lu:
        info_at(info, b) =
            lu_factor<T>(matrix, matrix_at<T>(out[0], b), vector_at<int64_t>(out[1], b));
        break;
      case Decomposition::Cholesky:
        info_at(info, b) = cholesky<T>(matrix, matrix_at<T>(out[0], b));
        break;
      case Decomposition::SymmetricEigen:
        info_at(info, b) =
            symmetric_eigen<T>(matrix, vector_at<T>(out[0], b), matrix_at<T>(out[1], b));
        break;
      case Decomposition::Qr:
        info_at(info, b) =
            householder_qr<T>(matrix, matrix_at<T>(out[0], b), matrix_at<T>(out[1], b));
        break;
      case Decomposition::Svd:
        info_at(info, b) = singular_value_decomposition<T>(
            matrix, matrix_at<T>(out[0], b), vector_at<T>(out[1], b), matrix_at<T>(out[2], b));
        break;
    }
  }
}

template <typename T, int Mode>
void triangular_solve_mode(const View& a, const View& b, const View& out) {
  for (int64_t i = 0; i < a.shape[0]; ++i) {
    matrix_at<T>(out, i) =
        matrix_at<T>(a, i).template triangularView<Mode>().solve(matrix_at<T>(b, i));
  }
}

template <typename T>
void triangular_solve_typed(const View& a, const View& b, const View& out, bool upper,
                            bool unit_diagonal) {
  if (a.shape[1] == 0 || b.shape[2] == 0) return;
  if (upper) {
    unit_diagonal ? triangular_solve_mode<T, Eigen::UnitUpper>(a, b, out)
                  : triangular_solve_mode<T, Eigen::Upper>(a, b, out);
  } else {
    unit_diagonal ? triangular_solve_mode<T, Eigen::UnitLower>(a, b, out)
                  : triangular_solve_mode<T, Eigen::Lower>(a, b, out);
  }
}

}  // namespace

double CpuBackend::lu_solve(const View& a, const View& b, const View& out) {
  return a.dtype == DType::Float64 ? lu_solve_typed<double>(a, b, out)
                                   : lu_solve_typed<float>(a, b, out);
}

void CpuBackend::decompose(Decomposition kind, const View& a, const View* out, int /*n_out*/,
                           const View& info) {
  a.dtype == DType::Float64 ? decompose_typed<double>(kind, a, out, info)
                            : decompose_typed<float>(kind, a, out, info);
}

void CpuBackend::triangular_solve(const View& a, const View& b, const View& out, bool upper,
                                  bool unit_diagonal) {
  a.dtype == DType::Float64 ? triangular_solve_typed<double>(a, b, out, upper, unit_diagonal)
                            : triangular_solve_typed<float>(a, b, out, upper, unit_diagonal);
}

}  // namespace metagrad::cpu
