// nginx's configuration words, by the rules of its own reader
// (ngx_conf_read_token in src/core/ngx_conf_file.c), which the documentation
// leaves implicit. Where those rules are surprising they are followed, not
// tidied: a config nginx accepts must read the same here, and one it
// rejects must not read here.
//
// - Words are separated by spaces, tabs, CR and LF.
// - `#` starts a comment to the end of the line, but only where a word
//   would start: inside a word it is an ordinary character (`a#b`).
// - A `;` or `{` ends a word; `}` does not (`ok}` is one word, and nginx
//   then reports the missing `}` at the end of the file). `}` closes a
//   block only where a word would start.
// - `${` does not end a word at its `{`: `${var}` is a variable.
// - A backslash takes the next character into the word, whatever it is.
// - A word that starts with `"` or `'` runs to the matching unescaped
//   quote, across lines, and must be followed by a space, `;`, `{` or `)`;
//   that `)` (closing an `if (...)`) belongs to no word.

#include <fmt/format.h>

#include "harness/stack/nginx_conf_detail.h"

namespace faultline::stack::nginx_conf::detail {

namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

}  // namespace

Lexer::Lexer(std::string_view text, std::string label) : text_(text), label_(std::move(label)) {}

void Lexer::advance() {
  if (text_[pos_] == '\n') {
    ++line_;
    column_ = 1;
  } else {
    ++column_;
  }
  ++pos_;
}

void Lexer::skip_space_and_comments() {
  while (!at_end()) {
    if (is_space(text_[pos_])) {
      advance();
    } else if (text_[pos_] == '#') {
      while (!at_end() && text_[pos_] != '\n') {
        advance();
      }
    } else {
      return;
    }
  }
}

Result<Token> Lexer::next() {
  skip_space_and_comments();
  Token token;
  token.word.at = position();
  token.word.raw = {pos_, pos_};
  if (at_end()) {
    return token;
  }
  const char c = text_[pos_];
  if (c == ';' || c == '{' || c == '}') {
    token.kind = c == ';' ? TokenKind::semicolon : c == '{' ? TokenKind::open : TokenKind::close;
    token.word.value = std::string(1, c);
    advance();
    token.word.raw.end = pos_;
    return token;
  }
  if (c == '"' || c == '\'') {
    return quoted_word();
  }
  return plain_word();
}

Result<Token> Lexer::quoted_word() {
  Token token;
  token.kind = TokenKind::word;
  token.word.at = position();
  token.word.raw.begin = pos_;
  const char quote_char = text_[pos_];
  advance();
  const size_t inner = pos_;
  for (;;) {
    if (at_end()) {
      return Error{fmt::format(
          "{}:{}:{}: unterminated quoted string: the file ends inside it (add the closing {} it opens with)",
          label_, token.word.at.line, token.word.at.column, quote_char)};
    }
    const char c = text_[pos_];
    if (c == '\\') {
      advance();
      if (!at_end()) {
        advance();
      }
      continue;
    }
    if (c == quote_char) {
      break;
    }
    advance();
  }
  token.word.value = unescape(text_.substr(inner, pos_ - inner));
  advance();  // the closing quote
  token.word.raw.end = pos_;
  if (!at_end()) {
    const char after = text_[pos_];
    if (after == ')') {
      advance();
    } else if (!is_space(after) && after != ';' && after != '{') {
      return Error{fmt::format(
          "{}:{}:{}: unexpected \"{}\" after a quoted string (a quoted word ends at a space, \";\" or "
          "\"{{\": put a space before it, or move it inside the quotes)",
          label_, line_, column_, after)};
    }
  }
  return token;
}

Token Lexer::plain_word() {
  Token token;
  token.kind = TokenKind::word;
  token.word.at = position();
  token.word.raw.begin = pos_;
  // Just after a `$`: a `{` there opens `${name}` instead of a block.
  bool after_dollar = false;
  while (!at_end()) {
    const char c = text_[pos_];
    if (c == '{' && after_dollar) {
      advance();
      continue;
    }
    after_dollar = false;
    if (c == '\\') {
      advance();
      if (!at_end()) {
        advance();
      }
      continue;
    }
    if (c == '$') {
      after_dollar = true;
      advance();
      continue;
    }
    if (is_space(c) || c == ';' || c == '{') {
      break;
    }
    advance();
  }
  token.word.raw.end = pos_;
  token.word.value = unescape(text_.substr(token.word.raw.begin, pos_ - token.word.raw.begin));
  return token;
}

std::string unescape(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '\\' && i + 1 < raw.size()) {
      const char n = raw[i + 1];
      if (n == '"' || n == '\'' || n == '\\') {
        out += n;
        ++i;
        continue;
      }
      if (n == 't' || n == 'r' || n == 'n') {
        out += n == 't' ? '\t' : n == 'r' ? '\r' : '\n';
        ++i;
        continue;
      }
    }
    out += raw[i];
  }
  return out;
}

std::string quote(const std::string& value) {
  // Safe as it is when the lexer reads it back as one plain word with the
  // same value: that rules out spaces, `;`, a leading quote, `#` or `}`,
  // and backslashes that would be read as escapes.
  Lexer lexer(value, {});
  auto word = lexer.next();
  if (!value.empty() && word && word->kind == TokenKind::word && word->word.raw.begin == 0 &&
      word->word.raw.end == value.size() && word->word.value == value && value.front() != '"' &&
      value.front() != '\'') {
    return value;
  }
  std::string out = "\"";
  for (const char c : value) {
    if (c == '"' || c == '\\') {
      out += '\\';
    }
    out += c;
  }
  out += '"';
  return out;
}

}  // namespace faultline::stack::nginx_conf::detail
