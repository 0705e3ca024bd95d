#pragma once

#include <optional>
#include <string>
#include <vector>

// A tiny line-plot writer for the examples: axes with "nice" ticks, a title, axis labels, a
// legend and any number of series, as a self-contained SVG document (no dependency).

namespace metagrad::examples {

/// One line of a plot: points (x[i], y[i]) joined in order, with optional dots at the points.
struct PlotSeries {
  std::string label;
  std::vector<double> x;
  std::vector<double> y;
  /// CSS colour; empty picks the next colour of the default palette.
  std::string color;
  bool markers = false;
};

/// Layout and ranges of a plot. An unset range is fitted to the data (with a small margin).
struct PlotOptions {
  std::string title;
  std::string xlabel;
  std::string ylabel;
  int width = 800;
  int height = 400;
  std::optional<double> x_min, x_max, y_min, y_max;
};

/// The plot as an SVG document. Points outside the ranges are clipped to the plot area; non-finite
/// values are skipped (they break the line). Throws metagrad::Error when a series' x and y have
/// different lengths, when the size is below 200 x 150, or when a given range is empty.
std::string render_svg_plot(const std::vector<PlotSeries>& series, const PlotOptions& options);

/// Writes render_svg_plot(series, options) to `path` (atomically); throws metagrad::Error when
/// the file cannot be written.
void write_svg_plot(const std::string& path, const std::vector<PlotSeries>& series,
                    const PlotOptions& options);

/// Tick positions for [lo, hi]: multiples of 1, 2 or 5 x 10^k, about `target` of them, all inside
/// the range. Returns {lo} when lo == hi.
std::vector<double> nice_ticks(double lo, double hi, int target = 6);

}  // namespace metagrad::examples
