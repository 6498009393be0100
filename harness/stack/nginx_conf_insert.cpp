// Inserting directives into a block named by a selector ("upstream be_api",
// "server :8080"), or at a file's top. Inserted lines take the block's
// indentation, so the file still reads as its team wrote it; the result
// says which lines of which file the fragment became.

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "harness/common/text.h"
#include "harness/stack/nginx_conf_detail.h"

namespace faultline::stack::nginx_conf {

namespace {

using detail::Change;

// Where an insert goes: a block, or (block null) a file's top level.
struct Target {
  size_t file = 0;
  const Directive* block = nullptr;
};

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r';
}

bool blank_between(const std::string& text, size_t begin, size_t end) {
  return std::all_of(text.begin() + begin, text.begin() + end, is_blank);
}

std::optional<Target> resolve(const Config& config, const std::string& selector) {
  const auto words = split_words(selector);
  if (words.empty()) {
    return std::nullopt;
  }
  const std::string& kind = words.front();
  const std::string rest = fmt::format("{}", fmt::join(words.begin() + 1, words.end(), " "));
  const auto in = [](const Directive* d) { return std::optional<Target>(Target{d->file, d}); };
  if (kind == "main" && rest.empty()) {
    return Target{0, nullptr};
  }
  if ((kind == "http" || kind == "events") && rest.empty()) {
    for (const Directive* d : top_level(config)) {
      if (d->name.value == kind && d->has_block) {
        return in(d);
      }
    }
  } else if (kind == "upstream") {
    if (const auto u = find_upstream(config, rest)) {
      return in(u->directive);
    }
  } else if (kind == "location") {
    if (const auto l = find_location(config, rest)) {
      return in(l->directive);
    }
  } else if (kind == "server") {
    for (const auto& b : server_blocks(config)) {
      if (rest.empty()) {
        return in(b.directive);
      }
      for (const auto& l : b.listens) {
        if (l.port && rest == fmt::format(":{}", *l.port)) {
          return in(b.directive);
        }
      }
    }
  }
  return std::nullopt;
}

// The indentation one level deeper than none, as the file writes it: a
// tab, or the fewest spaces any line opens with; four in a flat file.
std::string indent_unit(const std::string& text) {
  size_t fewest = 0;
  for (const auto& line : split_lines(text)) {
    const size_t lead = line.find_first_not_of(" \t");
    if (lead == 0 || lead == std::string::npos) {
      continue;
    }
    if (line[0] == '\t') {
      return "\t";
    }
    fewest = fewest == 0 ? lead : std::min(fewest, lead);
  }
  return std::string(fewest == 0 ? 4 : fewest, ' ');
}

// The fragment's lines, blank ones at either end dropped, its own common
// indentation replaced by `indent`; each ends in `eol`. (A quoted string
// that runs across lines would be re-indented too.)
std::vector<std::string> reindent(const std::string& fragment, const std::string& indent,
                                  const std::string& eol) {
  auto lines = split_lines(fragment);
  for (auto& l : lines) {
    if (!l.empty() && l.back() == '\r') {
      l.pop_back();
    }
  }
  const auto blank = [](const std::string& l) { return trim(l).empty(); };
  while (!lines.empty() && blank(lines.back())) {
    lines.pop_back();
  }
  lines.erase(lines.begin(), std::find_if_not(lines.begin(), lines.end(), blank));
  size_t common = std::string::npos;
  for (const auto& l : lines) {
    if (!blank(l)) {
      common = std::min(common, l.find_first_not_of(" \t"));
    }
  }
  for (auto& l : lines) {
    l = blank(l) ? eol : indent + l.substr(common) + eol;
  }
  return lines;
}

// The indentation of a block's children: that of its first child written
// at the start of a line, else the block's own plus one level.
std::string child_indent(const std::string& text, const Directive& block) {
  for (const auto& c : block.children) {
    if (blank_between(text, detail::line_start(text, c.span.begin), c.span.begin)) {
      return detail::indentation_at(text, c.span.begin);
    }
  }
  return detail::indentation_at(text, block.span.begin) + indent_unit(text);
}

// Where the fragment's lines go in `text`: the change, and the offset of
// the fragment's first line in the text after it.
struct Placement {
  Change change;
  size_t body_offset = 0;
};

Placement place(const std::string& text, const Target& target, At at, const std::string& body,
                const std::string& eol, const std::vector<Directive>& top) {
  if (target.block == nullptr) {
    if (at == At::start && !top.empty()) {
      const size_t p = detail::line_start(text, top.front().span.begin);
      return {Change{{p, p}, body}, p};
    }
    const std::string lead = text.empty() || text.back() == '\n' ? "" : eol;
    return {Change{{text.size(), text.size()}, lead + body}, text.size() + lead.size()};
  }
  const Directive& b = *target.block;
  const std::string outer = detail::indentation_at(text, b.span.begin);
  if (at == At::start) {
    size_t k = b.block.begin + 1;
    while (k < text.size() && is_blank(text[k])) {
      ++k;
    }
    if (k < text.size() && text[k] == '#') {
      k = std::min(text.find('\n', k), text.size());
    }
    if (k < text.size() && text[k] == '\n') {
      return {Change{{k + 1, k + 1}, body}, k + 1};
    }
    // Something follows the `{` on its line: it moves to a line of its own
    // after the fragment.
    const std::string after = k < text.size() && text[k] != '}' ? child_indent(text, b) : outer;
    return {Change{{b.block.begin + 1, k}, eol + body + after}, b.block.begin + 1 + eol.size()};
  }
  const size_t close = b.block.end - 1;
  const size_t first = detail::line_start(text, close);
  if (blank_between(text, first, close)) {
    return {Change{{first, first}, body}, first};
  }
  size_t q = close;
  while (q > b.block.begin + 1 && is_blank(text[q - 1])) {
    --q;
  }
  return {Change{{q, close}, eol + body + outer}, q + eol.size()};
}

Result<Inserted> insert(Config& config, const Target& target, At at, const std::string& fragment) {
  if (fragment.find_first_not_of(" \t\r\n") == std::string::npos) {
    return Error{"nothing to insert: the fragment is empty"};
  }
  if (auto alone = detail::parse_file(fragment, "fragment", 0); !alone) {
    return Error{"the fragment does not parse: " + alone.error().message};
  }
  const File& file = config.files[target.file];
  const std::string& text = file.text;
  const std::string indent = target.block ? child_indent(text, *target.block)
                             : file.directives.empty()
                                 ? std::string{}
                                 : detail::indentation_at(text, file.directives.front().span.begin);
  // A file written with CRLF line ends gets them on its new lines too.
  const std::string eol = text.find("\r\n") == std::string::npos ? "\n" : "\r\n";
  const auto lines = reindent(fragment, indent, eol);
  std::string body;
  for (const auto& l : lines) {
    body += l;
  }
  const Placement p = place(text, target, at, body, eol, file.directives);
  std::string after = text;
  after.replace(p.change.span.begin, p.change.span.end - p.change.span.begin, p.change.text);
  Inserted inserted;
  inserted.file = file.path;
  inserted.first_line = detail::line_at(after, p.body_offset);
  inserted.last_line = inserted.first_line + lines.size() - 1;
  if (auto applied = detail::apply(config, target.file, {p.change}); !applied) {
    return applied.error();
  }
  return inserted;
}

}  // namespace

Result<Inserted> insert_after(Config& config, const Directive& d, const std::string& fragment) {
  if (fragment.find_first_not_of(" \t\r\n") == std::string::npos) {
    return Error{"nothing to insert: the fragment is empty"};
  }
  if (auto alone = detail::parse_file(fragment, "fragment", 0); !alone) {
    return Error{"the fragment does not parse: " + alone.error().message};
  }
  const File& file = config.files[d.file];
  const std::string& text = file.text;
  const std::string eol = text.find("\r\n") == std::string::npos ? "\n" : "\r\n";
  const auto lines = reindent(fragment, detail::indentation_at(text, d.span.begin), eol);
  std::string body;
  for (const auto& l : lines) {
    body += l;
  }
  // After the line `d` ends on; a directive sharing its last line with
  // something else gets the fragment on a line of its own right after it.
  size_t at = text.find('\n', d.span.end);
  Change change;
  size_t body_offset = 0;
  if (at != std::string::npos && blank_between(text, d.span.end, at)) {
    change = Change{{at + 1, at + 1}, body};
    body_offset = at + 1;
  } else {
    at = d.span.end;
    change = Change{{at, at}, eol + body};
    body_offset = at + eol.size();
  }
  std::string after = text;
  after.replace(change.span.begin, change.span.end - change.span.begin, change.text);
  Inserted inserted;
  inserted.file = file.path;
  inserted.first_line = detail::line_at(after, body_offset);
  inserted.last_line = inserted.first_line + lines.size() - 1;
  if (auto applied = detail::apply(config, d.file, {change}); !applied) {
    return applied.error();
  }
  return inserted;
}

std::vector<std::string> selectors(const Config& config) {
  std::vector<std::string> out{"main"};
  for (const Directive* d : top_level(config)) {
    if ((d->name.value == "events" || d->name.value == "http") && d->has_block) {
      out.push_back(d->name.value);
    }
  }
  for (const auto& u : upstreams(config)) {
    out.push_back("upstream " + u.name);
  }
  const auto blocks = server_blocks(config);
  if (!blocks.empty()) {
    out.emplace_back("server");
  }
  for (const auto& b : blocks) {
    for (const auto& l : b.listens) {
      if (l.port) {
        out.push_back(fmt::format("server :{}", *l.port));
      }
    }
  }
  for (const auto& l : locations(config)) {
    out.push_back("location " + l.match);
  }
  // A port or a location written twice is one selector.
  std::vector<std::string> unique;
  for (auto& s : out) {
    if (std::find(unique.begin(), unique.end(), s) == unique.end()) {
      unique.push_back(std::move(s));
    }
  }
  return unique;
}

Result<Inserted> insert_fragment(Config& config, const std::string& selector, At at,
                                 const std::string& fragment) {
  const auto target = resolve(config, selector);
  if (!target) {
    return Error{fmt::format("no block \"{}\" in the config (it has: {})", selector,
                             fmt::join(selectors(config), ", "))};
  }
  return insert(config, *target, at, fragment);
}

Result<Inserted> insert_in_block(Config& config, const Directive& block, At at, const std::string& fragment) {
  if (!block.has_block) {
    return Error{fmt::format("{} at {} has no block to insert into", block.name.value, where(config, block))};
  }
  return insert(config, Target{block.file, &block}, at, fragment);
}

Result<Inserted> insert_directive(Config& config, const std::string& selector, At at, const std::string& name,
                                  const std::vector<std::string>& args) {
  std::vector<std::string> words{name};
  for (const auto& a : args) {
    words.push_back(detail::quote(a));
  }
  return insert_fragment(config, selector, at, fmt::format("{};", fmt::join(words, " ")));
}

Result<Inserted> insert_at_top(Config& config, const std::string& file, const std::string& fragment) {
  const File* f = config.find_file(file);
  if (f == nullptr) {
    std::vector<std::string> labels;
    for (const auto& each : config.files) {
      labels.push_back(each.label());
    }
    return Error{fmt::format("no file \"{}\" in the config (its files: {})", file, fmt::join(labels, ", "))};
  }
  return insert(config, Target{static_cast<size_t>(f - config.files.data()), nullptr}, At::start, fragment);
}

}  // namespace faultline::stack::nginx_conf
