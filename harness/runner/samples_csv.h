#pragma once

#include <ostream>

#include "harness/runner/run_record.h"

namespace faultline::runner {

// Every request of a run, one CSV row each, for analysis outside faultline
// (and for bench/fault_timing): times in seconds from the start of the load
// (the journal's t = 0), so rows line up with the journal's activities.
// Columns: intended_s, sent_s, done_s, latency_ms (from the intended time:
// coordinated omission corrected), service_ms (from the send), status (0:
// no response), error (none, connect_refused, ...), backend (empty:
// unknown), user.
void write_samples_csv(const RunRecord& record, std::ostream& out);

}  // namespace faultline::runner
