#include "engine/tensor.hpp"

#include <algorithm>
#include <new>
#include <string>

#include "engine/autograd/engine.hpp"
#include "engine/autograd/node.hpp"
#include "engine/autograd/view_history.hpp"
#include "engine/grad_mode.hpp"
#include "engine/ops.hpp"
#include "engine/pool_allocator.hpp"

namespace metagrad {

TensorImpl::TensorImpl(std::shared_ptr<Storage> storage, const Dims& shape, const Dims& strides,
                       int64_t offset, DType dtype)
    : storage_(std::move(storage)),
      shape_(shape),
      strides_(strides),
      offset_(offset),
      numel_(numel_of(shape)),
      dtype_(dtype) {}

bool TensorImpl::is_contiguous() const {
  if (numel_ == 0) return true;  // as PyTorch: an empty tensor has no layout to violate
  int64_t expected = 1;
  for (int i = shape_.size() - 1; i >= 0; --i) {
    if (shape_[i] == 1) continue;
    if (strides_[i] != expected) return false;
    expected *= shape_[i];
  }
  return true;
}

AutogradMeta& TensorImpl::ensure_autograd() {
  if (!autograd_) autograd_.emplace();
  return *autograd_;
}

Tensor make_empty(const Dims& shape, DType dtype, Device device, const char* op) {
  for (int64_t s : shape)
    MG_CHECK(s >= 0, "{}: negative dimension {} in shape {}", op, s, shape_str(shape));
  const std::string_view dtype_str = dtype_name(dtype);
  const int64_t nbytes =
      storage_nbytes(shape, static_cast<int64_t>(element_size(dtype)), dtype_str, op);
  Dims strides = contiguous_strides(shape, op);
  std::shared_ptr<Storage> storage;
  try {
    storage = make_pooled<Storage>(static_cast<size_t>(nbytes), device);
  } catch (const OutOfMemoryError& e) {
    throw OutOfMemoryError(fmt::format("{}: cannot allocate a {} tensor of shape {} on {}: {}", op,
                                       dtype_str, shape_str(shape), device.str(), e.what()));
  } catch (const Error& e) {
    MG_FAIL("{}: cannot allocate a {} tensor of shape {} ({} bytes) on {}: {}", op, dtype_str,
            shape_str(shape), nbytes, device.str(), e.what());
  } catch (const std::bad_alloc&) {
    MG_FAIL("{}: cannot allocate a {} tensor of shape {} ({} bytes) on {}: out of memory", op,
            dtype_str, shape_str(shape), nbytes, device.str());
  }
  return Tensor(make_pooled<TensorImpl>(std::move(storage), shape, strides, 0, dtype));
}

namespace {

// A new tensor of `like`'s shape with `dtype` and `device`, laid out in memory as `like` when
// `like` is dense with a permuted dim order, contiguous otherwise.
Tensor make_empty_laid_out_as(const Tensor& like, DType dtype, Device device, const char* op) {
  // The dims of more than one element, from the outermost to the innermost in memory.
  SmallVector<int, 8> order;
  for (int d = 0; d < like.dim(); ++d)
    if (like.size(d) != 1) order.push_back(d);
  std::stable_sort(order.begin(), order.end(),
                   [&](int a, int b) { return like.stride(a) > like.stride(b); });
  bool dense = like.numel() > 0, permuted = false;
  int64_t expected = 1;
  for (size_t k = order.size(); k-- > 0;) {
    dense = dense && like.stride(order[k]) == expected;
    expected *= like.size(order[k]);
    permuted = permuted || (k > 0 && order[k - 1] > order[k]);
  }
  if (!dense || !permuted) return make_empty(like.shape(), dtype, device, op);
  Dims memory_shape;
  for (const int d : order) memory_shape.push_back(like.size(d));
  const Tensor memory = make_empty(memory_shape, dtype, device, op);
  Dims strides(like.dim(), 1);
  for (size_t k = 0; k < order.size(); ++k) strides[order[k]] = memory.stride(static_cast<int>(k));
  return make_view(memory, like.shape(), strides, 0);
}

}  // namespace

Tensor make_empty_in_layout_of(const Tensor& like, const char* op) {
  return make_empty_laid_out_as(like, like.dtype(), like.device(), op);
}

Tensor make_empty_for_operands(const Dims& shape, DType dtype, Device device,
                               std::initializer_list<const Tensor*> operands, const char* op) {
  for (const Tensor* operand : operands) {
    if (operand != nullptr && operand->defined() && operand->shape() == shape)
      return make_empty_laid_out_as(*operand, dtype, device, op);
  }
  return make_empty(shape, dtype, device, op);
}

Tensor make_view(const Tensor& base, const Dims& shape, const Dims& strides, int64_t offset) {
  return Tensor(make_pooled<TensorImpl>(base.storage(), shape, strides, offset, base.dtype()));
}

void TensorImpl::set_view_base(const std::shared_ptr<TensorImpl>& base, bool keep_alive) {
  is_view_ = true;
  view_base_ = base;
  if (keep_alive) pinned_base_ = base;
}

const Tensor& mark_view_of(const Tensor& view, const Tensor& base) {
  const TensorImpl& b = *base.impl();
  view.impl()->set_view_base(b.is_view() ? b.view_base() : base.impl_ptr(), is_grad_enabled());
  return view;
}

namespace detail {
void throw_undefined_tensor() {
  throw Error(
      "operation on an undefined tensor (a default-constructed Tensor); give it a value first");
}
}  // namespace detail

namespace {
const TensorImpl& checked(const TensorImpl* impl) {
  if (impl == nullptr) detail::throw_undefined_tensor();
  return *impl;
}
}  // namespace

namespace {
// Dim `d` of a tensor of `ndim` dims, for size() and stride(). normalize_dim accepts 0 and -1 for
// a 0-d tensor, as the dim arguments of ops do (PyTorch's rule), but a 0-d tensor has no size or
// stride to read (PyTorch's IndexError).
int existing_dim(int64_t d, int ndim, const char* op) {
  MG_CHECK(ndim > 0,
           "{}: dimension specified as {} but the tensor has no dimensions (it is 0-d); a 0-d "
           "tensor has an empty shape() and numel() 1",
           op, d);
  return normalize_dim(d, ndim, op);
}
}  // namespace

int64_t Tensor::size(int64_t d) const { return shape()[existing_dim(d, dim(), "size")]; }
int64_t Tensor::stride(int64_t d) const { return strides()[existing_dim(d, dim(), "stride")]; }
int64_t Tensor::storage_offset() const { return checked(impl_.get()).offset(); }
const std::shared_ptr<Storage>& Tensor::storage() const { return checked(impl_.get()).storage(); }
bool Tensor::is_contiguous() const { return checked(impl_.get()).is_contiguous(); }
void* Tensor::raw_data() const { return checked(impl_.get()).data(); }
uint64_t Tensor::version() const { return storage()->version(); }

template <typename T>
T Tensor::item() const {
  MG_CHECK(numel() == 1,
           "item: a Tensor with {} elements (shape {}) cannot be converted to a scalar; select one "
           "element first",
           numel(), shape_str(shape()));
  return to_vector<T>()[0];
}

template <typename T>
std::vector<T> Tensor::to_vector() const {
  Tensor host = detach();
  if (!device().is_cpu()) host = to_device(host, kCPU);
  host = metagrad::contiguous(host);
  std::vector<T> out(static_cast<size_t>(numel()));
  MG_DISPATCH_ALL(dtype(), [&](auto tag) {
    using S = decltype(tag);
    const S* src = static_cast<const S*>(host.raw_data());
    for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<T>(src[i]);
  });
  return out;
}

template float Tensor::item<float>() const;
template double Tensor::item<double>() const;
template int64_t Tensor::item<int64_t>() const;
template int Tensor::item<int>() const;
template bool Tensor::item<bool>() const;
template std::vector<float> Tensor::to_vector<float>() const;
template std::vector<double> Tensor::to_vector<double>() const;
template std::vector<int64_t> Tensor::to_vector<int64_t>() const;
template std::vector<int> Tensor::to_vector<int>() const;
template std::vector<bool> Tensor::to_vector<bool>() const;

Tensor Tensor::to(DType d) const { return to_dtype(*this, d); }
Tensor Tensor::to(Device d) const { return to_device(*this, d); }
Tensor Tensor::contiguous() const { return metagrad::contiguous(*this); }
Tensor Tensor::clone() const { return metagrad::clone(*this); }

Tensor Tensor::detach() const {
  const TensorImpl& self = checked(impl_.get());
  return Tensor(make_pooled<TensorImpl>(self.storage(), self.shape(), self.strides(), self.offset(),
                                        self.dtype()));
}

Tensor& Tensor::detach_() {
  checked(impl_.get());
  impl_->stop_following_base();
  if (AutogradMeta* meta = impl_->autograd()) {
    meta->grad_fn.reset();
    meta->output_nr = 0;
    meta->requires_grad = false;
    meta->retains_grad = false;
  }
  return *this;
}

const Tensor& Tensor::set_requires_grad(bool rg) const {
  MG_CHECK(is_leaf(),
           "requires_grad_: you can only change requires_grad flags of leaf tensors; use detach() "
           "first to get a leaf");
  MG_CHECK(!rg || is_floating(dtype()),
           "requires_grad_: only float32/float64 tensors can require gradients, got a {} tensor of "
           "shape {}; convert it with .to(kFloat32) first",
           dtype_name(dtype()), shape_str(shape()));
  if (rg || impl_->autograd()) impl_->ensure_autograd().requires_grad = rg;
  return *this;
}

Tensor& Tensor::requires_grad_(bool rg) {
  set_requires_grad(rg);
  return *this;
}

Tensor Tensor::grad() const {
  const AutogradMeta* meta = checked(impl_.get()).autograd();
  if (!meta) return Tensor();
  std::lock_guard lock(leaf_lock(impl_.get()));  // Note [leaf locks]
  return meta->grad;
}

void Tensor::set_grad(const Tensor& g) const {
  if (g.defined()) {
    MG_CHECK(g.shape() == shape() && g.dtype() == dtype() && g.device() == device(),
             "set_grad: assigned grad has {} {} on {}, but the tensor is {} {} on {}",
             dtype_name(g.dtype()), shape_str(g.shape()), g.device().str(), dtype_name(dtype()),
             shape_str(shape()), device().str());
  }
  checked(impl_.get());
  Tensor replaced;  // the old .grad is released after the lock (Note [leaf locks])
  std::lock_guard lock(leaf_lock(impl_.get()));
  AutogradMeta& meta = impl_->ensure_autograd();
  replaced = std::move(meta.grad);
  meta.grad = g;
}

const std::shared_ptr<Node>& Tensor::grad_fn() const {
  static const std::shared_ptr<Node> none;
  if (checked(impl_.get()).is_view()) refresh_view_history(*this);
  const AutogradMeta* meta = impl_->autograd();
  return meta ? meta->grad_fn : none;
}

uint32_t Tensor::output_nr() const {
  const AutogradMeta* meta = checked(impl_.get()).autograd();
  return meta ? meta->output_nr : 0;
}

bool Tensor::is_leaf() const { return grad_fn() == nullptr; }

void Tensor::retain_grad() const {
  MG_CHECK(requires_grad(),
           "retain_grad: can't retain_grad on a tensor that has requires_grad=false");
  if (is_leaf() || retains_grad()) return;
  impl_->ensure_autograd().retains_grad = true;
  std::weak_ptr<TensorImpl> weak = impl_;
  grad_fn()->add_pre_hook(output_nr(), [weak](const Tensor& g) {
    if (auto self = weak.lock()) {
      update_grad(*self, [&g](const Tensor& current) {
        return current.defined() ? (current + g).detach() : g.detach().clone();
      });
    }
    return Tensor();
  });
}

bool Tensor::retains_grad() const {
  const AutogradMeta* meta = checked(impl_.get()).autograd();
  return meta && meta->retains_grad;
}

void Tensor::register_hook(GradHook hook) const {
  MG_CHECK(requires_grad(),
           "register_hook: cannot register a hook on a tensor that doesn't require gradient");
  if (is_leaf()) {
    std::lock_guard lock(leaf_lock(impl_.get()));  // Note [leaf locks]
    impl_->ensure_autograd().hooks.push_back(std::move(hook));
  } else {
    grad_fn()->add_pre_hook(output_nr(), std::move(hook));
  }
}

void Tensor::backward(const Tensor& gradient, std::optional<bool> retain_graph, bool create_graph,
                      const TensorList& inputs) const {
  metagrad::backward({*this}, gradient.defined() ? TensorList{gradient} : TensorList{},
                     GradOptions{retain_graph, create_graph, false}, inputs);
}

}  // namespace metagrad
