// Reading a haproxy.cfg: lines, words, sections. The tokenizing rules are
// HAProxy 2.6's (configuration manual 2.2 and 2.3, parse_line() and
// readcfgfile() in its sources), so a word here is the word HAProxy sees.

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <optional>

#include "harness/stack/haproxy_conf.h"
#include "harness/stack/haproxy_conf_detail.h"

namespace faultline::stack::haproxy_conf {

namespace detail {

Error located(const std::string& file, size_t line, size_t column, const std::string& message,
              const std::string& fix) {
  return Error{fmt::format("{}:{}:{}: {}; {}", file, line, column, message, fix)};
}

std::string listing(const std::vector<std::string>& items) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) {
      out += i + 1 == items.size() ? " and " : ", ";
    }
    out += items[i];
  }
  return out;
}

std::string joined(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) {
    out += out.empty() ? w : " " + w;
  }
  return out;
}

}  // namespace detail

namespace {

using detail::located;

// A problem in one line, before the file and line number are known.
struct LineError {
  size_t column = 0;
  std::string message;
  std::string fix;
};

struct Tokens {
  LineKind kind = LineKind::blank;
  std::vector<Word> words;
  std::optional<LineError> error;
};

// Separators: isspace() without '\n' and '\r', which end a line for HAProxy.
bool is_separator(char c) {
  return c == ' ' || c == '\t' || c == '\v' || c == '\f';
}

bool is_hex(char c) {
  return std::isxdigit(static_cast<unsigned char>(c)) != 0;
}

int hex_value(char c) {
  return std::isdigit(static_cast<unsigned char>(c)) != 0
             ? c - '0'
             : std::tolower(static_cast<unsigned char>(c)) - 'a' + 10;
}

// Cuts one line into words the way HAProxy's parse_line() does.
class Tokenizer {
 public:
  explicit Tokenizer(const std::string& text) : text_(text) {}

  Tokens run() {
    // Leading spaces go first; a line then starting with '[' is a scope
    // marker, which HAProxy handles before tokenizing.
    while (i_ < text_.size() && (is_separator(text_[i_]) || text_[i_] == '\r')) {
      ++i_;
    }
    if (i_ < text_.size() && text_[i_] == '[') {
      out_.kind = LineKind::scope;
      return std::move(out_);
    }
    while (i_ < text_.size() && !out_.error) {
      const char c = text_[i_];
      if (c == '\r' || (c == '#' && quote_ == 0)) {
        break;  // HAProxy stops at a carriage return, and at an unprotected '#'
      }
      if (c == '"' && quote_ != '\'') {
        toggle_quote('"');
      } else if (c == '\'' && quote_ != '"') {
        toggle_quote('\'');
      } else if (c == '\\' && quote_ != '\'') {
        escape();
      } else if (is_separator(c) && quote_ == 0) {
        end_word();
        ++i_;
      } else if (c == '$' && quote_ == '"') {
        variable();  // only weak quoting expands variables
      } else {
        start_word();
        word_.text += c;
        ++i_;
      }
    }
    if (out_.error) {
      return std::move(out_);
    }
    if (quote_ != 0) {
      const std::string q(1, quote_);
      fail(quote_column_, fmt::format("unterminated quote: the {} opened here is never closed", q),
           fmt::format("close it with another {q}, or write \\{q} for the character itself",
                       fmt::arg("q", q)));
      return std::move(out_);
    }
    end_word();
    classify();
    return std::move(out_);
  }

 private:
  void start_word() {
    if (!in_word_) {
      in_word_ = true;
      word_.column = i_ + 1;
    }
  }

  void end_word() {
    if (in_word_) {
      word_.length = i_ - (word_.column - 1);
      out_.words.push_back(std::move(word_));
      word_ = Word{};
      in_word_ = false;
    }
  }

  void fail(size_t column, std::string message, std::string fix) {
    out_.error = LineError{column, std::move(message), std::move(fix)};
  }

  void toggle_quote(char q) {
    start_word();
    if (quote_ == q) {
      quote_ = 0;
    } else {
      quote_ = q;
      quote_column_ = i_ + 1;
    }
    ++i_;
  }

  // A backslash outside single quotes. Only the sequences parse_line()
  // knows are escapes; any other keeps its backslash ("\1" stays "\1"),
  // and so does "\$" outside double quotes. A backslash before a tab is
  // not one of them either, whatever the manual's table says: the tab then
  // separates words.
  void escape() {
    start_word();
    const char next = i_ + 1 < text_.size() ? text_[i_ + 1] : '\0';
    switch (next) {
      case ' ':
      case '\\':
      case '#':
      case '\'':
      case '"':
        word_.text += next;
        i_ += 2;
        return;
      case 't':
        word_.text += '\t';
        i_ += 2;
        return;
      case 'n':
        word_.text += '\n';
        i_ += 2;
        return;
      case 'r':
        word_.text += '\r';
        i_ += 2;
        return;
      case '$':
        if (quote_ == '"') {
          word_.text += '$';
          i_ += 2;
          return;
        }
        break;
      case 'x':
        if (i_ + 3 < text_.size() && is_hex(text_[i_ + 2]) && is_hex(text_[i_ + 3])) {
          word_.text += static_cast<char>(hex_value(text_[i_ + 2]) * 16 + hex_value(text_[i_ + 3]));
          i_ += 4;
          return;
        }
        fail(i_ + 1, "a \\x escape without two hexadecimal digits",
             "write \\x and two hex digits (\\x41 is 'A'), or \\\\x for a backslash and an x");
        return;
      default:
        break;
    }
    word_.text += '\\';
    ++i_;
  }

  // "$NAME", "${NAME}", "${NAME-default}" or "${NAME[*]}" inside double
  // quotes: kept as written, the name noted.
  void variable() {
    start_word();
    const size_t begin = i_++;
    std::optional<size_t> brace;
    if (i_ < text_.size() && text_[i_] == '{') {
      brace = i_ + 1;
      ++i_;
    }
    const char first = i_ < text_.size() ? text_[i_] : '\0';
    if (std::isalpha(static_cast<unsigned char>(first)) == 0 && first != '_' && first != '.') {
      fail(i_ + 1, "an environment variable name cannot start here",
           "a name starts with a letter or '_' (\"${NAME}\"); write \\$ for a dollar sign inside double "
           "quotes");
      return;
    }
    const size_t name_begin = i_;
    if (first == '.') {
      ++i_;
    }
    while (i_ < text_.size() &&
           (std::isalnum(static_cast<unsigned char>(text_[i_])) != 0 || text_[i_] == '_')) {
      ++i_;
    }
    const std::string name = text_.substr(name_begin, i_ - name_begin);
    if (first == '.' && name != ".FILE" && name != ".LINE" && name != ".SECTION") {
      fail(name_begin + 1, fmt::format("'{}' is not a pseudo-variable", name),
           "HAProxy 2.6 knows .FILE, .LINE and .SECTION; other names start with a letter or '_'");
      return;
    }
    if (brace && i_ < text_.size() && text_[i_] == '[') {
      if (text_.compare(i_, 3, "[*]") != 0) {
        fail(i_ + 1, "a word expansion other than [*]", "write \"${NAME[*]}\" to expand a list into words");
        return;
      }
      i_ += 3;
    }
    if (brace) {
      // A default value runs to the closing brace, as written.
      const size_t close = text_.find('}', i_);
      if ((i_ < text_.size() && text_[i_] != '-' && text_[i_] != '}') || close == std::string::npos) {
        fail(*brace, "the brace of an environment variable is never closed",
             "write \"${NAME}\" or \"${NAME-default}\"");
        return;
      }
      i_ = close + 1;
    }
    word_.text += text_.substr(begin, i_ - begin);
    word_.variables.push_back(name);
  }

  void classify() {
    if (out_.words.empty()) {
      const bool comment = i_ < text_.size() && text_[i_] == '#';
      out_.kind = comment ? LineKind::comment : LineKind::blank;
    } else if (out_.words.front().text.empty()) {
      // HAProxy skips a line whose first word is empty ("" alone).
      out_.words.clear();
      out_.kind = LineKind::blank;
    } else if (out_.words.front().text.front() == '.') {
      out_.kind = LineKind::condition;
    } else {
      out_.kind = LineKind::statement;
    }
  }

  const std::string& text_;
  size_t i_ = 0;
  char quote_ = 0;
  size_t quote_column_ = 0;
  bool in_word_ = false;
  Word word_;
  Tokens out_;
};

bool is_section_keyword(const std::string& word) {
  const auto& all = section_keywords();
  return std::find(all.begin(), all.end(), word) != all.end();
}

// Builds the sections, follows the .if blocks and checks what HAProxy would
// refuse in them.
class Assembler {
 public:
  explicit Assembler(Config& config) : cfg_(config) {}

  Status run() {
    for (auto& line : cfg_.lines) {
      Status s = line.kind == LineKind::condition ? condition(line) : statement(line);
      if (!s) {
        return s;
      }
    }
    if (!open_ifs_.empty()) {
      const Line& l = cfg_.line(open_ifs_.back());
      return located(cfg_.file_name, l.number, l.words.front().column, "this '.if' block has no '.endif'",
                     "close it with '.endif' on a line of its own");
    }
    if (!cfg_.sections.empty()) {
      cfg_.sections.back().last_line = cfg_.lines.size();
    }
    for (const auto& line : cfg_.lines) {
      if (line.kind == LineKind::statement) {
        if (Status s = check_server(line); !s) {
          return s;
        }
      }
    }
    return check_proxy_names();
  }

 private:
  Error at(const Line& line, size_t word, const std::string& message, const std::string& fix) const {
    return located(cfg_.file_name, line.number, line.words.at(word).column, message, fix);
  }

  Status condition(Line& line) {
    const std::string& kw = line.keyword();
    line.section = current_;
    line.condition_depth = open_ifs_.size();
    if (kw == ".if") {
      open_ifs_.push_back(line.number);
    } else if (kw == ".elif" || kw == ".else" || kw == ".endif") {
      if (open_ifs_.empty()) {
        return at(line, 0, fmt::format("'{}' without an '.if' before it", kw),
                  "open the block with '.if <condition>', or remove this line");
      }
      line.condition_depth = open_ifs_.size() - 1;
      if (kw == ".endif") {
        open_ifs_.pop_back();
      }
    } else if (kw != ".notice" && kw != ".warning" && kw != ".alert" && kw != ".diag") {
      return at(line, 0, fmt::format("unknown directive '{}'", kw),
                "HAProxy 2.6 knows .if, .elif, .else, .endif, .notice, .warning, .alert and .diag");
    }
    return {};
  }

  Status statement(Line& line) {
    line.condition_depth = open_ifs_.size();
    if (line.kind == LineKind::statement) {
      if (is_section_keyword(line.keyword())) {
        if (Status s = open_section(line); !s) {
          return s;
        }
      } else if (current_ < 0) {
        return at(line, 0, fmt::format("'{}' comes before any section", line.keyword()),
                  "put it under the section it belongs to (global, defaults, frontend, backend, listen...)");
      } else {
        cfg_.sections[static_cast<size_t>(current_)].last_statement_line = line.number;
      }
    }
    line.section = current_;
    return {};
  }

  Status open_section(const Line& line) {
    Section s;
    s.keyword = line.keyword();
    s.name = line.words.size() > 1 ? line.words[1].text : "";
    if (line.words.size() > 3 && line.words[2].text == "from") {
      s.from = line.words[3].text;
    }
    s.first_line = line.number;
    s.last_statement_line = line.number;
    if (s.name.empty() && (s.keyword == "frontend" || s.keyword == "backend" || s.keyword == "listen")) {
      return at(line, 0, fmt::format("a '{}' section without a name", s.keyword),
                fmt::format("write '{} <name>'", s.keyword));
    }
    if (!cfg_.sections.empty()) {
      cfg_.sections.back().last_line = line.number - 1;
    }
    cfg_.sections.push_back(std::move(s));
    current_ = static_cast<int>(cfg_.sections.size()) - 1;
    return {};
  }

  Status check_server(const Line& line) const {
    const std::string& kw = line.keyword();
    if (kw != "server" && kw != "server-template") {
      return {};
    }
    const Section& sec = cfg_.sections.at(static_cast<size_t>(line.section));
    const bool proxy = sec.keyword == "backend" || sec.keyword == "listen";
    // Peers and rings have `server` lines of their own (manual 3.5, 3.9).
    const bool other = kw == "server" && (sec.keyword == "peers" || sec.keyword == "ring");
    if (!proxy && !other) {
      return at(
          line, 0,
          fmt::format("a '{}' line outside a backend or listen section (it is in {}, line {})", kw,
                      sec.selector(), sec.first_line),
          "move it under the backend that sends traffic to it ('backend <name>'), or into a listen section");
    }
    if (kw == "server-template") {
      if (line.words.size() < 4) {
        return at(line, 0, "a 'server-template' line without a prefix, a count and an address",
                  "write 'server-template <prefix> <count> <fqdn>:<port> [options]'");
      }
      return {};
    }
    // A local peer has no address: it binds with a `bind` line instead.
    if (line.words.size() < 3 && sec.keyword != "peers") {
      return at(line, 0,
                line.words.size() < 2
                    ? "a 'server' line without a name or an address"
                    : fmt::format("a 'server' line without an address (server '{}')", line.words[1].text),
                "write 'server <name> <host>:<port> [options]'");
    }
    return {};
  }

  // HAProxy refuses two proxies sharing a name and a side: frontends and
  // listens take traffic, backends and listens send it.
  Status check_proxy_names() const {
    auto front = [](const Section& s) { return s.keyword == "frontend" || s.keyword == "listen"; };
    auto back = [](const Section& s) { return s.keyword == "backend" || s.keyword == "listen"; };
    for (size_t i = 0; i < cfg_.sections.size(); ++i) {
      const Section& later = cfg_.sections[i];
      if (!front(later) && !back(later)) {
        continue;
      }
      for (size_t j = 0; j < i; ++j) {
        const Section& earlier = cfg_.sections[j];
        if (earlier.name == later.name &&
            ((front(earlier) && front(later)) || (back(earlier) && back(later)))) {
          return at(cfg_.line(later.first_line), 1,
                    fmt::format("{} has the name of {} at line {}", later.selector(), earlier.selector(),
                                earlier.first_line),
                    "rename one of them: HAProxy refuses two proxies of one side under one name");
        }
      }
    }
    return {};
  }

  Config& cfg_;
  int current_ = -1;
  std::vector<size_t> open_ifs_;
};

}  // namespace

const std::vector<std::string>& section_keywords() {
  static const std::vector<std::string> keywords = {
      "global",      "defaults",    "frontend", "backend",       "listen",  "peers",
      "resolvers",   "userlist",    "mailers",  "cache",         "program", "ring",
      "http-errors", "log-forward", "fcgi-app", "namespace_list"};
  return keywords;
}

const std::string& Line::keyword() const {
  static const std::string none;
  return words.empty() ? none : words.front().text;
}

std::vector<std::string> Line::args(size_t from) const {
  std::vector<std::string> out;
  for (size_t i = from; i < words.size(); ++i) {
    out.push_back(words[i].text);
  }
  return out;
}

std::string Line::indent() const {
  return text.substr(0, text.find_first_not_of(" \t"));
}

std::string Section::selector() const {
  return name.empty() ? keyword : keyword + " " + name;
}

Result<Config> parse(const std::string& text, const std::string& file_name) {
  Config cfg;
  cfg.file_name = file_name;
  size_t start = 0;
  while (start < text.size()) {
    const size_t nl = text.find('\n', start);
    Line line;
    line.number = cfg.lines.size() + 1;
    if (nl == std::string::npos) {
      line.text = text.substr(start);
      return located(file_name, line.number, line.text.size() + 1,
                     "the last line has no newline at its end, which HAProxy 2.6 refuses as a truncated file",
                     "end the file with a newline");
    }
    line.text = text.substr(start, nl - start);
    line.ending = "\n";
    if (!line.text.empty() && line.text.back() == '\r') {
      line.text.pop_back();
      line.ending = "\r\n";
    }
    start = nl + 1;
    Tokens tokens = Tokenizer(line.text).run();
    if (tokens.error) {
      return located(file_name, line.number, tokens.error->column, tokens.error->message, tokens.error->fix);
    }
    line.kind = tokens.kind;
    line.words = std::move(tokens.words);
    cfg.lines.push_back(std::move(line));
  }
  if (Status s = Assembler(cfg).run(); !s) {
    return s.error();
  }
  return cfg;
}

}  // namespace faultline::stack::haproxy_conf
