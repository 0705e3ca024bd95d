#pragma once

#include <fmt/format.h>

#include <stdexcept>
#include <string>

namespace metagrad {
/// \addtogroup engine_tensor
/// @{

/// The one exception type metagrad throws for bad input or misuse. Its message names the op, the
/// operands involved (shapes, dtypes, devices) and, where one exists, the remedy.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Thrown when a device has no room for an allocation, even after its cache was freed
/// (torch.cuda.OutOfMemoryError). The message names the bytes asked and the device's free and
/// total memory; the process stays usable.
class OutOfMemoryError : public Error {
 public:
  using Error::Error;
};

/// @}

}  // namespace metagrad

/// A format string for MG_CHECK / MG_FAIL: checked at compile time, except under nvcc, whose
/// front end cannot evaluate fmt's consteval check (there it is checked when formatted).
#if defined(__CUDACC__)
#define MG_FORMAT_STRING(s) ::fmt::runtime(s)
#else
#define MG_FORMAT_STRING(s) s
#endif

/// Throws metagrad::Error with an fmt-formatted message when `cond` is false.
#define MG_CHECK(cond, format_string, ...)                                            \
  do {                                                                                \
    if (!(cond))                                                                      \
      throw ::metagrad::Error(                                                        \
          ::fmt::format(MG_FORMAT_STRING(format_string) __VA_OPT__(, ) __VA_ARGS__)); \
  } while (0)

/// Throws metagrad::Error with an fmt-formatted message.
#define MG_FAIL(format_string, ...) \
  throw ::metagrad::Error(::fmt::format(MG_FORMAT_STRING(format_string) __VA_OPT__(, ) __VA_ARGS__))
