#pragma once

#include <vector>

#include "faults/registry.h"
#include "harness/experiment/diagnostics.h"
#include "harness/experiment/model.h"

namespace faultline::runner {

// Refuses two faults of the method that restore the same state
// (Fault::restores: a load balancer's configuration, a server's admin
// state or weight) when the one injected first is reverted first while the
// other is still in force. Each fault puts back what it found, so the first
// one's revert would undo the second one's change mid-fault, and the second
// one's revert would bring the first one's change back for the rest of the
// run: neither would be what the journal says. Nested windows (the later
// fault ends no later than the earlier one) and windows that do not
// overlap are fine. The error is at the later step, with the times that
// would do.
void check_crossing_faults(const experiment::Experiment& exp, const std::vector<faults::BoundFault>& faults,
                           experiment::Diagnostics& diags);

}  // namespace faultline::runner
