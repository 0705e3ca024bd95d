#include "engine/io/safetensors.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <exception>
#include <new>
#include <nlohmann/json.hpp>
#include <string_view>

#include "engine/io/atomic_file.hpp"
#include "engine/io/safetensors_header.hpp"
#include "engine/io/tensor_bytes.hpp"

namespace metagrad {
namespace {

using Entry = io_detail::SafetensorsEntry;

/// The reference implementation's limit on the JSON header (safetensors' MAX_HEADER_SIZE),
/// checked before the header is read.
constexpr uint64_t kMaxSafetensorsHeaderBytes = 100'000'000;
constexpr std::string_view kMetadataKey = "__metadata__";

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

/// Throws metagrad::Error prefixed with the op and the file.
template <typename... Args>
[[noreturn]] void fail_safetensors(const std::string& path, fmt::format_string<Args...> format,
                                   Args&&... args) {
  MG_FAIL("load_file: '{}': {}", path, fmt::format(format, std::forward<Args>(args)...));
}

/// Checks an entry against the data buffer: it lies inside it and its byte size (checked
/// multiplication) is exactly what its data_offsets span.
void check_entry(const std::string& path, const Entry& entry, uint64_t data_bytes) {
  const std::string name = io_detail::excerpt(entry.name);
  if (entry.end > data_bytes)
    fail_safetensors(
        path,
        "entry '{}' ends at byte {}, beyond the end of the {}-byte data buffer (truncated file?)",
        name, entry.end, data_bytes);
  uint64_t nbytes = 0;
  if (!io_detail::checked_byte_size(entry.shape.data(), entry.shape.size(),
                                    io_detail::stored_size(entry.element), nbytes))
    fail_safetensors(path, "entry '{}': the byte size of shape {} overflows 64 bits", name,
                     shape_str(entry.shape));
  if (nbytes != entry.end - entry.begin)
    fail_safetensors(path,
                     "entry '{}': shape {} of {} needs {} bytes but data_offsets [{}, {}] span {}",
                     name, shape_str(entry.shape), entry.dtype, nbytes, entry.begin, entry.end,
                     entry.end - entry.begin);
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
        fail_safetensors(path,
                         "gap: data buffer bytes [0, {}) before entry '{}' belong to no tensor",
                         e->begin, io_detail::excerpt(e->name));
      fail_safetensors(
          path,
          "gap: {} bytes between entry '{}' (ends at byte {}) and entry '{}' (starts at "
          "byte {})",
          e->begin - covered, io_detail::excerpt(previous->name), covered,
          io_detail::excerpt(e->name), e->begin);
    }
    if (e->begin < covered)
      fail_safetensors(path, "entry '{}' (bytes [{}, {})) overlaps entry '{}' (bytes [{}, {}))",
                       io_detail::excerpt(e->name), e->begin, e->end,
                       io_detail::excerpt(previous->name), previous->begin, previous->end);
    covered = e->end;
    previous = e;
  }
  if (covered != data_bytes)
    fail_safetensors(path,
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

namespace {

SafetensorsFile read_file(const std::string& path) {
  io_detail::InputFile file(path, "load_file");
  if (file.size() < 8)
    fail_safetensors(
        path, "file is {} bytes, shorter than the 8-byte header length; not a safetensors file",
        file.size());
  std::array<unsigned char, 8> prefix{};
  file.read(0, prefix.data(), 8, "the header length");
  uint64_t header_bytes = 0;
  for (size_t i = 0; i < 8; ++i) header_bytes |= static_cast<uint64_t>(prefix[i]) << (8 * i);
  if (header_bytes > kMaxSafetensorsHeaderBytes)
    fail_safetensors(
        path, "header length {} exceeds the {}-byte limit (corrupt or not a safetensors file)",
        header_bytes, kMaxSafetensorsHeaderBytes);
  if (header_bytes > file.size() - 8)
    fail_safetensors(path,
                     "header length {} runs past the end of the file ({} bytes follow the length)",
                     header_bytes, file.size() - 8);
  const uint64_t data_bytes = file.size() - 8 - header_bytes;

  std::string text(header_bytes, '\0');
  file.read(8, text.data(), text.size(), "the JSON header");
  // JSON never holds a raw NUL, and the JSON lexer would stop at one: the format pads the header
  // with spaces only.
  const size_t nul = text.find('\0');
  if (nul != std::string::npos)
    fail_safetensors(
        path,
        "header holds a NUL byte at offset {} of {}; a safetensors header is JSON padded with "
        "spaces (0x20) only",
        nul, header_bytes);
  io_detail::SafetensorsHeader header = io_detail::parse_safetensors_header(text, path);
  text = std::string();

  std::vector<Entry>& entries = header.entries;
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return a.name < b.name; });
  std::vector<const Entry*> pointers;
  pointers.reserve(entries.size());
  for (const Entry& e : entries) {
    check_entry(path, e, data_bytes);
    pointers.push_back(&e);
  }
  check_layout(path, std::move(pointers), data_bytes);

  SafetensorsFile result;
  result.metadata = std::move(header.metadata);
  result.tensors.reserve(entries.size());
  for (const Entry& e : entries) {
    Tensor t = make_empty(e.shape, io_detail::loaded_dtype(e.element), kCPU);
    io_detail::read_elements(file, 8 + header_bytes + e.begin, e.element, t,
                             fmt::format("tensor '{}'", io_detail::excerpt(e.name)));
    result.tensors.emplace_back(e.name, std::move(t));
  }
  return result;
}

}  // namespace

SafetensorsFile load_file(const std::string& path) {
  try {
    return read_file(path);
  } catch (const Error&) {
    throw;
  } catch (const std::bad_alloc&) {
    fail_safetensors(path, "out of memory while loading (the header or the tensors are too large)");
  } catch (const std::exception& e) {
    fail_safetensors(path, "unexpected failure while loading: {}",
                     io_detail::excerpt(e.what(), 240));
  }
}

SafetensorsFile load_file(const std::string& path, Device device) {
  SafetensorsFile result = load_file(path);
  for (auto& entry : result.tensors) entry.second = entry.second.to(device);
  return result;
}

}  // namespace metagrad
