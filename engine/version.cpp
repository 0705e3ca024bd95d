#include "engine/version.hpp"

namespace metagrad {

// Compiled into the library, so a program sees the version it runs against, not the one of the
// headers it was built with.
const char* version() noexcept { return METAGRAD_VERSION; }

}  // namespace metagrad
