#pragma once

// The reporters read journal numbers as the journal model does
// (harness/journal/number_cast.h); the names, in the reporters' namespace.

#include "harness/journal/number_cast.h"

namespace faultline::reporters {

using journal::journal_count;
using journal::saturating_add;
using journal::saturating_i64;
using journal::saturating_u64;

}  // namespace faultline::reporters
