#include "harness/runner/phases/live_checks.h"

#include <fmt/format.h>

#include "harness/runner/phases/method.h"

namespace faultline::runner {

bool pass_steady_state_gate(RunContext& run, const LiveMonitor& monitor, int64_t due_ns, int64_t now_ns) {
  auto& rec = run.rec;
  const auto& steady_state = run.v.exp.slo.steady_state;
  auto failure = monitor.check_steady_state(due_ns - steady_state.count(), due_ns);
  if (!failure) {
    run.progress.message(fmt::format("steady state held for {}: injecting", format_duration(steady_state)));
    return true;
  }
  rec.status = RunStatus::steady_state_failed;
  rec.stopped_ns = now_ns;
  rec.error = fmt::format(
      "steady state not reached before the first fault: objective '{}' ({}) measured {} in "
      "t+{:.1f}s–{:.1f}s; nothing was injected (the stack, not the fault, is the problem)",
      failure->objective, failure->expr, failure->value_text,
      double(failure->window_start_ns - rec.load_start_ns) / 1e9,
      double(failure->window_end_ns - rec.load_start_ns) / 1e9);
  rec.steady_state_failure = std::move(failure);
  run.progress.message(rec.error);
  return false;
}

bool stop_on_abort(RunContext& run, LiveMonitor& monitor, stack::RunningStack& stack, int64_t now_ns) {
  auto trigger = monitor.check_abort(now_ns);
  if (!trigger) {
    return false;
  }
  auto& rec = run.rec;
  rec.status = RunStatus::aborted;
  rec.stopped_ns = now_ns;
  // Faults go first: in-flight requests may take up to the timeout.
  revert_all_faults(run, stack);
  rec.error = fmt::format("aborted at t+{:.1f}s: '{}' held from t+{:.1f}s to t+{:.1f}s (last {})",
                          double(now_ns - rec.load_start_ns) / 1e9, trigger->condition,
                          double(trigger->since_ns - rec.load_start_ns) / 1e9,
                          double(trigger->until_ns - rec.load_start_ns) / 1e9, trigger->value_text);
  rec.abort = std::move(trigger);
  run.progress.message(rec.error + "; faults reverted");
  return true;
}

}  // namespace faultline::runner
