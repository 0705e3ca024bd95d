#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/error.hpp"

namespace metagrad {
/// \addtogroup engine_tensor
/// @{

/// The most dimensions a tensor may have. Fixed so that shapes and strides live inline in the
/// tensor (no heap allocation per op).
inline constexpr int kMaxDims = 12;

/// A list of at most kMaxDims int64 values: a shape, a set of strides or a list of dims. Behaves
/// like a small std::vector<int64_t> that never allocates.
class Dims {
 public:
  Dims() = default;
  /// The sizes in `values` (`{2, 3}`); throws past the inline capacity.
  Dims(std::initializer_list<int64_t> values) { assign(values.begin(), values.end()); }
  /// \overload
  Dims(const std::vector<int64_t>& values) { assign(values.begin(), values.end()); }
  /// \overload
  Dims(std::span<const int64_t> values) { assign(values.begin(), values.end()); }
  /// `n` copies of `value`.
  Dims(int64_t n, int64_t value) {
    check_size(n);
    size_ = static_cast<int>(n);
    std::fill(data_, data_ + size_, value);
  }

  /// The number of dimensions.
  int size() const { return size_; }
  /// True for a 0-d shape.
  bool empty() const { return size_ == 0; }
  /// The first size.
  int64_t* data() { return data_; }
  /// \overload
  const int64_t* data() const { return data_; }
  /// Size `i` (unchecked).
  int64_t& operator[](int i) { return data_[i]; }
  /// \overload
  int64_t operator[](int i) const { return data_[i]; }
  /// Iteration, as std::vector's.
  int64_t* begin() { return data_; }
  /// \overload
  int64_t* end() { return data_ + size_; }
  /// \overload
  const int64_t* begin() const { return data_; }
  /// \overload
  const int64_t* end() const { return data_ + size_; }
  /// The last size (the shape must not be empty).
  int64_t back() const { return data_[size_ - 1]; }
  /// \overload
  int64_t& back() { return data_[size_ - 1]; }

  /// Appends a size (throws past the inline capacity).
  void push_back(int64_t value) {
    check_size(size_ + 1);
    data_[size_++] = value;
  }
  /// Removes the last size.
  void pop_back() { --size_; }
  /// Inserts `value` before position `pos` (0..size()).
  void insert(int pos, int64_t value) {
    check_size(size_ + 1);
    std::copy_backward(data_ + pos, data_ + size_, data_ + size_ + 1);
    data_[pos] = value;
    ++size_;
  }
  /// Removes the element at `pos`.
  void erase(int pos) {
    std::copy(data_ + pos + 1, data_ + size_, data_ + pos);
    --size_;
  }
  /// n sizes, new ones set to `value` (throws past the inline capacity).
  void resize(int n, int64_t value = 0) {
    check_size(n);
    for (int i = size_; i < n; ++i) data_[i] = value;
    size_ = n;
  }

  /// The sizes as a std::vector.
  std::vector<int64_t> vec() const { return {begin(), end()}; }
  /// The sizes as a span (valid while this Dims lives and is unchanged).
  operator std::span<const int64_t>() const { return {data_, static_cast<size_t>(size_)}; }

  /// Same sizes.
  bool operator==(const Dims& other) const {
    return size_ == other.size_ && std::equal(begin(), end(), other.begin());
  }

 private:
  template <typename It>
  void assign(It first, It last) {
    check_size(std::distance(first, last));
    size_ = 0;
    for (; first != last; ++first) data_[size_++] = static_cast<int64_t>(*first);
  }
  static void check_size(int64_t n) {
    MG_CHECK(n <= kMaxDims, "metagrad tensors have at most {} dimensions, got {}", kMaxDims, n);
  }

  int64_t data_[kMaxDims] = {};
  int size_ = 0;
};

/// "[2, 3]" — shapes in messages are printed like this.
std::string shape_str(const Dims& dims);

/// The largest storage of one tensor, in bytes: PTRDIFF_MAX (2^63 - 1 on 64-bit hosts), as in
/// PyTorch, so that every byte count and byte offset fits both size_t and ptrdiff_t.
inline constexpr int64_t kMaxTensorBytes = PTRDIFF_MAX;

/// Product of the sizes (1 for a 0-d shape, 0 when any size is 0, whatever the others). Throws
/// naming `op` and the shape when the product does not fit int64. See Note [size overflow].
int64_t numel_of(const Dims& shape, const char* op = "tensor");

/// a * b for counts and sizes; throws naming `op` and `what` (the quantity being computed) when
/// the product does not fit int64.
int64_t checked_mul(int64_t a, int64_t b, const char* op, const char* what);

/// a + b for counts and sizes; throws naming `op` and `what` when the sum does not fit int64.
int64_t checked_add(int64_t a, int64_t b, const char* op, const char* what);

/// Bytes of a contiguous tensor of `shape` with elements of `element_size` bytes. Throws naming
/// `op`, the shape, the dtype name and the byte count when the count exceeds kMaxTensorBytes.
int64_t storage_nbytes(const Dims& shape, int64_t element_size, std::string_view dtype,
                       const char* op);

/// Row-major strides (in elements) of a contiguous tensor with this shape: stride[i] = product of
/// max(size[j], 1) for j > i, as PyTorch. Throws naming `op` when a stride overflows int64 (so
/// [0, 2^63 - 1] is a valid empty shape, but [0, 2^62, 4] is not).
Dims contiguous_strides(const Dims& shape, const char* op = "tensor");

/// Wraps a possibly negative dim into [0, ndim); throws naming `op` when out of range.
int normalize_dim(int64_t dim, int ndim, const char* op);

/// NumPy broadcast of two shapes; throws naming `op` and both shapes when they do not broadcast.
Dims broadcast_shapes(const Dims& a, const Dims& b, const char* op);

/// Normalized, sorted, de-duplicated reduction dims; an empty `dims` means all dims.
Dims reduction_dims(const Dims& dims, int ndim, const char* op);

/// @}

}  // namespace metagrad
