#include "engine/ops/index_ops.hpp"

#include <fmt/ranges.h>

#include <algorithm>

#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"

// Joining, splitting and indexing. Linear ops in adjoint pairs whose backwards are each other
// (DESIGN §3): slice <-> slice_adjoint (zeros with the gradient at the sliced positions; constant
// zero pad for step 1), pad(p) <-> pad(-p), gather <-> scatter_add, index_select <-> index_add.
namespace metagrad {
namespace {

using detail::backend_of;
using detail::view_of;

// A raw view into the data of `t` with the given geometry, starting `offset` elements after t's
// first element (a region of t, without making a Tensor).
View region_of(const Tensor& t, const Dims& shape, const Dims& strides, int64_t offset) {
  return View{
      static_cast<char*>(t.raw_data()) + offset * static_cast<int64_t>(element_size(t.dtype())),
      t.dtype(), shape, strides};
}

// A 0-d view seen as 1-d of size 1 (the index kernels index a dim).
View as_1d(View v) {
  if (v.shape.empty()) {
    v.shape = Dims{1};
    v.strides = Dims{1};
  }
  return v;
}

// Python-style x[start:end:step] bounds along a dim of `size`: the first position and the count.
struct SliceRange {
  int64_t start;
  int64_t length;
};
SliceRange slice_range(int64_t size, std::optional<int64_t> start, std::optional<int64_t> end,
                       int64_t step) {
  auto wrap = [size](int64_t v) { return std::clamp<int64_t>(v < 0 ? v + size : v, 0, size); };
  const int64_t s = start ? wrap(*start) : 0;
  const int64_t e = end ? wrap(*end) : size;
  return {s, e > s ? (e - s - 1) / step + 1 : 0};
}

// A view of x with new geometry; an empty result keeps x's offset (its data is never read, and
// the offset could point past an empty storage).
Tensor view_with(const Tensor& x, const Dims& shape, const Dims& strides, int64_t offset) {
  return mark_view_of(
      make_view(x, shape, strides, numel_of(shape) == 0 ? x.storage_offset() : offset), x);
}

// The adjoint of slice: zeros of `in_shape` with g at positions start, start + step, ... along
// `dim` (for step 1, a constant zero pad). Its own backward is slice again, so the pair is exact
// at every order.
Tensor slice_adjoint(const Tensor& g, const Dims& in_shape, int dim, int64_t start, int64_t step) {
  Tensor out = zeros(in_shape, TensorOptions(g.dtype(), g.device()));
  if (g.numel() > 0) {
    Dims strides = out.strides();
    const int64_t offset = start * strides[dim];
    strides[dim] *= step;
    backend_of(g).copy(view_of(g), region_of(out, g.shape(), strides, offset));
  }
  if (needs_grad(g)) {
    const int64_t length = g.shape()[dim];
    const int64_t end = length == 0 ? start : start + (length - 1) * step + 1;
    // d slice_adjoint(g) = slice(dg)
    record("SliceAdjointBackward", {g}, {out},
           [dim, start, end, step](const TensorList& gg, Node&) -> TensorList {
             return {slice(gg[0], dim, start, end, step)};
           });
  }
  return out;
}

// Checks an index tensor for an indexing op on x.
void check_index(const Tensor& index, const Tensor& x, const char* op) {
  detail::check_defined(index, op, "index");
  MG_CHECK(index.dtype() == kInt64,
           "{}: index must be an int64 tensor, got {} of shape {}; convert it with .to(kInt64)", op,
           dtype_name(index.dtype()), shape_str(index.shape()));
  MG_CHECK(index.device() == x.device(),
           "{}: index is on {} but the input is on {}; move the index with .to(device)", op,
           index.device().str(), x.device().str());
}

// A contiguous copy of x's data without history (the starting value of out-of-place index_add
// and scatter_add).
Tensor data_copy(const Tensor& x) {
  Tensor out = make_empty(x.shape(), x.dtype(), x.device());
  if (x.numel() > 0) backend_of(x).copy(view_of(x), view_of(out));
  return out;
}

// The shape src must have for index_add(x, dim, index, src): x's with dim sized index.numel().
Dims index_add_src_shape(const Tensor& x, int dim, int64_t count, const char* op) {
  if (x.dim() == 0) {
    MG_CHECK(count == 1, "{}: the index of a 0-d input must hold exactly one element, got {}", op,
             count);
    return x.shape();
  }
  Dims shape = x.shape();
  shape[dim] = count;
  return shape;
}

bool is_legacy_empty(const Tensor& t) { return t.dim() == 1 && t.shape()[0] == 0; }

// scatter_add of src into `out`, a fresh tensor that holds the values of x (undefined x: a
// constant base of zeros, gather's backward). Records the backward to x and src.
Tensor scatter_add_into(const Tensor& out, const Tensor& x, int d, const Tensor& index,
                        const Tensor& src) {
  if (index.numel() > 0) {
    backend_of(src).scatter_add(as_1d(view_of(out)), d, as_1d(view_of(index)), as_1d(view_of(src)));
  }
  if (needs_grad({&x, &src})) {
    // d scatter_add(x, I, s) = dx + scatter_add(0, I, ds): identity to x, gather to src (zero
    // where src is not indexed)
    describe_attrs(record("ScatterAddBackward", {x, src}, {out},
                          [d, saved = SavedTensor(index, false), src_shape = src.shape()](
                              const TensorList& g, Node& self) -> TensorList {
                            Tensor grad_src;
                            if (self.next_edges()[1].valid()) {
                              const Tensor index = saved.unpack(self);
                              grad_src = gather(g[0], d, index);
                              if (index.shape() != src_shape) {
                                std::vector<int64_t> widths;
                                for (int e = src_shape.size() - 1; e >= 0; --e) {
                                  widths.push_back(0);
                                  widths.push_back(src_shape[e] - index.shape()[e]);
                                }
                                grad_src = pad(grad_src, widths);
                              }
                            }
                            return {self.next_edges()[0].valid() ? g[0] : Tensor(), grad_src};
                          }),
                   {{"dim", d}});
  }
  return out;
}

}  // namespace

Tensor slice(const Tensor& x, int64_t dim, std::optional<int64_t> start, std::optional<int64_t> end,
             int64_t step) {
  detail::check_defined(x, "slice");
  MG_CHECK(x.dim() > 0, "slice: cannot slice a 0-d tensor; reshape it to 1-d first");
  const int d = normalize_dim(dim, x.dim(), "slice");
  MG_CHECK(step > 0,
           "slice: step must be positive, got {} (negative steps are not supported; "
           "use index_select with reversed indices)",
           step);
  const SliceRange range = slice_range(x.shape()[d], start, end, step);
  const int64_t s = range.start, length = range.length;
  Dims shape = x.shape(), strides = x.strides();
  shape[d] = length;
  strides[d] *= step;
  Tensor out = view_with(x, shape, strides, x.storage_offset() + s * x.strides()[d]);
  if (needs_grad(x)) {
    // d x[s:e:step] = dx[s:e:step]; adjoint: zeros with the gradient at the sliced positions
    describe_attrs(
        record("SliceBackward", {x}, {out},
               [in_shape = x.shape(), d, s, step](const TensorList& g, Node&) -> TensorList {
                 return {slice_adjoint(g[0], in_shape, d, s, step)};
               }),
        {{"dim", d}, {"start", s}, {"step", step}});
  }
  return out;
}

Tensor select(const Tensor& x, int64_t dim, int64_t index) {
  detail::check_defined(x, "select");
  MG_CHECK(x.dim() > 0, "select: cannot select from a 0-d tensor (shape [])");
  const int d = normalize_dim(dim, x.dim(), "select");
  const int64_t size = x.shape()[d];
  MG_CHECK(index >= -size && index < size,
           "select: index {} is out of range for dimension {} with size {} (shape {})", index, dim,
           size, shape_str(x.shape()));
  const int64_t i = index < 0 ? index + size : index;
  Dims shape = x.shape(), strides = x.strides();
  shape.erase(d);
  strides.erase(d);
  Tensor out = view_with(x, shape, strides, x.storage_offset() + i * x.strides()[d]);
  if (needs_grad(x)) {
    // d x[i] = dx[i]; adjoint: zeros with the gradient at position i
    describe_attrs(record("SelectBackward", {x}, {out},
                          [in_shape = x.shape(), d, i](const TensorList& g, Node&) -> TensorList {
                            return {slice_adjoint(unsqueeze(g[0], d), in_shape, d, i, 1)};
                          }),
                   {{"dim", d}, {"index", i}});
  }
  return out;
}

Tensor cat(const TensorList& tensors, int64_t dim) {
  MG_CHECK(!tensors.empty(), "cat: expected a non-empty list of tensors");
  const size_t n = tensors.size();
  for (size_t i = 0; i < n; ++i)
    MG_CHECK(tensors[i].defined(), "cat: tensor {} in the list is undefined (default-constructed)",
             i);
  const Tensor& first = tensors[0];
  // Like PyTorch, 1-d empty tensors of shape [0] are skipped when another tensor sets the shape.
  size_t ref = 0;
  while (ref < n && is_legacy_empty(tensors[ref])) ++ref;
  const bool skip_legacy = ref < n;
  if (!skip_legacy) ref = 0;
  const Tensor& r = tensors[ref];
  for (size_t i = 0; i < n; ++i) {
    const Tensor& t = tensors[i];
    MG_CHECK(t.dtype() == first.dtype(),
             "cat: expected all tensors to have dtype {} (tensor 0), but tensor {} (shape {}) has "
             "{}; convert it with .to({})",
             dtype_name(first.dtype()), i, shape_str(t.shape()), dtype_name(t.dtype()),
             dtype_name(first.dtype()));
    MG_CHECK(t.device() == first.device(),
             "cat: expected all tensors on {} (tensor 0), but tensor {} (shape {}) is on {}; move "
             "it with .to(device)",
             first.device().str(), i, shape_str(t.shape()), t.device().str());
    MG_CHECK(t.dim() > 0,
             "cat: zero-dimensional tensor (at position {}) cannot be concatenated; unsqueeze it "
             "or use stack",
             i);
  }
  const int d = normalize_dim(dim, r.dim(), "cat");
  Dims shape = r.shape();
  shape[d] = 0;
  for (size_t i = 0; i < n; ++i) {
    const Tensor& t = tensors[i];
    if (skip_legacy && is_legacy_empty(t)) continue;
    MG_CHECK(t.dim() == r.dim(),
             "cat: tensors must have the same number of dimensions, but tensor {} has shape {} and "
             "tensor {} has shape {}",
             ref, shape_str(r.shape()), i, shape_str(t.shape()));
    for (int e = 0; e < r.dim(); ++e) {
      MG_CHECK(e == d || t.shape()[e] == r.shape()[e],
               "cat: sizes of tensors must match except in dimension {}: expected size {} but got "
               "size {} in dimension {} for tensor {} (shape {}; tensor {} has shape {})",
               d, r.shape()[e], t.shape()[e], e, i, shape_str(t.shape()), ref,
               shape_str(r.shape()));
    }
    shape[d] = checked_add(shape[d], t.shape()[d], "cat", "the concatenated size");
  }
  Tensor out = make_empty(shape, first.dtype(), first.device(), "cat");
  // starts[i]: where tensor i begins along d; -1 for a skipped legacy empty tensor.
  std::vector<int64_t> starts(n, -1);
  int64_t at = 0;
  for (size_t i = 0; i < n; ++i) {
    const Tensor& t = tensors[i];
    if (skip_legacy && is_legacy_empty(t)) continue;
    starts[i] = at;
    if (t.numel() > 0) {
      backend_of(t).copy(view_of(t),
                         region_of(out, t.shape(), out.strides(), at * out.strides()[d]));
    }
    at += t.shape()[d];
  }
  if (needs_grad(tensors)) {
    std::vector<int64_t> lengths(n, 0);
    for (size_t i = 0; i < n; ++i) lengths[i] = starts[i] < 0 ? 0 : tensors[i].shape()[d];
    // d cat(x_0, x_1, ...) = cat(dx_0, dx_1, ...); each input gets its slice of the gradient
    describe_attrs(record("CatBackward", tensors, {out},
                          [d, starts = std::move(starts), lengths = std::move(lengths)](
                              const TensorList& g, Node& self) -> TensorList {
                            TensorList grads(starts.size());
                            for (size_t i = 0; i < starts.size(); ++i) {
                              if (!self.next_edges()[i].valid()) continue;
                              grads[i] =
                                  starts[i] < 0
                                      ? zeros(Dims{0}, TensorOptions(g[0].dtype(), g[0].device()))
                                      : slice(g[0], d, starts[i], starts[i] + lengths[i]);
                            }
                            return grads;
                          }),
                   {{"dim", d}});
  }
  return out;
}

Tensor stack(const TensorList& tensors, int64_t dim) {
  MG_CHECK(!tensors.empty(), "stack: expected a non-empty list of tensors");
  for (size_t i = 0; i < tensors.size(); ++i) {
    MG_CHECK(tensors[i].defined(),
             "stack: tensor {} in the list is undefined (default-constructed)", i);
    MG_CHECK(
        tensors[i].shape() == tensors[0].shape(),
        "stack: expects each tensor to be equal size, but got {} at entry 0 and {} at entry {}",
        shape_str(tensors[0].shape()), shape_str(tensors[i].shape()), i);
    MG_CHECK(tensors[i].dtype() == tensors[0].dtype(),
             "stack: expected all tensors to have dtype {} (tensor 0), but tensor {} has {}; "
             "convert it with .to({})",
             dtype_name(tensors[0].dtype()), i, dtype_name(tensors[i].dtype()),
             dtype_name(tensors[0].dtype()));
    MG_CHECK(tensors[i].device() == tensors[0].device(),
             "stack: expected all tensors on {} (tensor 0), but tensor {} is on {}; move it with "
             ".to(device)",
             tensors[0].device().str(), i, tensors[i].device().str());
  }
  const int d = normalize_dim(dim, tensors[0].dim() + 1, "stack");
  TensorList parts;
  parts.reserve(tensors.size());
  for (const Tensor& t : tensors) parts.push_back(unsqueeze(t, d));
  return cat(parts, d);
}

TensorList split(const Tensor& x, int64_t split_size, int64_t dim) {
  detail::check_defined(x, "split");
  MG_CHECK(x.dim() > 0, "split: expects at least a 1-dimensional tensor, got a 0-d tensor");
  MG_CHECK(split_size >= 0, "split: split_size must be non-negative, got {}", split_size);
  const int d = normalize_dim(dim, x.dim(), "split");
  const int64_t size = x.shape()[d];
  MG_CHECK(split_size > 0 || size == 0,
           "split: split_size can only be 0 if dimension {} has size 0, but it has size {} (shape "
           "{})",
           dim, size, shape_str(x.shape()));
  const int64_t pieces = size == 0 || split_size == 0 ? 1 : (size - 1) / split_size + 1;
  TensorList out;
  out.reserve(static_cast<size_t>(pieces));
  for (int64_t p = 0; p < pieces; ++p) {
    const int64_t start = p * split_size;
    out.push_back(slice(x, d, start, start + std::min(split_size, size - start)));
  }
  return out;
}

TensorList split(const Tensor& x, const std::vector<int64_t>& split_sizes, int64_t dim) {
  detail::check_defined(x, "split");
  MG_CHECK(x.dim() > 0, "split: expects at least a 1-dimensional tensor, got a 0-d tensor");
  const int d = normalize_dim(dim, x.dim(), "split");
  const int64_t size = x.shape()[d];
  int64_t total = 0;
  for (size_t i = 0; i < split_sizes.size(); ++i) {
    MG_CHECK(split_sizes[i] >= 0, "split: split_sizes must be non-negative, got {} at position {}",
             split_sizes[i], i);
    total += split_sizes[i];
  }
  MG_CHECK(
      total == size,
      "split: split_sizes [{}] sum to {}, but dimension {} of the input (shape {}) has size {}",
      fmt::join(split_sizes, ", "), total, dim, shape_str(x.shape()), size);
  TensorList out;
  out.reserve(split_sizes.size());
  int64_t start = 0;
  for (int64_t length : split_sizes) {
    out.push_back(slice(x, d, start, start + length));
    start += length;
  }
  return out;
}

TensorList chunk(const Tensor& x, int64_t chunks, int64_t dim) {
  detail::check_defined(x, "chunk");
  MG_CHECK(x.dim() > 0, "chunk: expects at least a 1-dimensional tensor, got a 0-d tensor");
  MG_CHECK(chunks > 0, "chunk: expects `chunks` to be greater than 0, got {}", chunks);
  const int d = normalize_dim(dim, x.dim(), "chunk");
  const int64_t size = x.shape()[d];
  // An empty dim still gives `chunks` (empty) pieces, as torch.chunk.
  if (size == 0) return split(x, std::vector<int64_t>(static_cast<size_t>(chunks), 0), d);
  return split(x, (size - 1) / chunks + 1, d);
}

Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index) {
  detail::check_defined(x, "index_select");
  check_index(index, x, "index_select");
  MG_CHECK(index.dim() <= 1, "index_select: index must be 0-d or 1-d, got shape {}",
           shape_str(index.shape()));
  const int d = normalize_dim(dim, x.dim(), "index_select");
  const Dims out_shape = index_add_src_shape(x, d, index.numel(), "index_select");
  Tensor out = make_empty(out_shape, x.dtype(), x.device());
  if (index.numel() > 0) {
    backend_of(x).index_select(as_1d(view_of(x)), d, as_1d(view_of(index)), as_1d(view_of(out)));
  }
  if (needs_grad(x)) {
    // d index_select(x, I) = index_select(dx, I); adjoint: index_add into zeros
    describe_attrs(
        record("IndexSelectBackward", {x}, {out},
               [in_shape = x.shape(), d, saved = SavedTensor(index, false)](
                   const TensorList& g, Node& self) -> TensorList {
                 const Tensor& grad = g[0];
                 return {index_add(zeros(in_shape, TensorOptions(grad.dtype(), grad.device())), d,
                                   saved.unpack(self), grad)};
               }),
        {{"dim", d}});
  }
  return out;
}

Tensor index_add(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src) {
  detail::check_same_kind(x, src, "index_add");
  check_index(index, x, "index_add");
  MG_CHECK(index.dim() <= 1, "index_add: index must be 0-d or 1-d, got shape {}",
           shape_str(index.shape()));
  const int d = normalize_dim(dim, x.dim(), "index_add");
  const Dims src_shape = index_add_src_shape(x, d, index.numel(), "index_add");
  MG_CHECK(src.shape() == src_shape,
           "index_add: src must have shape {} (the input's shape {} with dimension {} of size "
           "index.numel() = {}), got {}",
           shape_str(src_shape), shape_str(x.shape()), dim, index.numel(), shape_str(src.shape()));
  Tensor out = data_copy(x);
  if (index.numel() > 0) {
    backend_of(x).index_add(as_1d(view_of(out)), d, as_1d(view_of(index)), as_1d(view_of(src)));
  }
  if (needs_grad(x, src)) {
    // d index_add(x, I, s) = dx + index_add(0, I, ds): identity to x, index_select to src
    describe_attrs(
        record(
            "IndexAddBackward", {x, src}, {out},
            [d, saved = SavedTensor(index, false)](const TensorList& g, Node& self) -> TensorList {
              return {self.next_edges()[0].valid() ? g[0] : Tensor(),
                      self.next_edges()[1].valid() ? index_select(g[0], d, saved.unpack(self))
                                                   : Tensor()};
            }),
        {{"dim", d}});
  }
  return out;
}

Tensor gather(const Tensor& x, int64_t dim, const Tensor& index) {
  detail::check_defined(x, "gather");
  check_index(index, x, "gather");
  MG_CHECK(index.dim() == x.dim(),
           "gather: index must have as many dimensions as the input, got index shape {} for input "
           "shape {}",
           shape_str(index.shape()), shape_str(x.shape()));
  const int d = normalize_dim(dim, x.dim(), "gather");
  for (int e = 0; e < x.dim(); ++e) {
    MG_CHECK(e == d || index.shape()[e] <= x.shape()[e],
             "gather: index shape {} exceeds the input shape {} in dimension {} (only dimension "
             "{} may be larger)",
             shape_str(index.shape()), shape_str(x.shape()), e, d);
  }
  Tensor out = make_empty(index.shape(), x.dtype(), x.device());
  if (index.numel() > 0) {
    backend_of(x).gather(as_1d(view_of(x)), d, as_1d(view_of(index)), as_1d(view_of(out)));
  }
  if (needs_grad(x)) {
    // d gather(x, I) = gather(dx, I); adjoint: scatter_add into zeros
    describe_attrs(record("GatherBackward", {x}, {out},
                          [in_shape = x.shape(), d, saved = SavedTensor(index, false)](
                              const TensorList& g, Node& self) -> TensorList {
                            const Tensor& grad = g[0];
                            return {scatter_add_into(
                                zeros(in_shape, TensorOptions(grad.dtype(), grad.device())),
                                Tensor(), d, saved.unpack(self), grad)};
                          }),
                   {{"dim", d}});
  }
  return out;
}

Tensor scatter_add(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src) {
  detail::check_same_kind(x, src, "scatter_add");
  check_index(index, x, "scatter_add");
  MG_CHECK(index.dim() == x.dim() && src.dim() == x.dim(),
           "scatter_add: input, index and src must have the same number of dimensions, got shapes "
           "{}, {} and {}",
           shape_str(x.shape()), shape_str(index.shape()), shape_str(src.shape()));
  const int d = normalize_dim(dim, x.dim(), "scatter_add");
  for (int e = 0; e < x.dim(); ++e) {
    MG_CHECK(index.shape()[e] <= src.shape()[e],
             "scatter_add: index shape {} exceeds the src shape {} in dimension {}",
             shape_str(index.shape()), shape_str(src.shape()), e);
    MG_CHECK(e == d || index.shape()[e] <= x.shape()[e],
             "scatter_add: index shape {} exceeds the input shape {} in dimension {} (only "
             "dimension {} may be larger)",
             shape_str(index.shape()), shape_str(x.shape()), e, d);
  }
  return scatter_add_into(data_copy(x), x, d, index, src);
}

Tensor pad(const Tensor& x, const std::vector<int64_t>& pad, double value) {
  detail::check_defined(x, "pad");
  MG_CHECK(pad.size() % 2 == 0,
           "pad: the padding must hold (before, after) pairs, got an odd number of values ({})",
           pad.size());
  MG_CHECK(pad.size() / 2 <= static_cast<size_t>(x.dim()),
           "pad: {} padding values pad {} dimensions, but the input has only {} (shape {})",
           pad.size(), pad.size() / 2, x.dim(), shape_str(x.shape()));
  // Output shape, and where the kept part of x sits in x and in the output.
  Dims out_shape = x.shape(), kept = x.shape();
  int64_t src_offset = 0;
  Dims dst_start(x.dim(), 0);
  for (size_t p = 0; p < pad.size() / 2; ++p) {
    const int d = x.dim() - 1 - static_cast<int>(p);
    const int64_t size = x.shape()[d], before = pad[2 * p], after = pad[2 * p + 1];
    out_shape[d] = checked_add(checked_add(size, before, "pad", "the padded size"), after, "pad",
                               "the padded size");
    MG_CHECK(out_shape[d] >= 0,
             "pad: dimension {} of size {} padded by ({}, {}) would have negative size {}; a "
             "negative pad can remove at most the whole dimension",
             d, size, before, after, out_shape[d]);
    // Crops beyond the size remove the whole dimension (clamped so that -pad cannot overflow).
    const int64_t crop_before = before < 0 ? std::min(-(before + 1), size - 1) + 1 : 0,
                  crop_after = after < 0 ? std::min(-(after + 1), size - 1) + 1 : 0;
    kept[d] = std::max<int64_t>(size - crop_before - crop_after, 0);
    src_offset += std::min(crop_before, size) * x.strides()[d];
    dst_start[d] = std::max<int64_t>(before, 0);
  }
  Tensor out = make_empty(out_shape, x.dtype(), x.device(), "pad");
  const int64_t kept_numel = numel_of(kept);
  if (kept_numel < out.numel()) backend_of(out).fill(view_of(out), value);
  if (kept_numel > 0) {
    int64_t dst_offset = 0;
    for (int d = 0; d < x.dim(); ++d) dst_offset += dst_start[d] * out.strides()[d];
    backend_of(x).copy(region_of(x, kept, x.strides(), src_offset),
                       region_of(out, kept, out.strides(), dst_offset));
  }
  if (needs_grad(x)) {
    std::vector<int64_t> inverse(pad.size());
    for (size_t i = 0; i < pad.size(); ++i) inverse[i] = -pad[i];
    // d pad(x, p, c) = pad(dx, -p, 0): crop what was padded, zero-fill what was cropped
    record("PadBackward", {x}, {out},
           [inverse = std::move(inverse)](const TensorList& g, Node&) -> TensorList {
             return {metagrad::pad(g[0], inverse, 0.0)};
           });
  }
  return out;
}

}  // namespace metagrad
