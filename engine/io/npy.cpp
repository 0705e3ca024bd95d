#include "engine/io/npy.hpp"

#include <array>
#include <bit>
#include <cstring>
#include <exception>
#include <map>
#include <new>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "engine/io/atomic_file.hpp"
#include "engine/io/tensor_bytes.hpp"

namespace metagrad {
namespace {

using io_detail::FileElement;

constexpr std::string_view kMagic = "\x93NUMPY";
/// numpy aligns the data to this many bytes (ARRAY_ALIGN).
constexpr size_t kAlign = 64;
/// numpy leaves room for the first axis to grow to this many digits (GROWTH_AXIS_MAX_DIGITS).
constexpr size_t kGrowthDigits = 21;
/// Headers of plain arrays are well under 1 KiB; numpy itself refuses more than 10,000 bytes.
constexpr uint64_t kMaxNpyHeaderBytes = uint64_t{1} << 20;
/// Nesting allowed in a header literal (a structured dtype nests lists and tuples).
constexpr int kMaxDepth = 32;

template <typename... Args>
[[noreturn]] void fail_npy(const std::string& path, fmt::format_string<Args...> format,
                           Args&&... args) {
  MG_FAIL("load_npy: '{}': {}", path, fmt::format(format, std::forward<Args>(args)...));
}

/// At most the first 200 characters of a header, for messages.
std::string excerpt(std::string_view text) {
  return text.size() <= 200 ? std::string(text) : std::string(text.substr(0, 200)) + "...";
}

/// A Python literal of the kinds an .npy header may contain.
struct Literal {
  enum class Kind { Str, Int, Bool, None, Tuple, List, Dict };
  Kind kind = Kind::None;
  std::string str;
  int64_t integer = 0;
  bool boolean = false;
  std::vector<Literal> items;     // Tuple and List items; Dict values, in file order
  std::vector<std::string> keys;  // Dict keys, parallel to items (not a vector of pairs, which
                                  // needs Literal complete here: clang 14 rejects that)
};

/// Recursive-descent parser for the subset of Python literals numpy writes (the header is read
/// with ast.literal_eval in numpy): strings, integers (with Python 2's `L` suffix), True, False,
/// None, tuples, lists and dicts with string keys. Never evaluates anything.
class LiteralParser {
 public:
  LiteralParser(std::string_view text, const std::string& path) : text_(text), path_(path) {}

  Literal parse_document() {
    Literal value = parse_value(0);
    skip_space();
    if (pos_ != text_.size())
      fail_npy(path_, "header has unexpected text after the dict at offset {}: '{}'", pos_,
               text_.substr(pos_, 20));
    return value;
  }

 private:
  void skip_space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\n' || text_[pos_] == '\r'))
      ++pos_;
  }
  bool accept(char c) {
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  [[noreturn]] void syntax(std::string_view expected) {
    fail_npy(path_, "header is not a Python dict literal: expected {} at offset {} of '{}'",
             expected, pos_, excerpt(text_));
  }
  bool starts_with(std::string_view word) const { return text_.substr(pos_, word.size()) == word; }

  Literal parse_value(int depth) {
    if (depth > kMaxDepth) fail_npy(path_, "header nests more than {} levels deep", kMaxDepth);
    skip_space();
    if (pos_ >= text_.size()) syntax("a value");
    const char c = text_[pos_];
    Literal v;
    if (c == '\'' || c == '"') {
      v.kind = Literal::Kind::Str;
      v.str = parse_string();
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      v.kind = Literal::Kind::Int;
      v.integer = parse_int();
    } else if (starts_with("True") || starts_with("False") || starts_with("None")) {
      v.kind = c == 'N' ? Literal::Kind::None : Literal::Kind::Bool;
      v.boolean = c == 'T';
      pos_ += c == 'F' ? 5 : 4;
    } else if (c == '(') {
      ++pos_;
      bool trailing_comma = false;
      v.items = parse_sequence(')', depth, trailing_comma);
      if (v.items.size() == 1 && !trailing_comma) return std::move(v.items[0]);  // (x) is x
      v.kind = Literal::Kind::Tuple;
    } else if (c == '[') {
      ++pos_;
      bool trailing_comma = false;
      v.items = parse_sequence(']', depth, trailing_comma);
      v.kind = Literal::Kind::List;
    } else if (c == '{') {
      ++pos_;
      v.kind = Literal::Kind::Dict;
      parse_dict_body(v, depth);
    } else {
      syntax("a string, integer, True, False, None, tuple, list or dict");
    }
    return v;
  }

  std::string parse_string() {
    const char quote = text_[pos_++];
    const size_t start = pos_;
    while (pos_ < text_.size() && text_[pos_] != quote) {
      if (text_[pos_] == '\\')
        fail_npy(path_, "header string uses an escape sequence (unsupported)");
      ++pos_;
    }
    if (pos_ >= text_.size()) syntax("the end of a string");
    return std::string(text_.substr(start, pos_++ - start));
  }

  int64_t parse_int() {
    const bool negative = text_[pos_] == '-';
    if (negative) ++pos_;
    if (pos_ >= text_.size() || text_[pos_] < '0' || text_[pos_] > '9') syntax("a digit");
    uint64_t value = 0;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
      const uint64_t digit = static_cast<uint64_t>(text_[pos_++] - '0');
      if (value > (static_cast<uint64_t>(INT64_MAX) - digit) / 10)
        fail_npy(path_, "header has an integer too large for int64");
      value = value * 10 + digit;
    }
    if (pos_ < text_.size() && (text_[pos_] == 'L' || text_[pos_] == 'l')) ++pos_;  // Python 2
    if (pos_ < text_.size() && (text_[pos_] == '.' || text_[pos_] == 'e' || text_[pos_] == 'E'))
      fail_npy(path_, "header has a non-integer number where an integer is expected");
    return negative ? -static_cast<int64_t>(value) : static_cast<int64_t>(value);
  }

  std::vector<Literal> parse_sequence(char close, int depth, bool& trailing_comma) {
    std::vector<Literal> items;
    while (!accept(close)) {
      if (!items.empty() && !trailing_comma) syntax(fmt::format("',' or '{}'", close));
      items.push_back(parse_value(depth + 1));
      trailing_comma = accept(',');
    }
    return items;
  }

  void parse_dict_body(Literal& v, int depth) {
    std::unordered_set<std::string> seen;
    bool comma = true;
    while (!accept('}')) {
      if (!comma) syntax("',' or '}'");
      skip_space();
      if (pos_ >= text_.size() || (text_[pos_] != '\'' && text_[pos_] != '"'))
        syntax("a quoted dict key");
      std::string key = parse_string();
      if (!accept(':')) syntax("':'");
      if (!seen.insert(key).second)
        fail_npy(path_, "header dict has the key '{}' twice", excerpt(key));
      v.keys.push_back(std::move(key));
      v.items.push_back(parse_value(depth + 1));
      comma = accept(',');
    }
  }

  std::string_view text_;
  const std::string& path_;
  size_t pos_ = 0;
};

/// The element encoding of a descr string such as '<f8'.
FileElement parse_descr(const std::string& path, const std::string& descr) {
  std::string_view code = descr;
  char order = '=';
  if (!code.empty() && std::string_view("<>|=").find(code[0]) != std::string_view::npos) {
    order = code[0];
    code.remove_prefix(1);
  }
  if (!code.empty() && code[0] == 'O')
    fail_npy(path,
             "descr '{}' is an object array of pickled Python objects; metagrad never unpickles "
             "(numpy's allow_pickle); save a numeric array instead",
             excerpt(descr));
  static const std::map<std::string_view, FileElement> known{
      {"f2", FileElement::F16}, {"f4", FileElement::F32}, {"f8", FileElement::F64},
      {"i1", FileElement::I8},  {"i2", FileElement::I16}, {"i4", FileElement::I32},
      {"i8", FileElement::I64}, {"u1", FileElement::U8},  {"u2", FileElement::U16},
      {"u4", FileElement::U32}, {"b1", FileElement::Bool}};
  const auto it = known.find(code);
  if (it == known.end())
    fail_npy(path,
             "unsupported dtype descr '{}'; metagrad reads <f4, <f8, <i8, |b1 (and <f2 as "
             "float32, |i1 <i2 <i4 |u1 <u2 <u4 as int64)",
             excerpt(descr));
  const bool big_native = std::endian::native == std::endian::big;
  const bool big = order == '>' || (order == '=' && big_native);
  if (big && io_detail::stored_size(it->second) > 1)
    fail_npy(path,
             "descr '{}' is big-endian data, which metagrad does not read; convert it in numpy "
             "with a.astype(a.dtype.newbyteorder('<'))",
             descr);
  return it->second;
}

Dims parse_shape(const std::string& path, const Literal& shape) {
  if (shape.kind != Literal::Kind::Tuple)
    fail_npy(path, "header 'shape' must be a tuple of integers like (2, 3)");
  if (shape.items.size() > static_cast<size_t>(kMaxDims))
    fail_npy(path, "shape has {} dimensions; metagrad tensors have at most {}", shape.items.size(),
             kMaxDims);
  Dims dims;
  int64_t elements = 1;
  for (const Literal& d : shape.items) {
    if (d.kind != Literal::Kind::Int) fail_npy(path, "header 'shape' holds a non-integer entry");
    if (d.integer < 0) fail_npy(path, "shape has the negative size {}", d.integer);
    if (d.integer != 0 && elements > INT64_MAX / d.integer)
      fail_npy(path, "shape has more elements than an int64 can count");
    if (d.integer != 0) elements *= d.integer;
    dims.push_back(d.integer);
  }
  return dims;
}

/// numpy's repr of a shape tuple: (), (5,), (2, 3).
std::string shape_repr(const Dims& shape) {
  if (shape.size() == 1) return fmt::format("({},)", shape[0]);
  std::string out = "(";
  for (int i = 0; i < shape.size(); ++i) out += fmt::format("{}{}", i ? ", " : "", shape[i]);
  return out + ")";
}

std::string_view descr_of(DType dtype) {
  switch (dtype) {
    case DType::Float32:
      return "<f4";
    case DType::Float64:
      return "<f8";
    case DType::Int64:
      return "<i8";
    case DType::Bool:
      return "|b1";
  }
  return "<f4";
}

}  // namespace

void save_npy(const Tensor& t, const std::string& path) {
  MG_CHECK(t.defined(), "save_npy('{}'): the tensor is undefined (a default Tensor)", path);
  const Tensor host = io_detail::host_contiguous(t);
  std::string dict = fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': {}, }}",
                                 descr_of(host.dtype()), shape_repr(host.shape()));
  if (host.dim() > 0) dict.append(kGrowthDigits - fmt::format("{}", host.shape()[0]).size(), ' ');
  const size_t prefix = kMagic.size() + 2 + 2;  // magic, version, uint16 header length
  const size_t padding = kAlign - (prefix + dict.size() + 1) % kAlign;
  const size_t header_len = dict.size() + padding + 1;
  std::string bytes(kMagic);
  bytes += '\x01';
  bytes += '\x00';
  bytes += static_cast<char>(header_len & 0xff);
  bytes += static_cast<char>(header_len >> 8);
  bytes += dict;
  bytes.append(padding, ' ');
  bytes += '\n';
  AtomicFile file(path, "save_npy");
  file.write(bytes);
  io_detail::write_elements(file, host);
  file.commit();
}

namespace {

Tensor read_npy(const std::string& path) {
  io_detail::InputFile file(path, "load_npy");
  std::array<char, 10> start{};
  if (file.size() < start.size())
    fail_npy(path, "file is {} bytes, too short for the .npy magic string and version",
             file.size());
  file.read(0, start.data(), start.size(), "the magic string");
  if (std::string_view(start.data(), kMagic.size()) != kMagic)
    fail_npy(path, "not a .npy file: it does not start with the magic string \\x93NUMPY");
  const int major = static_cast<unsigned char>(start[6]);
  const int minor = static_cast<unsigned char>(start[7]);
  if (minor != 0 || major < 1 || major > 3)
    fail_npy(path, "unsupported .npy format version {}.{} (metagrad reads 1.0, 2.0 and 3.0)", major,
             minor);
  uint64_t header_len = static_cast<unsigned char>(start[8]) |
                        static_cast<uint64_t>(static_cast<unsigned char>(start[9])) << 8;
  uint64_t header_start = 10;
  if (major >= 2) {
    std::array<unsigned char, 2> high{};
    file.read(10, high.data(), 2, "the header length");
    header_len |= static_cast<uint64_t>(high[0]) << 16 | static_cast<uint64_t>(high[1]) << 24;
    header_start = 12;
  }
  if (header_len > kMaxNpyHeaderBytes)
    fail_npy(path, "header length {} exceeds {} bytes; not a plain array file", header_len,
             kMaxNpyHeaderBytes);
  if (header_len > file.size() - header_start)
    fail_npy(path, "header length {} runs past the end of the {}-byte file", header_len,
             file.size());
  std::string text(header_len, '\0');
  file.read(header_start, text.data(), text.size(), "the header");

  const Literal header = LiteralParser(text, path).parse_document();
  if (header.kind != Literal::Kind::Dict)
    fail_npy(path, "header is not a dict literal: '{}'", excerpt(text));
  const Literal* descr = nullptr;
  const Literal* fortran = nullptr;
  const Literal* shape = nullptr;
  for (size_t i = 0; i < header.keys.size(); ++i) {
    const std::string& key = header.keys[i];
    const Literal& value = header.items[i];
    if (key == "descr")
      descr = &value;
    else if (key == "fortran_order")
      fortran = &value;
    else if (key == "shape")
      shape = &value;
    else
      fail_npy(path, "header has the unexpected key '{}' (expected descr, fortran_order, shape)",
               excerpt(key));
  }
  if (!descr || !fortran || !shape)
    fail_npy(path, "header lacks '{}' (expected the keys descr, fortran_order and shape)",
             !descr     ? "descr"
             : !fortran ? "fortran_order"
                        : "shape");
  if (descr->kind == Literal::Kind::List)
    fail_npy(path, "structured arrays (descr is a list of fields) are not supported");
  if (descr->kind != Literal::Kind::Str)
    fail_npy(path, "header 'descr' must be a dtype string like '<f8'");
  const FileElement element = parse_descr(path, descr->str);
  if (fortran->kind != Literal::Kind::Bool)
    fail_npy(path, "header 'fortran_order' must be True or False");
  if (fortran->boolean)
    fail_npy(path,
             "fortran_order is True: Fortran-order (column-major) arrays are not supported; "
             "save np.ascontiguousarray(a) instead");
  const Dims dims = parse_shape(path, *shape);

  const uint64_t data_start = header_start + header_len;
  const uint64_t data_bytes = file.size() - data_start;
  uint64_t needed = 0;
  if (!io_detail::checked_byte_size(dims.data(), dims.size(), io_detail::stored_size(element),
                                    needed))
    fail_npy(path, "the byte size of shape {} overflows 64 bits", shape_str(dims));
  if (data_bytes < needed)
    fail_npy(path, "data is {} bytes but shape {} of '{}' needs {} (truncated file?)", data_bytes,
             shape_str(dims), descr->str, needed);
  if (data_bytes > needed)
    fail_npy(path, "{} trailing bytes after the {} bytes that shape {} of '{}' needs",
             data_bytes - needed, needed, shape_str(dims), descr->str);
  Tensor out = make_empty(dims, io_detail::loaded_dtype(element), kCPU);
  io_detail::read_elements(file, data_start, element, out, "the array data");
  return out;
}

}  // namespace

Tensor load_npy(const std::string& path) {
  try {
    return read_npy(path);
  } catch (const Error&) {
    throw;
  } catch (const std::bad_alloc&) {
    fail_npy(path, "out of memory while loading (the header or the array is too large)");
  } catch (const std::exception& e) {
    fail_npy(path, "unexpected failure while loading: {}", excerpt(e.what()));
  }
}

}  // namespace metagrad
