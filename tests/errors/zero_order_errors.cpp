#include "tests/errors/error_table.hpp"

namespace metagrad::testing {

ErrorTable zero_order_error_cases() { return {}; }

}  // namespace metagrad::testing
