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

namespace {

using nginx_conf::Directive;

// A location of the http context holding a proxy_pass, and the blocks
// around it (outermost first).
struct PassingLocation {
  const Directive* location = nullptr;
  std::vector<const Directive*> around;
  bool to_upstream = false;  // one of its proxy_pass lines names the upstream
};

// The innermost `location` of `blocks` (outermost first), as an iterator
// of their reversed order; rend() when none is (a stream server's
// proxy_pass has no proxy_read_timeout and the like, and is not one).
std::vector<const Directive*>::const_reverse_iterator innermost_location(
    const std::vector<const Directive*>& blocks) {
  return std::find_if(blocks.rbegin(), blocks.rend(),
                      [](const Directive* b) { return b->name.value == "location"; });
}

std::vector<PassingLocation> passing_locations(const nginx_conf::Config& c, const std::string& upstream) {
  std::vector<const Directive*> to_upstream;
  for (const auto& p : nginx_conf::proxy_passes(c)) {
    if (p.names_upstream && p.target == upstream) {
      to_upstream.push_back(p.directive);
    }
  }
  std::vector<PassingLocation> out;
  nginx_conf::walk(c, [&](const Directive& d, const std::vector<const Directive*>& blocks) {
    if (d.name.value != "proxy_pass") {
      return;
    }
    const auto loc = innermost_location(blocks);
    if (loc == blocks.rend()) {
      return;
    }
    const bool to = std::find(to_upstream.begin(), to_upstream.end(), &d) != to_upstream.end();
    const auto same =
        std::find_if(out.begin(), out.end(), [&](const PassingLocation& p) { return p.location == *loc; });
    if (same != out.end()) {
      same->to_upstream = same->to_upstream || to;
      return;
    }
    out.push_back(PassingLocation{*loc, {blocks.begin(), std::prev(loc.base())}, to});
  });
  return out;
}

// The `name` directive a block writes itself (through its includes); null
// when it has none.
const Directive* own_directive(const nginx_conf::Config& c, const Directive& block, const std::string& name) {
  for (const auto* d : nginx_conf::children(c, block)) {
    if (d->name.value == name) {
      return d;
    }
  }
  return nullptr;
}

bool is_target(const std::vector<PassingLocation>& all, const Directive* block) {
  return std::any_of(all.begin(), all.end(),
                     [&](const PassingLocation& p) { return p.to_upstream && p.location == block; });
}

// `name args;` after the last directive written in `location`'s block.
Status add_to_location(nginx_conf::Config& c, const Directive& location, const std::string& name,
                       const std::vector<std::string>& args) {
  if (location.children.empty()) {
    return Error{fmt::format("{}: the location has no directive to add {} after",
                             nginx_conf::where(c, location), name)};
  }
  auto put = nginx_conf::insert_after(c, location.children.back(),
                                      fmt::format("{} {};", name, fmt::join(args, " ")));
  return put ? Status{} : Status{put.error()};
}

// Whether file `file` is included by a location other than those passing
// to the upstream.
bool included_elsewhere(const nginx_conf::Config& c, const std::vector<PassingLocation>& all, size_t file) {
  bool elsewhere = false;
  nginx_conf::walk(c, [&](const Directive& d, const std::vector<const Directive*>& blocks) {
    if (d.name.value != "include" ||
        std::find(d.included.begin(), d.included.end(), file) == d.included.end()) {
      return;
    }
    const auto loc = innermost_location(blocks);
    elsewhere = elsewhere || loc == blocks.rend() || !is_target(all, *loc);
  });
  return elsewhere;
}

// Gives the first location nested in one passing to the upstream, passing
// elsewhere, without `name` of its own, the value in force there now; false
// when there is none left.
Result<bool> pin_next(nginx_conf::Config& c, const std::string& upstream, const std::string& name,
                      const std::vector<std::string>& inherited) {
  const auto all = passing_locations(c, upstream);
  for (const auto& p : all) {
    const bool inside_target =
        std::any_of(p.around.begin(), p.around.end(), [&](const Directive* b) { return is_target(all, b); });
    if (p.to_upstream || !inside_target || own_directive(c, *p.location, name) != nullptr) {
      continue;
    }
    std::vector<std::string> in_force = inherited;
    for (auto b = p.around.rbegin(); b != p.around.rend(); ++b) {
      if (const auto* d = own_directive(c, **b, name)) {
        in_force = d->values();
        break;
      }
    }
    if (auto st = add_to_location(c, *p.location, name, in_force); !st) {
      return st.error();
    }
    return true;
  }
  return false;
}

// Sets `name` in the first location passing to the upstream that does not
// say `args` yet; false when every one does.
Result<bool> set_next(nginx_conf::Config& c, const std::string& upstream, const std::string& name,
                      const std::vector<std::string>& args) {
  const auto all = passing_locations(c, upstream);
  for (const auto& p : all) {
    if (!p.to_upstream) {
      continue;
    }
    const Directive* own = own_directive(c, *p.location, name);
    if (own == nullptr) {
      if (auto st = add_to_location(c, *p.location, name, args); !st) {
        return st.error();
      }
      return true;
    }
    if (own->values() == args) {
      continue;
    }
    if (own->file != p.location->file && included_elsewhere(c, all, own->file)) {
      return Error{fmt::format(
          "{}: the location passing to upstream \"{}\" takes {} from {}, which another location includes "
          "too: changing it there would change that location as well",
          nginx_conf::where(c, *p.location), upstream, name, c.files[own->file].label())};
    }
    if (auto st = nginx_conf::replace_args(c, *own, args); !st) {
      return st.error();
    }
    return true;
  }
  return false;
}

}  // namespace

size_t locations_passing_to(const TeamConfig& config, const std::string& upstream) {
  const auto all = passing_locations(config.nginx(), upstream);
  return static_cast<size_t>(
      std::count_if(all.begin(), all.end(), [](const PassingLocation& p) { return p.to_upstream; }));
}

Status set_for_upstream(TeamConfig& config, const std::string& upstream, const std::string& name,
                        const std::vector<std::string>& args, const std::vector<std::string>& inherited) {
  auto& c = config.nginx();
  if (locations_passing_to(config, upstream) == 0) {
    return Error{
        fmt::format("no location of the configuration passes requests to upstream \"{}\"", upstream)};
  }
  // Each pass edits one location and reads the config again; every edit
  // settles one location for good, so the passes are bounded by their
  // number.
  const size_t locations = passing_locations(c, upstream).size();
  for (size_t pass = 0; pass <= locations; ++pass) {
    auto pinned = pin_next(c, upstream, name, inherited);
    if (!pinned) {
      return pinned.error();
    }
    if (*pinned) {
      continue;
    }
    auto set = set_next(c, upstream, name, args);
    if (!set) {
      return set.error();
    }
    if (!*set) {
      return {};
    }
  }
  return Error{
      fmt::format("{} could not be set in the locations passing to upstream \"{}\"", name, upstream)};
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
