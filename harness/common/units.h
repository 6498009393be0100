#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace faultline {

using Duration = std::chrono::nanoseconds;

// Parsers for the quantities users write in experiment files and SLO
// expressions. Each returns nullopt on anything that is not exactly the
// documented form, so callers can report the position and a hint.

// "250ms", "1.5s", "2m", "100us", "0s". A unit is required (a bare number
// is ambiguous).
std::optional<Duration> parse_duration(std::string_view text);

// "600/s", "1.5k/s", "30/m". Returns requests per second.
std::optional<double> parse_rate(std::string_view text);

// "0.5%", "60%". Returns a fraction (0.005, 0.6).
std::optional<double> parse_percent(std::string_view text);

// "1s" for 1e9 ns, "250ms", "1.5s", "2m30s" is not produced: the shortest
// exact form with one unit.
std::string format_duration(Duration d);

// Milliseconds with sensible precision for humans: "0.42 ms", "12.3 ms", "1520 ms".
std::string format_ms(double ms);

}  // namespace faultline
