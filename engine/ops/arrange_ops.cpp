// movedim, narrow, rot90, diff, take_along_dim, diag_embed, block_diag, meshgrid, kron and
// tensordot (arrange_ops.hpp), composed of permute, slice, flip, cat, pad, expand, gather, mul
// and matmul, whose derivatives of every order they inherit.
#include "engine/ops/arrange_ops.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"

namespace metagrad {
namespace {

// The dims of `dims` normalised against rank `rank`, checked to be distinct.
std::vector<int> distinct_dims(const Dims& dims, int rank, const char* op) {
  std::vector<int> out;
  for (const int64_t d : dims) {
    const int dim = normalize_dim(d, rank, op);
    MG_CHECK(std::find(out.begin(), out.end(), dim) == out.end(),
             "{}: dim {} is repeated in {} (a tensor of {} dims)", op, d, shape_str(dims), rank);
    out.push_back(dim);
  }
  return out;
}

}  // namespace

Tensor movedim(const Tensor& x, const Dims& source, const Dims& destination) {
  detail::check_defined(x, "movedim");
  MG_CHECK(source.size() == destination.size(),
           "movedim: source {} and destination {} must list as many dims", shape_str(source),
           shape_str(destination));
  const int rank = x.dim();
  const std::vector<int> from = distinct_dims(source, rank, "movedim");
  const std::vector<int> to = distinct_dims(destination, rank, "movedim");
  // order[destination] = source; the other dims fill the free places in their order.
  std::vector<int64_t> order(rank, -1);
  std::vector<bool> moved(rank, false);
  for (size_t i = 0; i < from.size(); ++i) {
    order[to[i]] = from[i];
    moved[from[i]] = true;
  }
  int next = 0;
  for (int64_t& slot : order) {
    if (slot >= 0) continue;
    while (moved[next]) ++next;
    slot = next++;
  }
  return permute(x, Dims(order));
}

Tensor movedim(const Tensor& x, int64_t source, int64_t destination) {
  return movedim(x, Dims{source}, Dims{destination});
}

Tensor narrow(const Tensor& x, int64_t dim, int64_t start, int64_t length) {
  detail::check_defined(x, "narrow");
  MG_CHECK(x.dim() > 0, "narrow: cannot narrow a 0-d tensor");
  const int d = normalize_dim(dim, x.dim(), "narrow");
  const int64_t size = x.size(d);
  const int64_t first = start < 0 && start >= -size ? start + size : start;
  MG_CHECK(first >= 0 && length >= 0 && first <= size - length,
           "narrow: start {} and length {} leave dim {} of shape {} (size {}); need 0 <= start "
           "and start + length <= size",
           start, length, dim, shape_str(x.shape()), size);
  return slice(x, d, first, first + length);
}

Tensor rot90(const Tensor& x, int64_t k, const Dims& dims) {
  detail::check_defined(x, "rot90");
  MG_CHECK(dims.size() == 2 && x.dim() >= 2,
           "rot90: expected two dims of a tensor of at least 2 dims, got dims {} for shape {}",
           shape_str(dims), shape_str(x.shape()));
  const std::vector<int> plane = distinct_dims(dims, x.dim(), "rot90");
  const int64_t turns = ((k % 4) + 4) % 4;
  const int first = plane[0], second = plane[1];
  if (turns == 1) return transpose(flip(x, {second}), first, second);
  if (turns == 2) return flip(x, {first, second});
  if (turns == 3) return transpose(flip(x, {first}), first, second);
  return x.clone();
}

Tensor diff(const Tensor& x, int64_t n, int64_t dim, const Tensor& prepend, const Tensor& append) {
  detail::check_defined(x, "diff");
  MG_CHECK(x.dim() > 0, "diff: expected a tensor of at least 1 dim, got a 0-d tensor");
  MG_CHECK(n >= 0, "diff: order n must be non-negative, got {}", n);
  const int d = normalize_dim(dim, x.dim(), "diff");
  TensorList parts;
  for (const Tensor* part : {&prepend, &x, &append}) {
    if (!part->defined()) continue;
    Dims want = x.shape(), got = part->shape();
    want[d] = got.size() == x.dim() ? got[d] : -1;
    MG_CHECK(got == want,
             "diff: prepend and append must have x's shape {} except along dim {}, got shape {}",
             shape_str(x.shape()), dim, shape_str(got));
    parts.push_back(*part);
  }
  Tensor out = parts.size() == 1 ? x : cat(parts, d);
  for (int64_t step = 0; step < n && out.size(d) > 0; ++step) {
    const Tensor later = slice(out, d, 1, std::nullopt), earlier = slice(out, d, 0, -1);
    out = out.dtype() == kBool ? ne(later, earlier) : later - earlier;
  }
  return out;
}

Tensor take_along_dim(const Tensor& x, const Tensor& indices, std::optional<int64_t> dim) {
  detail::check_defined(x, "take_along_dim");
  detail::check_defined(indices, "take_along_dim", "indices");
  MG_CHECK(indices.dtype() == kInt64, "take_along_dim: indices must be int64, got {}",
           dtype_name(indices.dtype()));
  if (!dim) return gather(reshape(x, {-1}), 0, reshape(indices, {-1}));
  MG_CHECK(x.dim() == indices.dim(),
           "take_along_dim: x shape {} and indices shape {} must have the same number of dims",
           shape_str(x.shape()), shape_str(indices.shape()));
  const int d = normalize_dim(*dim, x.dim(), "take_along_dim");
  // Broadcast every dim but d, then gather along d.
  Dims x_shape = x.shape(), index_shape = indices.shape();
  for (int i = 0; i < x.dim(); ++i) {
    if (i == d) continue;
    const int64_t a = x_shape[i], b = index_shape[i];
    MG_CHECK(a == b || a == 1 || b == 1,
             "take_along_dim: x shape {} and indices shape {} do not broadcast at dim {}",
             shape_str(x.shape()), shape_str(indices.shape()), i);
    x_shape[i] = index_shape[i] = std::max(a, b);
  }
  return gather(expand(x, x_shape), d, expand(indices, index_shape));
}

Tensor diag_embed(const Tensor& x, int64_t offset, int64_t dim1, int64_t dim2) {
  detail::check_defined(x, "diag_embed");
  MG_CHECK(x.dim() >= 1, "diag_embed: expected a tensor of at least 1 dim, got a 0-d tensor");
  const int rank = x.dim() + 1;
  const std::vector<int> plane = distinct_dims({dim1, dim2}, rank, "diag_embed");
  const int64_t n = x.size(-1), shift = offset < 0 ? -offset : offset;
  const int64_t m = checked_add(n, shift, "diag_embed", "the plane size");
  // v: x padded to m; out[.., r, c] = [c - r == offset] v[r] (offset >= 0) or v[c] (offset < 0).
  const Tensor v = pad(x, {0, shift});
  const Tensor rows = arange(m, TensorOptions(kInt64, x.device()));
  const Tensor mask = eq(unsqueeze(rows, 0) - unsqueeze(rows, 1), static_cast<double>(offset));
  const Tensor values = offset >= 0 ? unsqueeze(v, -1) : unsqueeze(v, -2);
  const Tensor planes = where(mask, values, zeros_like(values));
  return movedim(planes, Dims{rank - 2, rank - 1}, Dims{plane[0], plane[1]});
}

Tensor block_diag(const TensorList& tensors) {
  MG_CHECK(!tensors.empty(), "block_diag: expected at least one tensor");
  int64_t columns = 0;
  TensorList blocks;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    detail::check_defined(t, "block_diag");
    MG_CHECK(t.dim() <= 2, "block_diag: tensor {} has shape {}; blocks have at most 2 dims", i,
             shape_str(t.shape()));
    detail::check_same_kind(tensors[0], t, "block_diag");
    blocks.push_back(t.dim() == 2 ? t : reshape(t, {1, -1}));
    columns = checked_add(columns, blocks.back().size(1), "block_diag", "the column count");
  }
  TensorList rows;
  int64_t before = 0;
  for (const Tensor& block : blocks) {
    const int64_t width = block.size(1);
    rows.push_back(pad(block, {before, columns - before - width}));
    before += width;
  }
  return cat(rows, 0);
}

TensorList meshgrid(const TensorList& tensors, const std::string& indexing) {
  MG_CHECK(indexing == "ij" || indexing == "xy",
           "meshgrid: indexing must be \"ij\" or \"xy\", got \"{}\"", indexing);
  Dims shape;
  for (size_t i = 0; i < tensors.size(); ++i) {
    detail::check_defined(tensors[i], "meshgrid");
    MG_CHECK(tensors[i].dim() <= 1, "meshgrid: tensor {} has shape {}; expected 0-d or 1-D", i,
             shape_str(tensors[i].shape()));
    shape.push_back(tensors[i].numel());
  }
  const bool swap = indexing == "xy" && tensors.size() >= 2;
  if (swap) std::swap(shape[0], shape[1]);
  TensorList grids;
  for (size_t i = 0; i < tensors.size(); ++i) {
    // Tensor i varies along dim i (dim 1 and 0 for the first two under "xy").
    const int along = swap && i < 2 ? 1 - static_cast<int>(i) : static_cast<int>(i);
    Dims view(static_cast<int64_t>(tensors.size()), 1);
    view[along] = shape[along];
    grids.push_back(expand(reshape(tensors[i], view), shape));
  }
  return grids;
}

Tensor kron(const Tensor& a, const Tensor& b) {
  detail::check_defined(a, "kron");
  detail::check_defined(b, "kron", "b");
  const int rank = std::max(a.dim(), b.dim());
  Dims a_view, b_view, out_shape;
  for (int i = 0; i < rank; ++i) {
    const int64_t sa = i < rank - a.dim() ? 1 : a.size(i - (rank - a.dim()));
    const int64_t sb = i < rank - b.dim() ? 1 : b.size(i - (rank - b.dim()));
    a_view.push_back(sa);
    a_view.push_back(1);
    b_view.push_back(1);
    b_view.push_back(sb);
    out_shape.push_back(checked_mul(sa, sb, "kron", "a result size"));
  }
  // [a0, 1, a1, 1, ..] * [1, b0, 1, b1, ..] -> [a0, b0, a1, b1, ..] -> [a0 b0, a1 b1, ..]
  return reshape(reshape(a, a_view) * reshape(b, b_view), out_shape);
}

Tensor tensordot(const Tensor& a, const Tensor& b, const Dims& dims_a, const Dims& dims_b) {
  detail::check_defined(a, "tensordot");
  detail::check_defined(b, "tensordot", "b");
  MG_CHECK(dims_a.size() == dims_b.size(),
           "tensordot: dims_a {} and dims_b {} must list as many dims", shape_str(dims_a),
           shape_str(dims_b));
  const std::vector<int> sum_a = distinct_dims(dims_a, a.dim(), "tensordot");
  const std::vector<int> sum_b = distinct_dims(dims_b, b.dim(), "tensordot");
  int64_t inner = 1;
  for (size_t i = 0; i < sum_a.size(); ++i) {
    MG_CHECK(a.size(sum_a[i]) == b.size(sum_b[i]),
             "tensordot: dim {} of a (shape {}) has size {} but dim {} of b (shape {}) has {}",
             dims_a[static_cast<int>(i)], shape_str(a.shape()), a.size(sum_a[i]),
             dims_b[static_cast<int>(i)], shape_str(b.shape()), b.size(sum_b[i]));
    inner *= a.size(sum_a[i]);
  }
  // a -> [free_a.., summed..] as [M, K]; b -> [summed.., free_b..] as [K, N]; one matmul.
  Dims order_a, order_b, out_shape;
  int64_t rows = 1, cols = 1;
  for (int i = 0; i < a.dim(); ++i)
    if (std::find(sum_a.begin(), sum_a.end(), i) == sum_a.end()) {
      order_a.push_back(i);
      out_shape.push_back(a.size(i));
      rows *= a.size(i);
    }
  for (const int i : sum_a) order_a.push_back(i);
  for (const int i : sum_b) order_b.push_back(i);
  for (int i = 0; i < b.dim(); ++i)
    if (std::find(sum_b.begin(), sum_b.end(), i) == sum_b.end()) {
      order_b.push_back(i);
      out_shape.push_back(b.size(i));
      cols *= b.size(i);
    }
  const Tensor left = reshape(permute(a, order_a), {rows, inner});
  const Tensor right = reshape(permute(b, order_b), {inner, cols});
  return reshape(matmul(left, right), out_shape);
}

Tensor tensordot(const Tensor& a, const Tensor& b, int64_t contracted) {
  detail::check_defined(a, "tensordot");
  detail::check_defined(b, "tensordot", "b");
  MG_CHECK(contracted >= 0 && contracted <= a.dim() && contracted <= b.dim(),
           "tensordot: cannot contract {} dims of a (shape {}) with b (shape {})", contracted,
           shape_str(a.shape()), shape_str(b.shape()));
  Dims dims_a, dims_b;
  for (int64_t i = 0; i < contracted; ++i) {
    dims_a.push_back(a.dim() - contracted + i);
    dims_b.push_back(i);
  }
  return tensordot(a, b, dims_a, dims_b);
}

}  // namespace metagrad
