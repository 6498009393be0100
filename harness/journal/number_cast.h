#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>

namespace faultline::journal {

// Integers from journal numbers. A journal may be hand-edited or written by
// a fuzzer, so its numbers can be anything a double holds (1e300, -5, and
// from code NaN or infinity), and static_cast of a double outside the
// target's range is undefined behaviour. These saturate instead: NaN is 0,
// a value beyond the range is the nearest bound, and a value in range is
// truncated toward zero exactly as static_cast would.

inline uint64_t saturating_u64(double v) {
  if (!(v > 0)) {
    return 0;  // NaN, zero and negatives
  }
  // 2^64 is exact in a double; UINT64_MAX is not (it rounds up to 2^64).
  return v < 0x1p64 ? static_cast<uint64_t>(v) : std::numeric_limits<uint64_t>::max();
}

inline int64_t saturating_i64(double v) {
  if (std::isnan(v)) {
    return 0;
  }
  if (v >= 0x1p63) {
    return std::numeric_limits<int64_t>::max();
  }
  // -2^63 itself is in range, and exact.
  return v >= -0x1p63 ? static_cast<int64_t>(v) : std::numeric_limits<int64_t>::min();
}

// Sums of saturated values saturate too, rather than wrap (unsigned) or
// overflow (signed, undefined).
inline uint64_t saturating_add(uint64_t a, uint64_t b) {
  uint64_t sum = 0;
  return __builtin_add_overflow(a, b, &sum) ? std::numeric_limits<uint64_t>::max() : sum;
}

inline int64_t saturating_add(int64_t a, int64_t b) {
  int64_t sum = 0;
  if (!__builtin_add_overflow(a, b, &sum)) {
    return sum;
  }
  return b > 0 ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
}

// A count read from the journal (requests, a backend's answers, a status's
// responses): 0 when it is not a number or not positive, saturated when it
// is beyond uint64_t. Integers are read as integers, since a double cannot
// hold every uint64_t.
inline uint64_t journal_count(const nlohmann::ordered_json& v) {
  if (v.is_number_unsigned()) {
    return v.get<uint64_t>();
  }
  if (v.is_number_integer()) {
    const auto i = v.get<int64_t>();
    return i > 0 ? static_cast<uint64_t>(i) : 0;
  }
  return v.is_number_float() ? saturating_u64(v.get<double>()) : 0;
}

}  // namespace faultline::journal
