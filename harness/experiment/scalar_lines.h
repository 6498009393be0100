#pragma once

#include <string>

#include "harness/experiment/diagnostics.h"

namespace faultline::experiment {

// Where line `line` (1-based) of a scalar's parsed value is written in the
// source file, so a problem in one line of a multi-line text (a config
// fragment) can point at that line rather than at the text's start.
//
// `start` is the scalar's position as yaml-cpp marks it (its first character,
// its opening quote or its block indicator `|`). The value's lines are looked
// for one after another from there, each on the next file line at the
// latest, which finds them in a literal block (`|`) and in a quoted text with
// `\n` escapes. When a line is not written verbatim (other escapes, folded
// `>` or multi-line plain text), is blank, or the file cannot be read, the
// answer is `start` itself.
SourcePos position_of_line(const SourcePos& start, const std::string& value, int line);

}  // namespace faultline::experiment
