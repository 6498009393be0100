#pragma once

#include <optional>
#include <string>
#include <vector>

#include "harness/journal/journal.h"

namespace faultline::reporters {

// Charts for the HTML report, drawn by hand as inline SVG from the journal
// alone. Every function is pure and total: a journal with no windows, no
// faults, no objectives or no backends still yields a well-formed <svg>
// (saying what is missing), every number written is finite, and every
// text taken from the journal is XML-escaped. The <svg> carries no xmlns
// (it is meant to be inlined in HTML5, and the report must reference no
// URL at all).

// The per-window metrics drawn over time, one chart each.
enum class WindowMetric { throughput, error_rate, p99_latency, max_backend_share };

// x axis: seconds since load start; faults shaded from injected_s to
// reverted_s; each SLO objective on the metric drawn as a dashed threshold.
std::string window_metric_svg(const journal::Journal& journal, WindowMetric metric);

// One horizontal stacked bar per phase (baseline, each fault, after
// revert): the share of requests each backend answered, with a legend.
std::string phase_traffic_svg(const journal::Journal& journal);

// The backends in a fixed order (the load target's as the stack lists
// them, then any other name met in phases or windows), so that a backend
// has the same colour in every chart.
std::vector<std::string> backend_order(const journal::Journal& journal);
std::string backend_colour(size_t index);

// True when some phase or window names a backend: whether a traffic chart
// has anything to show.
bool has_backend_traffic(const journal::Journal& journal);

// The threshold of a journal objective ({"metric": "p99 latency",
// "threshold": 250, ...}) in the unit a chart of `metric` uses (req/s, %,
// ms, %), or nullopt when the objective is about another metric or the
// journal (written before thresholds were recorded) has none.
std::optional<double> objective_threshold(const journal::Objective& objective, WindowMetric metric);

}  // namespace faultline::reporters
