#include "examples/common/hershey.hpp"

#include <algorithm>
#include <exception>
#include <filesystem>
#include <fstream>
#include <new>
#include <sstream>

#include "engine/error.hpp"

namespace metagrad::examples {

namespace {

// The text split into lines without their '\n' and '\r'.
std::vector<std::string> split_lines(std::string_view text) {
  std::vector<std::string> lines;
  std::string current;
  for (char c : text) {
    if (c == '\n') {
      lines.push_back(std::move(current));
      current.clear();
    } else if (c != '\r') {
      current.push_back(c);
    }
  }
  if (!current.empty()) lines.push_back(std::move(current));
  return lines;
}

// At most the first 40 characters of `s`, for quoting in a message.
std::string shown(std::string_view s) {
  return s.size() <= 40 ? std::string(s) : fmt::format("{}...", s.substr(0, 40));
}

bool is_blank(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c == ' ' || c == '\t'; });
}

// A right-aligned decimal field ("   12"): leading spaces, then at least one digit, nothing else.
bool parse_field(std::string_view field, int& value) {
  size_t i = 0;
  while (i < field.size() && field[i] == ' ') ++i;
  if (i == field.size()) return false;
  value = 0;
  for (; i < field.size(); ++i) {
    if (field[i] < '0' || field[i] > '9') return false;
    value = value * 10 + (field[i] - '0');
  }
  return true;
}

}  // namespace

size_t HersheyGlyph::num_points() const {
  size_t n = 0;
  for (const auto& stroke : strokes) n += stroke.size();
  return n;
}

namespace {

HersheyFont parse_records(std::string_view text, const std::string& source, std::string name) {
  HersheyFont font;
  font.name = std::move(name);
  const std::vector<std::string> lines = split_lines(text);
  size_t index = 0;
  while (index < lines.size()) {
    const std::string& first = lines[index];
    const size_t record_line = index + 1;  // 1-based, for messages
    ++index;
    if (is_blank(first)) continue;
    MG_CHECK(first.size() >= 8,
             "parse_jhf: {}:{}: malformed record: a line needs at least 8 columns (5-column glyph "
             "id and 3-column vertex count), got '{}'",
             source, record_line, shown(first));
    HersheyGlyph glyph;
    int count = 0;
    MG_CHECK(parse_field(std::string_view(first).substr(0, 5), glyph.id),
             "parse_jhf: {}:{}: malformed record: glyph id (columns 1-5) '{}' is not a number",
             source, record_line, first.substr(0, 5));
    MG_CHECK(parse_field(std::string_view(first).substr(5, 3), count) && count > 0,
             "parse_jhf: {}:{}: malformed record: vertex count (columns 6-8) '{}' is not a "
             "positive number",
             source, record_line, first.substr(5, 3));
    // Gather 2 * count characters, continuing on the following lines when the record is wrapped.
    const size_t need = 2 * static_cast<size_t>(count);
    std::string data = first.substr(8);
    size_t last_line = record_line;
    while (data.size() < need && index < lines.size()) {
      data += lines[index];
      ++index;
      last_line = index;
    }
    MG_CHECK(data.size() >= need,
             "parse_jhf: {}:{}: malformed record {}: it declares {} vertex pairs ({} characters) "
             "but the file ends after {} characters (truncated file or wrong vertex count)",
             source, record_line, glyph.id, count, need, data.size());
    MG_CHECK(is_blank(std::string_view(data).substr(need)),
             "parse_jhf: {}:{}: malformed record {}: it declares {} vertex pairs but has extra "
             "characters '{}' after them (wrong vertex count?)",
             source, last_line, glyph.id, count, shown(std::string_view(data).substr(need)));
    for (size_t i = 0; i < need; ++i) {
      MG_CHECK(data[i] >= ' ' && data[i] <= '~',
               "parse_jhf: {}:{}: malformed record {}: character {} of the coordinates (code {}) "
               "is not printable ASCII",
               source, record_line, glyph.id, i + 1,
               static_cast<int>(static_cast<unsigned char>(data[i])));
    }
    glyph.left = data[0] - 'R';
    glyph.right = data[1] - 'R';
    glyph.raw = data.substr(2, need - 2);
    std::vector<HersheyPoint> stroke;
    for (size_t i = 2; i < need; i += 2) {
      if (data[i] == ' ' && data[i + 1] == 'R') {
        if (!stroke.empty()) glyph.strokes.push_back(std::move(stroke));
        stroke.clear();
        continue;
      }
      stroke.push_back({data[i] - 'R', data[i + 1] - 'R'});
    }
    if (!stroke.empty()) glyph.strokes.push_back(std::move(stroke));
    font.glyphs.push_back(std::move(glyph));
  }
  return font;
}

}  // namespace

HersheyFont parse_jhf(std::string_view text, const std::string& source, std::string name) {
  try {
    return parse_records(text, source, std::move(name));
  } catch (const Error&) {
    throw;
  } catch (const std::bad_alloc&) {
    MG_FAIL("parse_jhf: {}: out of memory while parsing", source);
  } catch (const std::exception& e) {
    MG_FAIL("parse_jhf: {}: unexpected failure while parsing: {}", source, e.what());
  }
}

HersheyFont load_jhf(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  MG_CHECK(in.good(), "load_jhf: cannot open '{}'", path);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  MG_CHECK(!in.bad(), "load_jhf: cannot read '{}'", path);
  return parse_jhf(buffer.str(), path, std::filesystem::path(path).stem().string());
}

std::vector<HersheyFont> load_hershey_dir(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  MG_CHECK(fs::is_directory(dir, ec),
           "load_hershey_dir: '{}' is not a directory; the Hershey fonts come with the Debian "
           "package hershey-fonts-data (apt-get install hershey-fonts-data, or `make deps`)",
           dir);
  std::vector<std::string> paths;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.is_regular_file() && entry.path().extension() == ".jhf")
      paths.push_back(entry.path().string());
  }
  MG_CHECK(!ec, "load_hershey_dir: cannot list '{}': {}", dir, ec.message());
  MG_CHECK(!paths.empty(),
           "load_hershey_dir: no .jhf file in '{}'; the Hershey fonts come with the Debian "
           "package hershey-fonts-data",
           dir);
  std::sort(paths.begin(), paths.end());
  std::vector<HersheyFont> fonts;
  fonts.reserve(paths.size());
  for (const auto& path : paths) fonts.push_back(load_jhf(path));
  return fonts;
}

}  // namespace metagrad::examples
