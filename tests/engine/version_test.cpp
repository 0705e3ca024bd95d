// The version macros of engine/version.hpp and metagrad::version() agree.
#include <fmt/core.h>

#include <string>

#include "metagrad.hpp"
#include "tests/support/catch.hpp"

TEST_CASE("version: the library's version() matches the headers' macros") {
  CHECK(std::string(metagrad::version()) == METAGRAD_VERSION);
  CHECK(std::string(METAGRAD_VERSION) == fmt::format("{}.{}.{}", METAGRAD_VERSION_MAJOR,
                                                     METAGRAD_VERSION_MINOR,
                                                     METAGRAD_VERSION_PATCH));
  CHECK(METAGRAD_VERSION_NUMBER ==
        METAGRAD_VERSION_MAJOR * 10000 + METAGRAD_VERSION_MINOR * 100 + METAGRAD_VERSION_PATCH);
  CHECK(METAGRAD_VERSION_MINOR < 100);
  CHECK(METAGRAD_VERSION_PATCH < 100);
}
