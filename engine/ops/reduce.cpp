#include "engine/ops.hpp"
#include "engine/ops/reduce_support.hpp"
namespace metagrad {
#define PENDING MG_FAIL("pending implementation")
Tensor amax(const Tensor&, const Dims&, bool) { PENDING; }
Tensor amin(const Tensor&, const Dims&, bool) { PENDING; }
std::tuple<Tensor, Tensor> max(const Tensor&, int64_t, bool) { PENDING; }
std::tuple<Tensor, Tensor> min(const Tensor&, int64_t, bool) { PENDING; }
Tensor max(const Tensor&) { PENDING; }
Tensor min(const Tensor&) { PENDING; }
Tensor prod(const Tensor&, std::optional<int64_t>, bool) { PENDING; }
Tensor norm(const Tensor&, double, const Dims&, bool) { PENDING; }
Tensor var(const Tensor&, const Dims&, bool, bool) { PENDING; }
Tensor std(const Tensor&, const Dims&, bool, bool) { PENDING; }
Tensor logsumexp(const Tensor&, const Dims&, bool) { PENDING; }
Tensor all(const Tensor&, const Dims&, bool) { PENDING; }
Tensor any(const Tensor&, const Dims&, bool) { PENDING; }
}  // namespace metagrad
