#pragma once

#include <string>

#include "harness/runner/phases/bring_up.h"
#include "harness/runner/phases/run_context.h"
#include "harness/runner/phases/watches.h"

namespace faultline::runner {

// Puts the stack away once its faults are reverted: the last operator
// notes and the load balancers' events go into the record, the servers'
// logs are copied beside the reports (`out_dir`, empty: nowhere), the stack
// is torn down and the run released.
void tear_down(RunContext& run, StackInUse& in_use, RunWatches& watches, const std::string& out_dir);

}  // namespace faultline::runner
