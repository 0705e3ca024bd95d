#include "examples/common/glyph_render.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <random>

#include "engine/error.hpp"

namespace metagrad::examples {

namespace {

uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Real numbers from mt19937_64 with an explicit conversion (std::uniform_real_distribution and
// std::normal_distribution differ between standard libraries).
class Uniform {
 public:
  explicit Uniform(uint64_t seed) : engine_(seed) {}
  /// Uniform in [0, 1).
  double next() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
  /// Uniform in [lo, hi).
  double between(double lo, double hi) { return lo + (hi - lo) * next(); }
  /// Standard normal (Box-Muller).
  double normal() {
    const double u1 = 1.0 - next();  // (0, 1]
    const double u2 = next();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
  }

 private:
  std::mt19937_64 engine_;
};

struct Vec2 {
  double x, y;
};

// Distance from p to the segment [a, b].
double segment_distance(Vec2 p, Vec2 a, Vec2 b) {
  const double dx = b.x - a.x, dy = b.y - a.y;
  const double len2 = dx * dx + dy * dy;
  double t = 0.0;
  if (len2 > 0.0) t = std::clamp(((p.x - a.x) * dx + (p.y - a.y) * dy) / len2, 0.0, 1.0);
  const double ex = p.x - (a.x + t * dx), ey = p.y - (a.y + t * dy);
  return std::sqrt(ex * ex + ey * ey);
}

// Raises ink[] to the coverage of a pen of width `width` moved from a to b.
void draw_segment(std::vector<float>& ink, int size, Vec2 a, Vec2 b, double width) {
  const double reach = width / 2 + 1.0;
  const int x0 = std::max(0, static_cast<int>(std::floor(std::min(a.x, b.x) - reach)));
  const int x1 = std::min(size - 1, static_cast<int>(std::ceil(std::max(a.x, b.x) + reach)));
  const int y0 = std::max(0, static_cast<int>(std::floor(std::min(a.y, b.y) - reach)));
  const int y1 = std::min(size - 1, static_cast<int>(std::ceil(std::max(a.y, b.y) + reach)));
  for (int y = y0; y <= y1; ++y) {
    for (int x = x0; x <= x1; ++x) {
      const double d = segment_distance({x + 0.5, y + 0.5}, a, b);
      const double cover = std::clamp(width / 2 + 0.5 - d, 0.0, 1.0);
      float& cell = ink[static_cast<size_t>(y) * size + x];
      cell = std::max(cell, static_cast<float>(cover));
    }
  }
}

}  // namespace

uint64_t mix_seed(uint64_t seed, uint64_t a, uint64_t b) {
  return splitmix64(splitmix64(splitmix64(seed) ^ a) ^ (b * 0xd1342543de82ef95ULL));
}

std::vector<float> render_glyph(const HersheyGlyph& glyph, uint64_t seed,
                                const RenderOptions& options) {
  const int size = options.size;
  MG_CHECK(size >= 1, "render_glyph: image size must be at least 1, got {}", size);
  MG_CHECK(options.width_min <= options.width_max && options.width_min > 0,
           "render_glyph: pen width range [{}, {}] is empty or not positive", options.width_min,
           options.width_max);
  MG_CHECK(options.segment > 0 && options.warp_waves >= 0 && options.wavelength_min > 0 &&
               options.wavelength_min <= options.wavelength_max,
           "render_glyph: segment length {} must be positive and the warp's wavelengths [{}, {}] "
           "a non-empty positive range",
           options.segment, options.wavelength_min, options.wavelength_max);
  std::vector<float> ink(static_cast<size_t>(size) * size, 0.0f);
  if (glyph.num_points() > 0) {
    int min_x = glyph.strokes[0][0].x, max_x = min_x;
    int min_y = glyph.strokes[0][0].y, max_y = min_y;
    for (const auto& stroke : glyph.strokes) {
      for (const auto& p : stroke) {
        min_x = std::min(min_x, p.x), max_x = std::max(max_x, p.x);
        min_y = std::min(min_y, p.y), max_y = std::max(max_y, p.y);
      }
    }
    const double cx = 0.5 * (min_x + max_x), cy = 0.5 * (min_y + max_y);
    const double extent =
        std::max({double(max_x - min_x), double(max_y - min_y), options.min_extent});
    const double unit = options.fill * size / extent;  // pixels per font unit

    Uniform rng(seed);
    // The smooth warp: per axis, a sum of plane waves a sin(k . p + phase).
    struct Wave {
      double kx, ky, phase, amplitude;
    };
    std::vector<Wave> waves[2];
    const double amplitude =
        options.warp_waves > 0 ? options.warp / std::sqrt(options.warp_waves) : 0;
    for (auto& axis : waves) {
      for (int i = 0; i < options.warp_waves; ++i) {
        const double direction = rng.between(0, 2 * std::numbers::pi);
        const double k =
            2 * std::numbers::pi / rng.between(options.wavelength_min, options.wavelength_max);
        axis.push_back({k * std::cos(direction), k * std::sin(direction),
                        rng.between(0, 2 * std::numbers::pi), amplitude * rng.normal()});
      }
    }
    const double angle =
        rng.between(-options.rotate_deg, options.rotate_deg) * std::numbers::pi / 180;
    const double shear = rng.between(-options.shear, options.shear);
    const double sx = unit * rng.between(1 - options.scale_jitter, 1 + options.scale_jitter);
    const double sy = unit * rng.between(1 - options.scale_jitter, 1 + options.scale_jitter);
    const double tx = size / 2.0 + rng.between(-options.shift, options.shift);
    const double ty = size / 2.0 + rng.between(-options.shift, options.shift);
    const double width = rng.between(options.width_min, options.width_max);
    const double c = std::cos(angle), s = std::sin(angle);
    // A point of the model (font units, centred) -> pixel: warp and offset, then
    // R(angle) * [[1, shear], [0, 1]] * diag(sx, sy) and the shift.
    auto place = [&](double x, double y, Vec2 offset) {
      double wx = x + offset.x, wy = y + offset.y;
      for (const Wave& w : waves[0]) wx += w.amplitude * std::sin(w.kx * x + w.ky * y + w.phase);
      for (const Wave& w : waves[1]) wy += w.amplitude * std::sin(w.kx * x + w.ky * y + w.phase);
      const double ux = wx * sx, uy = wy * sy;
      const double hx = ux + shear * uy;
      return Vec2{c * hx - s * uy + tx, s * hx + c * uy + ty};
    };
    for (const auto& stroke : glyph.strokes) {
      const Vec2 offset{options.stroke_offset * rng.normal(), options.stroke_offset * rng.normal()};
      // The stroke's vertices, each jittered, with the pieces between them subdivided.
      std::vector<Vec2> model;
      for (const auto& p : stroke)
        model.push_back(
            {p.x - cx + options.jitter * rng.normal(), p.y - cy + options.jitter * rng.normal()});
      Vec2 previous = place(model[0].x, model[0].y, offset);
      if (model.size() == 1) draw_segment(ink, size, previous, previous, width);
      for (size_t i = 1; i < model.size(); ++i) {
        const Vec2 a = model[i - 1], b = model[i];
        const int pieces = std::max(
            1, static_cast<int>(std::ceil(std::hypot(b.x - a.x, b.y - a.y) / options.segment)));
        for (int k = 1; k <= pieces; ++k) {
          const double t = static_cast<double>(k) / pieces;
          const Vec2 current = place(a.x + t * (b.x - a.x), a.y + t * (b.y - a.y), offset);
          draw_segment(ink, size, previous, current, width);
          previous = current;
        }
      }
    }
  }
  for (float& v : ink) v = 1.0f - v;
  return ink;
}

void rotate_quarter_turns(const float* in, float* out, int size, int quarter_turns) {
  const int turns = ((quarter_turns % 4) + 4) % 4;
  const int n = size - 1;
  for (int y = 0; y < size; ++y) {
    for (int x = 0; x < size; ++x) {
      // Source pixel of out(y, x) for a counter-clockwise turn (as numpy.rot90).
      int sy = y, sx = x;
      switch (turns) {
        case 1:
          sy = x, sx = n - y;
          break;
        case 2:
          sy = n - y, sx = n - x;
          break;
        case 3:
          sy = n - x, sx = y;
          break;
        default:
          break;
      }
      out[static_cast<size_t>(y) * size + x] = in[static_cast<size_t>(sy) * size + sx];
    }
  }
}

}  // namespace metagrad::examples
