#include "engine/backend/cpu/cpu_backend.hpp"
namespace metagrad::cpu {
void CpuBackend::matmul(const View&, const View&, const View&) { MG_FAIL("matmul: being written"); }
}  // namespace metagrad::cpu
