#pragma once

#include <string>
#include <vector>

// A corrective measure a fault suggests for the postmortem's action items,
// typed the way those items are sorted: what keeps the incident from
// happening again, what makes it hurt less, what sees it sooner, and what
// changes how the team works.
namespace faultline::faults {

enum class MeasureType {
  prevent,   // removes the cause or makes it impossible (validation, sizing, design)
  mitigate,  // limits the damage while it happens (health checks, retries, limits)
  detect,    // makes it visible sooner (alerts, metrics)
  process,   // changes how people work (reviews, runbooks, ownership)
};

// "prevent", "mitigate", "detect", "process": the journal's and the action
// items' word for the type.
std::string to_string(MeasureType type);

struct Measure {
  std::string action;  // one imperative sentence, without a final full stop
  MeasureType type;

  bool operator==(const Measure&) const = default;
};

}  // namespace faultline::faults
