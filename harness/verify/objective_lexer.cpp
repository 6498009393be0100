#include "harness/verify/objective_lexer.h"

#include <cctype>

namespace faultline::verify {

namespace {

bool is_word_start(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_';
}
bool is_word_char(char c) {
  return is_word_start(c) || std::isdigit(static_cast<unsigned char>(c)) != 0;
}
bool is_digit(char c) {
  return std::isdigit(static_cast<unsigned char>(c)) != 0;
}
bool is_space(char c) {
  return std::isspace(static_cast<unsigned char>(c)) != 0;
}
// Characters that only ever appear in (mistyped) comparators: "==", "=<", "!=".
bool is_comparator_char(char c) {
  return c == '<' || c == '>' || c == '=' || c == '!';
}

}  // namespace

std::vector<ObjectiveToken> tokenize_objective(std::string_view text) {
  using Kind = ObjectiveToken::Kind;
  std::vector<ObjectiveToken> tokens;
  std::size_t i = 0;
  std::size_t last_end = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (is_space(c)) {
      ++i;
      continue;
    }
    const std::size_t start = i;
    Kind kind = Kind::other;
    if (is_word_start(c)) {
      while (i < text.size() && is_word_char(text[i])) {
        ++i;
      }
      kind = Kind::word;
    } else if (is_digit(c) || (c == '.' && i + 1 < text.size() && is_digit(text[i + 1]))) {
      while (i < text.size() && is_digit(text[i])) {
        ++i;
      }
      if (i < text.size() && text[i] == '.') {
        ++i;
        while (i < text.size() && is_digit(text[i])) {
          ++i;
        }
      }
      kind = Kind::number;
    } else if (is_comparator_char(c)) {
      while (i < text.size() && is_comparator_char(text[i])) {
        ++i;
      }
      const std::string_view op = text.substr(start, i - start);
      kind = (op == "<" || op == "<=" || op == ">" || op == ">=") ? Kind::comparator : Kind::other;
    } else {
      ++i;
      kind = c == '(' ? Kind::open : c == ')' ? Kind::close : c == '%' ? Kind::percent : Kind::other;
    }
    tokens.push_back({kind, text.substr(start, i - start), static_cast<int>(start)});
    last_end = i;
  }
  tokens.push_back({Kind::end, {}, static_cast<int>(last_end)});
  return tokens;
}

}  // namespace faultline::verify
