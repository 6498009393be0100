#include "harness/common/units.h"

#include <fmt/format.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <limits>

namespace faultline {

namespace {

// A non-negative decimal number as written: digits, optionally a '.' and more
// digits. Kept as integer parts so durations convert to nanoseconds exactly
// (1.1s must be 1100000000ns, which a double cannot promise).
struct Decimal {
  uint64_t whole = 0;
  uint64_t fraction = 0;  // the digits after the point, as an integer
  int fraction_digits = 0;

  double value() const {
    return static_cast<double>(whole) + static_cast<double>(fraction) / std::pow(10.0, fraction_digits);
  }
};

constexpr int kMaxFractionDigits = 9;

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Consumes a decimal number from the front of `text`. Refuses signs, exponents,
// and forms like ".5" or "5." that are easy to mistype and never needed.
std::optional<Decimal> take_decimal(std::string_view& text) {
  Decimal d;
  size_t i = 0;
  if (text.empty() || !is_digit(text[0])) {
    return std::nullopt;
  }
  while (i < text.size() && is_digit(text[i])) {
    const uint64_t digit = static_cast<uint64_t>(text[i] - '0');
    if (d.whole > (std::numeric_limits<uint64_t>::max() - digit) / 10) {
      return std::nullopt;
    }
    d.whole = d.whole * 10 + digit;
    ++i;
  }
  if (i < text.size() && text[i] == '.') {
    ++i;
    if (i >= text.size() || !is_digit(text[i])) {
      return std::nullopt;
    }
    while (i < text.size() && is_digit(text[i])) {
      if (d.fraction_digits == kMaxFractionDigits) {
        return std::nullopt;
      }
      d.fraction = d.fraction * 10 + static_cast<uint64_t>(text[i] - '0');
      ++d.fraction_digits;
      ++i;
    }
  }
  text.remove_prefix(i);
  return d;
}

struct DurationUnit {
  std::string_view name;
  int64_t ns;
};

// Largest first, so that on a tie format_duration keeps the larger unit.
constexpr std::array<DurationUnit, 6> kDurationUnits = {{
    {"h", 3'600'000'000'000},
    {"m", 60'000'000'000},
    {"s", 1'000'000'000},
    {"ms", 1'000'000},
    {"us", 1'000},
    {"ns", 1},
}};

uint64_t pow10(int n) {
  uint64_t p = 1;
  for (int i = 0; i < n; ++i) {
    p *= 10;
  }
  return p;
}

// `value` units of `unit_ns` in whole nanoseconds, rounded to the nearest;
// nullopt when it does not fit in a Duration.
std::optional<Duration> to_duration(const Decimal& value, int64_t unit_ns) {
  const auto unit = static_cast<uint64_t>(unit_ns);
  const uint64_t max = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  if (value.whole > max / unit) {
    return std::nullopt;
  }
  // fraction < scale, so fraction * (unit / scale) < unit, and
  // fraction * (unit % scale) < scale^2 <= 1e18: neither product overflows.
  const uint64_t scale = pow10(value.fraction_digits);
  const uint64_t part =
      value.fraction * (unit / scale) + (value.fraction * (unit % scale) + scale / 2) / scale;
  const uint64_t whole = value.whole * unit;
  if (whole > max - part) {
    return std::nullopt;
  }
  return Duration(static_cast<int64_t>(whole + part));
}

// `ns` written in `unit_ns` units as an exact decimal ("1.5" for 1500ms in
// seconds), or empty when no short exact decimal exists (100s in minutes).
std::string exact_in_unit(uint64_t ns, uint64_t unit_ns) {
  std::string text = std::to_string(ns / unit_ns);
  uint64_t rest = ns % unit_ns;
  if (rest == 0) {
    return text;
  }
  text += '.';
  // Units are at most 3.6e12 ns, so rest * 10 cannot overflow. At most the
  // fraction digits parse_duration reads back (200000000010ns is not
  // "3.3333333335m"); the ns form is always exact, so nothing is lost.
  for (int digits = 0; rest != 0; ++digits) {
    if (digits == kMaxFractionDigits) {
      return {};
    }
    rest *= 10;
    text += static_cast<char>('0' + rest / unit_ns);
    rest %= unit_ns;
  }
  return text;
}

}  // namespace

std::optional<Duration> parse_duration(std::string_view text) {
  auto number = take_decimal(text);
  if (!number) {
    return std::nullopt;
  }
  for (const auto& unit : kDurationUnits) {
    if (text == unit.name) {
      return to_duration(*number, unit.ns);
    }
  }
  return std::nullopt;
}

std::optional<double> parse_rate(std::string_view text) {
  auto number = take_decimal(text);
  if (!number) {
    return std::nullopt;
  }
  double count = number->value();
  if (!text.empty() && text.front() == 'k') {
    count *= 1000;
    text.remove_prefix(1);
  }
  if (text == "/s") {
    return count;
  }
  if (text == "/m") {
    return count / 60;
  }
  if (text == "/h") {
    return count / 3600;
  }
  return std::nullopt;
}

std::optional<double> parse_percent(std::string_view text) {
  auto number = take_decimal(text);
  if (!number || text != "%") {
    return std::nullopt;
  }
  return number->value() / 100;
}

std::string format_duration(Duration d) {
  const int64_t count = d.count();
  if (count == 0) {
    return "0s";
  }
  const bool negative = count < 0;
  // Through unsigned so that the most negative value has a magnitude too.
  const uint64_t magnitude = negative ? 0 - static_cast<uint64_t>(count) : static_cast<uint64_t>(count);
  std::string best;
  for (const auto& unit : kDurationUnits) {
    // "100ms" reads better than "0.1s": a unit larger than the value is
    // never the clearest one.
    if (magnitude < static_cast<uint64_t>(unit.ns)) {
      continue;
    }
    const std::string number = exact_in_unit(magnitude, static_cast<uint64_t>(unit.ns));
    if (number.empty()) {
      continue;
    }
    std::string candidate = number + std::string(unit.name);
    // Shortest wins; on a tie a whole number ("250ms") reads better than a
    // fraction ("0.25s").
    const bool shorter = best.empty() || candidate.size() < best.size();
    const bool tie_but_whole = candidate.size() == best.size() && best.find('.') != std::string::npos &&
                               candidate.find('.') == std::string::npos;
    if (shorter || tie_but_whole) {
      best = std::move(candidate);
    }
  }
  return negative ? "-" + best : best;
}

std::string format_ms(double ms) {
  if (!std::isfinite(ms)) {
    return "n/a";
  }
  // About three significant digits: enough to compare, few enough to read.
  const double magnitude = std::fabs(ms);
  if (magnitude < 10) {
    return fmt::format("{:.2f} ms", ms);
  }
  if (magnitude < 100) {
    return fmt::format("{:.1f} ms", ms);
  }
  return fmt::format("{:.0f} ms", ms);
}

}  // namespace faultline
