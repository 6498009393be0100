#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "harness/verify/objective.h"
#include "harness/verify/window.h"

namespace faultline::verify {

// What may follow a metric's name in an objective.
enum class MetricArgument {
  none,        // error_rate
  percentile,  // p(99): a number in (0, 100]
  outcome,     // rate(5xx): see parse_outcome
  backend,     // share(web1): a backend's name
};

// How a threshold is written, and the base unit it is kept in.
enum class ThresholdKind {
  ratio,    // "0.5%" or the fraction "0.005"; kept as a fraction
  latency,  // "250ms", "1.5s", "500us", "1m"; a bare number is ms, as in k6; kept in ms
  rate,     // "500/s" or "30000/m"; kept in requests per second
};

// Everything the grammar, the verifier and the reports know about one
// metric. Adding a metric is one entry in the table (plus its Metric value).
struct MetricDefinition {
  std::string_view name;      // as written in objectives
  std::string_view synopsis;  // for the list of known metrics: "p(N)", "rate(OUTCOME)"
  std::string_view aliases;   // other names people write for it, space-separated, for hints
  Metric metric;
  MetricArgument argument;
  ThresholdKind threshold;
  std::string_view label;    // for reports; "{}" stands for the argument as written
  std::string_view example;  // a whole objective, for hints
  int percent_decimals;      // digits after the point of a ratio shown as a percentage
  std::optional<double> (*measure)(const ObjectiveExpr& expr, const WindowStats& window);
};

std::span<const MetricDefinition> metric_table();
const MetricDefinition* find_metric(std::string_view name);
const MetricDefinition& definition_of(Metric metric);

}  // namespace faultline::verify
