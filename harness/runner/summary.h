#pragma once

#include <string>

#include "harness/journal/journal.h"

namespace faultline::runner {

// The short text printed at the end of a run: one row per phase (requests,
// errors, p99, backend shares), the objectives, the verdict.
std::string render_summary(const journal::Journal& journal);

}  // namespace faultline::runner
