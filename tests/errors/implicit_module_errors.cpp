#include "tests/errors/error_table.hpp"

namespace metagrad::testing {

ErrorTable implicit_module_error_cases() { return {}; }

}  // namespace metagrad::testing
