#include "engine/io/safetensors_header.hpp"

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>
#include <unordered_set>
#include <utility>

#include "engine/error.hpp"

namespace metagrad::io_detail {
namespace {

using json = nlohmann::json;

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

/// Where the parser is: which container it is inside (the depth is the position in this list).
enum class Level {
  Start,    // before the header object
  Top,      // inside the header object
  Meta,     // inside __metadata__
  Entry,    // inside a tensor entry
  Shape,    // inside an entry's shape array
  Offsets,  // inside an entry's data_offsets array
  Skip,     // inside the flat array or object of an unknown entry field
  Done,     // after the header object
};

enum class Field { None, DType, Shape, Offsets, Unknown };

/// SAX handler of nlohmann::json::sax_parse (see parse_safetensors_header). Every callback either
/// accepts the event in O(1) amortised work or throws.
class HeaderHandler {
 public:
  explicit HeaderHandler(const std::string& path) : path_(path) {}

  SafetensorsHeader take() { return std::move(header_); }

  bool null() { return scalar("null", "null"); }
  bool boolean(bool value) { return scalar(value ? "true" : "false", value ? "true" : "false"); }
  bool number_integer(json::number_integer_t value) {
    if (level_ == Level::Shape) fail("entry '{}': shape has the negative size {}", name(), value);
    return scalar(fmt::format("the number {}", value), fmt::format("{}", value));
  }
  bool number_unsigned(json::number_unsigned_t value) {
    if (level_ == Level::Shape) return shape_size(value);
    if (level_ == Level::Offsets) {
      if (offsets_seen_ < 2) (offsets_seen_ == 0 ? entry_.begin : entry_.end) = value;
      ++offsets_seen_;
      return true;
    }
    return scalar(fmt::format("the number {}", value), fmt::format("{}", value));
  }
  bool number_float(json::number_float_t, const json::string_t& raw) {
    return scalar(fmt::format("the number {}", excerpt(raw)), excerpt(raw));
  }
  bool string(json::string_t& value) {
    if (level_ == Level::Meta) {
      header_.metadata.emplace(std::move(key_), std::move(value));
      return true;
    }
    if (level_ == Level::Entry && field_ == Field::DType) {
      set_dtype(std::move(value));
      return true;
    }
    return scalar(fmt::format("the string \"{}\"", excerpt(value)),
                  fmt::format("\"{}\"", excerpt(value)));
  }
  bool binary(json::binary_t&) { return scalar("binary data", "binary data"); }

  bool start_object(std::size_t) { return open("a JSON object", "{...}", true); }
  bool start_array(std::size_t) { return open("a JSON array", "[...]", false); }

  bool key(json::string_t& value) {
    if (level_ == Level::Skip) return true;
    if (level_ == Level::Top) {
      if (value.empty())
        fail(
            "a tensor has the empty name \"\"; tensor names must be non-empty (save_file never "
            "writes one)");
      if (!names_.insert(value).second) {
        if (value == kMetadataKey) fail("the header has two '__metadata__' entries");
        fail("duplicate tensor name '{}' in the header", excerpt(value));
      }
      key_ = std::move(value);
      return true;
    }
    if (!keys_.insert(value).second)
      fail("duplicate key '{}' inside header entry '{}'", excerpt(value),
           level_ == Level::Meta ? std::string(kMetadataKey) : name());
    if (level_ == Level::Meta) {
      key_ = std::move(value);
      return true;
    }
    field_ = value == "dtype"          ? Field::DType
             : value == "shape"        ? Field::Shape
             : value == "data_offsets" ? Field::Offsets
                                       : Field::Unknown;
    return true;
  }

  bool end_object() {
    switch (level_) {
      case Level::Top:
        level_ = Level::Done;
        return true;
      case Level::Meta:
        keys_ = {};
        level_ = Level::Top;
        return true;
      case Level::Entry:
        finish_entry();
        level_ = Level::Top;
        return true;
      default:  // Level::Skip: the only other object a header may open
        level_ = Level::Entry;
        return true;
    }
  }

  bool end_array() {
    if (level_ == Level::Shape) {
      if (shape_seen_ > static_cast<size_t>(kMaxDims))
        fail("entry '{}': shape has {} dimensions; metagrad tensors have at most {}", name(),
             shape_seen_, kMaxDims);
      has_shape_ = true;
    } else if (level_ == Level::Offsets) {
      if (offsets_seen_ != 2)
        fail(
            "entry '{}': data_offsets must be two non-negative integers [begin, end], got {} "
            "values",
            name(), offsets_seen_);
      if (entry_.begin > entry_.end)
        fail("entry '{}': data_offsets [{}, {}] end before they begin", name(), entry_.begin,
             entry_.end);
      has_offsets_ = true;
    }
    level_ = Level::Entry;  // the header itself is an object, so every array is inside an entry
    return true;
  }

  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& e) {
    fail("header is not valid JSON (at byte {} of the header): {}", position,
         excerpt(e.what(), 240));
  }

 private:
  template <typename... Args>
  [[noreturn]] void fail(fmt::format_string<Args...> format, Args&&... args) const {
    MG_FAIL("load_file: '{}': {}", path_, fmt::format(format, std::forward<Args>(args)...));
  }

  std::string name() const { return excerpt(entry_.name); }

  /// A scalar value event described as `what` (as written: `literal`): accepted where the header
  /// allows it.
  bool scalar(const std::string& what, const std::string& literal) {
    switch (level_) {
      case Level::Start:
        fail("header is {}, expected a JSON object", what);
      case Level::Top:
        reject_value(what);
      case Level::Meta:
        fail("__metadata__ value of '{}' must be a string, got {}", excerpt(key_), what);
      case Level::Entry:
        reject_field(what, what);
        return true;  // an unknown field
      case Level::Shape:
        fail("entry '{}': shape has the non-integer size {}", name(), literal);
      case Level::Offsets:
        fail("entry '{}': data_offsets must be two non-negative integers [begin, end], got {}",
             name(), what);
      case Level::Skip:
        return true;
      case Level::Done:
        break;
    }
    fail("text after the header object");
  }

  /// A container opens: `what` describes it, `literal` abbreviates it in shapes.
  bool open(const char* what, const char* literal, bool object) {
    switch (level_) {
      case Level::Start:
        if (!object) fail("header is a JSON array, expected an object");
        level_ = Level::Top;
        return true;
      case Level::Top:
        if (!object) reject_value(what);
        keys_ = {};
        if (key_ == kMetadataKey) {
          level_ = Level::Meta;
        } else {
          entry_ = SafetensorsEntry{};
          entry_.name = std::move(key_);
          has_dtype_ = has_shape_ = has_offsets_ = false;
          level_ = Level::Entry;
        }
        return true;
      case Level::Meta:
        fail("__metadata__ value of '{}' must be a string, got {}", excerpt(key_), what);
      case Level::Entry:
        reject_field(what, literal);
        if (field_ == Field::Shape) {
          entry_.shape = Dims();
          shape_seen_ = 0;
          elements_ = 1;
          level_ = Level::Shape;
        } else if (field_ == Field::Offsets) {
          offsets_seen_ = 0;
          level_ = Level::Offsets;
        } else {
          level_ = Level::Skip;
        }
        return true;
      case Level::Shape:
        fail("entry '{}': shape has the non-integer size {}", name(), literal);
      case Level::Offsets:
        fail("entry '{}': data_offsets must be two non-negative integers [begin, end], got {}",
             name(), what);
      case Level::Skip:
        fail(
            "entry '{}': an unknown field nests containers ({} inside a flat value); a "
            "safetensors header is at most three containers deep",
            name(), what);
      case Level::Done:
        break;
    }
    fail("text after the header object");
  }

  /// A top-level value that is not an object.
  [[noreturn]] void reject_value(const std::string& what) {
    if (key_ == kMetadataKey) fail("__metadata__ must be an object of string values, got {}", what);
    fail("entry '{}' is {}, expected an object with dtype, shape and data_offsets", excerpt(key_),
         what);
  }

  /// Checks a value of the entry's current field (an unknown field takes anything flat).
  void reject_field(const std::string& what, const std::string& literal) {
    switch (field_) {
      case Field::DType:
        fail("entry '{}': dtype must be a string like \"F32\", got {}", name(), what);
      case Field::Shape:
        if (literal == "[...]") return;
        fail("entry '{}': shape must be an array of non-negative integers, got {}", name(), what);
      case Field::Offsets:
        if (literal == "[...]") return;
        fail("entry '{}': data_offsets must be two non-negative integers [begin, end], got {}",
             name(), what);
      case Field::None:
      case Field::Unknown:
        return;
    }
  }

  bool shape_size(uint64_t size) {
    ++shape_seen_;
    if (shape_seen_ > static_cast<size_t>(kMaxDims)) return true;  // counted, reported at the end
    if (size > static_cast<uint64_t>(INT64_MAX) ||
        (size != 0 && elements_ > INT64_MAX / static_cast<int64_t>(size)))
      fail("entry '{}': shape has more elements than an int64 can count (size {} after {})", name(),
           size, shape_str(entry_.shape));
    if (size != 0) elements_ *= static_cast<int64_t>(size);
    entry_.shape.push_back(static_cast<int64_t>(size));
    return true;
  }

  void set_dtype(std::string text) {
    for (const auto& d : kReadable) {
      if (d.name == text) {
        entry_.element = d.element;
        entry_.dtype = std::move(text);
        has_dtype_ = true;
        return;
      }
    }
    const bool known =
        std::find(kUnrepresentable.begin(), kUnrepresentable.end(), text) != kUnrepresentable.end();
    fail(
        "entry '{}' has {} dtype '{}'; metagrad reads F32, F64, I64, BOOL (and F16/BF16 as "
        "float32, I8/I16/I32/U8/U16/U32 as int64)",
        name(), known ? "unsupported" : "unknown", excerpt(text));
  }

  void finish_entry() {
    if (!has_dtype_) fail("entry '{}' has no 'dtype' field", name());
    if (!has_shape_) fail("entry '{}' has no 'shape' field", name());
    if (!has_offsets_) fail("entry '{}' has no 'data_offsets' field", name());
    header_.entries.push_back(std::move(entry_));
    entry_ = SafetensorsEntry{};
  }

  const std::string& path_;
  SafetensorsHeader header_;
  Level level_ = Level::Start;
  Field field_ = Field::None;
  std::string key_;                        // the current top-level or __metadata__ key
  std::unordered_set<std::string> names_;  // top-level keys
  std::unordered_set<std::string> keys_;   // keys of the current entry or __metadata__
  SafetensorsEntry entry_;
  bool has_dtype_ = false;
  bool has_shape_ = false;
  bool has_offsets_ = false;
  size_t shape_seen_ = 0;
  size_t offsets_seen_ = 0;
  int64_t elements_ = 1;
};

}  // namespace

std::string excerpt(std::string_view text, size_t limit) {
  if (text.size() <= limit) return std::string(text);
  return fmt::format("{}...({} bytes in all)", text.substr(0, limit), text.size());
}

SafetensorsHeader parse_safetensors_header(std::string_view text, const std::string& path) {
  HeaderHandler handler(path);
  json::sax_parse(text.begin(), text.end(), &handler, json::input_format_t::json, true, false);
  return handler.take();
}

}  // namespace metagrad::io_detail
