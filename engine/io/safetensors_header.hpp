#pragma once

// Internal: the bounded, single-pass parser of a safetensors JSON header. Not part of the public
// API.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "engine/io/tensor_bytes.hpp"

namespace metagrad::io_detail {

/// One tensor entry of a safetensors header, checked field by field (not yet against the data).
struct SafetensorsEntry {
  std::string name;
  std::string dtype;  // as written, e.g. "F32"
  FileElement element = FileElement::F32;
  Dims shape;
  uint64_t begin = 0;
  uint64_t end = 0;
};

/// The parsed header: entries in file order and the `__metadata__` strings.
struct SafetensorsHeader {
  std::vector<SafetensorsEntry> entries;
  std::map<std::string, std::string> metadata;
};

/// Parses the JSON header `text` of the safetensors file `path` in one pass whose time and memory
/// are linear in the header size: nlohmann's iterative SAX parser feeds a state machine that
/// knows the only shape a header may have (an object of entries {dtype, shape, data_offsets} and
/// an optional `__metadata__` object of strings), so JSON containers never nest more than three
/// levels deep and anything else is rejected at the first event that breaks the shape, without
/// building or printing the offending value. Duplicate keys (hash sets), empty tensor names,
/// unknown dtypes, shapes with negative, non-integer or more than kMaxDims sizes or more elements
/// than an int64 counts, and data_offsets that are not two ordered non-negative integers throw
/// metagrad::Error prefixed "load_file: '<path>': ". Unknown fields of an entry are ignored when
/// they hold a scalar or a flat array or object. Names and strings quoted in messages are cut to
/// a short excerpt.
SafetensorsHeader parse_safetensors_header(std::string_view text, const std::string& path);

/// `text` for quoting in a message: at most `limit` bytes, then "..." and the full length.
std::string excerpt(std::string_view text, size_t limit = 80);

}  // namespace metagrad::io_detail
