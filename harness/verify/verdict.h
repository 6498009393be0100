#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "harness/verify/objective.h"
#include "harness/verify/window.h"

namespace faultline::verify {

struct NamedObjective {
  std::string name;
  ObjectiveExpr expr;
};

// A run of consecutive breaching windows: from the first breaching window's
// start to the end of the last one.
struct BreachInterval {
  int first_window = 0;
  int last_window = 0;
  int64_t start_ns = 0;
  int64_t end_ns = 0;
  double worst_value = 0;
};

struct ObjectiveVerdict {
  std::string name;
  ObjectiveExpr expr;
  std::vector<std::optional<double>> values;  // per window; nullopt = not measurable
  std::vector<bool> holds;                    // per window; unmeasurable windows hold
  std::vector<BreachInterval> breaches;
  // Over all measured windows, the value furthest toward the breaching side
  // (the highest for < and <=, the lowest for > and >=), whether or not it
  // breached; nullopt when no window was measurable.
  std::optional<double> worst;
  bool breached() const { return !breaches.empty(); }
};

struct Verdict {
  std::vector<ObjectiveVerdict> objectives;
  std::vector<bool> window_holds;  // all objectives hold in that window
  bool any_breach() const;
  // Start of the first window at or after `from_ns` (window start >=
  // from_ns) in which any objective breaches; nullopt when none does.
  std::optional<int64_t> first_breach_at_or_after(const std::vector<WindowStats>& windows,
                                                  int64_t from_ns) const;
  // Start of the first window at or after `from_ns` that begins a run of
  // `holding_run` windows in which every objective holds; nullopt when the
  // run ends first. A holding_run below 1 counts as 1.
  std::optional<int64_t> first_recovery_at_or_after(const std::vector<WindowStats>& windows, int64_t from_ns,
                                                    int holding_run = 3) const;
};

Verdict evaluate(const std::vector<NamedObjective>& objectives, const std::vector<WindowStats>& windows);

}  // namespace faultline::verify
