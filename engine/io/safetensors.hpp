#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "engine/tensor.hpp"

namespace metagrad {
/// \addtogroup engine_io
/// @{

/// An ordered list of named tensors (what a safetensors file holds).
using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

/// The contents of a safetensors file: its tensors, in name order, and its `__metadata__`.
struct SafetensorsFile {
  /// The tensors, in the file's order.
  NamedTensors tensors;
  /// The `__metadata__` strings of the header.
  std::map<std::string, std::string> metadata;

  /// True when a tensor called `name` is present.
  bool contains(const std::string& name) const;
  /// The tensor called `name`; throws metagrad::Error listing the available names when absent.
  const Tensor& at(const std::string& name) const;
};

/// Writes `tensors` to `path` in the safetensors format, interoperable with Python's
/// `safetensors` package (`safetensors.torch.load_file`): an 8-byte little-endian header length,
/// a JSON header (`__metadata__` first when `metadata` is non-empty, then one entry per tensor in
/// name order, padded with spaces to a multiple of 8 bytes) and the tensors' bytes, contiguous,
/// little-endian, in name order (F32, F64, I64, BOOL). Names must be non-empty, unique, valid
/// UTF-8 and not `__metadata__`. Tensors on another device are copied to the CPU; views are
/// written in row-major order; autograd history is ignored. The write is atomic (see
/// AtomicFile): on any failure the file at `path` is left as it was.
void save_file(const NamedTensors& tensors, const std::string& path,
               const std::map<std::string, std::string>& metadata = {});

/// Reads a safetensors file. Everything is validated before any tensor is allocated, and each
/// violation throws a distinct metagrad::Error naming the file and the problem: file shorter than
/// the 8-byte length prefix; header length above 100,000,000 bytes (the reference
/// implementation's MAX_HEADER_SIZE, checked before the header is read) or past the end of the
/// file; a NUL byte in the header (it is JSON padded with spaces only); header not valid JSON
/// (UTF-8, finite numbers) or not an object; a duplicate key anywhere in it; an empty tensor name;
/// an entry that is not an object with `dtype`, `shape` and `data_offsets`; an unknown or
/// unsupported dtype; a shape with negative, non-integer or too many entries; data_offsets that
/// are not two ordered non-negative integers; a byte size (checked multiplication) different from
/// end - begin; gaps, overlaps, bytes left over or offsets beyond the end of the data buffer;
/// `__metadata__` that is not an object of strings. The header is parsed in one pass whose time
/// and memory are linear in its size, never nesting deeper than a valid header does (see
/// io_detail::parse_safetensors_header); names quoted in messages are cut short. Failures of
/// the libraries underneath (out of memory included) are rethrown as metagrad::Error naming the
/// file, so nothing else escapes. dtypes F32, F64, I64 and BOOL load as they are; F16 and BF16 load
/// as float32, I8, I16, I32, U8, U16 and U32 as int64 (exact widenings). Tensors come back
/// contiguous, on the CPU, not requiring grad, in name order.
SafetensorsFile load_file(const std::string& path);
/// load_file(path) with every tensor then moved to `device`.
SafetensorsFile load_file(const std::string& path, Device device);

/// @}

}  // namespace metagrad
