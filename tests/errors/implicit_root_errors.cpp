#include "tests/errors/error_table.hpp"

namespace metagrad::testing {

ErrorTable implicit_root_error_cases() { return {}; }

}  // namespace metagrad::testing
