#include "harness/runner/crossing_faults.h"

#include <fmt/format.h>

#include <algorithm>

#include "harness/common/units.h"

namespace faultline::runner {

namespace {

struct Window {
  const faults::BoundFault* fault = nullptr;
  Duration start{};
  Duration end{};  // the revert, or the load's end
};

// The state both restore, or "" when none.
std::string shared_state(const faults::Fault& a, const faults::Fault& b) {
  const auto mine = a.restores();
  for (const auto& state : b.restores()) {
    if (std::find(mine.begin(), mine.end(), state) != mine.end()) {
      return state;
    }
  }
  return {};
}

std::string span(const Window& w) {
  return fmt::format("t+{} to t+{}", format_duration(w.start), format_duration(w.end));
}

}  // namespace

void check_crossing_faults(const experiment::Experiment& exp, const std::vector<faults::BoundFault>& faults,
                           experiment::Diagnostics& diags) {
  std::vector<Window> windows;
  for (size_t i = 0; i < faults.size(); ++i) {
    const auto* step = faults[i].step;
    if (faults[i].fault == nullptr || step == nullptr) {
      continue;
    }
    windows.push_back(
        {&faults[i], step->at, step->duration ? step->at + *step->duration : exp.load.duration});
  }
  // In the order they are injected: by time, then as the method lists them.
  std::stable_sort(windows.begin(), windows.end(),
                   [](const Window& a, const Window& b) { return a.start < b.start; });
  for (size_t i = 0; i < windows.size(); ++i) {
    for (size_t j = i + 1; j < windows.size(); ++j) {
      const Window& first = windows[i];
      const Window& second = windows[j];
      // The second starts while the first is in force and outlives it.
      if (!(second.start < first.end && second.end > first.end)) {
        continue;
      }
      const std::string state = shared_state(*first.fault->fault, *second.fault->fault);
      if (state.empty()) {
        continue;
      }
      const auto* a = first.fault->step;
      const auto* b = second.fault->step;
      diags.error(
          b->pos,
          fmt::format("fault '{}' ({}) and fault '{}' at line {} ({}) both change {}, and '{}' would be "
                      "reverted first while '{}' is in force: each puts back what it found, so the first "
                      "revert would undo '{}' and the second would bring '{}' back",
                      b->fault, span(second), a->fault, a->pos.line, span(first), state, a->fault, b->fault,
                      b->fault, a->fault),
          fmt::format("end '{}' by t+{} (inside '{}'), or start it at t+{} or later", b->fault,
                      format_duration(first.end), a->fault, format_duration(first.end)));
    }
  }
}

}  // namespace faultline::runner
