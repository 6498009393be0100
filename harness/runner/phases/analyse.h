#pragma once

#include "harness/runner/phases/run_context.h"

namespace faultline::runner {

// After teardown, from the record alone: the words of an interruption, the
// windows and the verdict from every sample of the load, and for a run
// that went to its end, whether it proves anything (not_proven).
void analyse_run(RunContext& run);

}  // namespace faultline::runner
