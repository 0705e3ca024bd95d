#pragma once

// Internal helpers shared by the safetensors and .npy readers and writers: element encodings
// found in files, reading a checked byte range of a file, and moving tensor data to and from
// little-endian bytes. Not part of the public API.
#include <cstdint>
#include <fstream>
#include <string>
#include <string_view>

#include "engine/io/atomic_file.hpp"
#include "engine/tensor.hpp"

namespace metagrad::io_detail {

/// An element type as stored in a file (always little-endian). The narrower integer and half
/// precision encodings load widened to int64 / float32, which hold every value exactly.
enum class FileElement : uint8_t { F16, BF16, F32, F64, I8, I16, I32, I64, U8, U16, U32, Bool };

/// Bytes per stored element.
size_t stored_size(FileElement element);
/// The dtype a stored element loads as.
DType loaded_dtype(FileElement element);
/// The stored encoding of a tensor dtype (what the writers emit).
FileElement stored_element(DType dtype);

/// A file opened for reading, with its size, whose errors name `op` and the path.
class InputFile {
 public:
  InputFile(const std::string& path, std::string op);
  uint64_t size() const { return size_; }
  /// Reads exactly `nbytes` at byte `offset`; throws when the file ends early or reading fails.
  void read(uint64_t offset, void* out, size_t nbytes, std::string_view what);

 private:
  std::string path_;
  std::string op_;
  std::ifstream in_;
  uint64_t size_ = 0;
};

/// Reads `out.numel()` elements stored as `element` at byte `offset` of `file` into the new
/// contiguous CPU tensor `out` (dtype loaded_dtype(element)), widening narrow types, converting
/// from little-endian and storing bool bytes as 0/1 (any non-zero byte is true).
void read_elements(InputFile& file, uint64_t offset, FileElement element, const Tensor& out,
                   std::string_view what);

/// `t` as plain data ready to be written: detached, on the CPU and contiguous.
Tensor host_contiguous(const Tensor& t);
/// Appends the elements of the contiguous CPU tensor `t` to `file`, little-endian.
void write_elements(AtomicFile& file, const Tensor& t);

/// Product of `dims` times `element_bytes`, or false when it overflows uint64.
bool checked_byte_size(const int64_t* dims, int ndim, uint64_t element_bytes, uint64_t& bytes);

}  // namespace metagrad::io_detail
