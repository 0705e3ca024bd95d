#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"
namespace metagrad {
#define PENDING MG_FAIL("pending implementation")
Tensor cat(const TensorList&, int64_t) { PENDING; }
Tensor stack(const TensorList&, int64_t) { PENDING; }
TensorList split(const Tensor&, int64_t, int64_t) { PENDING; }
TensorList split(const Tensor&, const std::vector<int64_t>&, int64_t) { PENDING; }
TensorList chunk(const Tensor&, int64_t, int64_t) { PENDING; }
Tensor slice(const Tensor&, int64_t, std::optional<int64_t>, std::optional<int64_t>, int64_t) { PENDING; }
Tensor select(const Tensor&, int64_t, int64_t) { PENDING; }
Tensor index_select(const Tensor&, int64_t, const Tensor&) { PENDING; }
Tensor index_add(const Tensor&, int64_t, const Tensor&, const Tensor&) { PENDING; }
Tensor gather(const Tensor&, int64_t, const Tensor&) { PENDING; }
Tensor scatter_add(const Tensor&, int64_t, const Tensor&, const Tensor&) { PENDING; }
Tensor pad(const Tensor&, const std::vector<int64_t>&, double) { PENDING; }
}  // namespace metagrad
