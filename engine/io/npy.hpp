#pragma once

#include <string>

#include "engine/tensor.hpp"

namespace metagrad {
/// \addtogroup engine_io
/// @{

/// Writes `t` to `path` as a NumPy .npy file, byte for byte what `numpy.save` writes for the same
/// array: format version 1.0, descr `<f4`, `<f8`, `<i8` or `|b1`, C order, the header dict
/// `{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }` with numpy's spare space and
/// padding so that the data starts at a multiple of 64 bytes, then the elements little-endian in
/// row-major order. Tensors on another device are copied to the CPU; autograd history is
/// ignored. The write is atomic (see AtomicFile): on failure `path` is left as it was.
void save_npy(const Tensor& t, const std::string& path);

/// Reads a NumPy .npy file (format versions 1.0, 2.0 and 3.0) into a contiguous CPU tensor.
/// `<f4`, `<f8`, `<i8` and `|b1` load as float32, float64, int64 and bool; `<f2` loads as
/// float32 and `|i1 <i2 <i4 |u1 <u2 <u4` as int64 (exact widenings). Throws metagrad::Error naming
/// the file and the problem for: a bad magic string or version; a header past the end of the file
/// or not a dict with exactly the keys descr, fortran_order and shape; pickled object arrays
/// (`|O`, never unpickled); structured or other unsupported dtypes; big-endian data (`>f8`);
/// `fortran_order: True`; a shape with negative sizes or more than kMaxDims dimensions; and data
/// whose size differs from what the shape needs.
Tensor load_npy(const std::string& path);

/// @}

}  // namespace metagrad
