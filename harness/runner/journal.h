#pragma once

#include <nlohmann/json.hpp>

#include "harness/runner/run_record.h"
#include "harness/runner/validate.h"

namespace faultline::runner {

// The journal schema version; bump on any incompatible change and document
// it in docs/JOURNAL.md.
inline constexpr const char* kJournalSchema = "faultline.journal/1";

// Turns a finished run into the journal: one JSON document holding the
// experiment as run, the environment, the timeline, every window and the
// verdict. It is the only input of the reporters. Offsets (`t`, `*_s`) are
// seconds from the start of the load, the origin of the method's `at`.
nlohmann::ordered_json make_journal(const ValidatedExperiment& v, const RunRecord& rec);

}  // namespace faultline::runner
