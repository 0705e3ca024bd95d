#include "engine/backend/cpu/cpu_backend.hpp"
namespace metagrad::cpu {
void CpuBackend::gather(const View&, int, const View&, const View&) { MG_FAIL("being written"); }
void CpuBackend::scatter_add(const View&, int, const View&, const View&) { MG_FAIL("being written"); }
void CpuBackend::index_select(const View&, int, const View&, const View&) { MG_FAIL("being written"); }
void CpuBackend::index_add(const View&, int, const View&, const View&) { MG_FAIL("being written"); }
}  // namespace metagrad::cpu
