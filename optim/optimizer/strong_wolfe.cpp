// PyTorch's strong-Wolfe line search (torch/optim/lbfgs.py: _cubic_interpolate, _strong_wolfe),
// step for step: a bracketing phase that grows the step by cubic extrapolation until the
// sufficient-decrease condition fails or the slope turns, then a zoom that shrinks the bracket
// by cubic interpolation (kept a tenth of the bracket away from its ends) until the curvature
// condition holds.
#include "optim/optimizer/strong_wolfe.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <tuple>

#include "engine/ops.hpp"

namespace metagrad::detail {

double flat_dot(const Tensor& a, const Tensor& b) { return sum(a * b).item<double>(); }

double cubic_interpolate(double x1, double f1, double g1, double x2, double f2, double g2,
                         std::optional<std::pair<double, double>> bounds) {
  const std::pair<double, double> range = bounds.value_or(std::minmax({x1, x2}));
  const double low = range.first, high = range.second;
  // The minimum of the cubic through both points with both slopes (Nocedal & Wright (3.59)).
  const double d1 = g1 + g2 - 3.0 * (f1 - f2) / (x1 - x2);
  const double d2_square = d1 * d1 - g1 * g2;
  if (d2_square < 0.0) return (low + high) / 2.0;
  const double d2 = std::sqrt(d2_square);
  const double min_pos = x1 <= x2 ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2.0 * d2))
                                  : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2.0 * d2));
  return std::min(std::max(min_pos, low), high);
}

LineSearchResult strong_wolfe(const DirectionalObjective& objective, double t, const Tensor& d,
                              double f, const Tensor& g, double gtd, double tolerance_change,
                              double c1, double c2, int64_t max_ls) {
  const double d_norm = amax(abs(d)).item<double>();
  double f_new = 0.0;
  Tensor g_new;
  std::tie(f_new, g_new) = objective(t);
  int64_t evaluations = 1;
  double gtd_new = flat_dot(g_new, d);
  double t_prev = 0.0, f_prev = f, gtd_prev = gtd;
  Tensor g_prev = g;
  bool done = false;
  int64_t ls_iter = 0;
  // The bracket: two (step, loss, gradient, slope) points, or one when the search is done.
  std::array<double, 2> bracket{}, bracket_f{}, bracket_gtd{};
  std::array<Tensor, 2> bracket_g;
  int points = 0;
  const auto bracket_with_previous = [&] {
    bracket = {t_prev, t}, bracket_f = {f_prev, f_new}, bracket_gtd = {gtd_prev, gtd_new};
    bracket_g = {g_prev, g_new};
    points = 2;
  };
  while (ls_iter < max_ls) {
    if (f_new > f + c1 * t * gtd || (ls_iter > 1 && f_new >= f_prev)) {
      bracket_with_previous();
      break;
    }
    if (std::abs(gtd_new) <= -c2 * gtd) {
      bracket[0] = t, bracket_f[0] = f_new, bracket_g[0] = g_new;
      points = 1;
      done = true;
      break;
    }
    if (gtd_new >= 0.0) {
      bracket_with_previous();
      break;
    }
    // Extrapolate: a step between 1.01 t - 0.01 t_prev and 10 t.
    const double min_step = t + 0.01 * (t - t_prev), max_step = t * 10.0;
    const double previous = t;
    t = cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new,
                          std::make_pair(min_step, max_step));
    t_prev = previous, f_prev = f_new, g_prev = g_new, gtd_prev = gtd_new;
    std::tie(f_new, g_new) = objective(t);
    ++evaluations;
    gtd_new = flat_dot(g_new, d);
    ++ls_iter;
  }
  if (ls_iter == max_ls) {
    bracket = {0.0, t}, bracket_f = {f, f_new}, bracket_g = {g, g_new};
    points = 2;
  }

  // Zoom until the curvature condition holds, the bracket is too small, or evaluations run out.
  bool insufficient_progress = false;
  int low = bracket_f[0] <= bracket_f[points - 1] ? 0 : 1, high = 1 - low;
  while (!done && ls_iter < max_ls) {
    if (std::abs(bracket[1] - bracket[0]) * d_norm < tolerance_change) break;
    t = cubic_interpolate(bracket[0], bracket_f[0], bracket_gtd[0], bracket[1], bracket_f[1],
                          bracket_gtd[1]);
    const double top = std::max(bracket[0], bracket[1]), bottom = std::min(bracket[0], bracket[1]);
    const double eps = 0.1 * (top - bottom);
    if (std::min(top - t, t - bottom) < eps) {
      // Too close to an end: move a tenth of the bracket inside, or allow it once.
      if (insufficient_progress || t >= top || t <= bottom) {
        t = std::abs(t - top) < std::abs(t - bottom) ? top - eps : bottom + eps;
        insufficient_progress = false;
      } else {
        insufficient_progress = true;
      }
    } else {
      insufficient_progress = false;
    }
    std::tie(f_new, g_new) = objective(t);
    ++evaluations;
    gtd_new = flat_dot(g_new, d);
    ++ls_iter;
    if (f_new > f + c1 * t * gtd || f_new >= bracket_f[low]) {
      bracket[high] = t, bracket_f[high] = f_new, bracket_g[high] = g_new;
      bracket_gtd[high] = gtd_new;
      low = bracket_f[0] <= bracket_f[1] ? 0 : 1;
      high = 1 - low;
    } else {
      if (std::abs(gtd_new) <= -c2 * gtd) {
        done = true;
      } else if (gtd_new * (bracket[high] - bracket[low]) >= 0.0) {
        bracket[high] = bracket[low], bracket_f[high] = bracket_f[low];
        bracket_g[high] = bracket_g[low], bracket_gtd[high] = bracket_gtd[low];
      }
      bracket[low] = t, bracket_f[low] = f_new, bracket_g[low] = g_new;
      bracket_gtd[low] = gtd_new;
    }
  }
  if (points == 1) low = 0;
  return {bracket_f[low], bracket_g[low], bracket[low], evaluations};
}

}  // namespace metagrad::detail
