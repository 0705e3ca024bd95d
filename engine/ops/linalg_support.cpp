#include "engine/ops/linalg_support.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "engine/error.hpp"
#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"

namespace metagrad::linalg::detail {

void check_square(const Tensor& A, const char* op) {
  metagrad::detail::check_floating(A, op);
  MG_CHECK(A.dim() >= 2 && A.size(-1) == A.size(-2),
           "{}: expected a batch of square matrices [*, n, n], got shape {}", op,
           shape_str(A.shape()));
}

void check_matrix(const Tensor& A, const char* op) {
  metagrad::detail::check_floating(A, op);
  MG_CHECK(A.dim() >= 2, "{}: expected a batch of matrices [*, m, n], got shape {}", op,
           shape_str(A.shape()));
}

void check_operand_pair(const Tensor& a, const Tensor& b, const char* op) {
  metagrad::detail::check_floating(a, op);
  metagrad::detail::check_same_kind(a, b, op);
}

Tensor mT(const Tensor& x) { return x.transpose(-2, -1); }

Dims batch_shape(const Tensor& x, int trailing) {
  Dims batch;
  for (int64_t d = 0; d + trailing < x.dim(); ++d) batch.push_back(x.size(d));
  return batch;
}

Dims concat_shape(const Dims& batch, const Dims& trailing) {
  Dims shape = batch;
  for (const int64_t size : trailing) shape.push_back(size);
  return shape;
}

Factorization factorize(Decomposition kind, const Tensor& A, const std::vector<Dims>& factor_shapes,
                        const std::vector<DType>& factor_dtypes) {
  const Dims batch = batch_shape(A);
  const int64_t count = numel_of(batch);
  const Tensor matrices = A.reshape({count, A.size(-2), A.size(-1)});
  Factorization result;
  std::vector<View> views;
  for (size_t i = 0; i < factor_shapes.size(); ++i) {
    Tensor factor =
        empty(concat_shape({count}, factor_shapes[i]), TensorOptions(factor_dtypes[i], A.device()));
    views.push_back(metagrad::detail::view_of(factor));
    result.factors.push_back(factor.reshape(concat_shape(batch, factor_shapes[i])));
  }
  const Tensor info = empty({count}, TensorOptions(kInt64, A.device()));
  if (count > 0) {
    metagrad::detail::backend_of(A).decompose(kind, metagrad::detail::view_of(matrices),
                                              views.data(), static_cast<int>(views.size()),
                                              metagrad::detail::view_of(info));
  }
  result.info = info.to_vector<int64_t>();
  return result;
}

std::string batch_element(const Dims& batch, int64_t flat) {
  if (batch.empty()) return "";
  std::vector<int64_t> index(batch.size());
  for (size_t d = batch.size(); d-- > 0;) {
    index[d] = flat % batch[d];
    flat /= batch[d];
  }
  return fmt::format(" (batch element ({}))", fmt::join(index, ", "));
}

int64_t first_failure(const std::vector<int64_t>& info) {
  for (size_t i = 0; i < info.size(); ++i) {
    if (info[i] != 0) return static_cast<int64_t>(i);
  }
  return -1;
}

}  // namespace metagrad::linalg::detail
