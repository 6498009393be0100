#pragma once

#include <cstdint>

#include "harness/runner/live_monitor.h"
#include "harness/runner/phases/run_context.h"
#include "harness/stack/stack.h"

namespace faultline::runner {

// The two checks on the live samples that stop a run early.

// The steady-state gate, judged once, when the first fault is due at
// `due_ns` and before anything of that moment is carried out: every
// objective must have held over the steady-state period before it. Returns
// false when one did not; then the record says which (steady_state_failed)
// and the run stops with nothing injected.
bool pass_steady_state_gate(RunContext& run, const LiveMonitor& monitor, int64_t due_ns, int64_t now_ns);

// Whether an abort condition (slo.abort_when) has held: then every fault
// is reverted at once and the record says which (aborted).
bool stop_on_abort(RunContext& run, LiveMonitor& monitor, stack::RunningStack& stack, int64_t now_ns);

}  // namespace faultline::runner
