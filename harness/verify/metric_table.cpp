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

std::optional<double> measure_mean(const ObjectiveExpr&, const WindowStats& window) {
  if (window.requests == 0) {
    return std::nullopt;
  }
  return window.mean_ms;
}

std::optional<double> measure_max(const ObjectiveExpr&, const WindowStats& window) {
  if (window.requests == 0) {
    return std::nullopt;
  }
  return window.max_ms;
}

std::optional<double> measure_rate(const ObjectiveExpr& expr, const WindowStats& window) {
  if (window.requests == 0) {
    return std::nullopt;
  }
  return static_cast<double>(expr.outcome.count_in(window)) / static_cast<double>(window.requests);
}

std::optional<double> measure_backend_share(const ObjectiveExpr& expr, const WindowStats& window) {
  if (!measure_max_backend_share(expr, window)) {
    return std::nullopt;
  }
  return window.backend_share(expr.argument);
}

std::optional<double> measure_throughput(const ObjectiveExpr&, const WindowStats& window) {
  return window.throughput();
}

std::optional<double> measure_goodput(const ObjectiveExpr&, const WindowStats& window) {
  return window.goodput();
}

std::optional<double> measure_offered_rate(const ObjectiveExpr&, const WindowStats& window) {
  return window.offered_rate();
}

// The aliases of the three rates follow what people read elsewhere: wrk's
// and ab's "Requests per second" count the responses received (timeouts
// apart), so rps and the like point to throughput; the rate the schedule
// sends at is queueing theory's "offered load", an open model's arrival
// rate.
constexpr std::array<MetricDefinition, 10> table{{
    {"error_rate", "error_rate", "errors error errors_rate", Metric::error_rate, MetricArgument::none,
     ThresholdKind::ratio, "error rate", "error_rate < 0.5%", 2, measure_error_rate},
    {"p", "p(N)", "percentile", Metric::percentile, MetricArgument::percentile, ThresholdKind::latency,
     "p{} latency", "p(99) < 250ms", 0, measure_percentile},
    {"max_backend_share", "max_backend_share", "", Metric::max_backend_share, MetricArgument::none,
     ThresholdKind::ratio, "max backend share", "max_backend_share < 60%", 1, measure_max_backend_share},
    {"avg", "avg", "mean average", Metric::mean, MetricArgument::none, ThresholdKind::latency, "mean latency",
     "avg < 50ms", 0, measure_mean},
    {"max", "max", "maximum", Metric::max, MetricArgument::none, ThresholdKind::latency, "max latency",
     "max < 2s", 0, measure_max},
    {"rate", "rate(OUTCOME)", "", Metric::rate, MetricArgument::outcome, ThresholdKind::ratio, "{} rate",
     "rate(5xx) < 1%", 2, measure_rate},
    {"share", "share(BACKEND)", "backend_share", Metric::backend_share, MetricArgument::backend,
     ThresholdKind::ratio, "{} share", "share(web1) < 40%", 1, measure_backend_share},
    {"throughput", "throughput", "rps qps requests_per_second req_rate responses_per_second response_rate",
     Metric::throughput, MetricArgument::none, ThresholdKind::rate, "throughput", "throughput > 500/s", 0,
     measure_throughput},
    {"goodput", "goodput", "good_throughput successful_throughput good_rps success_rps", Metric::goodput,
     MetricArgument::none, ThresholdKind::rate, "goodput", "goodput > 500/s", 0, measure_goodput},
    {"offered_rate", "offered_rate", "offered offered_load arrival_rate send_rate sent_rate intended_rate",
     Metric::offered_rate, MetricArgument::none, ThresholdKind::rate, "offered rate", "offered_rate > 500/s",
     0, measure_offered_rate},
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
