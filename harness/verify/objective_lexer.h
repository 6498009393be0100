#pragma once

#include <string_view>
#include <vector>

namespace faultline::verify {

// The tokens of an SLO objective such as `p(99.9) <= 1.5s`. Whitespace only
// separates tokens. A number is digits with an optional fraction (".5" and
// "5." too); a unit written after it is a separate word token, so
// "250ms" and "250 ms" read the same.
struct ObjectiveToken {
  enum class Kind {
    word,  // metric names and units: [A-Za-z_][A-Za-z0-9_]*
    number,
    open,        // (
    close,       // )
    comparator,  // < <= > >=
    percent,     // %
    other,       // anything else, one character or a run of = ! (e.g. "==")
    end,
  };
  Kind kind = Kind::end;
  std::string_view text;
  int column = 0;  // 0-based offset in the expression
};

// Always ends with one `end` token, placed just after the last token.
std::vector<ObjectiveToken> tokenize_objective(std::string_view text);

}  // namespace faultline::verify
