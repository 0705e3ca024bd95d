#pragma once

#include <fmt/format.h>

#include <stdexcept>
#include <string>

namespace metagrad {

/// The one exception type metagrad throws for bad input or misuse. Its message names the op, the
/// operands involved (shapes, dtypes, devices) and, where one exists, the remedy.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace metagrad

/// Throws metagrad::Error with an fmt-formatted message when `cond` is false.
#define MG_CHECK(cond, ...)                                           \
  do {                                                                \
    if (!(cond)) throw ::metagrad::Error(::fmt::format(__VA_ARGS__)); \
  } while (0)

/// Throws metagrad::Error with an fmt-formatted message.
#define MG_FAIL(...) throw ::metagrad::Error(::fmt::format(__VA_ARGS__))
