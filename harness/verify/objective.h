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
  std::string text;       // as written
};

// A grammar error: `column` is the 0-based offset in the expression.
struct ObjectiveError {
  int column = 0;
  std::string message;
  std::string hint;
};

std::variant<ObjectiveExpr, ObjectiveError> parse_objective(std::string_view text);

// The metric's value in a window; nullopt when the window has no requests.
std::optional<double> measure(const ObjectiveExpr& expr, const WindowStats& window);
bool holds(const ObjectiveExpr& expr, double value);

// A value in the metric's own unit, for reports: "12.3 ms", "4.20%", "61.0%".
std::string format_value(const ObjectiveExpr& expr, double value);
// The metric's name as users read it: "error rate", "p99 latency", ...
std::string metric_label(const ObjectiveExpr& expr);

}  // namespace faultline::verify
