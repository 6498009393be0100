#pragma once

#include <cstdint>
#include <string>

namespace faultline::reporters {

// Formats an instant (Unix epoch milliseconds) in an IANA time zone (e.g.
// "UTC", "Europe/Berlin", "America/New_York") with strftime's `format`.
// Unknown zones fall back to UTC, which the caller can detect with
// zone_is_known().
std::string format_in_zone(int64_t epoch_ms, const std::string& zone, const char* format);
bool zone_is_known(const std::string& zone);

// "1 h 02 min", "3 min 05 s", "42.0 s", "850 ms".
std::string human_duration(double seconds);

}  // namespace faultline::reporters
