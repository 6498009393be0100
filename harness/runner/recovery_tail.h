#pragma once

#include "harness/experiment/diagnostics.h"
#include "harness/experiment/model.h"

namespace faultline::runner {

// Warns when the load cannot show recovery: verify::kRecoveryHoldingWindows
// consecutive holding windows after the last revert are what "recovered"
// means, so the load must run at least that many windows after it.
//
// - Every fault has a duration: the last revert is the latest `at +
//   duration`; a tail (load.duration minus that) shorter than the windows
//   needed is warned about at load.duration, with the duration that would do.
// - A fault without a duration lasts until the load ends and is never seen
//   reverted. For `expect: breach` (a drill, whose postmortem reports the
//   time to recover) that is warned about at the fault's step. For
//   `expect: hold` it is not: the question is whether the objectives hold
//   while the fault is in force, and a fault kept to the end asks it for the
//   longest.
//
// No warning without faults or without objectives (nothing to recover).
void warn_short_recovery_tail(const experiment::Experiment& exp, experiment::Diagnostics& diags);

}  // namespace faultline::runner
