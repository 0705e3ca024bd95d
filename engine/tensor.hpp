#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
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
  /// The element type (float32 by default).
  DType dtype = kFloat32;
  /// The device (the CPU by default).
  Device device = kCPU;
  /// Whether the new tensor is a leaf that requires grad.
  bool requires_grad = false;

  TensorOptions() = default;
  /// dtype `d`, on the CPU.
  TensorOptions(DType d) : dtype(d) {}
  /// float32 on `dev`.
  TensorOptions(Device dev) : device(dev) {}
  /// All three fields.
  TensorOptions(DType d, Device dev, bool rg = false) : dtype(d), device(dev), requires_grad(rg) {}
};

/// A cheap handle to an n-dimensional strided array and its autograd history. Copying a Tensor
/// never copies data; a default-constructed Tensor is "undefined" (no tensor). Views (reshape,
/// slice, select, transpose, expand, ...) share storage with their base.
class Tensor {
 public:
  Tensor() = default;
  /// A handle to `impl` (used by ops and backends; users get tensors from factories and ops).
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  /// False for a default-constructed handle.
  bool defined() const { return impl_ != nullptr; }
  /// The TensorImpl behind this handle (nullptr when undefined).
  TensorImpl* impl() const { return impl_.get(); }
  /// The shared TensorImpl behind this handle.
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }
  /// True when both handles refer to the same TensorImpl.
  bool is_same(const Tensor& other) const { return impl_ == other.impl_; }

  // ---- metadata -------------------------------------------------------------------------------
  /// The sizes of the dimensions.
  const Dims& shape() const;
  /// The same as shape() (PyTorch's name).
  const Dims& sizes() const { return shape(); }
  /// The strides, in elements, of each dimension.
  const Dims& strides() const;
  /// Size of dimension `dim` (negative counts from the end). Throws for a 0-d tensor, which has
  /// no dimensions, and for a dim out of range.
  int64_t size(int64_t dim) const;
  /// Stride of dimension `dim` (negative counts from the end). Throws as size() does.
  int64_t stride(int64_t dim) const;
  /// The number of dimensions.
  int dim() const;
  /// The number of elements.
  int64_t numel() const;
  /// The element type.
  DType dtype() const;
  /// The device the data lives on.
  Device device() const;
  /// Offset, in elements, of the first element inside the storage.
  int64_t storage_offset() const;
  /// The storage shared by this tensor and its views.
  const std::shared_ptr<Storage>& storage() const;
  /// True when the elements are laid out in row-major order without gaps.
  bool is_contiguous() const;
  /// True for float32 and float64.
  bool is_floating_point() const { return is_floating(dtype()); }

  // ---- data access ----------------------------------------------------------------------------
  /// Pointer to the first element (CPU or device memory). Checks that T matches the dtype.
  template <typename T>
  T* data_ptr() const;
  /// Pointer to the first element, untyped (CPU or device memory).
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
  /// Whether gradients flow to or through this tensor.
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
  /// Whether retain_grad() was called on this non-leaf.
  bool retains_grad() const;
  /// Registers a hook called with this tensor's gradient during backward / grad.
  void register_hook(GradHook hook) const;
  /// Accumulates d(this)/d(leaves) into .grad; see metagrad::backward.
  void backward(const Tensor& gradient = {}, std::optional<bool> retain_graph = std::nullopt,
                bool create_graph = false, const TensorList& inputs = {}) const;
  /// The storage's version counter (bumped by in-place ops).
  uint64_t version() const;

  // ---- ops as methods (see engine/ops.hpp for contracts) --------------------------------------
  /// `sum(*this, dims, keepdim)`: the function of engine/ops.hpp as a method.
  Tensor sum(const Dims& dims = {}, bool keepdim = false) const;
  /// `mean(*this, dims, keepdim)`: the function of engine/ops.hpp as a method.
  Tensor mean(const Dims& dims = {}, bool keepdim = false) const;
  /// `prod(*this, dim, keepdim)`: the function of engine/ops.hpp as a method.
  Tensor prod(std::optional<int64_t> dim = std::nullopt, bool keepdim = false) const;
  /// `amax(*this, dims, keepdim)`: the function of engine/ops.hpp as a method.
  Tensor amax(const Dims& dims = {}, bool keepdim = false) const;
  /// `amin(*this, dims, keepdim)`: the function of engine/ops.hpp as a method.
  Tensor amin(const Dims& dims = {}, bool keepdim = false) const;
  /// `norm(*this, p, dims, keepdim)`: the function of engine/ops.hpp as a method.
  Tensor norm(double p = 2.0, const Dims& dims = {}, bool keepdim = false) const;
  /// `var(*this, dims, unbiased, keepdim)`: the function of engine/ops.hpp as a method.
  Tensor var(const Dims& dims = {}, bool unbiased = true, bool keepdim = false) const;
  /// `std(*this, dims, unbiased, keepdim)`: the function of engine/ops.hpp as a method.
  Tensor std(const Dims& dims = {}, bool unbiased = true, bool keepdim = false) const;
  /// `logsumexp(*this, dims, keepdim)`: the function of engine/ops.hpp as a method.
  Tensor logsumexp(const Dims& dims, bool keepdim = false) const;
  /// `max(*this, dim, keepdim)`: the function of engine/ops.hpp as a method.
  std::tuple<Tensor, Tensor> max(int64_t dim, bool keepdim = false) const;
  /// `min(*this, dim, keepdim)`: the function of engine/ops.hpp as a method.
  std::tuple<Tensor, Tensor> min(int64_t dim, bool keepdim = false) const;
  /// `max(*this)`: the function of engine/ops.hpp as a method.
  Tensor max() const;
  /// `min(*this)`: the function of engine/ops.hpp as a method.
  Tensor min() const;

  /// `neg(*this)`: the function of engine/ops.hpp as a method.
  Tensor neg() const;
  /// `abs(*this)`: the function of engine/ops.hpp as a method.
  Tensor abs() const;
  /// `sign(*this)`: the function of engine/ops.hpp as a method.
  Tensor sign() const;
  /// `exp(*this)`: the function of engine/ops.hpp as a method.
  Tensor exp() const;
  /// `log(*this)`: the function of engine/ops.hpp as a method.
  Tensor log() const;
  /// `log1p(*this)`: the function of engine/ops.hpp as a method.
  Tensor log1p() const;
  /// `sqrt(*this)`: the function of engine/ops.hpp as a method.
  Tensor sqrt() const;
  /// `rsqrt(*this)`: the function of engine/ops.hpp as a method.
  Tensor rsqrt() const;
  /// `square(*this)`: the function of engine/ops.hpp as a method.
  Tensor square() const;
  /// `sin(*this)`: the function of engine/ops.hpp as a method.
  Tensor sin() const;
  /// `cos(*this)`: the function of engine/ops.hpp as a method.
  Tensor cos() const;
  /// `tanh(*this)`: the function of engine/ops.hpp as a method.
  Tensor tanh() const;
  /// `sigmoid(*this)`: the function of engine/ops.hpp as a method.
  Tensor sigmoid() const;
  /// `relu(*this)`: the function of engine/ops.hpp as a method.
  Tensor relu() const;
  /// `erf(*this)`: the function of engine/ops.hpp as a method.
  Tensor erf() const;
  /// `expm1(*this)`: the function of engine/ops.hpp as a method.
  Tensor expm1() const;
  /// `tan(*this)`: the function of engine/ops.hpp as a method.
  Tensor tan() const;
  /// `asin(*this)`: the function of engine/ops.hpp as a method.
  Tensor asin() const;
  /// `acos(*this)`: the function of engine/ops.hpp as a method.
  Tensor acos() const;
  /// `atan(*this)`: the function of engine/ops.hpp as a method.
  Tensor atan() const;
  /// `sinh(*this)`: the function of engine/ops.hpp as a method.
  Tensor sinh() const;
  /// `cosh(*this)`: the function of engine/ops.hpp as a method.
  Tensor cosh() const;
  /// `asinh(*this)`: the function of engine/ops.hpp as a method.
  Tensor asinh() const;
  /// `acosh(*this)`: the function of engine/ops.hpp as a method.
  Tensor acosh() const;
  /// `atanh(*this)`: the function of engine/ops.hpp as a method.
  Tensor atanh() const;
  /// `log2(*this)`: the function of engine/ops.hpp as a method.
  Tensor log2() const;
  /// `log10(*this)`: the function of engine/ops.hpp as a method.
  Tensor log10() const;
  /// `exp2(*this)`: the function of engine/ops.hpp as a method.
  Tensor exp2() const;
  /// `reciprocal(*this)`: the function of engine/ops.hpp as a method.
  Tensor reciprocal() const;
  /// `frac(*this)`: the function of engine/ops.hpp as a method.
  Tensor frac() const;
  /// `erfc(*this)`: the function of engine/ops.hpp as a method.
  Tensor erfc() const;
  /// `erfinv(*this)`: the function of engine/ops.hpp as a method.
  Tensor erfinv() const;
  /// `lgamma(*this)`: the function of engine/ops.hpp as a method.
  Tensor lgamma() const;
  /// `digamma(*this)`: the function of engine/ops.hpp as a method.
  Tensor digamma() const;
  /// `floor(*this)`: the function of engine/ops.hpp as a method.
  Tensor floor() const;
  /// `ceil(*this)`: the function of engine/ops.hpp as a method.
  Tensor ceil() const;
  /// `round(*this)`: the function of engine/ops.hpp as a method.
  Tensor round() const;
  /// `trunc(*this)`: the function of engine/ops.hpp as a method.
  Tensor trunc() const;
  /// `pow(*this, exponent)`: the function of engine/ops.hpp as a method.
  Tensor pow(double exponent) const;
  /// `pow(*this, exponent)`: the function of engine/ops.hpp as a method.
  Tensor pow(const Tensor& exponent) const;
  /// `clamp(*this, min, max)`: the function of engine/ops.hpp as a method.
  Tensor clamp(std::optional<double> min, std::optional<double> max) const;

  /// `cumsum(*this, dim)`: the function of engine/ops.hpp as a method.
  Tensor cumsum(int64_t dim) const;
  /// `argmax(*this, dim, keepdim)`: the function of engine/ops.hpp as a method.
  Tensor argmax(std::optional<int64_t> dim = std::nullopt, bool keepdim = false) const;
  /// `argmin(*this, dim, keepdim)`: the function of engine/ops.hpp as a method.
  Tensor argmin(std::optional<int64_t> dim = std::nullopt, bool keepdim = false) const;
  /// `sort(*this, dim, descending, stable)`: the function of engine/ops.hpp as a method.
  std::tuple<Tensor, Tensor> sort(int64_t dim = -1, bool descending = false,
                                  bool stable = false) const;
  /// `argsort(*this, dim, descending, stable)`: the function of engine/ops.hpp as a method.
  Tensor argsort(int64_t dim = -1, bool descending = false, bool stable = false) const;
  /// `topk(*this, k, dim, largest, sorted)`: the function of engine/ops.hpp as a method.
  std::tuple<Tensor, Tensor> topk(int64_t k, int64_t dim = -1, bool largest = true,
                                  bool sorted = true) const;
  /// `flip(*this, dims)`: the function of engine/ops.hpp as a method.
  Tensor flip(const Dims& dims) const;
  /// `repeat(*this, repeats)`: the function of engine/ops.hpp as a method.
  Tensor repeat(const Dims& repeats) const;
  /// `tril(*this, diagonal)`: the function of engine/ops.hpp as a method.
  Tensor tril(int64_t diagonal = 0) const;
  /// `triu(*this, diagonal)`: the function of engine/ops.hpp as a method.
  Tensor triu(int64_t diagonal = 0) const;

  /// `matmul(*this, other)`: the function of engine/ops.hpp as a method.
  Tensor matmul(const Tensor& other) const;
  /// `dot(*this, other)`: the function of engine/ops.hpp as a method.
  Tensor dot(const Tensor& other) const;
  /// `mv(*this, vec)`: the function of engine/ops.hpp as a method.
  Tensor mv(const Tensor& vec) const;
  /// `t(*this)`: the function of engine/ops.hpp as a method.
  Tensor t() const;
  /// `transpose(*this, dim0, dim1)`: the function of engine/ops.hpp as a method.
  Tensor transpose(int64_t dim0, int64_t dim1) const;
  /// `permute(*this, dims)`: the function of engine/ops.hpp as a method.
  Tensor permute(const Dims& dims) const;
  /// `reshape(*this, shape)`: the function of engine/ops.hpp as a method.
  Tensor reshape(const Dims& shape) const;
  /// `view(*this, shape)`: the function of engine/ops.hpp as a method.
  Tensor view(const Dims& shape) const;
  /// `flatten(*this, start_dim, end_dim)`: the function of engine/ops.hpp as a method.
  Tensor flatten(int64_t start_dim = 0, int64_t end_dim = -1) const;
  /// `squeeze(*this)`: the function of engine/ops.hpp as a method.
  Tensor squeeze() const;
  /// `squeeze(*this, dim)`: the function of engine/ops.hpp as a method.
  Tensor squeeze(int64_t dim) const;
  /// `unsqueeze(*this, dim)`: the function of engine/ops.hpp as a method.
  Tensor unsqueeze(int64_t dim) const;
  /// `expand(*this, shape)`: the function of engine/ops.hpp as a method.
  Tensor expand(const Dims& shape) const;
  /// `expand(*this, other.shape())`.
  Tensor expand_as(const Tensor& other) const;
  /// `sum_to(*this, shape)`: the function of engine/ops.hpp as a method.
  Tensor sum_to(const Dims& shape) const;
  /// `slice(*this, dim, start, end, step)`: the function of engine/ops.hpp as a method.
  Tensor slice(int64_t dim, std::optional<int64_t> start, std::optional<int64_t> end,
               int64_t step = 1) const;
  /// `select(*this, dim, index)`: the function of engine/ops.hpp as a method.
  Tensor select(int64_t dim, int64_t index) const;
  /// `index_select(*this, dim, index)`: the function of engine/ops.hpp as a method.
  Tensor index_select(int64_t dim, const Tensor& index) const;
  /// `gather(*this, dim, index)`: the function of engine/ops.hpp as a method.
  Tensor gather(int64_t dim, const Tensor& index) const;
  /// `scatter_add(*this, dim, index, src)`: the function of engine/ops.hpp as a method.
  Tensor scatter_add(int64_t dim, const Tensor& index, const Tensor& src) const;
  /// `split(*this, split_size, dim)`: the function of engine/ops.hpp as a method.
  TensorList split(int64_t split_size, int64_t dim = 0) const;
  /// `chunk(*this, chunks, dim)`: the function of engine/ops.hpp as a method.
  TensorList chunk(int64_t chunks, int64_t dim = 0) const;

  // ---- in-place (bump the version; rejected on a leaf requiring grad while recording) ---------
  /// In place: *this += alpha * other (or + other for a number). Returns *this.
  Tensor& add_(const Tensor& other, double alpha = 1.0);
  /// In place: *this += alpha * other (or + other for a number). Returns *this.
  Tensor& add_(double other);
  /// In place: *this -= alpha * other (or - other for a number). Returns *this.
  Tensor& sub_(const Tensor& other, double alpha = 1.0);
  /// In place: *this -= alpha * other (or - other for a number). Returns *this.
  Tensor& sub_(double other);
  /// In place: *this *= other. Returns *this.
  Tensor& mul_(const Tensor& other);
  /// In place: *this *= other. Returns *this.
  Tensor& mul_(double other);
  /// In place: *this /= other. Returns *this.
  Tensor& div_(const Tensor& other);
  /// In place: *this /= other. Returns *this.
  Tensor& div_(double other);
  /// In place: copies `src`, converted to this dtype and device, into this tensor. Returns *this.
  Tensor& copy_(const Tensor& src);
  /// In place: every element becomes `value`. Returns *this.
  Tensor& fill_(double value);
  /// In place: every element becomes 0. Returns *this.
  Tensor& zero_();

 private:
  /// The impl; throws (naming the misuse) when this handle is undefined.
  const TensorImpl& checked_impl() const;

  std::shared_ptr<TensorImpl> impl_;
};

/// Autograd state of a tensor: null for plain data (no grad, no history).
struct AutogradMeta {
  /// Whether gradients flow to or through the tensor.
  bool requires_grad = false;
  /// Whether retain_grad() was called (non-leaves).
  bool retains_grad = false;
  /// Which output of grad_fn the tensor is.
  uint32_t output_nr = 0;
  /// The storage's version when grad_fn was set: a view whose storage has moved on since has a
  /// stale history (Note [in-place ops on views], engine/autograd/view_history.hpp).
  uint64_t history_version = 0;
  /// The node that produced the tensor (null for leaves).
  std::shared_ptr<Node> grad_fn;
  /// Leaves only: the AccumulateGrad node, created once on first use and then kept for the
  /// leaf's lifetime (it refers back to the leaf weakly). Written once under the leaf's lock and
  /// published by `has_grad_accumulator`, so recording an op reads it without a lock. See
  /// Note [leaf locks] in engine/autograd/node.hpp.
  std::shared_ptr<Node> grad_accumulator;
  /// True once grad_accumulator is set (read without the lock).
  std::atomic<bool> has_grad_accumulator{false};
  /// The accumulated gradient; read and written under the leaf's lock (Tensor::grad/set_grad).
  Tensor grad;
  /// Leaf hooks; registered and read under the leaf's lock.
  std::vector<GradHook> hooks;
};

/// The data behind a Tensor handle: a strided view into a Storage plus autograd state.
class TensorImpl {
 public:
  /// A view of `storage` with this geometry and dtype (no autograd state).
  TensorImpl(std::shared_ptr<Storage> storage, const Dims& shape, const Dims& strides,
             int64_t offset, DType dtype);

  /// The sizes.
  const Dims& shape() const { return shape_; }
  /// The strides, in elements.
  const Dims& strides() const { return strides_; }
  /// Offset of the first element in the storage, in elements.
  int64_t offset() const { return offset_; }
  /// The number of elements.
  int64_t numel() const { return numel_; }
  /// The element type.
  DType dtype() const { return dtype_; }
  /// The storage's device.
  Device device() const { return storage_->device(); }
  /// The storage.
  const std::shared_ptr<Storage>& storage() const { return storage_; }
  /// Pointer to the first element.
  void* data() const {
    return static_cast<char*>(storage_->data()) +
           offset_ * static_cast<int64_t>(element_size(dtype_));
  }
  /// True for a row-major layout without gaps.
  bool is_contiguous() const;

  /// True for the result of a view op (view, reshape without copy, permute, transpose, expand,
  /// slice, select, ...; PyTorch's _is_view).
  bool is_view() const { return is_view_; }
  /// The tensor this view was taken from, followed to the first non-view (PyTorch's _base);
  /// null for a non-view. A view taken with grad mode enabled keeps its base alive, as PyTorch's
  /// views do, so that writes through either can rebind the other's history (Note [in-place ops
  /// on views]); one taken under NoGradGuard holds it weakly (null once the base is gone), so
  /// that evaluation code keeping a row of a result does not keep the result's graph.
  std::shared_ptr<TensorImpl> view_base() const { return view_base_.lock(); }
  /// Marks this tensor as a view of `base` (the view ops call this); `keep_alive` holds it
  /// strongly.
  void set_view_base(const std::shared_ptr<TensorImpl>& base, bool keep_alive);

  /// The autograd state, or nullptr for plain data.
  AutogradMeta* autograd() const { return autograd_ ? &*autograd_ : nullptr; }
  /// Creates the autograd state on first use.
  AutogradMeta& ensure_autograd();
  /// Whether gradients flow to or through the tensor.
  /// A view taken with grad mode enabled also requires grad when its base does (it may have been
  /// taken before the base gained a history; its own is then regenerated on first use, Note
  /// [in-place ops on views]).
  bool requires_grad() const {
    return (autograd_ && autograd_->requires_grad) || requires_grad_through_base();
  }
  /// True for a view taken with grad mode enabled whose base requires grad.
  bool requires_grad_through_base() const {
    return pinned_base_ && pinned_base_->autograd_ && pinned_base_->autograd_->requires_grad;
  }
  /// Stops a view from following its base's requires_grad (detach_ of a view).
  void stop_following_base() { pinned_base_.reset(); }

 private:
  std::shared_ptr<Storage> storage_;
  Dims shape_;
  Dims strides_;
  int64_t offset_ = 0;
  int64_t numel_ = 0;
  DType dtype_;
  bool is_view_ = false;
  std::weak_ptr<TensorImpl> view_base_;
  std::shared_ptr<TensorImpl> pinned_base_;
  // Inline (not a separate allocation): every recorded output needs one.
  mutable std::optional<AutogradMeta> autograd_;
};

/// A new contiguous tensor with uninitialised data. Throws naming `op` when a size is negative,
/// when the shape's element count, strides or bytes overflow (Note [size overflow]), or when the
/// device cannot allocate the bytes.
Tensor make_empty(const Dims& shape, DType dtype, Device device, const char* op = "empty");
/// A new tensor of `like`'s shape, dtype and device, uninitialised, laid out in memory as `like`
/// is when `like` is dense (its strides a permutation of a contiguous layout's, as a permuted
/// contiguous tensor's are), and contiguous otherwise (PyTorch's preserve_format). Kernels that
/// write through a View then keep a permuted layout instead of forcing a copy downstream.
Tensor make_empty_in_layout_of(const Tensor& like, const char* op = "empty");
/// The result of an elementwise op over `operands`: a new tensor of `shape`, `dtype` and `device`,
/// laid out as the first operand of exactly that shape is when that operand is dense (as
/// make_empty_in_layout_of), contiguous otherwise; null operands and broadcast ones are skipped.
/// PyTorch's elementwise ops keep a permuted layout the same way (TensorIterator), so a chain of
/// them over a permuted tensor never copies it back to the contiguous order.
Tensor make_empty_for_operands(const Dims& shape, DType dtype, Device device,
                               std::initializer_list<const Tensor*> operands,
                               const char* op = "empty");
/// A view of `base`'s storage with the given geometry (no autograd history). Not marked as a view
/// of `base` (internal aliases use it too): the public view ops also call mark_view_of.
Tensor make_view(const Tensor& base, const Dims& shape, const Dims& strides, int64_t offset);
/// Marks `view` as a view of `base` (TensorImpl::is_view / view_base); returns `view`.
const Tensor& mark_view_of(const Tensor& view, const Tensor& base);

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
