// Walks through includes, and the questions a load-balancer fault asks of a
// config: which upstreams there are and what servers they name, which
// server blocks listen where, which locations route where.

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <set>

#include "harness/common/text.h"
#include "harness/stack/nginx_conf_detail.h"

namespace faultline::stack::nginx_conf {

namespace {

void visit_list(const Config& config, const std::vector<Directive>& list,
                std::vector<const Directive*>& blocks, const Visitor& visit) {
  for (const auto& d : list) {
    visit(d, blocks);
    for (const size_t f : d.included) {
      visit_list(config, config.files[f].directives, blocks, visit);
    }
    if (d.has_block) {
      blocks.push_back(&d);
      visit_list(config, d.children, blocks, visit);
      blocks.pop_back();
    }
  }
}

void expand_into(const Config& config, const std::vector<Directive>& list,
                 std::vector<const Directive*>& out) {
  for (const auto& d : list) {
    if (d.name.value == "include") {
      for (const size_t f : d.included) {
        expand_into(config, config.files[f].directives, out);
      }
    } else {
      out.push_back(&d);
    }
  }
}

std::optional<int> port_number(const std::string& s) {
  if (s.empty() || s.size() > 5 || s.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  const int port = std::stoi(s);
  return port <= 65535 ? std::optional<int>(port) : std::nullopt;
}

// "api1:9000" -> api1, 9000; "[::1]:80" -> [::1], 80; "api1" -> api1, none;
// "unix:/run/x.sock" -> itself, none. What does not split stays the host.
void split_address(const std::string& address, std::string& host, std::optional<int>& port) {
  host = address;
  port.reset();
  if (starts_with(address, "unix:")) {
    return;
  }
  if (starts_with(address, "[")) {
    const size_t close = address.find(']');
    if (close != std::string::npos && close + 1 < address.size() && address[close + 1] == ':') {
      if (auto p = port_number(address.substr(close + 2))) {
        host = address.substr(0, close + 1);
        port = p;
      }
    }
    return;
  }
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos || address.find(':') != colon) {
    return;
  }
  if (auto p = port_number(address.substr(colon + 1))) {
    host = address.substr(0, colon);
    port = p;
  }
}

bool in_context(const std::vector<const Directive*>& blocks) {
  return !blocks.empty() && (blocks.back()->name.value == "http" || blocks.back()->name.value == "stream");
}

Upstream upstream_of(const Config& config, const Directive& d) {
  Upstream u;
  u.directive = &d;
  u.name = d.arg(0);
  for (const Directive* c : children(config, d)) {
    if (c->name.value != "server" || c->has_block || c->args.empty()) {
      continue;
    }
    ServerEntry s;
    s.directive = c;
    s.upstream = u.name;
    s.address = c->arg(0);
    split_address(s.address, s.host, s.port);
    for (size_t i = 1; i < c->args.size(); ++i) {
      s.params.push_back(c->args[i].value);
    }
    u.servers.push_back(std::move(s));
  }
  return u;
}

}  // namespace

void walk(const Config& config, const Visitor& visit) {
  std::vector<const Directive*> blocks;
  if (!config.files.empty()) {
    visit_list(config, config.files[0].directives, blocks, visit);
  }
}

std::vector<const Directive*> top_level(const Config& config) {
  std::vector<const Directive*> out;
  if (!config.files.empty()) {
    expand_into(config, config.files[0].directives, out);
  }
  return out;
}

std::vector<const Directive*> children(const Config& config, const Directive& block) {
  std::vector<const Directive*> out;
  expand_into(config, block.children, out);
  return out;
}

std::optional<std::string> ServerEntry::param(const std::string& key) const {
  for (const auto& p : params) {
    if (p == key) {
      return std::string{};
    }
    if (starts_with(p, key + "=")) {
      return p.substr(key.size() + 1);
    }
  }
  return std::nullopt;
}

std::vector<Upstream> upstreams(const Config& config) {
  std::vector<Upstream> out;
  walk(config, [&](const Directive& d, const std::vector<const Directive*>& blocks) {
    if (d.name.value == "upstream" && d.has_block && in_context(blocks)) {
      out.push_back(upstream_of(config, d));
    }
  });
  return out;
}

std::optional<Upstream> find_upstream(const Config& config, const std::string& name) {
  for (auto& u : upstreams(config)) {
    if (u.name == name) {
      return std::move(u);
    }
  }
  return std::nullopt;
}

std::vector<ServerEntry> servers_with_host(const Config& config, const std::string& host) {
  std::vector<ServerEntry> out;
  for (const auto& u : upstreams(config)) {
    for (const auto& s : u.servers) {
      if (s.host == host) {
        out.push_back(s);
      }
    }
  }
  return out;
}

std::vector<ServerBlock> server_blocks(const Config& config) {
  std::vector<ServerBlock> out;
  walk(config, [&](const Directive& d, const std::vector<const Directive*>& blocks) {
    if (d.name.value != "server" || !d.has_block || !in_context(blocks)) {
      return;
    }
    ServerBlock b;
    b.directive = &d;
    b.context = blocks.back()->name.value;
    for (const Directive* c : children(config, d)) {
      if (c->name.value == "listen" && !c->args.empty()) {
        Listen l;
        l.directive = c;
        l.address = c->arg(0);
        if (auto bare = port_number(l.address)) {
          l.port = bare;
        } else {
          split_address(l.address, l.host, l.port);
          // nginx: "If only address is given, the port 80 is used."
          if (!l.port && !starts_with(l.address, "unix:")) {
            l.port = 80;
          }
        }
        b.listens.push_back(std::move(l));
      } else if (c->name.value == "server_name") {
        const auto names = c->values();
        b.names.insert(b.names.end(), names.begin(), names.end());
      }
    }
    out.push_back(std::move(b));
  });
  return out;
}

std::vector<Location> locations(const Config& config) {
  std::vector<Location> out;
  walk(config, [&](const Directive& d, const std::vector<const Directive*>& blocks) {
    if (d.name.value != "location" || !d.has_block) {
      return;
    }
    for (auto b = blocks.rbegin(); b != blocks.rend(); ++b) {
      if ((*b)->name.value == "server" && (*b)->has_block) {
        out.push_back(Location{&d, *b, fmt::format("{}", fmt::join(d.values(), " "))});
        return;
      }
    }
  });
  return out;
}

std::optional<Location> find_location(const Config& config, const std::string& match) {
  const std::string wanted = fmt::format("{}", fmt::join(split_words(match), " "));
  for (auto& l : locations(config)) {
    if (l.match == wanted) {
      return std::move(l);
    }
  }
  return std::nullopt;
}

std::vector<ProxyPass> proxy_passes(const Config& config) {
  std::set<std::string> names;
  for (const auto& u : upstreams(config)) {
    names.insert(u.name);
  }
  std::vector<ProxyPass> out;
  walk(config, [&](const Directive& d, const std::vector<const Directive*>&) {
    if (d.name.value != "proxy_pass" || d.args.empty()) {
      return;
    }
    ProxyPass p;
    p.directive = &d;
    std::string rest = d.arg(0);
    if (const size_t sep = rest.find("://"); sep != std::string::npos) {
      p.scheme = rest.substr(0, sep);
      rest = rest.substr(sep + 3);
    }
    // A unix socket's path has slashes of its own; a `:` ends it.
    const size_t end = starts_with(rest, "unix:") ? rest.find(':', 5) : rest.find('/');
    p.target = rest.substr(0, end);
    if (end != std::string::npos) {
      p.uri = rest.substr(starts_with(rest, "unix:") ? end + 1 : end);
    }
    p.names_upstream = names.count(p.target) > 0;
    out.push_back(std::move(p));
  });
  return out;
}

const Directive* pid(const Config& config) {
  for (const Directive* d : top_level(config)) {
    if (d->name.value == "pid") {
      return d;
    }
  }
  return nullptr;
}

std::vector<const Directive*> error_logs(const Config& config) {
  std::vector<const Directive*> out;
  for (const Directive* d : top_level(config)) {
    if (d->name.value == "error_log") {
      out.push_back(d);
    }
  }
  return out;
}

std::vector<const Directive*> access_logs(const Config& config) {
  std::vector<const Directive*> out;
  walk(config, [&](const Directive& d, const std::vector<const Directive*>&) {
    if (d.name.value == "access_log") {
      out.push_back(&d);
    }
  });
  return out;
}

}  // namespace faultline::stack::nginx_conf
