// Edits of directives already in a config: their arguments replaced, the
// directive removed, an upstream server's parameters and address changed.
// Each is a few byte ranges given new text; the rest of the file is kept
// as it was, comments and layout included.

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "harness/stack/nginx_conf_detail.h"

namespace faultline::stack::nginx_conf {

namespace detail {

Status apply(Config& config, size_t file, std::vector<Change> changes) {
  // From the end backwards, so that each span still means what it meant.
  std::sort(changes.begin(), changes.end(),
            [](const Change& a, const Change& b) { return a.span.begin > b.span.begin; });
  std::string text = config.files[file].text;
  for (const auto& c : changes) {
    text.replace(c.span.begin, c.span.end - c.span.begin, c.text);
  }
  return reload_with(config, file, std::move(text));
}

}  // namespace detail

namespace {

using detail::Change;

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r';
}

// The directive of `config` written at `d`'s place: `d` itself when it
// comes from this config as it is now.
const Directive* locate(const std::vector<Directive>& list, const Directive& d) {
  for (const auto& c : list) {
    if (c.span.begin == d.span.begin && c.span.end == d.span.end && c.name.value == d.name.value) {
      return &c;
    }
    if (c.has_block && c.span.begin < d.span.begin && d.span.end <= c.span.end) {
      return locate(c.children, d);
    }
  }
  return nullptr;
}

Result<const Directive*> current(const Config& config, const Directive& d) {
  const Directive* found =
      d.file < config.files.size() ? locate(config.files[d.file].directives, d) : nullptr;
  if (found == nullptr) {
    return Error{
        fmt::format("the directive \"{}\" is not in the config as it is now (query again after "
                    "each edit)",
                    d.name.value)};
  }
  return found;
}

std::string joined(const std::vector<std::string>& args) {
  std::vector<std::string> words;
  for (const auto& a : args) {
    words.push_back(detail::quote(a));
  }
  return fmt::format("{}", fmt::join(words, " "));
}

Result<ServerEntry> find_server(const Config& config, const std::string& upstream,
                                const std::string& server) {
  const auto u = find_upstream(config, upstream);
  if (!u) {
    std::vector<std::string> names;
    for (const auto& each : upstreams(config)) {
      names.push_back(each.name);
    }
    return Error{fmt::format("no upstream \"{}\" in the config (its upstreams: {})", upstream,
                             names.empty() ? "none" : fmt::format("{}", fmt::join(names, ", ")))};
  }
  std::vector<const ServerEntry*> by_host;
  std::vector<std::string> addresses;
  for (const auto& s : u->servers) {
    if (s.address == server) {
      return s;
    }
    if (s.host == server) {
      by_host.push_back(&s);
    }
    addresses.push_back(s.address);
  }
  if (by_host.size() == 1) {
    return *by_host.front();
  }
  return Error{fmt::format("upstream \"{}\" has {} server \"{}\" (name one of: {})", upstream,
                           by_host.empty() ? "no" : "more than one", server, fmt::join(addresses, ", "))};
}

// Removes the parameter args[i] (i >= 1) with the space before it.
Change drop_arg(const Directive& d, size_t i) {
  return Change{{d.args[i - 1].raw.end, d.args[i].raw.end}, {}};
}

bool has_key(const std::string& param, const std::string& key) {
  return param == key || param.rfind(key + "=", 0) == 0;
}

}  // namespace

Status replace_args(Config& config, const Directive& d, const std::vector<std::string>& args) {
  auto found = current(config, d);
  if (!found) {
    return found.error();
  }
  const Directive& dir = **found;
  const auto& old = dir.args;
  std::vector<Change> changes;
  if (args.size() == old.size()) {
    // Word for word, so that the spacing between them stays.
    for (size_t i = 0; i < args.size(); ++i) {
      if (old[i].value != args[i]) {
        changes.push_back(Change{old[i].raw, detail::quote(args[i])});
      }
    }
  } else if (old.empty()) {
    changes.push_back(Change{{dir.name.raw.end, dir.name.raw.end}, " " + joined(args)});
  } else if (args.empty()) {
    changes.push_back(Change{{dir.name.raw.end, old.back().raw.end}, {}});
  } else {
    // A word whose value stays keeps the way it was written.
    const std::string& text = config.files[dir.file].text;
    std::vector<std::string> words;
    for (size_t i = 0; i < args.size(); ++i) {
      words.push_back(i < old.size() && old[i].value == args[i]
                          ? text.substr(old[i].raw.begin, old[i].raw.end - old[i].raw.begin)
                          : detail::quote(args[i]));
    }
    changes.push_back(
        Change{{old.front().raw.begin, old.back().raw.end}, fmt::format("{}", fmt::join(words, " "))});
  }
  if (changes.empty()) {
    return {};
  }
  return detail::apply(config, dir.file, std::move(changes));
}

Status remove_directive(Config& config, const Directive& d) {
  auto found = current(config, d);
  if (!found) {
    return found.error();
  }
  const Directive& dir = **found;
  const std::string& text = config.files[dir.file].text;
  const size_t begin = dir.span.begin;
  size_t end = dir.span.end;
  const size_t first = detail::line_start(text, begin);
  const bool alone_before = std::all_of(text.begin() + first, text.begin() + begin, is_blank);
  size_t after = end;
  while (after < text.size() && is_blank(text[after])) {
    ++after;
  }
  const bool alone_after = after == text.size() || text[after] == '\n';
  Span span{begin, after};
  if (alone_before && alone_after) {
    // Its whole lines, indentation and newline included.
    span = {first, after < text.size() ? after + 1 : after};
  } else if (alone_after) {
    // After other directives on its line: those stay, and so does the end
    // of the line.
    size_t before = begin;
    while (before > first && is_blank(text[before - 1])) {
      --before;
    }
    span = {before, end};
  }
  return detail::apply(config, dir.file, {Change{span, {}}});
}

Status set_server_param(Config& config, const std::string& upstream, const std::string& server,
                        const std::string& key, const std::string& value) {
  auto entry = find_server(config, upstream, server);
  if (!entry) {
    return entry.error();
  }
  const Directive& d = *entry->directive;
  const std::string word = detail::quote(key + "=" + value);
  for (size_t i = 1; i < d.args.size(); ++i) {
    if (has_key(d.args[i].value, key)) {
      return detail::apply(config, d.file, {Change{d.args[i].raw, word}});
    }
  }
  const size_t end = d.args.back().raw.end;
  return detail::apply(config, d.file, {Change{{end, end}, " " + word}});
}

Status set_server_flag(Config& config, const std::string& upstream, const std::string& server,
                       const std::string& flag, bool on) {
  auto entry = find_server(config, upstream, server);
  if (!entry) {
    return entry.error();
  }
  const Directive& d = *entry->directive;
  for (size_t i = 1; i < d.args.size(); ++i) {
    if (d.args[i].value == flag) {
      return on ? Status{} : detail::apply(config, d.file, {drop_arg(d, i)});
    }
  }
  if (!on) {
    return {};
  }
  const size_t end = d.args.back().raw.end;
  return detail::apply(config, d.file, {Change{{end, end}, " " + detail::quote(flag)}});
}

Status remove_server_param(Config& config, const std::string& upstream, const std::string& server,
                           const std::string& key) {
  auto entry = find_server(config, upstream, server);
  if (!entry) {
    return entry.error();
  }
  const Directive& d = *entry->directive;
  std::vector<Change> changes;
  for (size_t i = 1; i < d.args.size(); ++i) {
    if (has_key(d.args[i].value, key)) {
      changes.push_back(drop_arg(d, i));
    }
  }
  if (changes.empty()) {
    return {};
  }
  return detail::apply(config, d.file, std::move(changes));
}

Status set_server_address(Config& config, const std::string& upstream, const std::string& server,
                          const std::string& address) {
  auto entry = find_server(config, upstream, server);
  if (!entry) {
    return entry.error();
  }
  const Directive& d = *entry->directive;
  return detail::apply(config, d.file, {Change{d.args.front().raw, detail::quote(address)}});
}

}  // namespace faultline::stack::nginx_conf
