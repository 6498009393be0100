#include "harness/verify/outcome.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>

#include "harness/common/text.h"
#include "harness/verify/edit_distance.h"

namespace faultline::verify {

namespace {

using load::ErrorClass;

struct TransportOutcome {
  std::string_view name;
  std::vector<ErrorClass> errors;
};

const std::array<TransportOutcome, 7>& transport_outcomes() {
  static const std::array<TransportOutcome, 7> table{{
      {"timeout", {ErrorClass::connect_timeout, ErrorClass::response_timeout}},
      {"connect_refused", {ErrorClass::connect_refused}},
      {"connect_timeout", {ErrorClass::connect_timeout}},
      {"response_timeout", {ErrorClass::response_timeout}},
      {"reset", {ErrorClass::reset}},
      {"tls", {ErrorClass::tls}},
      {"transport",
       {ErrorClass::connect_refused, ErrorClass::connect_timeout, ErrorClass::response_timeout,
        ErrorClass::reset, ErrorClass::other, ErrorClass::tls}},
  }};
  return table;
}

bool all_digits(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
}

const std::string_view usage =
    "write a status class (5xx), a status code (503) or a transport error (timeout, reset, ...)";

}  // namespace

uint64_t Outcome::count_in(const WindowStats& window) const {
  uint64_t n = 0;
  for (auto it = window.status_counts.lower_bound(status_min);
       it != window.status_counts.end() && it->first <= status_max; ++it) {
    n += it->second;
  }
  for (ErrorClass e : errors) {
    if (const auto it = window.error_classes.find(load::to_string(e)); it != window.error_classes.end()) {
      n += it->second;
    }
  }
  return n;
}

std::string known_outcomes() {
  std::string out = "1xx..5xx, 100..599";
  for (const TransportOutcome& t : transport_outcomes()) {
    out += ", ";
    out += t.name;
  }
  return out;
}

std::variant<Outcome, OutcomeError> parse_outcome(std::string_view text) {
  Outcome outcome;
  if (all_digits(text)) {
    const int code = text.size() <= 3 ? std::stoi(std::string(text)) : 0;
    if (text.size() != 3 || code < 100 || code > 599) {
      return OutcomeError{fmt::format("HTTP status must be 100 to 599, got {}", text),
                          "write a status code such as 503, or a class such as 5xx"};
    }
    outcome.status_min = outcome.status_max = code;
    return outcome;
  }
  const std::string folded = lower(text);
  if (folded.size() == 3 && std::isdigit(static_cast<unsigned char>(folded[0])) != 0 &&
      folded.substr(1) == "xx") {
    const int digit = folded[0] - '0';
    if (digit < 1 || digit > 5) {
      return OutcomeError{fmt::format("no HTTP status class '{}'", text), "status classes are 1xx to 5xx"};
    }
    outcome.status_min = digit * 100;
    outcome.status_max = digit * 100 + 99;
    return outcome;
  }
  std::vector<std::string_view> names;
  for (const TransportOutcome& t : transport_outcomes()) {
    if (folded == t.name) {
      outcome.errors.assign(t.errors.begin(), t.errors.end());
      return outcome;
    }
    names.push_back(t.name);
  }
  if (const auto guess = nearest(folded, names)) {
    return OutcomeError{fmt::format("unknown outcome '{}'", text), fmt::format("did you mean '{}'?", *guess)};
  }
  return OutcomeError{fmt::format("unknown outcome '{}'", text), std::string(usage)};
}

}  // namespace faultline::verify
