#include "harness/runner/recovery_tail.h"

#include <fmt/format.h>

#include "harness/verify/verdict.h"

namespace faultline::runner {
namespace {

// "2 s", "1.5 s", "250 ms": durations inside a sentence.
std::string spoken(Duration d) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  if (ms % 1000 == 0) {
    return fmt::format("{} s", ms / 1000);
  }
  if (ms >= 1000) {
    return fmt::format("{:g} s", static_cast<double>(ms) / 1000);
  }
  return fmt::format("{} ms", ms);
}

}  // namespace

void warn_short_recovery_tail(const experiment::Experiment& exp, experiment::Diagnostics& diags) {
  if (exp.slo.objectives.empty()) {
    return;
  }
  const int windows = verify::kRecoveryHoldingWindows;
  const Duration needed = exp.slo.window * windows;
  const std::string judging =
      fmt::format("judging recovery needs {} windows of {} after it", windows, spoken(exp.slo.window));
  const experiment::MethodStep* last = nullptr;  // the fault reverted last
  bool kept_to_the_end = false;                  // a fault without duration
  for (const auto& step : exp.method) {
    if (step.is_note()) {
      continue;
    }
    if (!step.duration) {
      kept_to_the_end = true;
      if (exp.expect == experiment::Expectation::breach) {
        const Duration room = exp.load.duration - step.at - needed;
        diags.warning(
            step.pos,
            fmt::format(
                "recovery cannot be observed: fault '{}' on {} has no duration, so it is reverted only "
                "when the load ends; {}",
                step.fault, step.target, judging),
            room > Duration(0)
                ? fmt::format(
                      "give the step a duration of at most {} (then the load runs {} after the revert)",
                      spoken(room), spoken(needed))
                : fmt::format(
                      "lengthen load.duration and give the step a duration that leaves {} of load after "
                      "the revert",
                      spoken(needed)));
      }
      continue;
    }
    if (last == nullptr || step.at + *step.duration > last->at + *last->duration) {
      last = &step;
    }
  }
  // With a fault that lasts to the end, there is no tail to speak of: the
  // warning at its step (or, for hold, none) says it all.
  if (last == nullptr || kept_to_the_end) {
    return;
  }
  const Duration revert = last->at + *last->duration;
  const Duration tail = exp.load.duration - revert;
  if (tail >= needed) {
    return;
  }
  diags.warning(!exp.load.duration_pos.file.empty() ? exp.load.duration_pos : exp.load.pos,
                fmt::format("load ends {} after the last revert (t+{}, fault '{}' on {}); {}", spoken(tail),
                            spoken(revert), last->fault, last->target, judging),
                exp.load.duration - needed > last->at
                    ? fmt::format("set load.duration to at least {}, or end the faults by t+{}",
                                  spoken(revert + needed), spoken(exp.load.duration - needed))
                    : fmt::format("set load.duration to at least {}", spoken(revert + needed)));
}

}  // namespace faultline::runner
