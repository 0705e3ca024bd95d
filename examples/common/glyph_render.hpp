#pragma once

#include <cstdint>
#include <vector>

#include "examples/common/hershey.hpp"

// Rasterises Hershey glyphs into small grey images the way Omniglot's characters look after the
// tutorial's resize to 28 x 28: dark anti-aliased pen strokes on a white background (values in
// [0, 1], 1 = paper), each render a different "drawer" thanks to a random affine distortion,
// per-vertex jitter and a random pen width.

namespace metagrad::examples {

/// How render_glyph draws. Lengths in pixels unless said otherwise.
struct RenderOptions {
  /// Width and height of the image.
  int size = 28;
  /// The glyph's extent (the larger of its width and height, at least `min_extent`) is scaled to
  /// this fraction of the image.
  double fill = 0.72;
  /// Font units below which a glyph is not enlarged further, so that small marks stay small
  /// (Hershey capitals are about 21 units tall).
  double min_extent = 21.0;
  /// Strokes are cut into pieces of at most this many font units before they are distorted, so
  /// that the smooth warp below bends straight lines.
  double segment = 1.5;
  /// Amplitude, in font units, of a smooth random warp of the plane (a sum of `warp_waves` plane
  /// waves per axis with random directions, phases and wavelengths in
  /// [wavelength_min, wavelength_max] font units): the wobble of a hand-drawn line.
  double warp = 1.6;
  int warp_waves = 3;
  double wavelength_min = 12.0;
  double wavelength_max = 36.0;
  /// Standard deviation, in font units, of a random offset of each whole stroke (strokes of a
  /// hand-drawn character never meet exactly where the model's do).
  double stroke_offset = 0.9;
  /// Standard deviation of the independent Gaussian jitter of each vertex, in font units.
  double jitter = 0.25;
  /// Largest rotation, in degrees (uniform in [-rotate, rotate]).
  double rotate_deg = 15.0;
  /// Largest horizontal shear factor (uniform in [-shear, shear]).
  double shear = 0.25;
  /// Each axis is scaled by a factor uniform in [1 - scale_jitter, 1 + scale_jitter].
  double scale_jitter = 0.18;
  /// Largest translation along each axis.
  double shift = 2.0;
  /// Pen width, uniform in [width_min, width_max].
  double width_min = 1.1;
  double width_max = 2.1;
};

/// The glyph drawn once, as size * size floats in row-major order (row 0 at the top): 1 on paper,
/// down to 0 under the pen, with a one-pixel linear anti-aliasing ramp at stroke edges. The glyph
/// is centred on its bounding box, scaled as RenderOptions says, then distorted with a random
/// smooth warp, stroke offsets, vertex jitter, rotation, shear, scale, shift and pen width drawn
/// from `seed` alone: the same
/// seed gives the same image on every platform (the generator is std::mt19937_64 with explicit
/// conversions to real numbers). A glyph without strokes renders as blank paper. Throws
/// metagrad::Error when size < 1 or width_min > width_max.
std::vector<float> render_glyph(const HersheyGlyph& glyph, uint64_t seed,
                                const RenderOptions& options = {});

/// Rotates a square size x size row-major image by `quarter_turns` x 90 degrees counter-clockwise
/// (any integer; taken modulo 4), writing into `out` (size * size floats, not aliasing `in`).
void rotate_quarter_turns(const float* in, float* out, int size, int quarter_turns);

/// A 64-bit seed mixed from a base seed and up to two indices (SplitMix64 finaliser), so that
/// nearby indices give unrelated streams.
uint64_t mix_seed(uint64_t seed, uint64_t a, uint64_t b = 0);

}  // namespace metagrad::examples
