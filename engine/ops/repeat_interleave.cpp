// repeat_interleave (arrange_ops.hpp): the output position j takes input slice i when the
// running total of the repeats before i is <= j < the total through i, found by searchsorted on
// the running totals; the copies are an index_select, differentiable to every order.
#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"

namespace metagrad {
namespace {

void check_repeats(const Tensor& repeats, const char* op) {
  detail::check_defined(repeats, op, "repeats");
  MG_CHECK(repeats.dtype() == kInt64 && repeats.dim() <= 1,
           "{}: repeats must be a 0-d or 1-D int64 tensor, got {} of shape {}", op,
           dtype_name(repeats.dtype()), shape_str(repeats.shape()));
  NoGradGuard no_grad;
  MG_CHECK(repeats.numel() == 0 || !any(lt(repeats, 0.0)).item<bool>(),
           "{}: repeats must be non-negative (shape {})", op, shape_str(repeats.shape()));
}

}  // namespace

Tensor repeat_interleave(const Tensor& repeats) {
  check_repeats(repeats, "repeat_interleave");
  NoGradGuard no_grad;
  const TensorOptions options(kInt64, repeats.device());
  const Tensor flat = reshape(repeats, {-1});
  if (flat.numel() == 0) return empty({0}, options);
  const Tensor totals = cumsum(flat, 0);
  const int64_t length = select(totals, 0, flat.numel() - 1).item<int64_t>();
  return searchsorted(totals, arange(static_cast<double>(length), options), true);
}

Tensor repeat_interleave(const Tensor& x, const Tensor& repeats, std::optional<int64_t> dim) {
  detail::check_defined(x, "repeat_interleave");
  check_repeats(repeats, "repeat_interleave");
  MG_CHECK(repeats.device() == x.device(),
           "repeat_interleave: repeats are on {} but the input is on {}; move them with "
           ".to(device)",
           repeats.device().str(), x.device().str());
  const Tensor input = dim.has_value() ? x : reshape(x, {-1});
  const int d =
      dim.has_value() ? normalize_dim(*dim, std::max(x.dim(), 1), "repeat_interleave") : 0;
  const Tensor line = input.dim() == 0 ? reshape(input, {1}) : input;
  const int64_t n = line.size(d);
  MG_CHECK(repeats.numel() == 1 || repeats.numel() == n,
           "repeat_interleave: repeats has {} entries but dim {} of the input (shape {}) has {} "
           "slices; give one count per slice or a single count",
           repeats.numel(), d, shape_str(line.shape()), n);
  const Tensor counts =
      repeats.numel() == 1 && n != 1 ? expand(reshape(repeats, {1}), {n}) : repeats;
  return index_select(line, d, repeat_interleave(counts));
}

Tensor repeat_interleave(const Tensor& x, int64_t repeats, std::optional<int64_t> dim) {
  detail::check_defined(x, "repeat_interleave");
  return repeat_interleave(
      x, full({}, static_cast<double>(repeats), TensorOptions(kInt64, x.device())), dim);
}

}  // namespace metagrad
