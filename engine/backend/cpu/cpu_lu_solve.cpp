#include <Eigen/LU>
#include <cstdint>

#include "engine/backend/cpu/cpu_backend.hpp"

// Dense solve by Eigen's partial-pivoting LU over raw strided views (linalg::solve's kernel).
namespace metagrad::cpu {
namespace {

template <typename T>
using Matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Strides = Eigen::Stride<Eigen::Dynamic, Eigen::Dynamic>;

// A view [n] or [n, k] as an n x k matrix with its own strides.
template <typename T>
Eigen::Map<Matrix<T>, Eigen::Unaligned, Strides> as_matrix(const View& v) {
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

}  // namespace

double CpuBackend::lu_solve(const View& a, const View& b, const View& out) {
  return a.dtype == DType::Float64 ? lu_solve_typed<double>(a, b, out)
                                   : lu_solve_typed<float>(a, b, out);
}

}  // namespace metagrad::cpu
