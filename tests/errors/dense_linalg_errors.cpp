// Error inputs of torch.linalg's dense functions (engine/ops/dense_linalg.hpp).
#include "tests/errors/error_table.hpp"

namespace metagrad::testing {
namespace {

// A float64 [2, 3, 3] batch whose second matrix is singular (its last row is zero).
Tensor singular_batch() {
  return tensor({1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 0}, {2, 3, 3}, kFloat64);
}

}  // namespace

ErrorTable dense_linalg_error_cases() {
  return {
      {"inv",
       "a singular matrix in a batch",
       [] { (void)linalg::inv(singular_batch()); },
       {"linalg::inv", "A [3, 3] (batch element (1)) is singular", "add a ridge term"}},
      {"inv",
       "a non-square matrix",
       [] {
         (void)linalg::inv(f64({2, 3}));
       },
       {"linalg::inv", "square matrices [*, n, n], got shape [2, 3]"}},
      {"det",
       "an int64 matrix",
       [] {
         (void)linalg::det(zeros({2, 2}, kInt64));
       },
       {"linalg::det", "expected a float32 or float64 tensor, got int64"}},
      {"slogdet",
       "a vector",
       [] { (void)linalg::slogdet(f64({3})); },
       {"linalg::slogdet", "square matrices [*, n, n], got shape [3]"}},
      {"logdet",
       "a non-square matrix",
       [] {
         (void)logdet(f64({3, 2}));
       },
       {"linalg::slogdet", "got shape [3, 2]"}},
      {"cholesky",
       "a matrix that is not positive definite",
       [] {
         (void)linalg::cholesky(f64({2, 2}));
       },
       {"linalg::cholesky", "not positive-definite (its leading minor of order 2",
        "add a multiple of the identity"}},
      {"cholesky_ex",
       "a batch of vectors",
       [] {
         (void)linalg::cholesky_ex(f64({2, 3}));
       },
       {"linalg::cholesky_ex", "square matrices [*, n, n], got shape [2, 3]"}},
      {"matrix_exp",
       "an infinite entry",
       [] {
         (void)linalg::matrix_exp(full({2, 2}, kInf, kFloat64));
       },
       {"linalg::matrix_exp", "non-finite entry", "check it for NaN or inf"}},
      {"matrix_exp",
       "a non-square matrix",
       [] {
         (void)linalg::matrix_exp(f64({2, 3}));
       },
       {"linalg::matrix_exp", "got shape [2, 3]"}},
      {"solve_triangular",
       "a right-hand side with the wrong number of rows",
       [] {
         (void)linalg::solve_triangular(f64({3, 3}), f64({2, 1}), false);
       },
       {"linalg::solve_triangular", "B must be [*, n, k] (left = true)", "got shape [2, 1]"}},
      {"solve_triangular",
       "batch dims that do not broadcast",
       [] {
         (void)linalg::solve_triangular(f64({2, 3, 3}), f64({4, 3, 1}), true);
       },
       {"linalg::solve_triangular", "[2]", "[4]"}},
      {"cholesky_solve",
       "mixed dtypes",
       [] {
         (void)cholesky_solve(f32({3, 1}), f64({3, 3}));
       },
       {"cholesky_solve", "dtype mismatch: float64 [3, 3] and float32 [3, 1]"}},
      {"cholesky_solve",
       "a right-hand side with the wrong number of rows",
       [] {
         (void)cholesky_solve(f64({2, 1}), f64({3, 3}));
       },
       {"cholesky_solve", "B must be [*, n, k] with n = 3", "got shape [2, 1]"}},
      {"cholesky_inverse",
       "a non-square factor",
       [] {
         (void)cholesky_inverse(f64({3, 2}));
       },
       {"cholesky_inverse", "square matrices [*, n, n], got shape [3, 2]"}},
      {"eigh",
       "an unknown uplo",
       [] {
         (void)linalg::eigh(f64({2, 2}), "lower");
       },
       {"linalg::eigh", "uplo must be \"L\" or \"U\", got \"lower\""}},
      {"eigh",
       "a NaN entry",
       [] {
         (void)linalg::eigh(full({2, 2}, kNaN, kFloat64));
       },
       {"linalg::eigh", "did not converge", "check it for NaN or inf"}},
      {"eigvalsh",
       "a non-square matrix",
       [] {
         (void)linalg::eigvalsh(f64({2, 3}));
       },
       {"linalg::eigvalsh", "got shape [2, 3]"}},
      {"vector_norm",
       "an int64 tensor",
       [] { (void)linalg::vector_norm(zeros({3}, kInt64)); },
       {"linalg::vector_norm", "expected a float32 or float64 tensor"}},
      {"matrix_norm",
       "an unknown string ord",
       [] {
         (void)linalg::matrix_norm(f64({2, 2}), "spectral");
       },
       {"linalg::matrix_norm", "ord must be \"fro\", \"nuc\" or a number", "got \"spectral\""}},
      {"matrix_norm",
       "an unsupported numeric ord",
       [] {
         (void)linalg::matrix_norm(f64({2, 2}), 3.0);
       },
       {"linalg::matrix_norm", "ord must be 2, -2, 1, -1, inf, -inf", "got 3"}},
      {"qr",
       "an unknown mode",
       [] {
         (void)linalg::qr(f64({3, 2}), "full");
       },
       {"linalg::qr", "mode must be \"reduced\", \"complete\" or \"r\", got \"full\""}},
      {"qr",
       "a vector",
       [] { (void)linalg::qr(f64({3})); },
       {"linalg::qr", "a batch of matrices [*, m, n], got shape [3]"}},
      {"svd",
       "a NaN entry",
       [] {
         (void)linalg::svd(full({3, 2}, kNaN, kFloat64));
       },
       {"linalg::svd", "the SVD did not converge", "check it for NaN or inf"}},
      {"svdvals",
       "an int64 matrix",
       [] {
         (void)linalg::svdvals(zeros({2, 2}, kInt64));
       },
       {"linalg::svdvals", "expected a float32 or float64 tensor"}},
      {"pinv",
       "a negative atol",
       [] {
         (void)linalg::pinv(f64({2, 3}), {.atol = -1.0});
       },
       {"linalg::pinv", "atol must be non-negative, got -1"}},
      {"pinv",
       "hermitian with a non-square matrix",
       [] {
         (void)linalg::pinv(f64({2, 3}), {.hermitian = true});
       },
       {"linalg::pinv", "square matrices [*, n, n], got shape [2, 3]"}},
      {"matrix_rank",
       "a negative rtol",
       [] {
         (void)linalg::matrix_rank(f64({2, 3}), {.rtol = -0.5});
       },
       {"linalg::matrix_rank", "rtol must be non-negative, got -0.5"}},
      {"lstsq",
       "a right-hand side with the wrong number of rows",
       [] {
         (void)linalg::lstsq(f64({4, 2}), f64({3, 1}));
       },
       {"linalg::lstsq", "B must be [*, m, k] with m = 4", "got shape [3, 1]"}},
      {"cond",
       "the 1-norm condition of a non-square matrix",
       [] {
         (void)linalg::cond(f64({2, 3}), 1.0);
       },
       {"linalg::cond", "square matrices [*, n, n], got shape [2, 3]"}},
      {"cond",
       "the Frobenius condition of a singular matrix",
       [] {
         (void)linalg::cond(zeros({2, 2}, kFloat64), "fro");
       },
       {"linalg::cond", "is singular"}},
      {"multi_dot",
       "one matrix",
       [] {
         (void)linalg::multi_dot({f64({2, 2})});
       },
       {"linalg::multi_dot", "expected at least 2 tensors, got 1"}},
      {"multi_dot",
       "a 3-D tensor in the middle",
       [] {
         (void)linalg::multi_dot({f64({2, 2}), f64({2, 2, 2}), f64({2, 2})});
       },
       {"linalg::multi_dot", "tensor 1 must be 2-D, got shape [2, 2, 2]"}},
      {"matrix_power",
       "a negative power of a singular matrix",
       [] {
         (void)linalg::matrix_power(zeros({2, 2}, kFloat64), -1);
       },
       {"linalg::matrix_power", "is singular"}},
      {"cross",
       "vectors of length 4",
       [] { (void)linalg::cross(f64({4}), f64({4})); },
       {"linalg::cross", "dim -1 must have size 3 in the broadcast shape [4]"}},
      {"solve",
       "a batch with a singular matrix",
       [] {
         (void)linalg::solve(singular_batch(), f64({2, 3}));
       },
       {"linalg::solve", "(batch element (1)) is singular"}},
      {"lu",
       "a batch of vectors",
       [] { (void)linalg::lu(f64({3})); },
       {"linalg::lu", "square matrices [*, n, n], got shape [3]"}},
      {"lu_solve",
       "pivots of the wrong shape",
       [] {
         (void)linalg::lu_solve(f64({3, 3}), i64({1, 2}), f64({3, 1}));
       },
       {"linalg::lu_solve", "pivots must be int64 of shape [3]", "got int64 [2]"}},
      {"lu_solve",
       "a pivot out of range",
       [] {
         (void)linalg::lu_solve(f64({2, 2}), i64({3, 2}), f64({2, 1}));
       },
       {"linalg::lu_solve", "pivots must lie in [1, 2]", "got 3 at position 0"}},
      {"lu_solve",
       "a right-hand side with the wrong number of rows",
       [] {
         (void)linalg::lu_solve(f64({2, 2}), i64({1, 2}), f64({3, 1}));
       },
       {"linalg::lu_solve", "B must be [*, n, k] (left = true)", "got shape [3, 1]"}},
      {"lu_factor",
       "a non-square matrix",
       [] {
         (void)linalg::lu_factor(f64({2, 3}));
       },
       {"linalg::lu_factor", "got shape [2, 3]"}},
  };
}

}  // namespace metagrad::testing
