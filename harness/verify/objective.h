#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "harness/verify/window.h"

namespace faultline::verify {

enum class Metric {
  error_rate,         // errors / requests
  percentile,         // p(N) latency, ms
  max_backend_share,  // largest share of one backend
};

enum class Comparator { lt, le, gt, ge };

// A parsed SLO objective such as `p(99) < 250ms`. Thresholds are kept in
// base units: milliseconds for latency, fractions for rates and shares.
struct ObjectiveExpr {
  Metric metric = Metric::error_rate;
  double percentile = 0;  // for Metric::percentile, e.g. 99
  Comparator op = Comparator::lt;
  double threshold = 0;
  std::string text;  // as written
};

// A grammar error: `column` is the 0-based offset in the expression of the
// token at fault (for something missing: just past the last token).
struct ObjectiveError {
  int column = 0;
  std::string message;
  std::string hint;
};

// Grammar (k6-like, whitespace-insensitive):
//   objective  := metric comparator threshold
//   metric     := "error_rate" | "p(" number ")" | "max_backend_share"
//   comparator := "<" | "<=" | ">" | ">="
// A ratio threshold (error_rate, max_backend_share) is a percentage "0.5%"
// or a fraction "0.005"; a latency threshold takes us, ms, s or m, and a
// bare number is milliseconds, as in k6. The metrics are one table in
// metric_table.cpp.
std::variant<ObjectiveExpr, ObjectiveError> parse_objective(std::string_view text);

// The metric's value in a window; nullopt when the window has no requests,
// and for max_backend_share also when no known backend answered in it.
std::optional<double> measure(const ObjectiveExpr& expr, const WindowStats& window);
bool holds(const ObjectiveExpr& expr, double value);

// A value in the metric's own unit, for reports: "12.3 ms", "4.20%", "61.0%".
std::string format_value(const ObjectiveExpr& expr, double value);
// The metric's name as users read it: "error rate", "p99 latency", ...
std::string metric_label(const ObjectiveExpr& expr);
// "<", "<=", ">", ">=".
std::string_view to_string(Comparator op);

}  // namespace faultline::verify
