#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "harness/verify/outcome.h"
#include "harness/verify/window.h"

namespace faultline::verify {

enum class Metric {
  error_rate,         // errors / requests
  percentile,         // p(N) latency, ms
  max_backend_share,  // largest share of one backend
  mean,               // avg: mean latency, ms
  max,                // max: largest latency, ms
  rate,               // rate(5xx): requests with that outcome / requests
  backend_share,      // share(web1): one backend's share
  throughput,         // HTTP responses received per second, by arrival
  goodput,            // successful (not 5xx) responses received per second
  offered_rate,       // requests intended per second (the load's schedule)
};

enum class Comparator { lt, le, gt, ge };

// A parsed SLO objective such as `p(99) < 250ms`. Thresholds are kept in
// base units: milliseconds for latency, fractions for rates and shares,
// per second for throughput, goodput and offered_rate.
struct ObjectiveExpr {
  Metric metric = Metric::error_rate;
  double percentile = 0;  // for Metric::percentile, e.g. 99
  Comparator op = Comparator::lt;
  double threshold = 0;
  std::string text;  // as written
  // For a metric with an argument (p(99), rate(5xx), share(web1)): the
  // argument as written ("99", "5xx", "web1") and its 0-based column in
  // `text`; empty and -1 otherwise. For share(...) it is the backend name,
  // which the grammar cannot check: see unknown_backend().
  std::string argument;
  int argument_column = -1;
  Outcome outcome;  // for Metric::rate: which requests count
  // ---- request mix: the tag filter `{name:checkout}` ----
  // The request name the metric is measured over (only that template's
  // samples), and its 0-based column in `text`; empty and -1 for every
  // request. The grammar cannot know the names: see unknown_request().
  std::string request_name;
  int request_name_column = -1;
};

// A grammar error: `column` is the 0-based offset in the expression of the
// token at fault (for something missing: just past the last token).
struct ObjectiveError {
  int column = 0;
  std::string message;
  std::string hint;
};

// Grammar (k6-like, whitespace-insensitive between tokens):
//   objective  := metric [filter] comparator threshold
//   metric     := "error_rate" | "p(" number ")" | "max_backend_share"
//               | "avg" | "max" | "rate(" outcome ")" | "share(" backend ")"
//               | "throughput" | "goodput" | "offered_rate"
//   outcome    := status class "5xx" | status code "503" | transport error
//                 class "timeout", "reset", ... (see parse_outcome)
//   backend    := [A-Za-z0-9_.:-]+, written without spaces
//   comparator := "<" | "<=" | ">" | ">="
//   filter     := "{" "name" ":" request "}"   (k6's tag filter, after any metric)
//   request    := [a-z0-9_-]+, a name of load.requests, written without spaces
// A ratio threshold (error_rate, max_backend_share, rate, share) is a
// percentage "0.5%" or a fraction "0.005"; a latency threshold (p, avg,
// max) takes us, ms, s or m, and a bare number is milliseconds, as in k6;
// a rate threshold (throughput, goodput, offered_rate) is per second
// "500/s" or per minute "30000/m". The metrics are one table in
// metric_table.cpp; what each one counts is in WindowStats (window.h).
std::variant<ObjectiveExpr, ObjectiveError> parse_objective(std::string_view text);

// For share(NAME): an error at the name's column when NAME is not one of
// `backends` (the names the stack gives its backends, as they appear in
// the response header), with the nearest name as a hint; nullopt when it
// is one, and for every other metric. The grammar cannot know the stack,
// so whoever has both the objectives and the stack calls this.
std::optional<ObjectiveError> unknown_backend(const ObjectiveExpr& expr,
                                              std::span<const std::string> backends);

// For a tag filter {name:NAME}: an error at the name's column when NAME is
// not one of `requests` (the names of load.requests, or "default" without
// them), with the nearest name as a hint; nullopt when it is one, and when
// the objective has no filter.
std::optional<ObjectiveError> unknown_request(const ObjectiveExpr& expr,
                                              std::span<const std::string> requests);

// The request names the objectives filter on, each once, in order of first
// use: the ones build_windows must break the windows down by.
std::vector<std::string> filtered_requests(std::span<const ObjectiveExpr* const> exprs);

// The metric's value in a window (with a tag filter, in the window's
// breakdown for that request, nullopt when the window has none); nullopt when the window has no requests
// (except the rates throughput, goodput and offered_rate, which are 0
// then: no traffic is a low rate), and for max_backend_share and
// share(...) also when no known backend answered in it.
std::optional<double> measure(const ObjectiveExpr& expr, const WindowStats& window);
bool holds(const ObjectiveExpr& expr, double value);

// A value in the metric's own unit, for reports: "12.3 ms", "4.20%",
// "61.0%", "512/s".
std::string format_value(const ObjectiveExpr& expr, double value);
// The metric's name as users read it: "error rate", "p99 latency", "5xx
// rate", "web1 share", ...
std::string metric_label(const ObjectiveExpr& expr);
// "<", "<=", ">", ">=".
std::string_view to_string(Comparator op);

}  // namespace faultline::verify
