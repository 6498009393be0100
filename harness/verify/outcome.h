#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "harness/load/sample.h"
#include "harness/verify/window.h"

namespace faultline::verify {

// The requests a `rate(...)` objective counts: responses whose HTTP status
// is in [status_min, status_max], and requests that failed with one of the
// transport error classes in `errors`.
struct Outcome {
  int status_min = 0;
  int status_max = -1;  // below status_min: no status counts
  std::vector<load::ErrorClass> errors;

  uint64_t count_in(const WindowStats& window) const;
};

struct OutcomeError {
  std::string message;
  std::string hint;
};

// Reads the argument of rate(...):
//   "5xx"  a status class, 1xx to 5xx ("5XX" too)
//   "503"  one status code, 100 to 599
//   a transport error class: connect_refused, connect_timeout,
//   response_timeout, reset; "timeout" for both timeouts; "transport" for
//   every transport error (no response at all).
std::variant<Outcome, OutcomeError> parse_outcome(std::string_view text);

// For hints: "5xx, 4xx, 503, timeout, reset, ..."
std::string known_outcomes();

}  // namespace faultline::verify
