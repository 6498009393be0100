// Directives and blocks from the lexer's words, with nginx's own messages
// for what does not fit (ngx_conf_parse), each followed by what would fix
// it. As in nginx, a block never spans files: an included file is a list
// of whole directives, so a `}` it does not open is an error there.

#include <fmt/format.h>

#include "harness/stack/nginx_conf_detail.h"

namespace faultline::stack::nginx_conf::detail {

namespace {

// Deeper than any real config; a bound so that a hostile file cannot run
// the recursion out of stack.
constexpr size_t kMaxDepth = 64;

// What a block's `{` was, for the message when its `}` is missing.
struct Opener {
  std::string name;
  Position at;
};

class Parser {
 public:
  Parser(std::string_view text, const std::string& label, size_t file) : lexer_(text, label), file_(file) {}

  // The directives up to the `}` closing `opener`, or to the end of the
  // file when there is no opener.
  Result<std::vector<Directive>> parse(const Opener* opener, size_t depth);

 private:
  Directive directive(std::vector<Word>& words) const;
  Error error_at(Position at, const std::string& message) const {
    return Error{fmt::format("{}:{}:{}: {}", lexer_.label(), at.line, at.column, message)};
  }

  Lexer lexer_;
  size_t file_;
  size_t close_end_ = 0;  // just past the `}` that ended the last block
};

Directive Parser::directive(std::vector<Word>& words) const {
  Directive d;
  d.file = file_;
  d.name = std::move(words.front());
  d.args.assign(std::make_move_iterator(words.begin() + 1), std::make_move_iterator(words.end()));
  d.span.begin = d.name.raw.begin;
  words.clear();
  return d;
}

Result<std::vector<Directive>> Parser::parse(const Opener* opener, size_t depth) {
  std::vector<Directive> list;
  std::vector<Word> words;
  for (;;) {
    auto token = lexer_.next();
    if (!token) {
      return token.error();
    }
    const Word& w = token->word;
    switch (token->kind) {
      case TokenKind::word:
        words.push_back(token->word);
        break;
      case TokenKind::semicolon: {
        if (words.empty()) {
          return error_at(w.at, "unexpected \";\" (no directive before it: remove it)");
        }
        Directive d = directive(words);
        d.span.end = w.raw.end;
        list.push_back(std::move(d));
        break;
      }
      case TokenKind::open: {
        if (words.empty()) {
          return error_at(w.at,
                          "unexpected \"{\" (a block opens after a directive's name, as in \"server {\")");
        }
        if (depth + 1 >= kMaxDepth) {
          return error_at(w.at, fmt::format("blocks nested more than {} deep", kMaxDepth));
        }
        Directive d = directive(words);
        const Opener inner{d.name.value, d.name.at};
        auto children = parse(&inner, depth + 1);
        if (!children) {
          return children.error();
        }
        d.has_block = true;
        d.block = {w.raw.begin, close_end_};
        d.span.end = close_end_;
        d.children = std::move(*children);
        list.push_back(std::move(d));
        break;
      }
      case TokenKind::close:
        if (!words.empty()) {
          return error_at(w.at,
                          fmt::format("unexpected \"}}\" (the directive \"{}\" at {}:{} before it is "
                                      "not ended: add \";\" after it)",
                                      words.front().value, words.front().at.line, words.front().at.column));
        }
        if (opener == nullptr) {
          return error_at(w.at,
                          "unexpected \"}\" (no block is open here: remove it, or find the block "
                          "it was meant to close and the \"}\" that closed it early)");
        }
        close_end_ = w.raw.end;
        return list;
      case TokenKind::end:
        if (!words.empty()) {
          return error_at(w.at,
                          fmt::format("unexpected end of file, expecting \";\" or \"}}\" (the "
                                      "directive \"{}\" at {}:{} is not ended: add \";\" after it)",
                                      words.front().value, words.front().at.line, words.front().at.column));
        }
        if (opener != nullptr) {
          return error_at(w.at, fmt::format("unexpected end of file, expecting \"}}\" (the \"{}\" block "
                                            "opened at {}:{} is not closed: add \"}}\")",
                                            opener->name, opener->at.line, opener->at.column));
        }
        return list;
    }
  }
}

}  // namespace

Result<std::vector<Directive>> parse_file(std::string_view text, const std::string& label, size_t file) {
  Parser parser(text, label, file);
  return parser.parse(nullptr, 0);
}

size_t line_at(const std::string& text, size_t offset) {
  size_t line = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    line += text[i] == '\n' ? 1 : 0;
  }
  return line;
}

size_t line_start(const std::string& text, size_t offset) {
  const size_t nl = offset == 0 ? std::string::npos : text.rfind('\n', offset - 1);
  return nl == std::string::npos ? 0 : nl + 1;
}

std::string indentation_at(const std::string& text, size_t offset) {
  const size_t begin = line_start(text, offset);
  size_t end = begin;
  while (end < text.size() && (text[end] == ' ' || text[end] == '\t')) {
    ++end;
  }
  return text.substr(begin, end - begin);
}

}  // namespace faultline::stack::nginx_conf::detail
