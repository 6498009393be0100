#pragma once

#include <string>
#include <string_view>
#include <variant>

#include "harness/common/units.h"
#include "harness/verify/objective.h"

namespace faultline::runner {

// A safety stop: the run halts when `condition` is true in every SLO window
// over `sustained` (at least one window). The condition uses the objective
// grammar; here it describes the bad case ("error_rate > 50%"), so "true"
// means "stop".
struct AbortRule {
  verify::ObjectiveExpr condition;
  Duration sustained{0};
  std::string text;  // as written
};

// Grammar: objective [ "for" duration ], e.g. "error_rate > 50% for 5s".
// Errors carry the 0-based column in `text`, as the objective parser's do.
std::variant<AbortRule, verify::ObjectiveError> parse_abort_rule(std::string_view text);

}  // namespace faultline::runner
