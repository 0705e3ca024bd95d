// Trapezoidal integration and finite-difference gradients (calculus.hpp), composed of narrow,
// cumsum and elementwise arithmetic.
#include "engine/ops/calculus.hpp"

#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"

namespace metagrad {
namespace {

// x[start : start + length] along dim d.
Tensor part(const Tensor& x, int64_t d, int64_t start, int64_t length) {
  return narrow(x, d, start, length);
}

// The steps x_{i+1} - x_i along dim d of y: from a 1-D x (shaped to broadcast along d) or from an
// x of y's shape.
Tensor steps_along(const Tensor& y, const Tensor& x, int64_t d, const char* op) {
  detail::check_defined(x, op, "x");
  detail::check_same_kind(y, x, op);
  const int64_t n = y.size(d);
  if (x.dim() == 1) {
    MG_CHECK(x.size(0) == n,
             "{}: a 1-D x must have the size {} of dim {} of y (shape {}), got shape {}", op, n, d,
             shape_str(y.shape()), shape_str(x.shape()));
    Dims shape(y.dim(), 1);
    shape[static_cast<int>(d)] = n - 1;
    return reshape(part(x, 0, 1, n - 1) - part(x, 0, 0, n - 1), shape);
  }
  MG_CHECK(x.shape() == y.shape(), "{}: x must be 1-D or of y's shape {}, got shape {}", op,
           shape_str(y.shape()), shape_str(x.shape()));
  return part(x, d, 1, n - 1) - part(x, d, 0, n - 1);
}

int64_t checked_dim(const Tensor& y, int64_t dim, const char* op) {
  detail::check_defined(y, op, "y");
  detail::check_floating(y, op);
  MG_CHECK(y.dim() >= 1, "{}: y must have at least one dim, got a 0-d tensor", op);
  return normalize_dim(dim, y.dim(), op);
}

// The interval averages (y_i + y_{i+1}) / 2 along dim d.
Tensor interval_means(const Tensor& y, int64_t d) {
  const int64_t n = y.size(d);
  return (part(y, d, 0, n - 1) + part(y, d, 1, n - 1)) * 0.5;
}

// A 1-D coefficient vector shaped to broadcast along dim d of an f of `rank` dims.
Tensor along(const Tensor& coefficients, int64_t d, int64_t rank) {
  Dims shape(rank, 1);
  shape[static_cast<int>(d)] = coefficients.numel();
  return reshape(coefficients, shape);
}

// The derivative of f along dim d at sample positions x (1-D, f.size(d) entries): NumPy's
// second-order differences for uneven steps inside, one-sided ones of order `edge_order` at the
// ends.
Tensor derivative_at(const Tensor& f, int64_t d, const Tensor& x, int64_t edge_order) {
  const int64_t n = f.size(d), rank = f.dim();
  const Tensor h = part(x, 0, 1, n - 1) - part(x, 0, 0, n - 1);  // n - 1 steps
  const Tensor left = part(h, 0, 0, n - 2), right = part(h, 0, 1, n - 2);
  // f'_i = a f_{i-1} + b f_i + c f_{i+1}
  const Tensor a = -right / (left * (left + right));
  const Tensor b = (right - left) / (left * right);
  const Tensor c = left / (right * (left + right));
  const Tensor inside = along(a, d, rank) * part(f, d, 0, n - 2) +
                        along(b, d, rank) * part(f, d, 1, n - 2) +
                        along(c, d, rank) * part(f, d, 2, n - 2);
  Tensor first, last;
  if (edge_order == 1) {
    first = (part(f, d, 1, 1) - part(f, d, 0, 1)) / along(part(h, 0, 0, 1), d, rank);
    last = (part(f, d, n - 1, 1) - part(f, d, n - 2, 1)) / along(part(h, 0, n - 2, 1), d, rank);
  } else {
    const Tensor h1 = part(h, 0, 0, 1), h2 = part(h, 0, 1, 1);
    first = along(-(2.0 * h1 + h2) / (h1 * (h1 + h2)), d, rank) * part(f, d, 0, 1) +
            along((h1 + h2) / (h1 * h2), d, rank) * part(f, d, 1, 1) +
            along(-h1 / (h2 * (h1 + h2)), d, rank) * part(f, d, 2, 1);
    const Tensor g1 = part(h, 0, n - 3, 1), g2 = part(h, 0, n - 2, 1);
    last = along(g2 / (g1 * (g1 + g2)), d, rank) * part(f, d, n - 3, 1) +
           along(-(g1 + g2) / (g1 * g2), d, rank) * part(f, d, n - 2, 1) +
           along((2.0 * g2 + g1) / (g2 * (g1 + g2)), d, rank) * part(f, d, n - 1, 1);
  }
  return cat({first, inside, last}, d);
}

// The derivative of f along dim d with uniform step h.
Tensor derivative_uniform(const Tensor& f, int64_t d, double h, int64_t edge_order) {
  const int64_t n = f.size(d);
  const Tensor inside = (part(f, d, 2, n - 2) - part(f, d, 0, n - 2)) / (2.0 * h);
  Tensor first, last;
  if (edge_order == 1) {
    first = (part(f, d, 1, 1) - part(f, d, 0, 1)) / h;
    last = (part(f, d, n - 1, 1) - part(f, d, n - 2, 1)) / h;
  } else {
    first = (part(f, d, 0, 1) * -1.5 + part(f, d, 1, 1) * 2.0 - part(f, d, 2, 1) * 0.5) / h;
    last =
        (part(f, d, n - 3, 1) * 0.5 - part(f, d, n - 2, 1) * 2.0 + part(f, d, n - 1, 1) * 1.5) / h;
  }
  return cat({first, inside, last}, d);
}

// The dims of a gradient call (every dim of f when empty), each checked to hold enough samples.
std::vector<int64_t> gradient_dims(const Tensor& f, const std::vector<int64_t>& dims,
                                   int64_t edge_order) {
  detail::check_defined(f, "gradient", "f");
  detail::check_floating(f, "gradient");
  MG_CHECK(edge_order == 1 || edge_order == 2, "gradient: edge_order must be 1 or 2, got {}",
           edge_order);
  MG_CHECK(f.dim() >= 1, "gradient: f must have at least one dim, got a 0-d tensor");
  std::vector<int64_t> out;
  if (dims.empty()) {
    for (int64_t d = 0; d < f.dim(); ++d) out.push_back(d);
  } else {
    for (const int64_t dim : dims) out.push_back(normalize_dim(dim, f.dim(), "gradient"));
  }
  for (const int64_t d : out)
    MG_CHECK(f.size(d) >= edge_order + 1,
             "gradient: dim {} of f (shape {}) has {} samples; edge_order {} needs at least {}", d,
             shape_str(f.shape()), f.size(d), edge_order, edge_order + 1);
  return out;
}

}  // namespace

Tensor trapezoid(const Tensor& y, double dx, int64_t dim) {
  const int64_t d = checked_dim(y, dim, "trapezoid");
  if (y.size(d) <= 1) return sum(y, {d}) * 0.0;
  // dx (sum y - (y_0 + y_last) / 2)
  const int64_t n = y.size(d);
  const Tensor ends = select(y, d, 0) + select(y, d, n - 1);
  return (sum(y, {d}) - ends * 0.5) * dx;
}

Tensor trapezoid(const Tensor& y, const Tensor& x, int64_t dim) {
  const int64_t d = checked_dim(y, dim, "trapezoid");
  if (y.size(d) <= 1) return sum(y, {d}) * 0.0;
  return sum(steps_along(y, x, d, "trapezoid") * interval_means(y, d), {d});
}

Tensor cumulative_trapezoid(const Tensor& y, double dx, int64_t dim) {
  const int64_t d = checked_dim(y, dim, "cumulative_trapezoid");
  if (y.size(d) <= 1) return part(y, d, 0, 0);
  return cumsum(interval_means(y, d) * dx, d);
}

Tensor cumulative_trapezoid(const Tensor& y, const Tensor& x, int64_t dim) {
  const int64_t d = checked_dim(y, dim, "cumulative_trapezoid");
  if (y.size(d) <= 1) return part(y, d, 0, 0);
  return cumsum(steps_along(y, x, d, "cumulative_trapezoid") * interval_means(y, d), d);
}

TensorList gradient(const Tensor& f, const std::vector<double>& spacing,
                    const std::vector<int64_t>& dims, int64_t edge_order) {
  const std::vector<int64_t> along_dims = gradient_dims(f, dims, edge_order);
  MG_CHECK(spacing.size() <= 1 || spacing.size() == along_dims.size(),
           "gradient: spacing must hold one step or one per dim ({}), got {}", along_dims.size(),
           spacing.size());
  TensorList out;
  for (size_t i = 0; i < along_dims.size(); ++i) {
    const double h = spacing.empty() ? 1.0 : spacing[spacing.size() == 1 ? 0 : i];
    out.push_back(derivative_uniform(f, along_dims[i], h, edge_order));
  }
  return out;
}

TensorList gradient(const Tensor& f, const TensorList& coordinates,
                    const std::vector<int64_t>& dims, int64_t edge_order) {
  const std::vector<int64_t> along_dims = gradient_dims(f, dims, edge_order);
  MG_CHECK(coordinates.size() == along_dims.size(),
           "gradient: expected one coordinate tensor per dim ({}), got {}", along_dims.size(),
           coordinates.size());
  TensorList out;
  for (size_t i = 0; i < along_dims.size(); ++i) {
    const Tensor& x = coordinates[i];
    const int64_t d = along_dims[i];
    detail::check_defined(x, "gradient", "coordinates");
    detail::check_same_kind(f, x, "gradient");
    MG_CHECK(x.dim() == 1 && x.size(0) == f.size(d),
             "gradient: the coordinates of dim {} must be 1-D with {} entries, got shape {}", d,
             f.size(d), shape_str(x.shape()));
    out.push_back(derivative_at(f, d, x, edge_order));
  }
  return out;
}

}  // namespace metagrad
