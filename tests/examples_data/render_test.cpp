// Glyph rendering: exact pixels of an undistorted stroke with its anti-aliased ends, determinism
// from the seed, quarter-turn rotations, and the error cases.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "examples/common/glyph_render.hpp"
#include "metagrad.hpp"
#include "tests/support/catch.hpp"

using namespace metagrad;
using namespace metagrad::examples;

namespace {

HersheyGlyph glyph_from(std::vector<std::vector<HersheyPoint>> strokes) {
  HersheyGlyph g;
  g.strokes = std::move(strokes);
  return g;
}

RenderOptions undistorted() {
  RenderOptions o;
  o.warp = 0, o.stroke_offset = 0, o.jitter = 0;
  o.rotate_deg = 0, o.shear = 0, o.scale_jitter = 0, o.shift = 0;
  o.width_min = o.width_max = 2.0;
  return o;
}

double total_difference(const std::vector<float>& a, const std::vector<float>& b) {
  double d = 0;
  for (size_t i = 0; i < a.size(); ++i) d += std::abs(a[i] - b[i]);
  return d;
}

}  // namespace

TEST_CASE("render_glyph draws an undistorted stroke where it belongs", "[examples][render]") {
  // A horizontal bar from x = -10 to 10: extent 20 < min_extent 21, so 0.72 * 28 / 21 = 0.96
  // pixels per unit, centred at pixel (14, 14): it covers x in [4.4, 23.6] on the line y = 14.
  const std::vector<float> img = render_glyph(glyph_from({{{-10, 0}, {10, 0}}}), 7, undistorted());
  REQUIRE(img.size() == 28 * 28);
  auto at = [&](int row, int col) { return img[row * 28 + col]; };
  for (int col = 4; col <= 23; ++col) {
    CHECK(at(13, col) == 0.0f);  // pixel centres 0.5 from the line: fully under a 2-pixel pen
    CHECK(at(14, col) == 0.0f);
    CHECK(at(12, col) == 1.0f);  // 1.5 away: paper
    CHECK(at(15, col) == 1.0f);
  }
  // Column 3's centre is sqrt(0.9^2 + 0.5^2) from the end point: partly covered (anti-aliasing).
  CHECK(at(13, 3) == Catch::Approx(1.0 - (1.5 - std::hypot(0.9, 0.5))).margin(1e-5));
  CHECK(at(14, 24) == Catch::Approx(at(13, 3)).margin(1e-5));
  CHECK(at(13, 2) == 1.0f);
  const double ink =
      std::accumulate(img.begin(), img.end(), 0.0, [](double s, float v) { return s + (1.0 - v); });
  // Two full rows of 20 pixels plus four partly covered end pixels.
  CHECK(ink == Catch::Approx(40.0 + 4 * (1.5 - std::hypot(0.9, 0.5))).margin(1e-4));
}

TEST_CASE("render_glyph is deterministic in its seed", "[examples][render]") {
  const HersheyGlyph g =
      glyph_from({{{-8, -12}, {8, -12}, {8, 8}, {-8, 8}, {-8, -12}}, {{0, -12}, {0, 8}}});
  const std::vector<float> a = render_glyph(g, 42), b = render_glyph(g, 42),
                           c = render_glyph(g, 43);
  CHECK(a == b);
  CHECK(total_difference(a, c) > 10.0);  // another drawer: visibly different
  // Each distortion on its own changes the drawing.
  RenderOptions only_warp = undistorted();
  only_warp.warp = 1.6;
  CHECK(total_difference(render_glyph(g, 42, only_warp), render_glyph(g, 42, undistorted())) > 5.0);
  CHECK(total_difference(render_glyph(g, 42, only_warp), render_glyph(g, 43, only_warp)) > 5.0);
  for (float v : a) REQUIRE((v >= 0.0f && v <= 1.0f));
  CHECK(std::count_if(a.begin(), a.end(), [](float v) { return v < 0.5f; }) > 40);
  // An empty glyph is blank paper; small images work.
  const std::vector<float> blank = render_glyph(HersheyGlyph{}, 1);
  CHECK(std::all_of(blank.begin(), blank.end(), [](float v) { return v == 1.0f; }));
  RenderOptions small;
  small.size = 8;
  CHECK(render_glyph(g, 42, small).size() == 64);
  CHECK(mix_seed(1, 2) != mix_seed(1, 3));
  CHECK(mix_seed(1, 2, 0) != mix_seed(1, 2, 1));
  CHECK(mix_seed(5, 6, 7) == mix_seed(5, 6, 7));
}

TEST_CASE("render_glyph rejects impossible options", "[examples][render]") {
  RenderOptions o;
  o.size = 0;
  CHECK_THROWS_WITH(render_glyph(HersheyGlyph{}, 1, o), MG_CONTAINS("image size"));
  o = RenderOptions{};
  o.width_min = 3, o.width_max = 2;
  CHECK_THROWS_WITH(render_glyph(HersheyGlyph{}, 1, o), MG_CONTAINS("pen width"));
  o = RenderOptions{};
  o.wavelength_min = 40, o.wavelength_max = 30;
  CHECK_THROWS_WITH(render_glyph(HersheyGlyph{}, 1, o), MG_CONTAINS("wavelengths [40, 30]"));
}

TEST_CASE("rotate_quarter_turns turns counter-clockwise like numpy.rot90", "[examples][render]") {
  const std::vector<float> img = {0, 1, 2, 3, 4, 5, 6, 7, 8};
  std::vector<float> out(9);
  rotate_quarter_turns(img.data(), out.data(), 3, 1);
  CHECK(out == std::vector<float>{2, 5, 8, 1, 4, 7, 0, 3, 6});
  rotate_quarter_turns(img.data(), out.data(), 3, 2);
  CHECK(out == std::vector<float>{8, 7, 6, 5, 4, 3, 2, 1, 0});
  rotate_quarter_turns(img.data(), out.data(), 3, 3);
  CHECK(out == std::vector<float>{6, 3, 0, 7, 4, 1, 8, 5, 2});
  rotate_quarter_turns(img.data(), out.data(), 3, -1);
  CHECK(out == std::vector<float>{6, 3, 0, 7, 4, 1, 8, 5, 2});
  rotate_quarter_turns(img.data(), out.data(), 3, 4);
  CHECK(out == img);
}
