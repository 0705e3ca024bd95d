// torch.special's orthogonal polynomials, each evaluated by its three-term recurrence from
// p_0 = 1 and p_1 with ops that record, so every derivative in x comes from differentiating the
// recurrence itself.
#include "engine/ops/orthogonal_polynomials.hpp"

#include <cmath>
#include <limits>
#include <utility>

#include "engine/grad_mode.hpp"
#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"

namespace metagrad {
namespace {

// The largest degree evaluated: the work (and the saved tensors while recording) grows with it.
constexpr int64_t kMaxDegree = 1'000'000;

enum class Family {
  ChebyshevT,
  ChebyshevU,
  ChebyshevV,
  ChebyshevW,
  HermiteH,
  HermiteHe,
  Laguerre,
  Legendre
};

// p_1(x).
Tensor first_term(Family family, const Tensor& x) {
  switch (family) {
    case Family::ChebyshevT:
    case Family::HermiteHe:
    case Family::Legendre:
      return x.clone();
    case Family::ChebyshevU:
    case Family::HermiteH:
      return 2.0 * x;
    case Family::ChebyshevV:
      return 2.0 * x - 1.0;
    case Family::ChebyshevW:
      return 2.0 * x + 1.0;
    case Family::Laguerre:
      return 1.0 - x;
  }
  return x.clone();
}

// p_{k+1}(x) from p = p_k and previous = p_{k-1}, k >= 1.
Tensor next_term(Family family, const Tensor& x, const Tensor& p, const Tensor& previous,
                 int64_t k) {
  const auto kd = static_cast<double>(k);
  switch (family) {
    case Family::ChebyshevT:
    case Family::ChebyshevU:
    case Family::ChebyshevV:
    case Family::ChebyshevW:
      return 2.0 * x * p - previous;
    case Family::HermiteH:
      return 2.0 * x * p - (2.0 * kd) * previous;
    case Family::HermiteHe:
      return x * p - kd * previous;
    case Family::Laguerre:
      return ((2.0 * kd + 1.0 - x) * p - kd * previous) / (kd + 1.0);
    case Family::Legendre:
      return ((2.0 * kd + 1.0) * x * p - kd * previous) / (kd + 1.0);
  }
  return p;
}

// Calls `visit(k, p_k)` for k = 0 .. top in turn.
template <typename Visit>
void walk_recurrence(Family family, const Tensor& x, int64_t top, Visit visit) {
  Tensor previous = ones_like(x);
  visit(0, previous);
  if (top < 1) return;
  Tensor p = first_term(family, x);
  visit(1, p);
  for (int64_t k = 1; k < top; ++k) {
    Tensor next = next_term(family, x, p, previous, k);
    previous = std::move(p);
    p = std::move(next);
    visit(k + 1, p);
  }
}

void check_degree_bound(double top, const char* op) {
  MG_CHECK(top <= static_cast<double>(kMaxDegree),
           "{}: degree n = {} exceeds the largest supported degree {} (the recurrence runs n steps "
           "of tensor ops); evaluate such degrees in closed form",
           op, top, kMaxDegree);
}

Tensor of_degree(Family family, const Tensor& x, int64_t n, const char* op) {
  detail::check_defined(x, op, "x");
  detail::check_floating(x, op);
  if (n < 0) return zeros_like(x);
  check_degree_bound(static_cast<double>(n), op);
  Tensor result;
  walk_recurrence(family, x, n, [&](int64_t k, const Tensor& p) {
    if (k == n) result = p;
  });
  return result;
}

// The degrees of tensor n as x's dtype or int64 (float degrees truncated toward zero), checked.
void check_degrees(const Tensor& x, const Tensor& n, const char* op) {
  detail::check_defined(x, op, "x");
  detail::check_defined(n, op, "n");
  detail::check_floating(x, op);
  MG_CHECK(n.dtype() == DType::Int64 || n.dtype() == x.dtype(),
           "{}: the degree n must be int64 or x's dtype {}, got {} (shape {}); convert it with "
           "n.to({})",
           op, dtype_name(x.dtype()), dtype_name(n.dtype()), shape_str(n.shape()),
           dtype_name(x.dtype()));
  MG_CHECK(x.device() == n.device(),
           "{}: x is on {} and the degree n on {}; move n with .to(x.device())", op,
           x.device().str(), n.device().str());
}

Tensor of_degrees(Family family, const Tensor& x, const Tensor& n, const char* op) {
  check_degrees(x, n, op);
  const Dims shape = broadcast_shapes(x.shape(), n.shape(), op);
  const bool float_degrees = n.dtype() != DType::Int64;
  Tensor degree, undefined;
  double top = -1.0;
  {
    NoGradGuard no_grad;
    const Tensor raw = n.detach();
    degree = float_degrees ? trunc(raw) : raw;
    if (float_degrees) {
      undefined = isnan(raw);
      degree = where(undefined, -1.0, degree);
    }
    if (degree.numel() > 0) top = max(degree).to(DType::Float64).item<double>();
  }
  Tensor result = zeros(shape, TensorOptions(x.dtype(), x.device()));
  if (top >= 0.0) {
    check_degree_bound(top, op);
    walk_recurrence(family, x, static_cast<int64_t>(top), [&](int64_t k, const Tensor& p) {
      Tensor selected;
      {
        NoGradGuard no_grad;
        selected = eq(degree, static_cast<double>(k));
      }
      result = where(selected, p, result);
    });
  }
  if (float_degrees) result = where(undefined, std::numeric_limits<double>::quiet_NaN(), result);
  return result;
}

// 2x - 1, the argument of a shifted Chebyshev polynomial, after checking x.
Tensor shifted_argument(const Tensor& x, const char* op) {
  detail::check_defined(x, op, "x");
  detail::check_floating(x, op);
  return 2.0 * x - 1.0;
}

}  // namespace

Tensor chebyshev_polynomial_t(const Tensor& x, const Tensor& n) {
  return of_degrees(Family::ChebyshevT, x, n, "chebyshev_polynomial_t");
}
Tensor chebyshev_polynomial_t(const Tensor& x, int64_t n) {
  return of_degree(Family::ChebyshevT, x, n, "chebyshev_polynomial_t");
}

Tensor chebyshev_polynomial_u(const Tensor& x, const Tensor& n) {
  return of_degrees(Family::ChebyshevU, x, n, "chebyshev_polynomial_u");
}
Tensor chebyshev_polynomial_u(const Tensor& x, int64_t n) {
  return of_degree(Family::ChebyshevU, x, n, "chebyshev_polynomial_u");
}

Tensor chebyshev_polynomial_v(const Tensor& x, const Tensor& n) {
  return of_degrees(Family::ChebyshevV, x, n, "chebyshev_polynomial_v");
}
Tensor chebyshev_polynomial_v(const Tensor& x, int64_t n) {
  return of_degree(Family::ChebyshevV, x, n, "chebyshev_polynomial_v");
}

Tensor chebyshev_polynomial_w(const Tensor& x, const Tensor& n) {
  return of_degrees(Family::ChebyshevW, x, n, "chebyshev_polynomial_w");
}
Tensor chebyshev_polynomial_w(const Tensor& x, int64_t n) {
  return of_degree(Family::ChebyshevW, x, n, "chebyshev_polynomial_w");
}

Tensor shifted_chebyshev_polynomial_t(const Tensor& x, const Tensor& n) {
  return of_degrees(Family::ChebyshevT, shifted_argument(x, "shifted_chebyshev_polynomial_t"), n,
                    "shifted_chebyshev_polynomial_t");
}
Tensor shifted_chebyshev_polynomial_t(const Tensor& x, int64_t n) {
  return of_degree(Family::ChebyshevT, shifted_argument(x, "shifted_chebyshev_polynomial_t"), n,
                   "shifted_chebyshev_polynomial_t");
}

Tensor shifted_chebyshev_polynomial_u(const Tensor& x, const Tensor& n) {
  return of_degrees(Family::ChebyshevU, shifted_argument(x, "shifted_chebyshev_polynomial_u"), n,
                    "shifted_chebyshev_polynomial_u");
}
Tensor shifted_chebyshev_polynomial_u(const Tensor& x, int64_t n) {
  return of_degree(Family::ChebyshevU, shifted_argument(x, "shifted_chebyshev_polynomial_u"), n,
                   "shifted_chebyshev_polynomial_u");
}

Tensor shifted_chebyshev_polynomial_v(const Tensor& x, const Tensor& n) {
  return of_degrees(Family::ChebyshevV, shifted_argument(x, "shifted_chebyshev_polynomial_v"), n,
                    "shifted_chebyshev_polynomial_v");
}
Tensor shifted_chebyshev_polynomial_v(const Tensor& x, int64_t n) {
  return of_degree(Family::ChebyshevV, shifted_argument(x, "shifted_chebyshev_polynomial_v"), n,
                   "shifted_chebyshev_polynomial_v");
}

Tensor shifted_chebyshev_polynomial_w(const Tensor& x, const Tensor& n) {
  return of_degrees(Family::ChebyshevW, shifted_argument(x, "shifted_chebyshev_polynomial_w"), n,
                    "shifted_chebyshev_polynomial_w");
}
Tensor shifted_chebyshev_polynomial_w(const Tensor& x, int64_t n) {
  return of_degree(Family::ChebyshevW, shifted_argument(x, "shifted_chebyshev_polynomial_w"), n,
                   "shifted_chebyshev_polynomial_w");
}

Tensor hermite_polynomial_h(const Tensor& x, const Tensor& n) {
  return of_degrees(Family::HermiteH, x, n, "hermite_polynomial_h");
}
Tensor hermite_polynomial_h(const Tensor& x, int64_t n) {
  return of_degree(Family::HermiteH, x, n, "hermite_polynomial_h");
}

Tensor hermite_polynomial_he(const Tensor& x, const Tensor& n) {
  return of_degrees(Family::HermiteHe, x, n, "hermite_polynomial_he");
}
Tensor hermite_polynomial_he(const Tensor& x, int64_t n) {
  return of_degree(Family::HermiteHe, x, n, "hermite_polynomial_he");
}

Tensor laguerre_polynomial_l(const Tensor& x, const Tensor& n) {
  return of_degrees(Family::Laguerre, x, n, "laguerre_polynomial_l");
}
Tensor laguerre_polynomial_l(const Tensor& x, int64_t n) {
  return of_degree(Family::Laguerre, x, n, "laguerre_polynomial_l");
}

Tensor legendre_polynomial_p(const Tensor& x, const Tensor& n) {
  return of_degrees(Family::Legendre, x, n, "legendre_polynomial_p");
}
Tensor legendre_polynomial_p(const Tensor& x, int64_t n) {
  return of_degree(Family::Legendre, x, n, "legendre_polynomial_p");
}

}  // namespace metagrad
