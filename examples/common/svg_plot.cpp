#include "examples/common/svg_plot.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <tuple>

#include "engine/error.hpp"
#include "engine/io/atomic_file.hpp"

namespace metagrad::examples {

namespace {

constexpr const char* kPalette[] = {"#348abd", "#a60628", "#7a68a6", "#467821",
                                    "#d55e00", "#cc79a7", "#56b4e9", "#e69f00"};
constexpr double kLeft = 72, kRight = 24, kTop = 40, kBottom = 56;

std::string escape_xml(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// The range of the x (or y) values of the finite points of all series: [0, 1] when there is none,
// widened around a single value.
std::pair<double, double> data_range(const std::vector<PlotSeries>& series, bool y_axis) {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (const auto& s : series) {
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
      const double v = y_axis ? s.y[i] : s.x[i];
      lo = std::min(lo, v), hi = std::max(hi, v);
    }
  }
  if (!(lo <= hi)) return {0.0, 1.0};
  if (lo == hi)
    return {lo - 0.5 * std::max(1.0, std::abs(lo)), hi + 0.5 * std::max(1.0, std::abs(hi))};
  return {lo, hi};
}

std::string tick_label(double value, double step) {
  const int decimals = std::max(0, static_cast<int>(-std::floor(std::log10(step) + 1e-9)));
  if (std::abs(value) < step * 1e-9) value = 0.0;
  return fmt::format("{:.{}f}", value, decimals);
}

}  // namespace

std::vector<double> nice_ticks(double lo, double hi, int target) {
  if (!(hi > lo)) return {lo};
  const double raw = (hi - lo) / std::max(1, target);
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double step = 10 * magnitude;
  for (double m : {1.0, 2.0, 5.0}) {
    if (m * magnitude >= raw) {
      step = m * magnitude;
      break;
    }
  }
  std::vector<double> ticks;
  const double eps = step * 1e-9;
  for (double k = std::ceil((lo - eps) / step); k * step <= hi + eps; k += 1)
    ticks.push_back(k * step);
  return ticks;
}

std::string render_svg_plot(const std::vector<PlotSeries>& series, const PlotOptions& options) {
  MG_CHECK(options.width >= 200 && options.height >= 150,
           "render_svg_plot: the plot must be at least 200 x 150 pixels, got {} x {}",
           options.width, options.height);
  for (const auto& s : series) {
    MG_CHECK(s.x.size() == s.y.size(),
             "render_svg_plot: series '{}' has {} x values but {} y values", s.label, s.x.size(),
             s.y.size());
  }
  // Plain variables, not structured bindings: the lambdas below capture them (clang before 16
  // cannot capture a structured binding).
  double x_lo, x_hi, y_lo, y_hi;
  std::tie(x_lo, x_hi) = data_range(series, false);
  std::tie(y_lo, y_hi) = data_range(series, true);
  if (!options.y_min && !options.y_max) {
    const double pad = 0.05 * (y_hi - y_lo);
    y_lo -= pad, y_hi += pad;
  }
  x_lo = options.x_min.value_or(x_lo), x_hi = options.x_max.value_or(x_hi);
  y_lo = options.y_min.value_or(y_lo), y_hi = options.y_max.value_or(y_hi);
  MG_CHECK(x_hi > x_lo && y_hi > y_lo,
           "render_svg_plot: empty range x [{}, {}], y [{}, {}]: the maximum must exceed the "
           "minimum",
           x_lo, x_hi, y_lo, y_hi);

  const double w = options.width, h = options.height;
  const double pw = w - kLeft - kRight, ph = h - kTop - kBottom;
  auto px = [&](double x) { return kLeft + (x - x_lo) / (x_hi - x_lo) * pw; };
  auto py = [&](double y) { return kTop + (1.0 - (y - y_lo) / (y_hi - y_lo)) * ph; };

  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} "
      "{1}\" font-family=\"sans-serif\" font-size=\"12\">\n"
      "<rect width=\"{0}\" height=\"{1}\" fill=\"white\"/>\n"
      "<rect x=\"{2}\" y=\"{3}\" width=\"{4}\" height=\"{5}\" fill=\"#eeeeee\"/>\n"
      "<clipPath id=\"plot-area\"><rect x=\"{2}\" y=\"{3}\" width=\"{4}\" height=\"{5}\"/>"
      "</clipPath>\n",
      options.width, options.height, kLeft, kTop, pw, ph);

  // Grid lines and tick labels.
  const std::vector<double> xt = nice_ticks(x_lo, x_hi, 8), yt = nice_ticks(y_lo, y_hi, 6);
  const double x_step = xt.size() > 1 ? xt[1] - xt[0] : 1.0;
  const double y_step = yt.size() > 1 ? yt[1] - yt[0] : 1.0;
  for (double t : xt) {
    svg += fmt::format(
        "<line x1=\"{0:.2f}\" y1=\"{1}\" x2=\"{0:.2f}\" y2=\"{2}\" stroke=\"white\"/>\n"
        "<text x=\"{0:.2f}\" y=\"{3}\" text-anchor=\"middle\">{4}</text>\n",
        px(t), kTop, kTop + ph, kTop + ph + 16, tick_label(t, x_step));
  }
  for (double t : yt) {
    svg += fmt::format(
        "<line x1=\"{0}\" y1=\"{1:.2f}\" x2=\"{2}\" y2=\"{1:.2f}\" stroke=\"white\"/>\n"
        "<text x=\"{3}\" y=\"{1:.2f}\" text-anchor=\"end\" "
        "dominant-baseline=\"middle\">{4}</text>\n",
        kLeft, py(t), kLeft + pw, kLeft - 6, tick_label(t, y_step));
  }
  svg += fmt::format(
      "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#444444\"/>\n",
      kLeft, kTop, pw, ph);

  // The series, each split into polylines at non-finite points.
  for (size_t k = 0; k < series.size(); ++k) {
    const PlotSeries& s = series[k];
    const std::string color = s.color.empty() ? kPalette[k % std::size(kPalette)] : s.color;
    std::string points, markers;
    auto flush = [&]() {
      if (!points.empty())
        svg += fmt::format(
            "<polyline clip-path=\"url(#plot-area)\" fill=\"none\" stroke=\"{}\" "
            "stroke-width=\"2\" points=\"{}\"/>\n",
            color, points);
      points.clear();
    };
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) {
        flush();
        continue;
      }
      points += fmt::format("{}{:.2f},{:.2f}", points.empty() ? "" : " ", px(s.x[i]), py(s.y[i]));
      if (s.markers)
        markers += fmt::format(
            "<circle clip-path=\"url(#plot-area)\" cx=\"{:.2f}\" cy=\"{:.2f}\" r=\"3\" "
            "fill=\"{}\"/>\n",
            px(s.x[i]), py(s.y[i]), color);
    }
    flush();
    svg += markers;
  }

  // Legend in the lower right corner of the plot area.
  if (!series.empty()) {
    size_t longest = 0;
    for (const auto& s : series) longest = std::max(longest, s.label.size());
    const double box_w = 40 + 7.0 * longest, box_h = 8 + 18.0 * series.size();
    const double bx = kLeft + pw - box_w - 10, by = kTop + ph - box_h - 10;
    svg += fmt::format(
        "<rect x=\"{:.2f}\" y=\"{:.2f}\" width=\"{:.2f}\" height=\"{:.2f}\" fill=\"white\" "
        "fill-opacity=\"0.85\" stroke=\"#999999\"/>\n",
        bx, by, box_w, box_h);
    for (size_t k = 0; k < series.size(); ++k) {
      const std::string color =
          series[k].color.empty() ? kPalette[k % std::size(kPalette)] : series[k].color;
      const double ly = by + 13 + 18.0 * k;
      svg += fmt::format(
          "<line x1=\"{0:.2f}\" y1=\"{1:.2f}\" x2=\"{2:.2f}\" y2=\"{1:.2f}\" stroke=\"{3}\" "
          "stroke-width=\"2\"/>\n"
          "<text x=\"{4:.2f}\" y=\"{1:.2f}\" dominant-baseline=\"middle\">{5}</text>\n",
          bx + 8, ly, bx + 28, color, bx + 34, escape_xml(series[k].label));
    }
  }

  // Title and axis labels.
  svg += fmt::format(
      "<text x=\"{:.2f}\" y=\"24\" text-anchor=\"middle\" font-size=\"16\">{}</text>\n"
      "<text x=\"{:.2f}\" y=\"{:.2f}\" text-anchor=\"middle\">{}</text>\n"
      "<text transform=\"translate(18 {:.2f}) rotate(-90)\" text-anchor=\"middle\">{}</text>\n"
      "</svg>\n",
      w / 2, escape_xml(options.title), kLeft + pw / 2, h - 14, escape_xml(options.xlabel),
      kTop + ph / 2, escape_xml(options.ylabel));
  return svg;
}

void write_svg_plot(const std::string& path, const std::vector<PlotSeries>& series,
                    const PlotOptions& options) {
  write_file_atomically(path, render_svg_plot(series, options), "write_svg_plot");
}

}  // namespace metagrad::examples
