#pragma once

#include "harness/journal/journal.h"
#include "harness/runner/run_record.h"
#include "harness/runner/validate.h"

namespace faultline::runner {

// Turns a finished run into the journal (harness/journal/journal.h): the
// experiment as run, the environment, the timeline, every window and the
// verdict. It is the only input of the reporters; journal::to_json gives
// journal.json. Offsets (`t`, `*_s`) are
// seconds from the start of the load, the origin of the method's `at`.
journal::Journal make_journal(const ValidatedExperiment& v, const RunRecord& rec);

}  // namespace faultline::runner
