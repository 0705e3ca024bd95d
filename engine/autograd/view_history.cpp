#include "engine/autograd/view_history.hpp"

#include <vector>

#include "engine/grad_mode.hpp"
#include "engine/ops.hpp"
#include "engine/shape.hpp"

namespace metagrad {
namespace {

// Calls visit(k, offset) for the k-th element of a strided layout, in row-major order, with its
// offset in elements from the layout's first.
template <typename Visit>
void for_each_offset(const Dims& shape, const Dims& strides, Visit visit) {
  const int rank = static_cast<int>(shape.size());
  int64_t count = 1;
  for (int64_t s : shape) count *= s;
  Dims index(shape.size(), 0);
  int64_t offset = 0;
  for (int64_t k = 0; k < count; ++k) {
    visit(k, offset);
    for (int d = rank - 1; d >= 0; --d) {
      if (++index[d] < shape[d]) {
        offset += strides[d];
        break;
      }
      offset -= (shape[d] - 1) * strides[d];
      index[d] = 0;
    }
  }
}

}  // namespace

ViewPositions view_positions(const Tensor& base, const Tensor& view, const char* op) {
  NoGradGuard no_grad;
  int64_t span = base.numel() > 0 ? 1 : 0;
  for (int d = 0; d < base.dim(); ++d) {
    MG_CHECK(base.strides()[d] >= 0, "{}: the base of the view has a negative stride {}", op,
             base.strides()[d]);
    if (base.shape()[d] > 0) span += (base.shape()[d] - 1) * base.strides()[d];
  }
  // The base's element at each offset of its memory (-1 between them).
  std::vector<int64_t> element_at(static_cast<size_t>(span), -1);
  for_each_offset(base.shape(), base.strides(), [&](int64_t k, int64_t offset) {
    int64_t& slot = element_at[static_cast<size_t>(offset)];
    MG_CHECK(slot < 0,
             "{}: the base of the view (shape {}, strides {}) has elements that share memory; "
             "clone() it before writing into its views",
             op, shape_str(base.shape()), shape_str(base.strides()));
    slot = k;
  });
  Tensor index = make_empty(view.shape(), kInt64, kCPU, op);
  Tensor covered = zeros({base.numel()}, kBool);
  auto* positions = index.data_ptr<int64_t>();
  auto* marks = covered.data_ptr<bool>();
  const int64_t start = view.storage_offset() - base.storage_offset();
  for_each_offset(view.shape(), view.strides(), [&](int64_t k, int64_t offset) {
    const int64_t at = start + offset;
    const int64_t element = at >= 0 && at < span ? element_at[static_cast<size_t>(at)] : -1;
    MG_CHECK(element >= 0,
             "{}: the view (shape {}, strides {}, offset {}) reaches memory outside its base "
             "(shape {}, strides {}, offset {})",
             op, shape_str(view.shape()), shape_str(view.strides()), view.storage_offset(),
             shape_str(base.shape()), shape_str(base.strides()), base.storage_offset());
    MG_CHECK(!marks[element],
             "{}: unsupported operation: more than one element of the written-to tensor (shape "
             "{}, strides {}) refers to a single memory location; clone() it before the in-place "
             "operation",
             op, shape_str(view.shape()), shape_str(view.strides()));
    marks[element] = true;
    positions[k] = element;
  });
  covered = covered.reshape(base.shape());
  if (!base.device().is_cpu()) return {index.to(base.device()), covered.to(base.device())};
  return {index, covered};
}

Tensor live_view_base(const Tensor& t) {
  if (!t.defined() || !t.impl()->is_view()) return {};
  std::shared_ptr<TensorImpl> base = t.impl()->view_base();
  return base ? Tensor(std::move(base)) : Tensor();
}

Tensor base_after_view_write(const Tensor& base, const Tensor& view, const Tensor& value,
                             const char* op) {
  const ViewPositions at = view_positions(base, view, op);
  const Tensor flat = expand(value, view.shape()).reshape({-1});
  const Tensor zero = zeros({base.numel()}, TensorOptions(base.dtype(), base.device()));
  // base' = where(covered, scatter(value), base): d base = [!covered] d base', d value = d base' at
  // the view's positions
  const Tensor written = scatter_add(zero, 0, at.index.reshape({-1}), flat).reshape(base.shape());
  return where(at.covered, written, base);
}

void take_history(const Tensor& t, const Tensor& history) {
  AutogradMeta& meta = t.impl()->ensure_autograd();
  meta.requires_grad = true;
  meta.grad_fn = history.grad_fn();
  meta.output_nr = history.output_nr();
  meta.history_version = t.version();
}

void refresh_view_history(const Tensor& t) {
  if (!t.defined() || !t.impl()->is_view()) return;
  const AutogradMeta* meta = t.impl()->autograd();
  const bool has_history = meta != nullptr && meta->grad_fn;
  // A view with a history that its storage has moved past, or one taken before its base gained a
  // history (a leaf view, made by requires_grad_, keeps its own).
  const bool stale = has_history && meta->history_version != t.version();
  const bool missing = !has_history && !(meta != nullptr && meta->requires_grad) &&
                       t.impl()->requires_grad_through_base();
  if (!stale && !missing) return;
  const Tensor base = live_view_base(t);
  if (!base.defined() || !base.requires_grad()) return;
  EnableGradGuard recording;
  // view = base.reshape(-1)[positions]: d base = index_add of d view at the positions
  const ViewPositions at = view_positions(base, t, "view");
  take_history(t, index_select(base.reshape({-1}), 0, at.index.reshape({-1})).reshape(t.shape()));
}

}  // namespace metagrad
