#include "engine/io/safetensors.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string_view>

#include "engine/io/atomic_file.hpp"
#include "engine/io/tensor_bytes.hpp"

namespace metagrad {
namespace {

using io_detail::FileElement;
using json = nlohmann::json;

/// The reference implementation's limit on the JSON header (safetensors' MAX_HEADER_SIZE).
constexpr uint64_t kMaxHeaderBytes = 100'000'000;
constexpr std::string_view kMetadataKey = "__metadata__";

struct DTypeName {
  std::string_view name;
  FileElement element;
};
constexpr std::array<DTypeName, 12> kReadable{{{"F32", FileElement::F32},
                                               {"F64", FileElement::F64},
                                               {"I64", FileElement::I64},
                                               {"BOOL", FileElement::Bool},
                                               {"F16", FileElement::F16},
                                               {"BF16", FileElement::BF16},
                                               {"I8", FileElement::I8},
                                               {"I16", FileElement::I16},
                                               {"I32", FileElement::I32},
                                               {"U8", FileElement::U8},
                                               {"U16", FileElement::U16},
                                               {"U32", FileElement::U32}}};
/// Valid safetensors dtypes that no metagrad dtype holds exactly.
constexpr std::array<std::string_view, 9> kUnrepresentable{
    "U64", "C64", "F8_E4M3", "F8_E5M2", "F8_E8M0", "F4", "F6_E2M3", "F6_E3M2", "E8M0"};

std::string_view dtype_string(DType dtype) {
  switch (dtype) {
    case DType::Float32:
      return "F32";
    case DType::Float64:
      return "F64";
    case DType::Int64:
      return "I64";
    case DType::Bool:
      return "BOOL";
  }
  return "F32";
}

/// One validated tensor entry of the header.
struct Entry {
  std::string name;
  FileElement element;
  Dims shape;
  uint64_t begin = 0;
  uint64_t end = 0;
};

/// Throws metagrad::Error prefixed with the op and the file.
template <typename... Args>
[[noreturn]] void fail(const std::string& path, fmt::format_string<Args...> format,
                       Args&&... args) {
  MG_FAIL("load_file: '{}': {}", path, fmt::format(format, std::forward<Args>(args)...));
}

/// Parser callback that records the first duplicate key of any object (nlohmann keeps the last
/// duplicate silently; safetensors requires unique names).
class DuplicateKeyFinder {
 public:
  bool operator()(int, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
        frames_.push_back({{}, frames_.empty() ? std::string() : frames_.back().last_key, {}});
        break;
      case json::parse_event_t::object_end:
        frames_.pop_back();
        break;
      case json::parse_event_t::key: {
        Frame& frame = frames_.back();
        frame.last_key = parsed.get<std::string>();
        if (!frame.keys.insert(frame.last_key).second && !duplicate_) {
          duplicate_ = frame.last_key;
          owner_ = frame.owner;
          top_level_ = frames_.size() == 1;
        }
        break;
      }
      default:
        break;
    }
    return true;
  }

  /// Throws when a duplicate was seen.
  void check(const std::string& path) const {
    if (!duplicate_) return;
    if (top_level_) fail(path, "duplicate tensor name '{}' in the header", *duplicate_);
    fail(path, "duplicate key '{}' inside header entry '{}'", *duplicate_, owner_);
  }

 private:
  struct Frame {
    std::set<std::string> keys;
    std::string owner;
    std::string last_key;
  };
  std::vector<Frame> frames_;
  std::optional<std::string> duplicate_;
  std::string owner_;
  bool top_level_ = false;
};

FileElement parse_dtype(const std::string& path, const std::string& name, const json& value) {
  if (!value.is_string())
    fail(path, "entry '{}': dtype must be a string like \"F32\", got {}", name, value.dump());
  const std::string& text = value.get_ref<const std::string&>();
  for (const auto& d : kReadable)
    if (d.name == text) return d.element;
  const bool known =
      std::find(kUnrepresentable.begin(), kUnrepresentable.end(), text) != kUnrepresentable.end();
  fail(path,
       "entry '{}' has {} dtype '{}'; metagrad reads F32, F64, I64, BOOL (and F16/BF16 as "
       "float32, I8/I16/I32/U8/U16/U32 as int64)",
       name, known ? "unsupported" : "unknown", text);
}

Dims parse_shape(const std::string& path, const std::string& name, const json& value) {
  if (!value.is_array())
    fail(path, "entry '{}': shape must be an array of non-negative integers, got {}", name,
         value.dump());
  if (value.size() > static_cast<size_t>(kMaxDims))
    fail(path, "entry '{}': shape {} has {} dimensions; metagrad tensors have at most {}", name,
         value.dump(), value.size(), kMaxDims);
  Dims shape;
  int64_t elements = 1;  // product of the non-zero sizes, which strides must be able to hold
  for (const json& d : value) {
    if (d.is_number_integer() && !d.is_number_unsigned())
      fail(path, "entry '{}': shape {} has the negative size {}", name, value.dump(), d.dump());
    if (!d.is_number_unsigned())
      fail(path, "entry '{}': shape {} has the non-integer size {}", name, value.dump(), d.dump());
    const uint64_t size = d.get<uint64_t>();
    if (size > static_cast<uint64_t>(INT64_MAX) ||
        (size != 0 && elements > INT64_MAX / static_cast<int64_t>(size)))
      fail(path, "entry '{}': shape {} has more elements than an int64 can count", name,
           value.dump());
    if (size != 0) elements *= static_cast<int64_t>(size);
    shape.push_back(static_cast<int64_t>(size));
  }
  return shape;
}

void parse_offsets(const std::string& path, Entry& entry, const json& value) {
  const bool ok = value.is_array() && value.size() == 2 && value[0].is_number_unsigned() &&
                  value[1].is_number_unsigned();
  if (!ok)
    fail(path, "entry '{}': data_offsets must be two non-negative integers [begin, end], got {}",
         entry.name, value.dump());
  entry.begin = value[0].get<uint64_t>();
  entry.end = value[1].get<uint64_t>();
  if (entry.begin > entry.end)
    fail(path, "entry '{}': data_offsets [{}, {}] end before they begin", entry.name, entry.begin,
         entry.end);
}

Entry parse_entry(const std::string& path, const std::string& name, const json& value,
                  uint64_t data_bytes) {
  if (!value.is_object())
    fail(path, "entry '{}' is a JSON {}, expected an object with dtype, shape and data_offsets",
         name, value.type_name());
  for (const char* field : {"dtype", "shape", "data_offsets"})
    if (!value.contains(field)) fail(path, "entry '{}' has no '{}' field", name, field);
  Entry entry;
  entry.name = name;
  entry.element = parse_dtype(path, name, value["dtype"]);
  entry.shape = parse_shape(path, name, value["shape"]);
  parse_offsets(path, entry, value["data_offsets"]);
  if (entry.end > data_bytes)
    fail(path,
         "entry '{}' ends at byte {}, beyond the end of the {}-byte data buffer (truncated file?)",
         name, entry.end, data_bytes);
  uint64_t nbytes = 0;
  if (!io_detail::checked_byte_size(entry.shape.data(), entry.shape.size(),
                                    io_detail::stored_size(entry.element), nbytes))
    fail(path, "entry '{}': the byte size of shape {} overflows 64 bits", name,
         shape_str(entry.shape));
  if (nbytes != entry.end - entry.begin)
    fail(path, "entry '{}': shape {} of {} needs {} bytes but data_offsets [{}, {}] span {}", name,
         shape_str(entry.shape), value["dtype"].get<std::string>(), nbytes, entry.begin, entry.end,
         entry.end - entry.begin);
  return entry;
}

std::map<std::string, std::string> parse_metadata(const std::string& path, const json& value) {
  if (!value.is_object())
    fail(path, "__metadata__ must be an object of string values, got a JSON {}", value.type_name());
  std::map<std::string, std::string> metadata;
  for (const auto& [key, v] : value.items()) {
    if (!v.is_string())
      fail(path, "__metadata__ value of '{}' must be a string, got {}", key, v.dump());
    metadata.emplace(key, v.get<std::string>());
  }
  return metadata;
}

/// Checks that the entries tile [0, data_bytes) exactly: no gap, no overlap, nothing left over.
void check_layout(const std::string& path, std::vector<const Entry*> entries, uint64_t data_bytes) {
  std::sort(entries.begin(), entries.end(), [](const Entry* a, const Entry* b) {
    return std::tie(a->begin, a->end, a->name) < std::tie(b->begin, b->end, b->name);
  });
  uint64_t covered = 0;
  const Entry* previous = nullptr;
  for (const Entry* e : entries) {
    if (e->begin > covered) {
      if (previous == nullptr)
        fail(path, "gap: data buffer bytes [0, {}) before entry '{}' belong to no tensor", e->begin,
             e->name);
      fail(path,
           "gap: {} bytes between entry '{}' (ends at byte {}) and entry '{}' (starts at "
           "byte {})",
           e->begin - covered, previous->name, covered, e->name, e->begin);
    }
    if (e->begin < covered)
      fail(path, "entry '{}' (bytes [{}, {})) overlaps entry '{}' (bytes [{}, {}))", e->name,
           e->begin, e->end, previous->name, previous->begin, previous->end);
    covered = e->end;
    previous = e;
  }
  if (covered != data_bytes)
    fail(path,
         "{} trailing bytes after the last tensor: the data buffer is {} bytes but the "
         "tensors cover {}",
         data_bytes - covered, data_bytes, covered);
}

}  // namespace

bool SafetensorsFile::contains(const std::string& name) const {
  return std::any_of(tensors.begin(), tensors.end(),
                     [&](const auto& p) { return p.first == name; });
}

const Tensor& SafetensorsFile::at(const std::string& name) const {
  for (const auto& [n, t] : tensors)
    if (n == name) return t;
  std::string names;
  for (size_t i = 0; i < tensors.size() && i < 20; ++i)
    names += (i ? ", '" : "'") + tensors[i].first + "'";
  if (tensors.size() > 20) names += fmt::format(", ... ({} in all)", tensors.size());
  MG_FAIL("SafetensorsFile::at: no tensor named '{}'; the file holds {}", name,
          tensors.empty() ? std::string("no tensors") : names);
}

void save_file(const NamedTensors& tensors, const std::string& path,
               const std::map<std::string, std::string>& metadata) {
  std::vector<std::pair<std::string, Tensor>> sorted;
  sorted.reserve(tensors.size());
  for (const auto& [name, t] : tensors) {
    MG_CHECK(!name.empty(), "save_file('{}'): tensor names must be non-empty", path);
    MG_CHECK(name != kMetadataKey,
             "save_file('{}'): '__metadata__' is reserved for the metadata; rename the tensor",
             path);
    MG_CHECK(t.defined(), "save_file('{}'): tensor '{}' is undefined (a default Tensor)", path,
             name);
    sorted.emplace_back(name, io_detail::host_contiguous(t));
  }
  std::sort(sorted.begin(), sorted.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  for (size_t i = 1; i < sorted.size(); ++i)
    MG_CHECK(sorted[i].first != sorted[i - 1].first,
             "save_file('{}'): duplicate tensor name '{}'; names must be unique", path,
             sorted[i].first);

  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header[std::string(kMetadataKey)] = metadata;
  uint64_t offset = 0;
  for (const auto& [name, t] : sorted) {
    const uint64_t nbytes = static_cast<uint64_t>(t.numel()) * element_size(t.dtype());
    header[name] = {{"dtype", dtype_string(t.dtype())},
                    {"shape", t.shape().vec()},
                    {"data_offsets", {offset, offset + nbytes}}};
    offset += nbytes;
  }
  std::string text;
  try {
    text = header.dump();
  } catch (const nlohmann::json::exception& e) {
    MG_FAIL("save_file('{}'): a tensor name or metadata string is not valid UTF-8: {}", path,
            e.what());
  }
  text.append((8 - text.size() % 8) % 8, ' ');

  std::array<unsigned char, 8> prefix{};
  for (size_t i = 0; i < 8; ++i) prefix[i] = static_cast<unsigned char>(text.size() >> (8 * i));
  AtomicFile file(path, "save_file");
  file.write(prefix.data(), prefix.size());
  file.write(text);
  for (const auto& entry : sorted) io_detail::write_elements(file, entry.second);
  file.commit();
}

SafetensorsFile load_file(const std::string& path) {
  io_detail::InputFile file(path, "load_file");
  if (file.size() < 8)
    fail(path, "file is {} bytes, shorter than the 8-byte header length; not a safetensors file",
         file.size());
  std::array<unsigned char, 8> prefix{};
  file.read(0, prefix.data(), 8, "the header length");
  uint64_t header_bytes = 0;
  for (size_t i = 0; i < 8; ++i) header_bytes |= static_cast<uint64_t>(prefix[i]) << (8 * i);
  if (header_bytes > kMaxHeaderBytes)
    fail(path, "header length {} exceeds the {}-byte limit (corrupt or not a safetensors file)",
         header_bytes, kMaxHeaderBytes);
  if (header_bytes > file.size() - 8)
    fail(path, "header length {} runs past the end of the file ({} bytes follow the length)",
         header_bytes, file.size() - 8);
  const uint64_t data_bytes = file.size() - 8 - header_bytes;

  std::string text(header_bytes, '\0');
  file.read(8, text.data(), text.size(), "the JSON header");
  DuplicateKeyFinder duplicates;
  json header;
  try {
    header = json::parse(text, std::ref(duplicates));
  } catch (const json::parse_error& e) {
    fail(path, "header is not valid JSON: {}", e.what());
  }
  if (!header.is_object())
    fail(path, "header is a JSON {}, expected an object", header.type_name());
  duplicates.check(path);

  SafetensorsFile result;
  std::vector<Entry> entries;
  entries.reserve(header.size());
  for (const auto& [name, value] : header.items()) {
    if (name == kMetadataKey)
      result.metadata = parse_metadata(path, value);
    else
      entries.push_back(parse_entry(path, name, value, data_bytes));
  }
  std::vector<const Entry*> pointers;
  for (const Entry& e : entries) pointers.push_back(&e);
  check_layout(path, std::move(pointers), data_bytes);

  result.tensors.reserve(entries.size());
  for (const Entry& e : entries) {
    Tensor t = make_empty(e.shape, io_detail::loaded_dtype(e.element), kCPU);
    io_detail::read_elements(file, 8 + header_bytes + e.begin, e.element, t,
                             fmt::format("tensor '{}'", e.name));
    result.tensors.emplace_back(e.name, std::move(t));
  }
  return result;
}

SafetensorsFile load_file(const std::string& path, Device device) {
  SafetensorsFile result = load_file(path);
  for (auto& entry : result.tensors) entry.second = entry.second.to(device);
  return result;
}

}  // namespace metagrad
