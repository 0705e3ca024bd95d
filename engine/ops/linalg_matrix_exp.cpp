#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include "engine/ops.hpp"
#include "engine/ops/dense_linalg.hpp"
#include "engine/ops/linalg_support.hpp"

// matrix_exp by scaling and squaring with a diagonal Padé approximant (Higham, "The scaling and
// squaring method for the matrix exponential revisited", 2005), written in matmul and solve, so
// that its derivatives of every order are those of the approximant: the Fréchet derivative to
// the approximant's accuracy (Al-Mohy and Higham's observation, which their algorithm for
// L(A, E) rests on).
namespace metagrad::linalg {
namespace {

// The degrees tried in turn and the 1-norm bound θ_m up to which the [m/m] approximant meets
// unit roundoff without scaling (Higham 2005, table 2.3 for double; Higham's single-precision
// table for float). The last degree is used with scaling.
struct PadeDegree {
  int degree;
  double theta;
};
constexpr std::array<PadeDegree, 5> kDoubleDegrees = {{{3, 1.495585217958292e-2},
                                                       {5, 2.539398330063230e-1},
                                                       {7, 9.504178996162932e-1},
                                                       {9, 2.097847961257068e0},
                                                       {13, 5.371920351148152e0}}};
constexpr std::array<PadeDegree, 3> kFloatDegrees = {
    {{3, 4.258730016922831e-1}, {5, 1.880152677804762e0}, {7, 3.925724783138660e0}}};

// The [m/m] Padé coefficients of exp: b_j = (2m - j)! m! / ((2m)! j! (m - j)!), scaled so that
// b_m = 1 (the scale cancels in (V - U)⁻¹ (V + U)).
std::vector<double> pade_coefficients(int m) {
  std::vector<double> b(m + 1);
  b[m] = 1.0;
  // b_{j-1} / b_j = j (2m - j + 1) / (m - j + 1).
  for (int j = m; j > 0; --j) b[j - 1] = b[j] * j * (2.0 * m - j + 1) / (m - j + 1);
  return b;
}

// Σ_j c[j] P[j] for the powers P (P[0] = I) and coefficients c.
Tensor combine(const TensorList& powers, const std::vector<double>& c) {
  Tensor total = powers[0] * c[0];
  for (size_t j = 1; j < c.size(); ++j) total = total + powers[j] * c[j];
  return total;
}

// The [m/m] approximant r_m(A) = (V - U)⁻¹ (V + U) with U the odd and V the even part.
Tensor pade_approximant(const Tensor& A, int m, const Tensor& identity) {
  const std::vector<double> b = pade_coefficients(m);
  const Tensor A2 = matmul(A, A);
  if (m < 13) {
    // Powers I, A², A⁴, ... up to A^(m-1).
    TensorList even_powers{identity, A2};
    while (static_cast<int>(even_powers.size()) * 2 <= m) {
      even_powers.push_back(matmul(even_powers.back(), A2));
    }
    std::vector<double> odd, even;
    for (int j = 0; j <= m; ++j) (j % 2 == 0 ? even : odd).push_back(b[j]);
    const Tensor U = matmul(A, combine(even_powers, odd));
    const Tensor V = combine(even_powers, even);
    return solve(V - U, V + U);
  }
  // Degree 13 with Higham's grouping: three products for the powers, two for U and V.
  const Tensor A4 = matmul(A2, A2), A6 = matmul(A4, A2);
  const Tensor U_high = matmul(A6, A6 * b[13] + A4 * b[11] + A2 * b[9]);
  const Tensor U = matmul(A, U_high + combine({identity, A2, A4, A6}, {b[1], b[3], b[5], b[7]}));
  const Tensor V_high = matmul(A6, A6 * b[12] + A4 * b[10] + A2 * b[8]);
  const Tensor V = V_high + combine({identity, A2, A4, A6}, {b[0], b[2], b[4], b[6]});
  return solve(V - U, V + U);
}

}  // namespace

Tensor matrix_exp(const Tensor& A) {
  detail::check_square(A, "linalg::matrix_exp");
  const int64_t n = A.size(-1);
  if (A.numel() == 0) return A.clone();
  const Tensor identity = eye(n, n, TensorOptions(A.dtype(), A.device()));
  // One degree and scaling for the whole batch, from its largest 1-norm (a value, not recorded).
  const double norm1 = metagrad::max(matrix_norm(A.detach(), 1.0)).item<double>();
  MG_CHECK(std::isfinite(norm1),
           "linalg::matrix_exp: the input of shape {} has a non-finite entry (1-norm {}); check "
           "it for NaN or inf",
           shape_str(A.shape()), norm1);
  const bool is_double = A.dtype() == kFloat64;
  const std::vector<PadeDegree> degrees =
      is_double ? std::vector<PadeDegree>(kDoubleDegrees.begin(), kDoubleDegrees.end())
                : std::vector<PadeDegree>(kFloatDegrees.begin(), kFloatDegrees.end());
  for (size_t i = 0; i + 1 < degrees.size(); ++i) {
    if (norm1 <= degrees[i].theta) return pade_approximant(A, degrees[i].degree, identity);
  }
  // exp(A) = r_m(A / 2^s)^(2^s) with s the fewest halvings that bring the norm to θ_m.
  const PadeDegree last = degrees.back();
  const int squarings =
      norm1 <= last.theta ? 0 : static_cast<int>(std::ceil(std::log2(norm1 / last.theta)));
  Tensor result = pade_approximant(A * std::ldexp(1.0, -squarings), last.degree, identity);
  for (int i = 0; i < squarings; ++i) result = matmul(result, result);
  return result;
}

}  // namespace metagrad::linalg
