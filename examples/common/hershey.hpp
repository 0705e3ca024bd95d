#pragma once

#include <string>
#include <string_view>
#include <vector>

// Hershey stroke fonts in the .jhf format of the Debian package hershey-fonts-data
// (/usr/share/hershey-fonts/*.jhf). One record per glyph:
//
//   columns 1-5   glyph id (digits, right aligned; "12345" in the Debian files)
//   columns 6-8   vertex count N, right aligned, counting the margin pair
//   then N pairs of characters, each coordinate offset from 'R' (so 'R' is 0, 'S' 1, 'Q' -1):
//   the first pair is the left and right margin, the others the vertices; the pair " R" lifts
//   the pen (ends a stroke).
//
// A record may be wrapped over several lines (the original distribution breaks lines at 72
// columns): the vertex count, not the line end, says where it stops. Coordinates are in font
// units with y pointing down.

namespace metagrad::examples {

/// A point of a glyph in font units (y down), as decoded from a pair of characters.
struct HersheyPoint {
  int x = 0;
  int y = 0;
};

/// One glyph: its id, its margins and its strokes (pen-down polylines; a stroke may hold a single
/// point, which draws a dot).
struct HersheyGlyph {
  int id = 0;
  int left = 0;
  int right = 0;
  std::vector<std::vector<HersheyPoint>> strokes;
  /// The record's vertex characters after the margins, exactly as in the file: two glyphs with
  /// the same string draw the same picture (used to drop duplicates shared between fonts).
  std::string raw;
  /// Number of vertices over all strokes.
  size_t num_points() const;
};

/// A parsed .jhf file: `name` is the file's stem ("greek" for greek.jhf), glyphs in file order.
struct HersheyFont {
  std::string name;
  std::vector<HersheyGlyph> glyphs;
};

/// Parses the text of a .jhf file. `source` names it in messages (usually the path). Blank lines
/// between records are skipped and '\r' is ignored. Throws metagrad::Error naming the source and
/// the line for a malformed record: a non-numeric id or vertex count, a count of zero, a record
/// that ends (at end of text) before its N pairs, a coordinate character outside '!'..'~' (other
/// than the pen-up pair " R"), or extra non-blank characters after the N pairs.
HersheyFont parse_jhf(std::string_view text, const std::string& source, std::string name = {});

/// Reads and parses one .jhf file (the font is named after the file's stem). Throws
/// metagrad::Error when the file cannot be read or is malformed (see parse_jhf).
HersheyFont load_jhf(const std::string& path);

/// Every *.jhf file of `dir`, sorted by file name. Throws metagrad::Error when the directory does
/// not exist or holds no .jhf file (the message names the Debian package hershey-fonts-data).
std::vector<HersheyFont> load_hershey_dir(const std::string& dir);

/// Where the Debian package hershey-fonts-data installs its fonts.
inline constexpr const char* kHersheyFontDir = "/usr/share/hershey-fonts";

}  // namespace metagrad::examples
