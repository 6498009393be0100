#pragma once

#include <string>
#include <vector>

#include "harness/runner/run_record.h"

namespace faultline::runner {

// The counts the windows and phases take their backends from instead of
// the samples: the share source's, when the run had one and no response
// named its backend; nullptr when the samples are the basis. A response
// header, when there is one, is never overruled.
const std::vector<verify::BackendCount>* source_counts(const RunRecord& rec);

// The basis of the run's shares, for the journal: the share source's when
// source_counts uses it, else the response header `header` (saying so when
// no response carried it).
SharesBasis shares_basis(const RunRecord& rec, const std::string& header);

}  // namespace faultline::runner
