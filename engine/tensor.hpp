#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <tuple>
#include <vector>

#include "engine/device.hpp"
#include "engine/dtype.hpp"
#include "engine/error.hpp"
#include "engine/shape.hpp"
#include "engine/storage.hpp"

namespace metagrad {
/// \addtogroup engine_tensor
/// @{

class TensorImpl;
class Node;
class Tensor;

/// An ordered list of tensors (inputs, outputs and gradients of the autograd API).
using TensorList = std::vector<Tensor>;

/// A gradient hook: called with the incoming gradient; returns a replacement, or an undefined
/// Tensor to keep the gradient as it is.
using GradHook = std::function<Tensor(const Tensor&)>;

/// Where a new tensor goes, what it holds and whether it requires grad. Converts implicitly from a
/// DType or a Device: `zeros({2, 3}, kFloat64)` or `zeros({2}, {.dtype = kFloat64, .requires_grad =
/// true})`.
struct TensorOptions {
  DType dtype = kFloat32;
  Device device = kCPU;
  bool requires_grad = false;

  TensorOptions() = default;
  TensorOptions(DType d) : dtype(d) {}
  TensorOptions(Device dev) : device(dev) {}
  TensorOptions(DType d, Device dev, bool rg = false) : dtype(d), device(dev), requires_grad(rg) {}
};

/// A cheap handle to an n-dimensional strided array and its autograd history. Copying a Tensor
/// never copies data; a default-constructed Tensor is "undefined" (no tensor). Views (reshape,
/// slice, select, transpose, expand, ...) share storage with their base.
class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  /// False for a default-constructed handle.
  bool defined() const { return impl_ != nullptr; }
  TensorImpl* impl() const { return impl_.get(); }
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }
  /// True when both handles refer to the same TensorImpl.
  bool is_same(const Tensor& other) const { return impl_ == other.impl_; }

  // ---- metadata -------------------------------------------------------------------------------
  const Dims& shape() const;
  const Dims& sizes() const { return shape(); }
  const Dims& strides() const;
  /// Size of dimension `dim` (negative counts from the end).
  int64_t size(int64_t dim) const;
  int64_t stride(int64_t dim) const;
  int dim() const;
  int64_t numel() const;
  DType dtype() const;
  Device device() const;
  /// Offset, in elements, of the first element inside the storage.
  int64_t storage_offset() const;
  const std::shared_ptr<Storage>& storage() const;
  bool is_contiguous() const;
  bool is_floating_point() const { return is_floating(dtype()); }

  // ---- data access ----------------------------------------------------------------------------
  /// Pointer to the first element (CPU or device memory). Checks that T matches the dtype.
  template <typename T>
  T* data_ptr() const;
  void* raw_data() const;
  /// The single element as T (converted). Throws when numel() != 1.
  template <typename T>
  T item() const;
  /// All elements, in row-major order, converted to T (copies from the device when needed).
  template <typename T>
  std::vector<T> to_vector() const;

  // ---- conversions ----------------------------------------------------------------------------
  /// A copy with dtype `dtype` (differentiable between float dtypes); returns *this when equal.
  Tensor to(DType dtype) const;
  /// A copy on `device` (differentiable); returns *this when equal.
  Tensor to(Device device) const;
  /// *this when already contiguous, else a contiguous copy (differentiable).
  Tensor contiguous() const;
  /// A contiguous copy that is part of the graph (differentiable).
  Tensor clone() const;
  /// A tensor sharing storage, cut from the graph (requires_grad false).
  Tensor detach() const;
  /// Cuts this tensor from the graph in place (PyTorch's detach_): every handle to it now sees a
  /// leaf without history that does not require grad; data and .grad are kept. Not thread-safe
  /// against other threads using the tensor at the same time. Returns *this for chaining
  /// (`t.detach_().requires_grad_()` is TorchOpt's stop_gradient of one tensor).
  Tensor& detach_();

  // ---- autograd -------------------------------------------------------------------------------
  bool requires_grad() const;
  /// Marks a leaf as requiring grad (float dtypes only). Returns *this for chaining.
  Tensor& requires_grad_(bool requires_grad = true);
  /// Same as requires_grad_, on a const handle (handles are shallow).
  const Tensor& set_requires_grad(bool requires_grad = true) const;
  /// The accumulated gradient of a leaf (undefined until backward() reaches it).
  Tensor grad() const;
  /// Replaces the accumulated gradient (an undefined Tensor clears it).
  void set_grad(const Tensor& grad) const;
  /// The node that produced this tensor, or nullptr for leaves.
  const std::shared_ptr<Node>& grad_fn() const;
  /// Which output of grad_fn() this tensor is.
  uint32_t output_nr() const;
  /// True when the tensor has no grad_fn (created by the user or by an op without grad).
  bool is_leaf() const;
  /// Makes backward() also fill .grad of this non-leaf tensor.
  void retain_grad() const;
  bool retains_grad() const;
  /// Registers a hook called with this tensor's gradient during backward / grad.
  void register_hook(GradHook hook) const;
  /// Accumulates d(this)/d(leaves) into .grad; see metagrad::backward.
  void backward(const Tensor& gradient = {}, std::optional<bool> retain_graph = std::nullopt,
                bool create_graph = false, const TensorList& inputs = {}) const;
  /// The storage's version counter (bumped by in-place ops).
  uint64_t version() const;

  // ---- ops as methods (see engine/ops.hpp for contracts) --------------------------------------
  Tensor sum(const Dims& dims = {}, bool keepdim = false) const;
  Tensor mean(const Dims& dims = {}, bool keepdim = false) const;
  Tensor prod(std::optional<int64_t> dim = std::nullopt, bool keepdim = false) const;
  Tensor amax(const Dims& dims = {}, bool keepdim = false) const;
  Tensor amin(const Dims& dims = {}, bool keepdim = false) const;
  Tensor norm(double p = 2.0, const Dims& dims = {}, bool keepdim = false) const;
  Tensor var(const Dims& dims = {}, bool unbiased = true, bool keepdim = false) const;
  Tensor std(const Dims& dims = {}, bool unbiased = true, bool keepdim = false) const;
  Tensor logsumexp(const Dims& dims, bool keepdim = false) const;
  std::tuple<Tensor, Tensor> max(int64_t dim, bool keepdim = false) const;
  std::tuple<Tensor, Tensor> min(int64_t dim, bool keepdim = false) const;
  Tensor max() const;
  Tensor min() const;

  Tensor neg() const;
  Tensor abs() const;
  Tensor sign() const;
  Tensor exp() const;
  Tensor log() const;
  Tensor log1p() const;
  Tensor sqrt() const;
  Tensor rsqrt() const;
  Tensor square() const;
  Tensor sin() const;
  Tensor cos() const;
  Tensor tanh() const;
  Tensor sigmoid() const;
  Tensor relu() const;
  Tensor pow(double exponent) const;
  Tensor pow(const Tensor& exponent) const;
  Tensor clamp(std::optional<double> min, std::optional<double> max) const;

  Tensor matmul(const Tensor& other) const;
  Tensor dot(const Tensor& other) const;
  Tensor mv(const Tensor& vec) const;
  Tensor t() const;
  Tensor transpose(int64_t dim0, int64_t dim1) const;
  Tensor permute(const Dims& dims) const;
  Tensor reshape(const Dims& shape) const;
  Tensor view(const Dims& shape) const;
  Tensor flatten(int64_t start_dim = 0, int64_t end_dim = -1) const;
  Tensor squeeze() const;
  Tensor squeeze(int64_t dim) const;
  Tensor unsqueeze(int64_t dim) const;
  Tensor expand(const Dims& shape) const;
  Tensor expand_as(const Tensor& other) const;
  Tensor sum_to(const Dims& shape) const;
  Tensor slice(int64_t dim, std::optional<int64_t> start, std::optional<int64_t> end,
               int64_t step = 1) const;
  Tensor select(int64_t dim, int64_t index) const;
  Tensor index_select(int64_t dim, const Tensor& index) const;
  Tensor gather(int64_t dim, const Tensor& index) const;
  Tensor scatter_add(int64_t dim, const Tensor& index, const Tensor& src) const;
  TensorList split(int64_t split_size, int64_t dim = 0) const;
  TensorList chunk(int64_t chunks, int64_t dim = 0) const;

  // ---- in-place (bump the version; rejected on a leaf requiring grad while recording) ---------
  Tensor& add_(const Tensor& other, double alpha = 1.0);
  Tensor& add_(double other);
  Tensor& sub_(const Tensor& other, double alpha = 1.0);
  Tensor& sub_(double other);
  Tensor& mul_(const Tensor& other);
  Tensor& mul_(double other);
  Tensor& div_(const Tensor& other);
  Tensor& div_(double other);
  Tensor& copy_(const Tensor& src);
  Tensor& fill_(double value);
  Tensor& zero_();

 private:
  /// The impl; throws (naming the misuse) when this handle is undefined.
  const TensorImpl& checked_impl() const;

  std::shared_ptr<TensorImpl> impl_;
};

/// Autograd state of a tensor: null for plain data (no grad, no history).
struct AutogradMeta {
  bool requires_grad = false;
  bool retains_grad = false;
  uint32_t output_nr = 0;
  std::shared_ptr<Node> grad_fn;
  /// Leaves only: the AccumulateGrad node, created once on first use and then kept for the
  /// leaf's lifetime (it refers back to the leaf weakly). Written once under the leaf's lock and
  /// published by `has_grad_accumulator`, so recording an op reads it without a lock. See
  /// Note [leaf locks] in engine/autograd/node.hpp.
  std::shared_ptr<Node> grad_accumulator;
  std::atomic<bool> has_grad_accumulator{false};
  /// The accumulated gradient; read and written under the leaf's lock (Tensor::grad/set_grad).
  Tensor grad;
  /// Leaf hooks; registered and read under the leaf's lock.
  std::vector<GradHook> hooks;
};

/// The data behind a Tensor handle: a strided view into a Storage plus autograd state.
class TensorImpl {
 public:
  TensorImpl(std::shared_ptr<Storage> storage, const Dims& shape, const Dims& strides,
             int64_t offset, DType dtype);

  const Dims& shape() const { return shape_; }
  const Dims& strides() const { return strides_; }
  int64_t offset() const { return offset_; }
  int64_t numel() const { return numel_; }
  DType dtype() const { return dtype_; }
  Device device() const { return storage_->device(); }
  const std::shared_ptr<Storage>& storage() const { return storage_; }
  void* data() const {
    return static_cast<char*>(storage_->data()) +
           offset_ * static_cast<int64_t>(element_size(dtype_));
  }
  bool is_contiguous() const;

  AutogradMeta* autograd() const { return autograd_ ? &*autograd_ : nullptr; }
  /// Creates the autograd state on first use.
  AutogradMeta& ensure_autograd();
  bool requires_grad() const { return autograd_ && autograd_->requires_grad; }

 private:
  std::shared_ptr<Storage> storage_;
  Dims shape_;
  Dims strides_;
  int64_t offset_ = 0;
  int64_t numel_ = 0;
  DType dtype_;
  // Inline (not a separate allocation): every recorded output needs one.
  mutable std::optional<AutogradMeta> autograd_;
};

/// A new contiguous tensor with uninitialised data. Throws naming `op` when a size is negative,
/// when the shape's element count, strides or bytes overflow (Note [size overflow]), or when the
/// device cannot allocate the bytes.
Tensor make_empty(const Dims& shape, DType dtype, Device device, const char* op = "empty");
/// A view of `base`'s storage with the given geometry (no autograd history).
Tensor make_view(const Tensor& base, const Dims& shape, const Dims& strides, int64_t offset);

namespace detail {
/// Throws the error for an operation on an undefined (default-constructed) Tensor.
[[noreturn]] void throw_undefined_tensor();
}  // namespace detail

// The hot metadata accessors are inline: every op reads them several times.
inline const TensorImpl& Tensor::checked_impl() const {
  if (!impl_) [[unlikely]]
    detail::throw_undefined_tensor();
  return *impl_;
}
inline const Dims& Tensor::shape() const { return checked_impl().shape(); }
inline const Dims& Tensor::strides() const { return checked_impl().strides(); }
inline int Tensor::dim() const { return checked_impl().shape().size(); }
inline int64_t Tensor::numel() const { return checked_impl().numel(); }
inline DType Tensor::dtype() const { return checked_impl().dtype(); }
inline Device Tensor::device() const { return checked_impl().device(); }
inline bool Tensor::requires_grad() const { return checked_impl().requires_grad(); }

template <typename T>
T* Tensor::data_ptr() const {
  MG_CHECK(dtype_of<std::remove_const_t<T>>() == dtype(),
           "data_ptr: tensor has dtype {}, requested {}", dtype_name(dtype()),
           dtype_name(dtype_of<std::remove_const_t<T>>()));
  return static_cast<T*>(raw_data());
}

/// @}

}  // namespace metagrad
