#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"
namespace metagrad {
#define PENDING MG_FAIL("pending implementation")
Tensor matmul(const Tensor&, const Tensor&) { PENDING; }
Tensor dot(const Tensor&, const Tensor&) { PENDING; }
Tensor outer(const Tensor&, const Tensor&) { PENDING; }
Tensor mv(const Tensor&, const Tensor&) { PENDING; }
Tensor mm(const Tensor&, const Tensor&) { PENDING; }
}  // namespace metagrad
