#pragma once

#include <cstdint>
#include <optional>
#include <span>
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
  int64_t duration_ns() const { return end_ns - start_ns; }
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
  // Total breach time of this objective: the sum of its breach intervals,
  // i.e. the summed length of the windows in which it breached.
  int64_t breach_ns() const;
};

// Recovery is seen when this many consecutive windows after the last revert
// hold every objective (one holding window can be luck). The load must run at
// least this many windows after the revert for recovery to be judged at all:
// `faultline validate` warns when it does not, and reports say "recovery not
// observed" instead of "had not recovered".
inline constexpr int kRecoveryHoldingWindows = 3;

struct Verdict {
  std::vector<ObjectiveVerdict> objectives;
  std::vector<bool> window_holds;  // all objectives hold in that window
  bool any_breach() const;
  // Summed length of the windows in which any objective breached; a
  // window in which two objectives breach counts once.
  int64_t breach_ns(const std::vector<WindowStats>& windows) const;
  // Start of the first window at or after `from_ns` (window start >=
  // from_ns) in which any objective breaches; nullopt when none does.
  std::optional<int64_t> first_breach_at_or_after(const std::vector<WindowStats>& windows,
                                                  int64_t from_ns) const;
  // Start of the first window at or after `from_ns` that begins a run of
  // `holding_run` windows in which every objective holds; nullopt when the
  // run ends first. A holding_run below 1 counts as 1.
  std::optional<int64_t> first_recovery_at_or_after(const std::vector<WindowStats>& windows, int64_t from_ns,
                                                    int holding_run = kRecoveryHoldingWindows) const;
};

// The error budget of an availability SLO over some windows. With a target
// of 0.999, 0.1% of the requests may fail: allowed_failures() is
// (1 - target) x requests, and consumed() is failed / allowed_failures(),
// where `requests` and `failed` are summed over the windows (failed counts
// transport errors and 5xx responses, as error_rate does). consumed() is
// the share of the budget the failures used: 0.5 is half of it, 1 all of
// it, above 1 overspent. It is 0 when nothing failed, and +infinity when
// something failed but the budget is zero (target 1).
struct ErrorBudget {
  double target = 1;
  uint64_t requests = 0;
  uint64_t failed = 0;
  double allowed_failures() const;
  double consumed() const;
  bool overspent() const { return consumed() > 1; }
};

// The budget for `target` (a fraction in [0, 1], e.g. 0.999) over the
// given windows: pass all of the run's windows, or a subspan for a phase.
// Throws std::invalid_argument for a target outside [0, 1].
ErrorBudget error_budget(std::span<const WindowStats> windows, double target);

Verdict evaluate(const std::vector<NamedObjective>& objectives, const std::vector<WindowStats>& windows);

}  // namespace faultline::verify
