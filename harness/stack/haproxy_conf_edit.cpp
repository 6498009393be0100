// Editing a parsed haproxy.cfg and writing it back. An edit works on the
// lines as written and parses the result again, so the lines it does not
// touch keep every byte and an edit that breaks the file is refused.

#include <fmt/format.h>

#include <algorithm>

#include "harness/common/text.h"
#include "harness/stack/haproxy_conf.h"
#include "harness/stack/haproxy_conf_detail.h"

namespace faultline::stack::haproxy_conf {

namespace detail {

std::vector<RawLine> raw_lines(const Config& config) {
  std::vector<RawLine> out;
  out.reserve(config.lines.size());
  for (const auto& line : config.lines) {
    out.push_back(RawLine{line.text, line.ending});
  }
  return out;
}

std::string join(const std::vector<RawLine>& lines) {
  std::string out;
  for (const auto& line : lines) {
    out += line.text;
    out += line.ending;
  }
  return out;
}

std::string quote_word(const std::string& word) {
  static const std::string special = " \t\v\f\r\n#\"'\\";
  if (!word.empty() && word.find_first_of(special) == std::string::npos) {
    return word;
  }
  // Nothing is interpreted inside single quotes, but they cannot hold a
  // single quote, nor a line break (a carriage return ends the line).
  if (word.find_first_of("'\r\n") == std::string::npos) {
    return "'" + word + "'";
  }
  std::string out;
  for (const char c : word) {
    switch (c) {
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case ' ':
      case '#':
      case '"':
      case '\'':
      case '\\':
        out += '\\';
        out += c;
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string section_indent(const Config& cfg, const Section& s) {
  for (size_t n = s.last_statement_line; n > s.first_line; --n) {
    if (cfg.line(n).kind == LineKind::statement) {
      return cfg.line(n).indent();
    }
  }
  return file_indent(cfg);
}

std::string file_indent(const Config& cfg) {
  for (const auto& line : cfg.lines) {
    const bool header =
        line.section >= 0 && cfg.sections[static_cast<size_t>(line.section)].first_line == line.number;
    if (line.kind == LineKind::statement && !header && !line.indent().empty()) {
      return line.indent();
    }
  }
  return "    ";
}

}  // namespace detail

namespace {

using detail::quote_word;
using detail::RawLine;

// The fragment's lines, without their endings (a final newline ends the
// last line rather than starting an empty one).
std::vector<std::string> fragment_lines(const std::string& fragment) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < fragment.size()) {
    const size_t nl = std::min(fragment.find('\n', start), fragment.size());
    std::string line = fragment.substr(start, nl - start);
    if (!line.empty() && line.back() == '\r') {
      line.pop_back();
    }
    out.push_back(std::move(line));
    start = nl + 1;
  }
  return out;
}

// The ending new lines take: the file's own (a CRLF file stays CRLF).
std::string ending_of(const Config& cfg) {
  return cfg.lines.empty() ? "\n" : cfg.lines.back().ending;
}

Result<Edit> rebuilt(const Config& base, const std::vector<RawLine>& lines, LineRange range) {
  auto cfg = parse(detail::join(lines), base.file_name);
  if (!cfg) {
    return Error{"after the edit, " + cfg.error().message};
  }
  return Edit{std::move(*cfg), range};
}

Status check_line_number(const Config& cfg, size_t line) {
  if (line == 0 || line > cfg.lines.size()) {
    return Error{fmt::format("{}: no line {} (the file has {})", cfg.file_name, line, cfg.lines.size())};
  }
  return {};
}

// The byte just past a word, 0-based.
size_t end_of(const Word& w) {
  return w.column - 1 + w.length;
}

// The server options HAProxy 2.6 reads with a value after them (manual
// section 5.2; "usesrc" and "interface" belong to "source"). Any other
// word is taken for a flag.
bool takes_value(const std::string& option) {
  static const std::string valued =
      " addr agent-addr agent-inter agent-port agent-send alpn ca-file check-alpn check-proto "
      "check-sni ciphers ciphersuites cookie crl-file crt downinter error-limit fall fastinter "
      "id init-addr inter interface log-proto max-reuse maxconn maxqueue minconn namespace npn "
      "observe on-error on-marked-down on-marked-up pool-low-conn pool-max-conn "
      "pool-purge-delay port proto proxy-v2-options redir resolve-net resolve-opts "
      "resolve-prefer resolvers rise slowstart sni socks4 source ssl-max-ver ssl-min-ver "
      "tcp-ut track usesrc verify verifyhost weight ws ";
  return !option.empty() && option.find(' ') == std::string::npos &&
         valued.find(" " + option + " ") != std::string::npos;
}

// Where `option` stands among a server line's options, skipping the values
// of the options before it ("cookie check" is not the flag check).
std::optional<size_t> option_index(const Line& line, const std::string& option) {
  for (size_t i = 3; i < line.words.size(); i += takes_value(line.words[i].text) ? 2 : 1) {
    if (line.words[i].text == option) {
      return i;
    }
  }
  return std::nullopt;
}

struct ServerLine {
  Server server;
  const Line* line = nullptr;
};

Result<ServerLine> server_line(const Config& cfg, const ServerRef& ref) {
  auto server = find_server(cfg, ref);
  if (!server) {
    return server.error();
  }
  const Line& line = cfg.line(server->line);
  return ServerLine{std::move(*server), &line};
}

// "server api1 (backend be_api, line 37)".
std::string describe(const ServerLine& s) {
  return fmt::format("server {} (backend {}, line {})", s.server.name, s.server.backend, s.server.line);
}

Status check_word(const std::string& what, const std::string& word) {
  if (word.empty()) {
    // HAProxy reads an empty word as the end of the line's arguments.
    return Error{fmt::format("an empty {} cannot be written into the config", what)};
  }
  return {};
}

// `line` with bytes [begin, end) replaced by `text`.
std::string spliced(const Line& line, size_t begin, size_t end, const std::string& text) {
  std::string out = line.text;
  out.replace(begin, end - begin, text);
  return out;
}

// `added` as lines of section `s`: each indented as the section's lines
// are, ending with `ending`.
std::vector<RawLine> section_lines(const Config& config, const Section& s,
                                   const std::vector<std::string>& added, const std::string& ending) {
  const std::string indent = detail::section_indent(config, s);
  std::vector<RawLine> out;
  for (const auto& text : added) {
    const size_t b = text.find_first_not_of(" \t");
    out.push_back(RawLine{b == std::string::npos ? "" : indent + text.substr(b), ending});
  }
  return out;
}

}  // namespace

std::string to_text(const Config& config) {
  return detail::join(detail::raw_lines(config));
}

Result<size_t> find_section(const Config& config, const std::string& selector) {
  const auto words = split_words(selector);
  if (!words.empty() && words.size() <= 2) {
    const std::string& keyword = words[0];
    const std::string name = words.size() > 1 ? words[1] : "";
    // "global" and "defaults" alone take the first of their kind.
    const bool first_of_kind = name.empty() && (keyword == "global" || keyword == "defaults");
    for (size_t i = 0; i < config.sections.size(); ++i) {
      const Section& s = config.sections[i];
      if (s.keyword == keyword && (first_of_kind || s.name == name)) {
        return i;
      }
    }
  }
  std::vector<std::string> existing;
  for (const auto& s : config.sections) {
    existing.push_back(s.selector());
  }
  return Error{
      fmt::format("{}: no section '{}'; {}", config.file_name, selector,
                  existing.empty() ? "the file has none" : "the sections are " + detail::listing(existing))};
}

Result<Edit> replace_line(const Config& config, size_t line, const std::string& text) {
  if (Status s = check_line_number(config, line); !s) {
    return s.error();
  }
  if (text.find_first_of("\r\n") != std::string::npos) {
    return Error{fmt::format("{}: line {} can only be replaced with one line", config.file_name, line)};
  }
  auto lines = detail::raw_lines(config);
  lines[line - 1].text = text;
  return rebuilt(config, lines, LineRange{line, line});
}

Result<Config> remove_line(const Config& config, size_t line) {
  if (Status s = check_line_number(config, line); !s) {
    return s.error();
  }
  for (const auto& s : config.sections) {
    if (s.first_line == line) {
      return Error{fmt::format("{}: line {} opens {}; removing it would hand its lines to the section before",
                               config.file_name, line, s.selector())};
    }
  }
  auto lines = detail::raw_lines(config);
  lines.erase(lines.begin() + static_cast<std::ptrdiff_t>(line - 1));
  auto edit = rebuilt(config, lines, LineRange{});
  if (!edit) {
    return edit.error();
  }
  return std::move(edit->config);
}

Result<Edit> insert_in_section(const Config& config, const std::string& selector,
                               const std::string& fragment) {
  auto index = find_section(config, selector);
  if (!index) {
    return index.error();
  }
  const auto added = fragment_lines(fragment);
  if (added.empty()) {
    return Error{fmt::format("{}: nothing to add to {}", config.file_name, selector)};
  }
  const Section& s = config.sections[*index];
  const auto inserted = section_lines(config, s, added, config.line(s.last_statement_line).ending);
  auto lines = detail::raw_lines(config);
  lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(s.last_statement_line), inserted.begin(),
               inserted.end());
  const LineRange range{s.last_statement_line + 1, s.last_statement_line + inserted.size()};
  auto edit = rebuilt(config, lines, range);
  if (edit && edit->config.sections.size() != config.sections.size()) {
    return Error{
        fmt::format("{}: the lines for {} open a section of their own; add a new section at the end "
                    "of the file instead",
                    config.file_name, selector)};
  }
  return edit;
}

Result<Edit> insert_before_line(const Config& config, size_t line, const std::string& fragment) {
  if (Status s = check_line_number(config, line); !s) {
    return s.error();
  }
  const Line& at = config.line(line);
  if (at.kind != LineKind::statement || at.section < 0 ||
      config.sections[static_cast<size_t>(at.section)].first_line == line) {
    return Error{
        fmt::format("{}: line {} is no statement inside a section to insert before", config.file_name, line)};
  }
  const auto added = fragment_lines(fragment);
  if (added.empty()) {
    return Error{fmt::format("{}: nothing to add before line {}", config.file_name, line)};
  }
  const auto inserted =
      section_lines(config, config.sections[static_cast<size_t>(at.section)], added, at.ending);
  auto lines = detail::raw_lines(config);
  lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(line - 1), inserted.begin(), inserted.end());
  auto edit = rebuilt(config, lines, LineRange{line, line + inserted.size() - 1});
  if (edit && edit->config.sections.size() != config.sections.size()) {
    return Error{fmt::format("{}: the lines to add before line {} open a section of their own",
                             config.file_name, line)};
  }
  return edit;
}

Result<Edit> append_section(const Config& config, const std::string& fragment) {
  const auto added = fragment_lines(fragment);
  // On its own, the fragment must already be a well-formed section: that
  // also refuses statements placed before its section keyword.
  std::string alone;
  for (const auto& text : added) {
    alone += text + "\n";
  }
  auto parsed = parse(alone, config.file_name + " (new section)");
  if (!parsed) {
    return parsed.error();
  }
  if (parsed->sections.empty()) {
    return Error{fmt::format("{}: the lines to add open no section; start them with one ({})",
                             config.file_name, "backend NAME, frontend NAME, listen NAME...")};
  }
  auto lines = detail::raw_lines(config);
  const std::string ending = ending_of(config);
  if (!config.lines.empty() && config.lines.back().kind != LineKind::blank) {
    lines.push_back(RawLine{"", ending});  // a blank line between sections, as people write them
  }
  const size_t first = lines.size() + 1;
  for (const auto& text : added) {
    lines.push_back(RawLine{text, ending});
  }
  return rebuilt(config, lines, LineRange{first, lines.size()});
}

Result<Edit> set_server_address(const Config& config, const ServerRef& ref, const std::string& address) {
  auto s = server_line(config, ref);
  if (!s) {
    return s.error();
  }
  if (Status ok = check_word("address", address); !ok) {
    return ok.error();
  }
  const Word& old = s->line->words.at(2);
  const size_t begin = old.column - 1;
  return replace_line(config, s->line->number, spliced(*s->line, begin, end_of(old), quote_word(address)));
}

Result<Edit> set_server_option(const Config& config, const ServerRef& ref, const std::string& option,
                               const std::string& value) {
  auto s = server_line(config, ref);
  if (!s) {
    return s.error();
  }
  if (Status ok = check_word("option name", option); !ok) {
    return ok.error();
  }
  if (Status ok = check_word("value", value); !ok) {
    return ok.error();
  }
  const Line& line = *s->line;
  const auto at = option_index(line, option);
  if (at && *at + 1 < line.words.size()) {
    const Word& old = line.words[*at + 1];
    return replace_line(config, line.number, spliced(line, old.column - 1, end_of(old), quote_word(value)));
  }
  // Added after the last word, before any trailing comment.
  const size_t end = end_of(at ? line.words[*at] : line.words.back());
  const std::string added = at ? " " + quote_word(value) : " " + quote_word(option) + " " + quote_word(value);
  return replace_line(config, line.number, spliced(line, end, end, added));
}

Result<Edit> add_server_flag(const Config& config, const ServerRef& ref, const std::string& flag) {
  auto s = server_line(config, ref);
  if (!s) {
    return s.error();
  }
  if (Status ok = check_word("flag", flag); !ok) {
    return ok.error();
  }
  if (takes_value(flag)) {
    return Error{fmt::format("{}: '{}' takes a value, so it is set as an option, not added as a flag",
                             config.file_name, flag)};
  }
  const Line& line = *s->line;
  if (option_index(line, flag)) {
    return Edit{config, LineRange{line.number, line.number}};  // already there: nothing to change
  }
  const size_t end = end_of(line.words.back());
  return replace_line(config, line.number, spliced(line, end, end, " " + quote_word(flag)));
}

Result<Edit> remove_server_option(const Config& config, const ServerRef& ref, const std::string& option) {
  auto s = server_line(config, ref);
  if (!s) {
    return s.error();
  }
  const Line& line = *s->line;
  const auto at = option_index(line, option);
  if (!at) {
    const auto options = line.args(3);
    return Error{
        fmt::format("{}: {} has no '{}'; {}", config.file_name, describe(*s), option,
                    options.empty() ? "it has no options" : "its options are: " + detail::joined(options))};
  }
  // The word goes with the spaces before it, and with its value if it has one.
  const bool valued = takes_value(option) && *at + 1 < line.words.size();
  const size_t begin = end_of(line.words[*at - 1]);
  const size_t end = end_of(line.words[valued ? *at + 1 : *at]);
  return replace_line(config, line.number, spliced(line, begin, end, ""));
}

}  // namespace faultline::stack::haproxy_conf
