// Sorted-sequence search and membership (search.hpp), from stable sorts: in the stable order of
// a sequence merged with the values, the values placed first win ties (insertion before equal
// entries) and the values placed last lose them (insertion after).
#include "engine/ops/search.hpp"

#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"

namespace metagrad {
namespace {

// Where each entry sits in the stable ascending order of its line (dim 1 of a 2-d x): the
// inverse of argsort.
Tensor ranks_in_line(const Tensor& x) {
  const Tensor order = argsort(x, 1);
  const Tensor positions =
      expand(reshape(arange(static_cast<double>(x.size(1)), TensorOptions(kInt64, x.device())),
                     {1, x.size(1)}),
             x.shape());
  return scatter_add(zeros_like(order), 1, order, positions);
}

// The insertion points [B, N] of the values [B, N] into the ascending lines of seq [B, M].
Tensor insertion_points(const Tensor& seq, const Tensor& values, bool right) {
  const int64_t m = seq.size(1), n = values.size(1);
  if (m == 0 || n == 0) return zeros(values.shape(), TensorOptions(kInt64, values.device()));
  // The number of sequence entries ahead of a value = its place in the merged order less the
  // number of values ahead of it (the same in the merged order as among the values alone).
  const Tensor places = ranks_in_line(right ? cat({seq, values}, 1) : cat({values, seq}, 1));
  const Tensor value_places = right ? slice(places, 1, m, m + n) : slice(places, 1, 0, n);
  const Tensor points = value_places - ranks_in_line(values);
  if (!is_floating(values.dtype())) return points;
  return where(isnan(values), static_cast<double>(m), points);
}

// The operands of a search in one dtype: float64 when they differ.
std::pair<Tensor, Tensor> common_dtype(const Tensor& seq, const Tensor& values) {
  if (seq.dtype() == values.dtype()) return {seq, values};
  return {seq.to(kFloat64), values.to(kFloat64)};
}

void check_searchable(const Tensor& t, const char* op, const char* what) {
  detail::check_defined(t, op, what);
  MG_CHECK(t.dtype() != kBool,
           "{}: the {} is a bool tensor (shape {}); convert it with .to(kInt64) or a float dtype",
           op, what, shape_str(t.shape()));
}

// The sequence sorted by `sorter` along its last dim (as given when sorter is undefined).
Tensor apply_sorter(const Tensor& seq, const Tensor& sorter) {
  if (!sorter.defined()) return seq;
  MG_CHECK(sorter.dtype() == kInt64 && sorter.shape() == seq.shape(),
           "searchsorted: the sorter must be an int64 tensor of the sequence's shape {}, got {} "
           "of shape {}; pass argsort(sorted_sequence)",
           shape_str(seq.shape()), dtype_name(sorter.dtype()), shape_str(sorter.shape()));
  return gather(seq, -1, sorter);
}

}  // namespace

Tensor searchsorted(const Tensor& sorted_sequence, const Tensor& values, bool right,
                    const Tensor& sorter) {
  check_searchable(sorted_sequence, "searchsorted", "sorted sequence");
  check_searchable(values, "searchsorted", "values");
  MG_CHECK(sorted_sequence.dim() > 0,
           "searchsorted: the sorted sequence must have at least one dim, got a 0-d tensor");
  MG_CHECK(values.device() == sorted_sequence.device(),
           "searchsorted: the values are on {} but the sorted sequence is on {}; move them with "
           ".to(device)",
           values.device().str(), sorted_sequence.device().str());
  NoGradGuard no_grad;
  const auto [seq, vals] = common_dtype(apply_sorter(sorted_sequence, sorter), values);
  const int64_t m = seq.size(-1);
  if (seq.dim() == 1) {
    const Tensor points = insertion_points(reshape(seq, {1, m}), reshape(vals, {1, -1}), right);
    return reshape(points, values.shape());
  }
  Dims leading = seq.shape(), value_leading = vals.shape();
  leading.pop_back();
  if (!value_leading.empty()) value_leading.pop_back();
  const bool matching = vals.dim() == seq.dim() && value_leading == leading;
  MG_CHECK(matching,
           "searchsorted: the sorted sequence of shape {} and the values of shape {} must share "
           "every dim but the last (or the sequence must be 1-D)",
           shape_str(sorted_sequence.shape()), shape_str(values.shape()));
  const int64_t lines = seq.numel() == 0 ? vals.numel() / std::max<int64_t>(vals.size(-1), 1)
                                         : seq.numel() / std::max<int64_t>(m, 1);
  const Tensor points =
      insertion_points(reshape(seq, {lines, m}), reshape(vals, {lines, vals.size(-1)}), right);
  return reshape(points, values.shape());
}

Tensor searchsorted(const Tensor& sorted_sequence, const Tensor& values, std::string_view side,
                    const Tensor& sorter) {
  MG_CHECK(side == "left" || side == "right",
           "searchsorted: side must be \"left\" or \"right\", got \"{}\"", side);
  return searchsorted(sorted_sequence, values, side == "right", sorter);
}

Tensor searchsorted(const Tensor& sorted_sequence, double value, bool right, const Tensor& sorter) {
  check_searchable(sorted_sequence, "searchsorted", "sorted sequence");
  MG_CHECK(sorted_sequence.dim() == 1,
           "searchsorted: a scalar value needs a 1-D sorted sequence, got shape {}; pass the "
           "values as a tensor of the sequence's leading dims",
           shape_str(sorted_sequence.shape()));
  const DType dtype =
      detail::is_exact_value(value, sorted_sequence.dtype()) ? sorted_sequence.dtype() : kFloat64;
  const Tensor values = full({}, value, TensorOptions(dtype, sorted_sequence.device()));
  return searchsorted(sorted_sequence, values, right, sorter);
}

Tensor bucketize(const Tensor& input, const Tensor& boundaries, bool right) {
  check_searchable(input, "bucketize", "input");
  check_searchable(boundaries, "bucketize", "boundaries");
  MG_CHECK(boundaries.dim() == 1, "bucketize: the boundaries must be 1-D, got shape {}",
           shape_str(boundaries.shape()));
  return searchsorted(boundaries, input, right);
}

Tensor isin(const Tensor& elements, const Tensor& test_elements, bool /*assume_unique*/,
            bool invert) {
  check_searchable(elements, "isin", "elements");
  check_searchable(test_elements, "isin", "test elements");
  MG_CHECK(elements.device() == test_elements.device(),
           "isin: the test elements are on {} but the elements are on {}; move them with "
           ".to(device)",
           test_elements.device().str(), elements.device().str());
  NoGradGuard no_grad;
  const auto [tests, items] = common_dtype(reshape(test_elements, {-1}), elements);
  const int64_t m = tests.numel();
  Tensor found;
  if (m == 0) {
    found = zeros(elements.shape(), TensorOptions(kBool, elements.device()));
  } else {
    // The entry at an element's insertion point is the only candidate equal to it.
    const Tensor sorted = std::get<0>(sort(tests));
    const Tensor point = searchsorted(sorted, items);
    const Tensor at = where(ge(point, static_cast<double>(m)), static_cast<double>(m - 1), point);
    found = eq(reshape(index_select(sorted, 0, reshape(at, {-1})), elements.shape()), items);
  }
  return invert ? logical_not(found) : found;
}

Tensor isin(const Tensor& elements, double test_element, bool assume_unique, bool invert) {
  check_searchable(elements, "isin", "elements");
  const DType dtype =
      detail::is_exact_value(test_element, elements.dtype()) ? elements.dtype() : kFloat64;
  return isin(elements, full({1}, test_element, TensorOptions(dtype, elements.device())),
              assume_unique, invert);
}

}  // namespace metagrad
