// .jhf parsing: single-line, wrapped and CRLF records, pen-up pairs, margins, and each malformed
// record rejected with the file and line in the message; the installed fonts when present.
#include "examples/common/hershey.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "metagrad.hpp"
#include "tests/examples_data/data_support.hpp"
#include "tests/support/catch.hpp"

using namespace metagrad;
using namespace metagrad::examples;
using namespace metagrad::testing;

namespace {

using Stroke = std::vector<std::pair<int, int>>;

std::vector<Stroke> strokes_of(const HersheyGlyph& glyph) {
  std::vector<Stroke> out;
  for (const auto& stroke : glyph.strokes) {
    Stroke s;
    for (const auto& p : stroke) s.emplace_back(p.x, p.y);
    out.push_back(s);
  }
  return out;
}

// Glyph 1: a vertical bar and a short tick, margins -5 / 5.
const std::string kBar = "MWRFRT RRYQZ";
// Glyphs 2 and 3: a square (closed polyline) and a vertical bar, margins -8 / 8.
const std::string kSquare = "JZJFZFZZJZJF RRFRZ";

}  // namespace

TEST_CASE("parse_jhf decodes margins, strokes and pen-up pairs", "[examples][hershey]") {
  const HersheyFont font = parse_jhf(jhf_record(1, kBar) + "\n", "mem.jhf", "mem");
  REQUIRE(font.name == "mem");
  REQUIRE(font.glyphs.size() == 1);
  const HersheyGlyph& g = font.glyphs[0];
  CHECK(g.id == 1);
  CHECK(g.left == -5);
  CHECK(g.right == 5);
  CHECK(strokes_of(g) == std::vector<Stroke>{{{0, -12}, {0, 2}}, {{0, 7}, {-1, 8}}});
  CHECK(g.raw == "RFRT RRYQZ");
  CHECK(g.num_points() == 4);
}

TEST_CASE("parse_jhf reads records wrapped over several lines", "[examples][hershey]") {
  // Record 2 wraps right after the space of the pen-up pair " R"; record 3 wraps in the middle of
  // a coordinate pair and over three lines; record 4 has CRLF line ends; blank lines are skipped.
  const std::string square = jhf_record(2, kSquare);  // "    2  9JZJFZFZZJZJF RRFRZ"
  const std::string text = square.substr(0, 21) + "\n" + square.substr(21) + "\n\n" +
                           "    3  9JZJFZ\nFZZJZ\nJF RRFRZ\n" + jhf_record(4, kBar) + "\r\n" +
                           jhf_record(5, "JZ") + "\n";
  REQUIRE(square.substr(0, 21).back() == ' ');
  const HersheyFont font = parse_jhf(text, "wrapped.jhf");
  REQUIRE(font.glyphs.size() == 4);
  const std::vector<Stroke> expected = {{{-8, -12}, {8, -12}, {8, 8}, {-8, 8}, {-8, -12}},
                                        {{0, -12}, {0, 8}}};
  CHECK(font.glyphs[0].id == 2);
  CHECK(strokes_of(font.glyphs[0]) == expected);
  CHECK(font.glyphs[1].id == 3);
  CHECK(strokes_of(font.glyphs[1]) == expected);
  CHECK(font.glyphs[1].raw == font.glyphs[0].raw);
  CHECK(font.glyphs[2].id == 4);
  CHECK(strokes_of(font.glyphs[2]) == std::vector<Stroke>{{{0, -12}, {0, 2}}, {{0, 7}, {-1, 8}}});
  // A record with only the margin pair (the space character) has no strokes.
  CHECK(font.glyphs[3].id == 5);
  CHECK(font.glyphs[3].strokes.empty());
  CHECK(font.glyphs[3].left == -8);
}

TEST_CASE("parse_jhf rejects malformed records naming the file and the line",
          "[examples][hershey]") {
  const std::string good = jhf_record(1, kBar) + "\n";
  // The last record declares 10 pairs but the file ends after 3.
  CHECK_THROWS_WITH(parse_jhf(good + "\n    7 10MWRFRT\n", "trunc.jhf"),
                    MG_CONTAINS("trunc.jhf:3") && MG_CONTAINS("record 7") &&
                        MG_CONTAINS("declares 10 vertex pairs"));
  // A count smaller than the pairs present leaves extra characters.
  CHECK_THROWS_WITH(parse_jhf(good + "    8  2MWRFRT\n", "extra.jhf"),
                    MG_CONTAINS("extra.jhf:2") && MG_CONTAINS("extra characters 'RT'"));
  CHECK_THROWS_WITH(parse_jhf(good + "    9  xMWRF\n", "count.jhf"),
                    MG_CONTAINS("count.jhf:2") && MG_CONTAINS("vertex count"));
  CHECK_THROWS_WITH(parse_jhf("  a12  2MWRF\n", "id.jhf"),
                    MG_CONTAINS("id.jhf:1") && MG_CONTAINS("glyph id"));
  CHECK_THROWS_WITH(parse_jhf("    1  0\n", "zero.jhf"),
                    MG_CONTAINS("zero.jhf:1") && MG_CONTAINS("positive"));
  CHECK_THROWS_WITH(parse_jhf(good + "  12\n", "short.jhf"),
                    MG_CONTAINS("short.jhf:2") && MG_CONTAINS("8 columns"));
  CHECK_THROWS_WITH(parse_jhf(std::string("    1  2MWR\x01\n"), "ctrl.jhf"),
                    MG_CONTAINS("ctrl.jhf:1") && MG_CONTAINS("not printable"));
}

TEST_CASE("parse_jhf quotes only the start of a very long malformed line", "[examples][hershey]") {
  const std::string junk(1 << 20, 'q');
  std::string message;
  try {
    parse_jhf("    1  2MWRFRT" + junk + "\n", "long.jhf");
  } catch (const Error& e) {
    message = e.what();
  }
  CHECK_THAT(message, MG_CONTAINS("long.jhf:1") && MG_CONTAINS("extra characters 'RTqqq"));
  CHECK(message.size() < 400);
  message.clear();
  try {
    parse_jhf(" 12" + junk + "\n", "short_id.jhf");
  } catch (const Error& e) {
    message = e.what();
  }
  CHECK_THAT(message, MG_CONTAINS("short_id.jhf:1") && MG_CONTAINS("glyph id"));
  CHECK(message.size() < 400);
}

TEST_CASE("load_jhf and load_hershey_dir read files sorted by name", "[examples][hershey]") {
  TempDir dir;
  write_text(dir.file("zeta.jhf"), jhf_record(1, kBar) + "\n");
  const std::string square = jhf_record(2, kSquare);  // wrapped over two lines in the file
  write_text(dir.file("alpha.jhf"),
             square.substr(0, 15) + "\n" + square.substr(15) + "\n" + jhf_record(3, kBar) + "\n");
  write_text(dir.file("notes.txt"), "not a font\n");
  const std::vector<HersheyFont> fonts = load_hershey_dir(dir.path());
  REQUIRE(fonts.size() == 2);
  CHECK(fonts[0].name == "alpha");
  REQUIRE(fonts[0].glyphs.size() == 2);
  CHECK(fonts[0].glyphs[0].raw == "JFZFZZJZJF RRFRZ");
  CHECK(fonts[0].glyphs[1].id == 3);
  CHECK(fonts[1].name == "zeta");
  CHECK(load_jhf(dir.file("zeta.jhf")).glyphs[0].raw == "RFRT RRYQZ");

  write_text(dir.file("broken.jhf"), jhf_record(1, kBar) + "\n    2 40JZ\n");
  CHECK_THROWS_WITH(load_hershey_dir(dir.path()),
                    MG_CONTAINS("broken.jhf:2") && MG_CONTAINS("declares 40"));
  CHECK_THROWS_WITH(load_jhf(dir.file("missing.jhf")), MG_CONTAINS("cannot open"));
  TempDir empty;
  CHECK_THROWS_WITH(load_hershey_dir(empty.path()), MG_CONTAINS("hershey-fonts-data"));
  CHECK_THROWS_WITH(load_hershey_dir(empty.file("nowhere")), MG_CONTAINS("not a directory"));
}

TEST_CASE("the installed Hershey fonts parse", "[examples][hershey][real]") {
  if (!std::filesystem::is_directory(kHersheyFontDir))
    MG_SKIP("hershey-fonts-data is not installed (no /usr/share/hershey-fonts)");
  const std::vector<HersheyFont> fonts = load_hershey_dir(kHersheyFontDir);
  REQUIRE(fonts.size() >= 20);
  size_t glyphs = 0;
  int largest = 0;  // the largest |coordinate|: Hershey glyphs fit in about +-50 units
  for (const auto& font : fonts) {
    glyphs += font.glyphs.size();
    for (const auto& glyph : font.glyphs) {
      for (const auto& stroke : glyph.strokes) {
        for (const auto& p : stroke) largest = std::max({largest, std::abs(p.x), std::abs(p.y)});
      }
    }
  }
  CHECK(largest <= 50);
  CHECK(largest >= 20);
  CHECK(glyphs >= 2500);
  // futural.jhf's capital A (ASCII 65, the 34th record): two slanted strokes and a bar.
  const auto futural = std::find_if(fonts.begin(), fonts.end(),
                                    [](const HersheyFont& f) { return f.name == "futural"; });
  REQUIRE(futural != fonts.end());
  REQUIRE(futural->glyphs.size() >= 34);
  const HersheyGlyph& a = futural->glyphs[33];
  CHECK(a.left == -9);
  CHECK(a.right == 9);
  CHECK(strokes_of(a) ==
        std::vector<Stroke>{{{0, -12}, {-8, 9}}, {{0, -12}, {8, 9}}, {{-5, 2}, {5, 2}}});
}
