#pragma once

#include "harness/runner/run_record.h"

namespace faultline::runner {

// The machine the run goes on: host name, kernel, and the first line of
// `haproxy -v` and `nginx -v` (empty for a server that is not installed).
// Runs those two programs, which is why it is a phase of the run and not
// a part of writing the journal.
RunEnvironment probe_environment();

}  // namespace faultline::runner
