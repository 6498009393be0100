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
};

// How a threshold is written, and the base unit it is kept in.
enum class ThresholdKind {
  ratio,    // "0.5%" or the fraction "0.005"; kept as a fraction
  latency,  // "250ms", "1.5s", "500us", "1m"; a bare number is ms, as in k6; kept in ms
};

// Everything the grammar, the verifier and the reports know about one
// metric. Adding a metric is one entry in the table (plus its Metric value).
struct MetricDefinition {
  std::string_view name;  // as written in objectives
  Metric metric;
  MetricArgument argument;
  ThresholdKind threshold;
  std::string_view label;    // for reports; "{}" stands for the argument
  std::string_view example;  // a whole objective, for hints
  int percent_decimals;      // digits after the point of a ratio shown as a percentage
  std::optional<double> (*measure)(const ObjectiveExpr& expr, const WindowStats& window);
};

std::span<const MetricDefinition> metric_table();
const MetricDefinition* find_metric(std::string_view name);
const MetricDefinition& definition_of(Metric metric);

}  // namespace faultline::verify
