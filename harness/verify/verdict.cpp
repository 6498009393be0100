#include "harness/verify/verdict.h"

#include <algorithm>
#include <limits>
#include <stdexcept>

namespace faultline::verify {

namespace {

// True when `a` is further than `b` on the breaching side of the threshold.
bool worse(const ObjectiveExpr& expr, double a, double b) {
  const bool upper_bound = expr.op == Comparator::lt || expr.op == Comparator::le;
  return upper_bound ? a > b : a < b;
}

ObjectiveVerdict judge(const NamedObjective& objective, const std::vector<WindowStats>& windows) {
  ObjectiveVerdict verdict;
  verdict.name = objective.name;
  verdict.expr = objective.expr;
  verdict.values.reserve(windows.size());
  verdict.holds.reserve(windows.size());
  for (const WindowStats& window : windows) {
    const std::optional<double> value = measure(objective.expr, window);
    verdict.values.push_back(value);
    verdict.holds.push_back(!value || holds(objective.expr, *value));
    if (value && (!verdict.worst || worse(objective.expr, *value, *verdict.worst))) {
      verdict.worst = value;
    }
  }

  for (std::size_t i = 0; i < windows.size(); ++i) {
    if (verdict.holds[i]) {
      continue;
    }
    BreachInterval breach;
    breach.first_window = static_cast<int>(i);
    breach.start_ns = windows[i].start_ns;
    breach.worst_value = *verdict.values[i];
    while (i + 1 < windows.size() && !verdict.holds[i + 1]) {
      ++i;
      if (worse(objective.expr, *verdict.values[i], breach.worst_value)) {
        breach.worst_value = *verdict.values[i];
      }
    }
    breach.last_window = static_cast<int>(i);
    breach.end_ns = windows[i].end_ns;
    verdict.breaches.push_back(breach);
  }
  return verdict;
}

}  // namespace

int64_t ObjectiveVerdict::breach_ns() const {
  int64_t total = 0;
  for (const BreachInterval& breach : breaches) {
    total += breach.duration_ns();
  }
  return total;
}

int64_t Verdict::breach_ns(const std::vector<WindowStats>& windows) const {
  const std::size_t n = std::min(windows.size(), window_holds.size());
  int64_t total = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (!window_holds[i]) {
      total += windows[i].end_ns - windows[i].start_ns;
    }
  }
  return total;
}

double ErrorBudget::allowed_failures() const {
  return (1 - target) * static_cast<double>(requests);
}

double ErrorBudget::consumed() const {
  if (failed == 0) {
    return 0;
  }
  const double allowed = allowed_failures();
  return allowed > 0 ? static_cast<double>(failed) / allowed : std::numeric_limits<double>::infinity();
}

ErrorBudget error_budget(std::span<const WindowStats> windows, double target) {
  if (!(target >= 0 && target <= 1)) {
    throw std::invalid_argument("an SLO target is a fraction between 0 and 1");
  }
  ErrorBudget budget;
  budget.target = target;
  for (const WindowStats& window : windows) {
    budget.requests += window.requests;
    budget.failed += window.errors;
  }
  return budget;
}

bool Verdict::any_breach() const {
  return std::any_of(objectives.begin(), objectives.end(),
                     [](const ObjectiveVerdict& o) { return o.breached(); });
}

std::optional<int64_t> Verdict::first_breach_at_or_after(const std::vector<WindowStats>& windows,
                                                         int64_t from_ns) const {
  const std::size_t n = std::min(windows.size(), window_holds.size());
  for (std::size_t i = 0; i < n; ++i) {
    if (windows[i].start_ns >= from_ns && !window_holds[i]) {
      return windows[i].start_ns;
    }
  }
  return std::nullopt;
}

std::optional<int64_t> Verdict::first_recovery_at_or_after(const std::vector<WindowStats>& windows,
                                                           int64_t from_ns, int holding_run) const {
  const std::size_t n = std::min(windows.size(), window_holds.size());
  const auto needed = static_cast<std::size_t>(std::max(1, holding_run));
  std::size_t run = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (windows[i].start_ns < from_ns) {
      continue;
    }
    run = window_holds[i] ? run + 1 : 0;
    if (run == needed) {
      return windows[i + 1 - needed].start_ns;
    }
  }
  return std::nullopt;
}

Verdict evaluate(const std::vector<NamedObjective>& objectives, const std::vector<WindowStats>& windows) {
  Verdict verdict;
  verdict.window_holds.assign(windows.size(), true);
  for (const NamedObjective& objective : objectives) {
    verdict.objectives.push_back(judge(objective, windows));
    const std::vector<bool>& holds = verdict.objectives.back().holds;
    for (std::size_t i = 0; i < windows.size(); ++i) {
      if (!holds[i]) {
        verdict.window_holds[i] = false;
      }
    }
  }
  return verdict;
}

}  // namespace faultline::verify
