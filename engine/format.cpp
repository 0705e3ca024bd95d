#include "engine/format.hpp"
namespace metagrad {
std::string to_string(const Tensor& t) { return t.defined() ? "tensor(...)" : "tensor(undefined)"; }
}  // namespace metagrad
