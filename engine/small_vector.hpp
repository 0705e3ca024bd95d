#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>

namespace metagrad {
/// \addtogroup engine_tensor
/// @{

/// A vector that keeps its first N elements inside the object and moves to the heap only beyond
/// that. Autograd nodes hold their edges and tensor metadata in these, so recording an op with
/// at most N inputs and outputs allocates nothing for them. Not thread-safe, like std::vector.
template <typename T, size_t N>
class SmallVector {
  static_assert(N > 0, "SmallVector needs an inline capacity of at least one element");

 public:
  /// The element type.
  using value_type = T;
  /// A pointer into the elements.
  using iterator = T*;
  /// A pointer into the elements, read-only.
  using const_iterator = const T*;

  SmallVector() = default;
  /// Copies the elements.
  SmallVector(const SmallVector& other) { append_copies(other); }
  /// Moves the elements (takes the heap block when `other` has one).
  SmallVector(SmallVector&& other) noexcept(std::is_nothrow_move_constructible_v<T>) {
    take(std::move(other));
  }
  /// Copies the elements.
  SmallVector& operator=(const SmallVector& other) {
    if (this != &other) {
      clear();
      append_copies(other);
    }
    return *this;
  }
  /// Moves the elements.
  SmallVector& operator=(SmallVector&& other) noexcept(std::is_nothrow_move_constructible_v<T>) {
    if (this != &other) {
      clear();
      release_heap();
      take(std::move(other));
    }
    return *this;
  }
  ~SmallVector() {
    clear();
    release_heap();
  }

  /// The number of elements.
  size_t size() const { return size_; }
  /// True when there are no elements.
  bool empty() const { return size_ == 0; }
  /// The number of elements that fit before the next allocation.
  size_t capacity() const { return capacity_; }
  /// The first element.
  T* data() { return data_; }
  /// \overload
  const T* data() const { return data_; }
  /// Iteration, as std::vector's.
  T* begin() { return data_; }
  /// \overload
  T* end() { return data_ + size_; }
  /// \overload
  const T* begin() const { return data_; }
  /// \overload
  const T* end() const { return data_ + size_; }
  /// Element `i` (unchecked).
  T& operator[](size_t i) { return data_[i]; }
  /// \overload
  const T& operator[](size_t i) const { return data_[i]; }
  /// The last element (the vector must not be empty).
  T& back() { return data_[size_ - 1]; }
  /// \overload
  const T& back() const { return data_[size_ - 1]; }

  /// Makes room for `n` elements without further reallocation.
  void reserve(size_t n) {
    if (n > capacity_) grow_to(n);
  }
  /// Appends a copy of `value`.
  void push_back(const T& value) { emplace_back(value); }
  /// Appends `value`, moved.
  void push_back(T&& value) { emplace_back(std::move(value)); }
  /// Appends an element made from `args`; returns it.
  template <typename... Args>
  T& emplace_back(Args&&... args) {
    if (size_ == capacity_) grow_to(capacity_ * 2);
    T* slot = ::new (static_cast<void*>(data_ + size_)) T(std::forward<Args>(args)...);
    ++size_;
    return *slot;
  }
  /// Destroys every element; keeps the capacity.
  void clear() {
    std::destroy(data_, data_ + size_);
    size_ = 0;
  }

 private:
  bool on_heap() const { return data_ != inline_data(); }
  T* inline_data() { return std::launder(reinterpret_cast<T*>(inline_)); }
  const T* inline_data() const { return std::launder(reinterpret_cast<const T*>(inline_)); }

  void grow_to(size_t n) {
    T* fresh = static_cast<T*>(::operator new (n * sizeof(T), std::align_val_t{alignof(T)}));
    std::uninitialized_move(data_, data_ + size_, fresh);
    std::destroy(data_, data_ + size_);
    release_heap();
    data_ = fresh;
    capacity_ = n;
  }
  void release_heap() {
    if (on_heap()) ::operator delete (data_, std::align_val_t{alignof(T)});
    data_ = inline_data();
    capacity_ = N;
  }
  void append_copies(const SmallVector& other) {
    reserve(other.size_);
    std::uninitialized_copy(other.begin(), other.end(), data_);
    size_ = other.size_;
  }
  // Steals a heap buffer; moves inline elements one by one. `this` is empty with inline storage.
  void take(SmallVector&& other) {
    if (other.on_heap()) {
      data_ = other.data_;
      capacity_ = other.capacity_;
      size_ = other.size_;
      other.data_ = other.inline_data();
      other.capacity_ = N;
      other.size_ = 0;
      return;
    }
    std::uninitialized_move(other.begin(), other.end(), data_);
    size_ = other.size_;
    other.clear();
  }

  alignas(T) unsigned char inline_[N * sizeof(T)];
  T* data_ = inline_data();
  size_t size_ = 0;
  size_t capacity_ = N;
};

/// @}

}  // namespace metagrad
