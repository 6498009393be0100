#pragma once

// What the nginx_conf_*.cpp files share and no caller needs: the lexer, the
// one-file parser, the loader behind load() and every edit, and the writing
// of words.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "harness/common/result.h"
#include "harness/stack/nginx_conf.h"

namespace faultline::stack::nginx_conf::detail {

enum class TokenKind { word, semicolon, open, close, end };

struct Token {
  TokenKind kind = TokenKind::end;
  Word word;  // kind word: the word; otherwise raw and at of the character
};

// Splits one file's text into words and the characters `;`, `{` and `}`,
// by the rules of nginx's ngx_conf_read_token (see nginx_conf_lex.cpp).
class Lexer {
 public:
  Lexer(std::string_view text, std::string label);

  // The next token; an error names label:line:column.
  Result<Token> next();
  // Where the lexer stands (after the last token read).
  Position position() const { return {line_, column_}; }
  const std::string& label() const { return label_; }

 private:
  void advance();
  bool at_end() const { return pos_ >= text_.size(); }
  void skip_space_and_comments();
  Result<Token> quoted_word();
  Token plain_word();

  std::string_view text_;
  std::string label_;
  size_t pos_ = 0;
  size_t line_ = 1;
  size_t column_ = 1;
};

// A word's value from its written form (quotes already removed), resolving
// backslash escapes as nginx does: \" \' \\ become the character, \t \r \n
// the control character, and any other backslash stays.
std::string unescape(std::string_view raw);

// How to write `value` so that nginx reads it back as `value`: as it is when
// that is safe, else in double quotes.
std::string quote(const std::string& value);

// The directives of one file's text (its `include`s not yet followed). An
// error names label:line:column.
Result<std::vector<Directive>> parse_file(std::string_view text, const std::string& label, size_t file);

// A file the loader already has (its text perhaps edited), by absolute path.
struct KnownFile {
  std::string original;
  std::string text;
};
using KnownFiles = std::map<std::string, KnownFile>;

// Builds a Config from `main_path`, taking the files in `known` from there
// and the rest from disk. follow_includes false: the main file alone.
Result<Config> build(const std::string& main_path, const std::string& main_label, bool follow_includes,
                     const KnownFiles& known);

// Replaces file `file`'s text with `text` and re-reads the config; on an
// error the config is left as it was.
Status reload_with(Config& config, size_t file, std::string text);

// New bytes for a span of one file's text.
struct Change {
  Span span;
  std::string text;
};
// Applies `changes` (not overlapping) to file `file`, then reload_with.
Status apply(Config& config, size_t file, std::vector<Change> changes);

// 1-based line of byte `offset` of `text`.
size_t line_at(const std::string& text, size_t offset);
// Offset of the start of the line holding `offset`.
size_t line_start(const std::string& text, size_t offset);
// The spaces and tabs that open the line holding `offset`.
std::string indentation_at(const std::string& text, size_t offset);

}  // namespace faultline::stack::nginx_conf::detail
