#include "harness/verify/metric_table.h"

#include <array>
#include <stdexcept>

namespace faultline::verify {

namespace {

std::optional<double> measure_error_rate(const ObjectiveExpr&, const WindowStats& window) {
  if (window.requests == 0) {
    return std::nullopt;
  }
  return window.error_rate();
}

std::optional<double> measure_percentile(const ObjectiveExpr& expr, const WindowStats& window) {
  if (window.requests == 0) {
    return std::nullopt;
  }
  return window.percentile_ms(expr.percentile);
}

std::optional<double> measure_max_backend_share(const ObjectiveExpr&, const WindowStats& window) {
  if (window.requests == 0) {
    return std::nullopt;
  }
  for (const auto& [name, count] : window.backend_counts) {
    if (!name.empty() && count > 0) {
      return window.max_backend_share();
    }
  }
  return std::nullopt;  // no backend said who it was: there is no share to judge
}

constexpr std::array<MetricDefinition, 3> table{{
    {"error_rate", Metric::error_rate, MetricArgument::none, ThresholdKind::ratio, "error rate",
     "error_rate < 0.5%", 2, measure_error_rate},
    {"p", Metric::percentile, MetricArgument::percentile, ThresholdKind::latency, "p{} latency",
     "p(99) < 250ms", 0, measure_percentile},
    {"max_backend_share", Metric::max_backend_share, MetricArgument::none, ThresholdKind::ratio,
     "max backend share", "max_backend_share < 60%", 1, measure_max_backend_share},
}};

}  // namespace

std::span<const MetricDefinition> metric_table() {
  return table;
}

const MetricDefinition* find_metric(std::string_view name) {
  for (const MetricDefinition& definition : table) {
    if (definition.name == name) {
      return &definition;
    }
  }
  return nullptr;
}

const MetricDefinition& definition_of(Metric metric) {
  for (const MetricDefinition& definition : table) {
    if (definition.metric == metric) {
      return definition;
    }
  }
  throw std::logic_error("metric missing from the metric table");
}

}  // namespace faultline::verify
