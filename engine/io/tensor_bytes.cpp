#include "engine/io/tensor_bytes.hpp"

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include "engine/grad_mode.hpp"
#include "engine/ops.hpp"

namespace metagrad::io_detail {
namespace {

constexpr bool kLittleEndianHost = std::endian::native == std::endian::little;
/// Elements converted per chunk, so widening never needs a second full-size buffer.
constexpr size_t kChunkElements = size_t{1} << 18;

/// The unsigned value of `size` little-endian bytes.
uint64_t load_le(const unsigned char* p, size_t size) {
  uint64_t v = 0;
  for (size_t i = 0; i < size; ++i) v |= static_cast<uint64_t>(p[i]) << (8 * i);
  return v;
}

void store_le(unsigned char* p, uint64_t v, size_t size) {
  for (size_t i = 0; i < size; ++i) p[i] = static_cast<unsigned char>(v >> (8 * i));
}

/// IEEE binary16 bits to float (exact: every half value is a float).
float half_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  uint32_t exponent = (h >> 10) & 0x1fu;
  uint32_t mantissa = h & 0x3ffu;
  uint32_t bits;
  if (exponent == 0x1f) {
    bits = sign | 0x7f800000u | (mantissa << 13);  // inf / nan
  } else if (exponent != 0) {
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    bits = sign;  // +-0
  } else {
    exponent = 113;  // subnormal half: normalise the mantissa into float's range
    while ((mantissa & 0x400u) == 0) {
      mantissa <<= 1;
      --exponent;
    }
    bits = sign | (exponent << 23) | ((mantissa & 0x3ffu) << 13);
  }
  return std::bit_cast<float>(bits);
}

/// Decodes `n` stored elements from `src` into `dst` (of the loaded dtype).
void decode(const unsigned char* src, size_t n, FileElement element, void* dst) {
  const size_t size = stored_size(element);
  switch (element) {
    case FileElement::F16:
      for (size_t i = 0; i < n; ++i)
        static_cast<float*>(dst)[i] = half_to_float(static_cast<uint16_t>(load_le(src + 2 * i, 2)));
      return;
    case FileElement::BF16:
      for (size_t i = 0; i < n; ++i)
        static_cast<float*>(dst)[i] =
            std::bit_cast<float>(static_cast<uint32_t>(load_le(src + 2 * i, 2)) << 16);
      return;
    case FileElement::F32:
      for (size_t i = 0; i < n; ++i)
        static_cast<float*>(dst)[i] =
            std::bit_cast<float>(static_cast<uint32_t>(load_le(src + 4 * i, 4)));
      return;
    case FileElement::F64:
      for (size_t i = 0; i < n; ++i)
        static_cast<double*>(dst)[i] = std::bit_cast<double>(load_le(src + 8 * i, 8));
      return;
    case FileElement::I8:
    case FileElement::I16:
    case FileElement::I32:
    case FileElement::I64:
      for (size_t i = 0; i < n; ++i) {
        const uint64_t raw = load_le(src + size * i, size);
        const unsigned shift = static_cast<unsigned>(64 - 8 * size);  // sign-extend
        static_cast<int64_t*>(dst)[i] = static_cast<int64_t>(raw << shift) >> shift;
      }
      return;
    case FileElement::U8:
    case FileElement::U16:
    case FileElement::U32:
      for (size_t i = 0; i < n; ++i)
        static_cast<int64_t*>(dst)[i] = static_cast<int64_t>(load_le(src + size * i, size));
      return;
    case FileElement::Bool:
      for (size_t i = 0; i < n; ++i) static_cast<bool*>(dst)[i] = src[i] != 0;
      return;
  }
}

}  // namespace

size_t stored_size(FileElement element) {
  switch (element) {
    case FileElement::I8:
    case FileElement::U8:
    case FileElement::Bool:
      return 1;
    case FileElement::F16:
    case FileElement::BF16:
    case FileElement::I16:
    case FileElement::U16:
      return 2;
    case FileElement::F32:
    case FileElement::I32:
    case FileElement::U32:
      return 4;
    case FileElement::F64:
    case FileElement::I64:
      return 8;
  }
  return 0;
}

DType loaded_dtype(FileElement element) {
  switch (element) {
    case FileElement::F16:
    case FileElement::BF16:
    case FileElement::F32:
      return kFloat32;
    case FileElement::F64:
      return kFloat64;
    case FileElement::Bool:
      return kBool;
    default:
      return kInt64;
  }
}

FileElement stored_element(DType dtype) {
  switch (dtype) {
    case DType::Float32:
      return FileElement::F32;
    case DType::Float64:
      return FileElement::F64;
    case DType::Int64:
      return FileElement::I64;
    case DType::Bool:
      return FileElement::Bool;
  }
  return FileElement::F32;
}

InputFile::InputFile(const std::string& path, std::string op) : path_(path), op_(std::move(op)) {
  std::error_code ec;
  const auto status = std::filesystem::status(path_, ec);
  MG_CHECK(!ec && std::filesystem::exists(status), "{}: cannot open '{}': {}", op_, path_,
           ec ? ec.message() : std::string("no such file"));
  MG_CHECK(std::filesystem::is_regular_file(status),
           "{}: '{}' is not a regular file (a folder or a device); pass the path of a file", op_,
           path_);
  in_.open(path_, std::ios::binary);
  MG_CHECK(in_.is_open(), "{}: cannot open '{}' for reading: {}", op_, path_, std::strerror(errno));
  in_.seekg(0, std::ios::end);
  const std::streamoff end = in_.tellg();
  MG_CHECK(in_ && end >= 0, "{}: cannot determine the size of '{}'", op_, path_);
  size_ = static_cast<uint64_t>(end);
}

void InputFile::read(uint64_t offset, void* out, size_t nbytes, std::string_view what) {
  MG_CHECK(offset <= size_ && nbytes <= size_ - offset,
           "{}: '{}': reading {} (bytes [{}, {})) runs past the end of the {}-byte file", op_,
           path_, what, offset, offset + nbytes, size_);
  if (nbytes == 0) return;
  in_.clear();
  in_.seekg(static_cast<std::streamoff>(offset));
  in_.read(static_cast<char*>(out), static_cast<std::streamsize>(nbytes));
  MG_CHECK(in_ && static_cast<size_t>(in_.gcount()) == nbytes,
           "{}: '{}': reading {} failed after {} of {} bytes (was the file changed while loading?)",
           op_, path_, what, in_.gcount(), nbytes);
}

void read_elements(InputFile& file, uint64_t offset, FileElement element, const Tensor& out,
                   std::string_view what) {
  const size_t count = static_cast<size_t>(out.numel());
  const size_t size = stored_size(element);
  const bool verbatim = kLittleEndianHost && stored_size(element) == element_size(out.dtype()) &&
                        element != FileElement::Bool;
  if (verbatim) {
    file.read(offset, out.raw_data(), count * size, what);
    return;
  }
  std::vector<unsigned char> buffer(std::min(count, kChunkElements) * size);
  char* dst = static_cast<char*>(out.raw_data());
  for (size_t done = 0; done < count;) {
    const size_t n = std::min(count - done, kChunkElements);
    file.read(offset + done * size, buffer.data(), n * size, what);
    decode(buffer.data(), n, element, dst + done * element_size(out.dtype()));
    done += n;
  }
}

Tensor host_contiguous(const Tensor& t) {
  NoGradGuard no_grad;
  Tensor host = t.detach();
  if (!host.device().is_cpu()) host = host.to(kCPU);
  return host.contiguous();
}

void write_elements(AtomicFile& file, const Tensor& t) {
  const size_t size = element_size(t.dtype());
  const size_t count = static_cast<size_t>(t.numel());
  if (kLittleEndianHost || size == 1) {
    file.write(t.raw_data(), count * size);
    return;
  }
  std::vector<unsigned char> buffer(std::min(count, kChunkElements) * size);
  const unsigned char* src = static_cast<const unsigned char*>(t.raw_data());
  for (size_t done = 0; done < count;) {
    const size_t n = std::min(count - done, kChunkElements);
    for (size_t i = 0; i < n; ++i) {
      uint64_t v;
      if (size == 4) {
        uint32_t narrow;
        std::memcpy(&narrow, src + (done + i) * size, 4);
        v = narrow;
      } else {
        std::memcpy(&v, src + (done + i) * size, 8);
      }
      store_le(buffer.data() + i * size, v, size);
    }
    file.write(buffer.data(), n * size);
    done += n;
  }
}

bool checked_byte_size(const int64_t* dims, int ndim, uint64_t element_bytes, uint64_t& bytes) {
  uint64_t total = element_bytes;
  for (int i = 0; i < ndim; ++i) {
    const uint64_t d = static_cast<uint64_t>(dims[i]);
    if (d != 0 && total > UINT64_MAX / d) return false;
    total *= d;
  }
  bytes = total;
  return true;
}

}  // namespace metagrad::io_detail
