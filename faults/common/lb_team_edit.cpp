#include "faults/common/lb_team_edit.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "harness/common/text.h"

namespace faultline::faults {

namespace haproxy_conf = stack::haproxy_conf;
namespace nginx_conf = stack::nginx_conf;

namespace {

bool has_word(const std::vector<std::string>& words, const std::string& word) {
  return std::find(words.begin(), words.end(), word) != words.end();
}

// Takes an HAProxy edit's result into `config`.
Status take(TeamConfig& config, Result<haproxy_conf::Edit> edit) {
  if (!edit) {
    return edit.error();
  }
  config.haproxy() = std::move(edit->config);
  return {};
}

// The upstream entry a TeamServer names: by its address, else by its host
// when only one entry of the upstream has it.
Result<nginx_conf::ServerEntry> find_entry(const TeamConfig& config, const TeamServer& server) {
  const auto u = nginx_conf::find_upstream(config.nginx(), server.backend);
  if (!u) {
    return Error{fmt::format("the configuration has no upstream \"{}\"", server.backend)};
  }
  std::vector<nginx_conf::ServerEntry> by_host;
  for (const auto& e : u->servers) {
    if (e.address == server.server) {
      return e;
    }
    if (e.host == server.server) {
      by_host.push_back(e);
    }
  }
  if (by_host.size() != 1) {
    return Error{fmt::format("upstream \"{}\" has {} server \"{}\"", server.backend,
                             by_host.empty() ? "no" : "more than one", server.server)};
  }
  return by_host.front();
}

// The address `edit` gives a server, as its line writes addresses: the new
// host and port where the edit sets them, the ones it has otherwise (an
// nginx entry has no family prefix, so its prefix is empty).
Result<std::string> edited_address(const TeamConfig& config, const TeamServer& server,
                                   const ServerEdit& edit) {
  auto now = team_server_address(config, server);
  if (!now) {
    return now.error();
  }
  const std::string host = edit.address.value_or(now->host);
  const auto port = edit.port ? edit.port : now->port;
  return now->prefix + host + (port ? fmt::format(":{}", *port) : std::string());
}

Status edit_haproxy_server(TeamConfig& config, const TeamServer& server, const ServerEdit& edit) {
  const haproxy_conf::ServerRef ref{server.backend, server.server};
  for (const auto& [option, value] : edit.set) {
    if (auto st = take(config, haproxy_conf::set_server_option(config.haproxy(), ref, option, value)); !st) {
      return st;
    }
  }
  for (const auto& option : edit.remove) {
    auto found = haproxy_conf::find_server(config.haproxy(), ref);
    if (!found) {
      return found.error();
    }
    if (!has_word(found->options, option)) {
      continue;  // nothing to take off
    }
    if (auto st = take(config, haproxy_conf::remove_server_option(config.haproxy(), ref, option)); !st) {
      return st;
    }
  }
  for (const auto& flag : edit.flags) {
    if (auto st = take(config, haproxy_conf::add_server_flag(config.haproxy(), ref, flag)); !st) {
      return st;
    }
  }
  if (edit.address || edit.port) {
    auto address = edited_address(config, server, edit);
    if (!address) {
      return address.error();
    }
    if (auto st = take(config, haproxy_conf::set_server_address(config.haproxy(), ref, *address)); !st) {
      return st;
    }
  }
  return {};
}

Status edit_nginx_server(TeamConfig& config, const TeamServer& server, const ServerEdit& edit) {
  auto& c = config.nginx();
  for (const auto& [key, value] : edit.set) {
    if (auto st = nginx_conf::set_server_param(c, server.backend, server.server, key, value); !st) {
      return st;
    }
  }
  for (const auto& key : edit.remove) {
    if (auto st = nginx_conf::remove_server_param(c, server.backend, server.server, key); !st) {
      return st;
    }
  }
  for (const auto& flag : edit.flags) {
    if (auto st = nginx_conf::set_server_flag(c, server.backend, server.server, flag, true); !st) {
      return st;
    }
  }
  // Last: a new host would no longer be the name the server is found by.
  if (edit.address || edit.port) {
    auto address = edited_address(config, server, edit);
    if (!address) {
      return address.error();
    }
    if (auto st = nginx_conf::set_server_address(c, server.backend, server.server, *address); !st) {
      return st;
    }
  }
  return {};
}

}  // namespace

Status edit_team_server(TeamConfig& config, const TeamServer& server, const ServerEdit& edit) {
  return config.is_haproxy() ? edit_haproxy_server(config, server, edit)
                             : edit_nginx_server(config, server, edit);
}

Result<TeamAddress> team_server_address(const TeamConfig& config, const TeamServer& server) {
  TeamAddress out;
  if (config.is_haproxy()) {
    auto found = haproxy_conf::find_server(config.haproxy(), {server.backend, server.server});
    if (!found) {
      return found.error();
    }
    const auto a = haproxy_conf::split_address(found->address);
    out.prefix = a.prefix;
    // split_address takes an IPv6 address out of its brackets; written
    // back with a port, it needs them again.
    out.host = a.host.find(':') != std::string::npos && !a.unix_path ? "[" + a.host + "]" : a.host;
    out.port = a.port;
    out.unix_socket = a.unix_path;
    return out;
  }
  auto entry = find_entry(config, server);
  if (!entry) {
    return entry.error();
  }
  out.host = entry->host;
  out.port = entry->port;
  out.unix_socket = starts_with(entry->address, "unix:");
  return out;
}

bool haproxy_server_checked(const TeamConfig& config, const TeamServer& server) {
  const auto& c = config.haproxy();
  auto found = haproxy_conf::find_server(c, {server.backend, server.server});
  if (!found || has_word(found->options, "no-check")) {
    return false;
  }
  if (has_word(found->options, "check")) {
    return true;
  }
  // From a `default-server` line: the backend's own, or one of a defaults
  // section.
  for (const auto& be : haproxy_conf::backends(c)) {
    if (be.name == server.backend && has_word(be.default_server, "check")) {
      return true;
    }
  }
  for (const auto& line : c.lines) {
    if (line.section >= 0 && c.sections[static_cast<size_t>(line.section)].keyword == "defaults" &&
        line.keyword() == "default-server" && has_word(line.args(), "check")) {
      return true;
    }
  }
  return false;
}

Status set_in_section(TeamConfig& config, const std::string& selector, const std::string& key,
                      const std::string& line) {
  auto index = haproxy_conf::find_section(config.haproxy(), selector);
  if (!index) {
    return index.error();
  }
  const auto key_words = split_words(key);
  // A replaced line keeps every line's number, so the range stays right.
  const size_t first = config.haproxy().sections[*index].first_line + 1;
  const size_t last = config.haproxy().sections[*index].last_line;
  bool replaced = false;
  for (size_t n = first; n <= last; ++n) {
    const haproxy_conf::Line& l = config.haproxy().line(n);
    const auto words = l.args(0);
    if (l.kind != haproxy_conf::LineKind::statement || words.size() < key_words.size() ||
        !std::equal(key_words.begin(), key_words.end(), words.begin())) {
      continue;
    }
    if (auto st = take(config, haproxy_conf::replace_line(config.haproxy(), n, l.indent() + line)); !st) {
      return st;
    }
    replaced = true;
  }
  if (replaced) {
    return {};
  }
  return take(config, haproxy_conf::insert_in_section(config.haproxy(), selector, line));
}

std::string haproxy_backend_selector(const TeamConfig& config, const std::string& name) {
  for (const auto& be : haproxy_conf::backends(config.haproxy())) {
    if (be.name == name) {
      return be.keyword + " " + be.name;
    }
  }
  return "backend " + name;
}

std::vector<std::string> haproxy_sections(const TeamConfig& config,
                                          const std::vector<std::string>& keywords) {
  std::vector<std::string> out;
  for (const auto& s : config.haproxy().sections) {
    if (has_word(keywords, s.keyword) && !s.name.empty()) {
      out.push_back(s.selector());
    }
  }
  return out;
}

Status set_everywhere(TeamConfig& config, const std::string& name, const std::vector<std::string>& args) {
  auto& c = config.nginx();
  // Every edit re-reads the config, so each pass looks for the next
  // directive that does not say `args` yet.
  while (true) {
    const nginx_conf::Directive* next = nullptr;
    nginx_conf::walk(c,
                     [&](const nginx_conf::Directive& d, const std::vector<const nginx_conf::Directive*>&) {
                       if (next == nullptr && d.name.value == name && d.values() != args) {
                         next = &d;
                       }
                     });
    if (next == nullptr) {
      break;
    }
    if (auto st = nginx_conf::replace_args(c, *next, args); !st) {
      return st;
    }
  }
  const nginx_conf::Directive* http = nullptr;
  for (const auto* d : nginx_conf::top_level(c)) {
    if (d->name.value == "http" && d->has_block) {
      http = d;
    }
  }
  if (http == nullptr) {
    return Error{"the configuration has no http block"};
  }
  for (const auto* d : nginx_conf::children(c, *http)) {
    if (d->name.value == name) {
      return {};
    }
  }
  auto put = nginx_conf::insert_directive(c, "http", nginx_conf::At::start, name, args);
  if (!put) {
    return put.error();
  }
  return {};
}

Status remove_from_upstream(TeamConfig& config, const std::string& upstream,
                            const std::vector<std::string>& names) {
  auto& c = config.nginx();
  while (true) {
    const auto u = nginx_conf::find_upstream(c, upstream);
    if (!u) {
      return Error{fmt::format("the configuration has no upstream \"{}\"", upstream)};
    }
    const nginx_conf::Directive* found = nullptr;
    for (const auto* d : nginx_conf::children(c, *u->directive)) {
      if (found == nullptr && has_word(names, d->name.value)) {
        found = d;
      }
    }
    if (found == nullptr) {
      return {};
    }
    if (auto st = nginx_conf::remove_directive(c, *found); !st) {
      return st;
    }
  }
}

Result<InsertedLines> insert_team_fragment(TeamConfig& config, const std::string& selector,
                                           const std::string& fragment) {
  if (config.is_haproxy()) {
    auto edit = haproxy_conf::insert_in_section(config.haproxy(), selector, fragment);
    if (!edit) {
      return edit.error();
    }
    config.haproxy() = std::move(edit->config);
    return InsertedLines{config.haproxy().file_name, edit->lines.first, edit->lines.last};
  }
  auto put = nginx_conf::insert_fragment(config.nginx(), selector, nginx_conf::At::start, fragment);
  if (!put) {
    return put.error();
  }
  return InsertedLines{put->file, put->first_line, put->last_line};
}

}  // namespace faultline::faults
