#include "harness/runner/abort_rule.h"

#include <cctype>

namespace faultline::runner {

namespace {

bool is_word_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
}

// Offset of the word "for" standing on its own, or npos. The objective
// grammar has no such word, so the first one splits the rule.
size_t find_for(std::string_view text) {
  for (size_t at = text.find("for"); at != std::string_view::npos; at = text.find("for", at + 1)) {
    const bool starts = at == 0 || !is_word_char(text[at - 1]);
    const bool ends = at + 3 >= text.size() || !is_word_char(text[at + 3]);
    if (starts && ends) {
      return at;
    }
  }
  return std::string_view::npos;
}

}  // namespace

std::variant<AbortRule, verify::ObjectiveError> parse_abort_rule(std::string_view text) {
  const size_t for_at = find_for(text);
  const std::string_view condition = text.substr(0, for_at);
  auto parsed = verify::parse_objective(condition);
  if (auto* err = std::get_if<verify::ObjectiveError>(&parsed)) {
    return *err;
  }
  AbortRule rule;
  rule.condition = std::get<verify::ObjectiveExpr>(parsed);
  rule.text = std::string(text);
  if (for_at == std::string_view::npos) {
    return rule;
  }
  const std::string_view rest = text.substr(for_at + 3);
  const size_t first = rest.find_first_not_of(" \t");
  if (first == std::string_view::npos) {
    return verify::ObjectiveError{static_cast<int>(text.size()), "expected a duration after 'for'",
                                  "e.g. error_rate > 50% for 5s"};
  }
  const size_t last = rest.find_last_not_of(" \t");
  const std::string_view word = rest.substr(first, last - first + 1);
  const int column = static_cast<int>(for_at + 3 + first);
  const auto duration = parse_duration(word);
  if (!duration) {
    return verify::ObjectiveError{column, "'" + std::string(word) + "' is not a duration",
                                  "a number with a unit: 5s, 500ms, 1m"};
  }
  if (duration->count() <= 0) {
    return verify::ObjectiveError{column, "the duration after 'for' must be longer than zero",
                                  "leave out 'for ...' to stop on the first window"};
  }
  rule.sustained = *duration;
  return rule;
}

}  // namespace faultline::runner
