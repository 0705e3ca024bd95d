#pragma once

// The truncated (C's fmod) and floored (torch.remainder, Python's %) remainders of BinaryOp::Fmod
// and BinaryOp::Remainder, bit for bit what fmod gives, shared by the CPU backend
// and the CUDA kernels.
//
// fmod's exact digit-by-digit loop is slow. Where the quotient is small the remainder is found
// exactly in double instead, with straight-line code that the CPU backend vectorizes. n is the
// integer nearest a / b (rounded by adding and subtracting 1.5 * 2^52, which vectorizes under any
// floating-point options, where trunc needs -fno-trapping-math); it exceeds trunc(a / b) in
// magnitude by at most one, and then a - n b has the sign opposite to a's and b is taken back. a -
// n b is exact:
// - float operands with |a / b| < 2^29: n has at most 30 bits, so n b (24 + 30 bits) is exact in
//   double, and a - n b is a multiple of b's last place (or of a's, when |a| < |b|) below 2 |b|;
// - double operands with |a / b| < 2^51, where the machine has a fused multiply-add: fma(-n, b, a)
//   rounds a - n b once, and that value is again a multiple of b's last place below |b| (or a - b
//   with b / 2 <= a <= 2 b, exact by Sterbenz's lemma), so the rounding is exact. A portable x86-64
//   build has no FMA and keeps fmod for double.
#include <cmath>
#include <type_traits>

#include "engine/backend/host_device.hpp"

namespace metagrad::special {

/// Whether T's remainders have the exact double path (float always; double with a hardware FMA).
template <typename T>
constexpr bool kRemainderInDouble = std::is_same_v<T, float>
#if defined(__FMA__) || defined(__CUDA_ARCH__)
                                    || std::is_same_v<T, double>
#endif
    ;

/// Whether truncated_remainder_in_double is exact for a and b: |a / b| below 2^29 for float and
/// 2^51 for double, and b finite (false for a zero divisor, an infinite dividend or divisor, NaN).
template <typename T>
MG_SPECIAL_HD MG_FORCE_INLINE bool remainder_in_double_applies(T a, T b) {
  constexpr double kBound = std::is_same_v<T, float> ? 536870912.0 : 2251799813685248.0;
  constexpr double kLargest = 1.7976931348623157e308;
  return (::fabs(double(a) / double(b)) < kBound) & (::fabs(double(b)) <= kLargest);
}

/// a - b trunc(a / b) for float or double (see kRemainderInDouble) where
/// remainder_in_double_applies; selects instead of branches, so that loops over it vectorize.
template <typename T>
MG_SPECIAL_HD MG_FORCE_INLINE T truncated_remainder_in_double(T a, T b) {
  constexpr double kRoundingShift = 6755399441055744.0;  // 1.5 * 2^52: v + shift - shift = rint(v)
  const double x = a, y = b;
  const double n = (x / y + kRoundingShift) - kRoundingShift;
  double r;
  if constexpr (std::is_same_v<T, float>) {
    r = x - n * y;
  } else {
    r = ::fma(-n, y, x);
  }
  // n overshot trunc(a / b) where r is nonzero with the sign opposite to a's: take back
  // sign(a / b) b = sign(a) |b|.
  const double taken_back = r + ::copysign(y, x);
  r = ((r != 0.0) & ((r < 0.0) != (x < 0.0))) ? taken_back : r;
  return static_cast<T>(r == 0.0 ? ::copysign(0.0, x) : r);  // fmod's zero has a's sign
}

/// The floored remainder from the truncated one r: r + b when r and b differ in sign, as
/// PyTorch's remainder kernel (one rounding in T).
template <typename T>
MG_SPECIAL_HD MG_FORCE_INLINE T floored_from_truncated(T r, T b) {
  const T moved = r + b;
  return ((r != 0) & ((r < 0) != (b < 0))) ? moved : r;
}

/// a - b floor(a / b) where remainder_in_double_applies, without branches.
template <typename T>
MG_SPECIAL_HD MG_FORCE_INLINE T floored_remainder_in_double(T a, T b) {
  return floored_from_truncated(truncated_remainder_in_double(a, b), b);
}

/// a - b trunc(a / b), the sign of a (C's fmod), bit for bit. For integers a zero divisor gives 0
/// instead of a trap (the ops reject it before calling a backend) and INT64_MIN by -1 gives 0, its
/// true value.
template <typename T>
MG_SPECIAL_HD inline T truncated_remainder(T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    if (b == 0 || b == -1) return T(0);
    return static_cast<T>(a % b);
  } else {
    if constexpr (kRemainderInDouble<T>) {
      if (remainder_in_double_applies(a, b)) return truncated_remainder_in_double(a, b);
    }
    if constexpr (std::is_same_v<T, float>) {
      return ::fmodf(a, b);
    } else {
      return ::fmod(a, b);
    }
  }
}

/// a - b floor(a / b), the sign of b (Python's %, torch.remainder).
template <typename T>
MG_SPECIAL_HD inline T floored_remainder(T a, T b) {
  return floored_from_truncated(truncated_remainder(a, b), b);
}

}  // namespace metagrad::special
