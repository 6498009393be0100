#pragma once

#include <vector>

#include "harness/runner/run_record.h"
#include "harness/stack/stack.h"

namespace faultline::runner {

// The machine the run goes on: host name, kernel, and the first line of
// `haproxy -v` and `nginx -v` (empty for a server that is not installed).
// Runs those two programs, which is why it is a phase of the run and not
// a part of writing the journal.
RunEnvironment probe_environment();

// On a container runtime, each HAProxy and nginx service's image and its
// server's version, asked where it runs (RunningStack::server_software);
// empty on the netns runtime, whose servers probe_environment names.
std::vector<RunEnvironment::Server> probe_servers(stack::RunningStack& stack);

}  // namespace faultline::runner
