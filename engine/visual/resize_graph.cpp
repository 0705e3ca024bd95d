// torchopt.visual.resize_graph on DOT text such as make_dot's.
#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <string_view>

#include "engine/error.hpp"
#include "engine/visual/make_dot.hpp"

namespace metagrad {
namespace {

constexpr std::string_view kGraphAttributes = "\tgraph [";

// True for a statement that draws (a node or an edge), not one that sets default attributes.
bool is_drawing_statement(std::string_view line) {
  return line.starts_with('\t') && !line.starts_with(kGraphAttributes) &&
         !line.starts_with("\tnode [") && !line.starts_with("\tedge [");
}

// The position of the `size=` attribute in the attribute list [begin, end) of a graph line, or
// npos (a key starts after '[' or a space: fontsize= is another key).
size_t find_size_key(const std::string& dot, size_t begin, size_t end) {
  for (size_t at = dot.find("size=", begin); at < end; at = dot.find("size=", at + 1)) {
    if (dot[at - 1] == '[' || dot[at - 1] == ' ') return at;
  }
  return std::string::npos;
}

}  // namespace

void resize_graph(std::string& dot, double size_per_element, double min_size) {
  MG_CHECK(std::isfinite(size_per_element) && size_per_element >= 0.0 && std::isfinite(min_size) &&
               min_size >= 0.0,
           "resize_graph: size_per_element ({}) and min_size ({}) must be finite and >= 0 (in "
           "inches)",
           size_per_element, min_size);
  const size_t header_end = dot.find('\n');
  MG_CHECK(std::string_view(dot).starts_with("digraph") && header_end != std::string::npos &&
               dot.find('{') < header_end,
           "resize_graph: the text does not begin with a \"digraph {{\" line; pass the DOT text "
           "make_dot returns");
  size_t rows = 0, graph_line = std::string::npos;
  for (size_t begin = header_end + 1; begin < dot.size();) {
    const size_t end = std::min(dot.find('\n', begin), dot.size());
    const std::string_view line(dot.data() + begin, end - begin);
    if (is_drawing_statement(line)) ++rows;
    if (line.starts_with(kGraphAttributes) && graph_line == std::string::npos) graph_line = begin;
    begin = end + 1;
  }
  const double size = std::max(min_size, size_per_element * static_cast<double>(rows));
  const std::string value = fmt::format("\"{},{}\"", size, size);
  if (graph_line == std::string::npos) {
    dot.insert(header_end + 1, fmt::format("{}size={}]\n", kGraphAttributes, value));
    return;
  }
  const size_t attributes = graph_line + kGraphAttributes.size();
  const size_t line_end = std::min(dot.find('\n', graph_line), dot.size());
  const size_t key = find_size_key(dot, attributes, line_end);
  if (key == std::string::npos) {
    dot.insert(attributes, fmt::format("size={} ", value));
    return;
  }
  // The old value: a quoted string, or a bare word up to a space or the closing bracket.
  const size_t old_begin = key + 5;
  const size_t old_end = old_begin < line_end && dot[old_begin] == '"'
                             ? std::min(dot.find('"', old_begin + 1), line_end - 1) + 1
                             : std::min(dot.find_first_of(" ]", old_begin), line_end);
  dot.replace(old_begin, old_end - old_begin, value);
}

}  // namespace metagrad
