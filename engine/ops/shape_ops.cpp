#include "engine/ops/shape_ops.hpp"

#include <numeric>

#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"

namespace metagrad {
namespace {

// Resolves one -1 entry and checks the element count.
Dims infer_shape(const Dims& requested, int64_t numel, const Dims& from, const char* op) {
  Dims shape = requested;
  int infer = -1;
  for (int i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      MG_CHECK(infer < 0, "{}: only one dimension can be inferred (-1) in shape {}", op,
               shape_str(requested));
      infer = i;
    } else {
      MG_CHECK(shape[i] >= 0, "{}: invalid shape dimension {} in {}", op, shape[i],
               shape_str(requested));
    }
  }
  if (infer >= 0) {
    Dims known_shape = shape;
    known_shape[infer] = 1;
    const int64_t known = numel_of(known_shape, op);
    MG_CHECK(known != 0 && numel % known == 0,
             "{}: shape {} is invalid for input of size {} (shape {})", op, shape_str(requested),
             numel, shape_str(from));
    shape[infer] = numel / known;
  }
  MG_CHECK(numel_of(shape, op) == numel, "{}: shape {} is invalid for input of size {} (shape {})",
           op, shape_str(requested), numel, shape_str(from));
  return shape;
}

// Strides of a view of `shape` over a tensor with (old_shape, old_strides), or false when the
// memory layout does not allow a view (PyTorch's computeStride).
bool view_strides(const Dims& old_shape, const Dims& old_strides, const Dims& shape, Dims& out) {
  out = Dims(shape.size(), 0);
  if (old_shape.empty()) {
    out = Dims(shape.size(), 1);  // a 0-d tensor views as any all-ones shape
    return true;
  }
  if (numel_of(old_shape) == 0) {
    out = contiguous_strides(shape);
    return true;
  }
  int view_d = shape.size() - 1;
  int64_t chunk_base_stride = old_strides.empty() ? 1 : old_strides.back();
  int64_t tensor_numel = 1, view_numel = 1;
  for (int d = old_shape.size() - 1; d >= 0; --d) {
    tensor_numel *= old_shape[d];
    if (d == 0 ||
        (old_shape[d - 1] != 1 && old_strides[d - 1] != tensor_numel * chunk_base_stride)) {
      while (view_d >= 0 && (view_numel < tensor_numel || shape[view_d] == 1)) {
        out[view_d] = view_numel * chunk_base_stride;
        view_numel *= shape[view_d];
        --view_d;
      }
      if (view_numel != tensor_numel) return false;
      if (d > 0) {
        chunk_base_stride = old_strides[d - 1];
        tensor_numel = 1;
        view_numel = 1;
      }
    }
  }
  return view_d == -1;
}

// A view of x with new geometry whose backward reshapes the gradient back to x's shape.
Tensor reshape_view(const Tensor& x, const Dims& shape, const Dims& strides) {
  Tensor out = mark_view_of(make_view(x, shape, strides, x.storage_offset()), x);
  if (needs_grad(x)) {
    // d reshape(x) = reshape(dx)
    record("ViewBackward", {x}, {out},
           [in_shape = x.shape()](const TensorList& g, Node&) -> TensorList {
             return {reshape(g[0], in_shape)};
           });
  }
  return out;
}

}  // namespace

Tensor reshape(const Tensor& x, const Dims& shape) {
  detail::check_defined(x, "reshape");
  const Dims target = infer_shape(shape, x.numel(), x.shape(), "reshape");
  if (target == x.shape()) return reshape_view(x, target, x.strides());
  Dims strides;
  if (view_strides(x.shape(), x.strides(), target, strides))
    return reshape_view(x, target, strides);
  return reshape_view(x.contiguous(), target, contiguous_strides(target));
}

bool reshape_is_view(const Tensor& x, const Dims& shape) {
  detail::check_defined(x, "reshape_is_view");
  for (const int64_t size : shape)
    MG_CHECK(size >= 0, "reshape_is_view: negative size {} in shape {} (-1 is not inferred here)",
             size, shape_str(shape));
  MG_CHECK(numel_of(shape, "reshape_is_view") == x.numel(),
           "reshape_is_view: shape {} has {} elements, the tensor of shape {} has {}",
           shape_str(shape), numel_of(shape), shape_str(x.shape()), x.numel());
  Dims strides;
  return view_strides(x.shape(), x.strides(), shape, strides);
}

Tensor view(const Tensor& x, const Dims& shape) {
  detail::check_defined(x, "view");
  const Dims target = infer_shape(shape, x.numel(), x.shape(), "view");
  Dims strides;
  MG_CHECK(view_strides(x.shape(), x.strides(), target, strides),
           "view: size {} is not compatible with the input's size {} and strides {} (at least one "
           "dimension spans across two contiguous subspaces); use reshape() instead",
           shape_str(target), shape_str(x.shape()), shape_str(x.strides()));
  return reshape_view(x, target, strides);
}

Tensor flatten(const Tensor& x, int64_t start_dim, int64_t end_dim) {
  detail::check_defined(x, "flatten");
  if (x.dim() == 0) return reshape(x, {1});
  const int s = normalize_dim(start_dim, x.dim(), "flatten"),
            e = normalize_dim(end_dim, x.dim(), "flatten");
  MG_CHECK(s <= e, "flatten: start_dim {} cannot come after end_dim {}", start_dim, end_dim);
  Dims shape;
  for (int d = 0; d < s; ++d) shape.push_back(x.shape()[d]);
  int64_t merged = 1;
  for (int d = s; d <= e; ++d)
    merged = checked_mul(merged, x.shape()[d], "flatten", "the merged size");
  shape.push_back(merged);
  for (int d = e + 1; d < x.dim(); ++d) shape.push_back(x.shape()[d]);
  return reshape(x, shape);
}

Tensor unflatten(const Tensor& x, int64_t dim, const Dims& sizes) {
  detail::check_defined(x, "unflatten");
  const int d = normalize_dim(dim, std::max(x.dim(), 1), "unflatten");
  MG_CHECK(x.dim() > 0 && !sizes.empty(),
           "unflatten: needs a tensor with at least one dim and at least one size, got shape {} "
           "and sizes {}",
           shape_str(x.shape()), shape_str(sizes));
  const int64_t size = x.size(d);
  int64_t known = 1, inferred = -1;
  for (int i = 0; i < sizes.size(); ++i) {
    if (sizes[i] == -1 && inferred < 0) {
      inferred = i;
      continue;
    }
    MG_CHECK(sizes[i] >= 0,
             "unflatten: sizes {} may hold one -1 (inferred) and otherwise non-negative sizes",
             shape_str(sizes));
    known = checked_mul(known, sizes[i], "unflatten", "the product of sizes");
  }
  Dims split = sizes;
  if (inferred >= 0) {
    MG_CHECK(known > 0 && size % known == 0,
             "unflatten: cannot infer the -1 in sizes {} for dim {} of size {} (input shape {})",
             shape_str(sizes), dim, size, shape_str(x.shape()));
    split[static_cast<int>(inferred)] = size / known;
  } else {
    MG_CHECK(known == size,
             "unflatten: sizes {} multiply to {}, but dim {} of input shape {} has size {}",
             shape_str(sizes), known, dim, shape_str(x.shape()), size);
  }
  Dims shape;
  for (int i = 0; i < x.dim(); ++i) {
    if (i != d) {
      shape.push_back(x.size(i));
      continue;
    }
    for (const int64_t part : split) shape.push_back(part);
  }
  return reshape(x, shape);
}

Tensor squeeze(const Tensor& x) {
  detail::check_defined(x, "squeeze");
  Dims shape, strides;
  for (int d = 0; d < x.dim(); ++d) {
    if (x.shape()[d] == 1) continue;
    shape.push_back(x.shape()[d]);
    strides.push_back(x.strides()[d]);
  }
  return reshape_view(x, shape, strides);
}

Tensor squeeze(const Tensor& x, int64_t dim) {
  detail::check_defined(x, "squeeze");
  if (x.dim() == 0) {
    normalize_dim(dim, 0, "squeeze");
    return reshape_view(x, x.shape(), x.strides());
  }
  const int d = normalize_dim(dim, x.dim(), "squeeze");
  if (x.shape()[d] != 1) return reshape_view(x, x.shape(), x.strides());
  Dims shape = x.shape(), strides = x.strides();
  shape.erase(d);
  strides.erase(d);
  return reshape_view(x, shape, strides);
}

Tensor unsqueeze(const Tensor& x, int64_t dim) {
  detail::check_defined(x, "unsqueeze");
  const int d = normalize_dim(dim, x.dim() + 1, "unsqueeze");
  Dims shape = x.shape(), strides = x.strides();
  const int64_t stride =
      d < x.dim() ? checked_mul(x.strides()[d], x.shape()[d], "unsqueeze", "the new stride") : 1;
  shape.insert(d, 1);
  strides.insert(d, stride);
  return reshape_view(x, shape, strides);
}

Tensor permute(const Tensor& x, const Dims& dims) {
  detail::check_defined(x, "permute");
  MG_CHECK(dims.size() == x.dim(),
           "permute: number of dims in the permutation ({}) does not match the tensor's ({}), "
           "shape {}",
           dims.size(), x.dim(), shape_str(x.shape()));
  Dims perm, shape, strides, inverse(x.dim(), -1);
  for (int i = 0; i < dims.size(); ++i) {
    const int d = normalize_dim(dims[i], x.dim(), "permute");
    MG_CHECK(inverse[d] < 0, "permute: dim {} repeats in the permutation {}", d, shape_str(dims));
    inverse[d] = i;
    perm.push_back(d);
    shape.push_back(x.shape()[d]);
    strides.push_back(x.strides()[d]);
  }
  Tensor out = mark_view_of(make_view(x, shape, strides, x.storage_offset()), x);
  if (needs_grad(x)) {
    // d permute(x, p) = permute(dx, p^-1)
    describe_attrs(record("PermuteBackward", {x}, {out},
                          [inverse](const TensorList& g, Node&) -> TensorList {
                            return {permute(g[0], inverse)};
                          }),
                   {{"dims", perm}});
  }
  return out;
}

Tensor transpose(const Tensor& x, int64_t dim0, int64_t dim1) {
  detail::check_defined(x, "transpose");
  if (x.dim() == 0) {
    normalize_dim(dim0, 0, "transpose");
    normalize_dim(dim1, 0, "transpose");
    return permute(x, {});
  }
  const int a = normalize_dim(dim0, x.dim(), "transpose"),
            b = normalize_dim(dim1, x.dim(), "transpose");
  Dims perm;
  for (int d = 0; d < x.dim(); ++d) perm.push_back(d);
  std::swap(perm[a], perm[b]);
  return permute(x, perm);
}

Tensor t(const Tensor& x) {
  detail::check_defined(x, "t");
  MG_CHECK(x.dim() <= 2,
           "t: expects a tensor with <= 2 dimensions, but got {} (shape {}); use "
           "transpose(dim0, dim1) or permute",
           x.dim(), shape_str(x.shape()));
  return x.dim() < 2 ? permute(x, x.dim() == 1 ? Dims{0} : Dims{}) : transpose(x, 0, 1);
}

Tensor expand(const Tensor& x, const Dims& shape) {
  detail::check_defined(x, "expand");
  MG_CHECK(shape.size() >= x.dim(),
           "expand: the number of sizes provided ({}) must be greater or equal to the number of "
           "dimensions in the tensor ({}), shape {}",
           shape.size(), x.dim(), shape_str(x.shape()));
  const int lead = shape.size() - x.dim();
  Dims out_shape(shape.size(), 0), strides(shape.size(), 0);
  for (int i = 0; i < shape.size(); ++i) {
    if (i < lead) {
      MG_CHECK(shape[i] >= 0, "expand: -1 is not allowed in a leading, new dimension ({})",
               shape_str(shape));
      out_shape[i] = shape[i];
      continue;
    }
    const int64_t have = x.shape()[i - lead];
    const int64_t want = shape[i] == -1 ? have : shape[i];
    MG_CHECK(want >= 0, "expand: invalid size {} at dimension {} of target sizes {}", want, i,
             shape_str(shape));
    MG_CHECK(have == want || have == 1,
             "expand: the expanded size of the tensor ({}) must match the existing size ({}) at "
             "non-singleton dimension {}; target sizes {}, tensor shape {}",
             want, have, i, shape_str(shape), shape_str(x.shape()));
    out_shape[i] = want;
    strides[i] = have == want ? x.strides()[i - lead] : 0;
  }
  if (out_shape == x.shape()) return reshape_view(x, x.shape(), x.strides());
  numel_of(out_shape, "expand");
  Tensor out = mark_view_of(make_view(x, out_shape, strides, x.storage_offset()), x);
  if (needs_grad(x)) {
    // d expand(x) = sum_to(dx, shape(x))
    record("ExpandBackward", {x}, {out},
           [in_shape = x.shape()](const TensorList& g, Node&) -> TensorList {
             return {sum_to(g[0], in_shape)};
           });
  }
  return out;
}

Tensor broadcast_to(const Tensor& x, const Dims& shape) { return expand(x, shape); }

Tensor sum_to(const Tensor& x, const Dims& shape) {
  detail::check_defined(x, "sum_to");
  if (x.shape() == shape) return x;
  MG_CHECK(shape.size() <= x.dim(), "sum_to: cannot sum shape {} to the larger shape {}",
           shape_str(x.shape()), shape_str(shape));
  const int lead = x.dim() - shape.size();
  Dims dims;
  for (int d = 0; d < lead; ++d) dims.push_back(d);
  for (int i = 0; i < shape.size(); ++i) {
    const int64_t have = x.shape()[lead + i];
    MG_CHECK(shape[i] == have || shape[i] == 1,
             "sum_to: shape {} does not broadcast to {} (size {} vs {} at dimension {})",
             shape_str(shape), shape_str(x.shape()), shape[i], have, i);
    if (shape[i] == 1 && have != 1) dims.push_back(lead + i);
  }
  Tensor out = dims.empty() ? x : sum(x, dims, true);
  if (lead > 0 || out.shape() != shape) out = reshape(out, shape);
  return out;
}

}  // namespace metagrad
