#include "faults/common/lb_team_http.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <filesystem>

namespace faultline::faults {

namespace haproxy_conf = stack::haproxy_conf;
namespace nginx_conf = stack::nginx_conf;

namespace {

bool binds_port(const haproxy_conf::Bind& b, int port) {
  if (!b.port) {
    return false;
  }
  return b.port_last ? *b.port <= port && port <= *b.port_last : *b.port == port;
}

// The ports an nginx server block listens on; 80 when it writes no `listen`.
std::vector<int> listened_ports(const nginx_conf::ServerBlock& block) {
  if (block.listens.empty()) {
    return {80};
  }
  std::vector<int> ports;
  for (const auto& l : block.listens) {
    if (l.port) {
      ports.push_back(*l.port);
    }
  }
  return ports;
}

// The http server blocks on `port`, by their place among all server blocks,
// which an insert does not change (their Directive pointers it does).
std::vector<size_t> entry_server_indexes(const nginx_conf::Config& config, int port,
                                         std::vector<int>& seen_ports) {
  std::vector<size_t> out;
  const auto blocks = nginx_conf::server_blocks(config);
  for (size_t i = 0; i < blocks.size(); ++i) {
    if (blocks[i].context != "http") {
      continue;
    }
    const auto ports = listened_ports(blocks[i]);
    seen_ports.insert(seen_ports.end(), ports.begin(), ports.end());
    if (std::find(ports.begin(), ports.end(), port) != ports.end()) {
      out.push_back(i);
    }
  }
  return out;
}

// The selectors ("frontend fe_main", "listen web") of the sections with a
// bind on `port`.
Result<std::vector<std::string>> haproxy_entry_sections(const TeamConfig& config, int port) {
  std::vector<std::string> selectors;
  std::vector<std::string> binds;
  for (const auto& fe : haproxy_conf::frontends(config.haproxy())) {
    const bool on_port =
        std::any_of(fe.binds.begin(), fe.binds.end(), [&](const auto& b) { return binds_port(b, port); });
    if (on_port) {
      selectors.push_back(fe.keyword + " " + fe.name);
    }
    for (const auto& b : fe.binds) {
      binds.push_back(fmt::format("{} ({} {})", b.address, fe.keyword, fe.name));
    }
  }
  if (selectors.empty()) {
    return Error{
        fmt::format("no frontend or listen section of {} binds port {}, where the load is sent (its "
                    "binds: {})",
                    config.haproxy().file_name, port,
                    binds.empty() ? "none" : fmt::format("{}", fmt::join(binds, ", ")))};
  }
  return selectors;
}

Status add_rule_before_routing(TeamConfig& config, const std::string& selector, const std::string& rule) {
  auto index = haproxy_conf::find_section(config.haproxy(), selector);
  if (!index) {
    return index.error();
  }
  static const std::vector<std::string> kRouting{"redirect", "use_backend", "use-server", "default_backend"};
  const auto& section = config.haproxy().sections[*index];
  for (size_t n = section.first_line + 1; n <= section.last_line; ++n) {
    const auto& line = config.haproxy().line(n);
    if (line.kind == haproxy_conf::LineKind::statement && line.condition_depth == 0 &&
        std::find(kRouting.begin(), kRouting.end(), line.keyword()) != kRouting.end()) {
      auto edit = haproxy_conf::insert_before_line(config.haproxy(), n, rule);
      if (!edit) {
        return edit.error();
      }
      config.haproxy() = std::move(edit->config);
      return {};
    }
  }
  auto edit = haproxy_conf::insert_in_section(config.haproxy(), selector, rule);
  if (!edit) {
    return edit.error();
  }
  config.haproxy() = std::move(edit->config);
  return {};
}

}  // namespace

Status add_http_request_rule(TeamConfig& config, int port, const std::string& rule) {
  auto sections = haproxy_entry_sections(config, port);
  if (!sections) {
    return sections.error();
  }
  for (const auto& section : *sections) {
    if (auto st = add_rule_before_routing(config, section, rule); !st) {
      return st;
    }
  }
  return {};
}

Result<int> lb_port(const stack::RunningStack& stack, const std::string& lb) {
  const auto* inst = stack.find(lb);
  if (inst == nullptr) {
    return Error{fmt::format("{} is not a service of the running stack", lb)};
  }
  return inst->planned.port;
}

Status add_to_haproxy_global(TeamConfig& config, const std::string& line) {
  if (haproxy_conf::find_section(config.haproxy(), "global")) {
    auto edit = haproxy_conf::insert_in_section(config.haproxy(), "global", line);
    if (!edit) {
      return edit.error();
    }
    config.haproxy() = std::move(edit->config);
    return {};
  }
  auto edit = haproxy_conf::append_section(config.haproxy(), "global\n    " + line);
  if (!edit) {
    return edit.error();
  }
  config.haproxy() = std::move(edit->config);
  return {};
}

Status insert_in_entry_servers(TeamConfig& config, int port, const std::string& fragment) {
  std::vector<int> seen;
  const auto indexes = entry_server_indexes(config.nginx(), port, seen);
  if (indexes.empty()) {
    std::sort(seen.begin(), seen.end());
    seen.erase(std::unique(seen.begin(), seen.end()), seen.end());
    return Error{
        fmt::format("no server block of the nginx configuration listens on port {}, where the load is "
                    "sent (ports listened on: {})",
                    port, seen.empty() ? "none" : fmt::format("{}", fmt::join(seen, ", ")))};
  }
  for (const size_t i : indexes) {
    // Read again each time: the insert before re-read the config.
    const auto blocks = nginx_conf::server_blocks(config.nginx());
    auto put =
        nginx_conf::insert_in_block(config.nginx(), *blocks[i].directive, nginx_conf::At::start, fragment);
    if (!put) {
      return put.error();
    }
  }
  return {};
}

bool nginx_loads_module(const TeamConfig& config, const std::string& module) {
  bool found = false;
  nginx_conf::walk(config.nginx(), [&](const nginx_conf::Directive& d, const auto& /*blocks*/) {
    if (d.name.value == "load_module" && std::filesystem::path(d.arg(0)).filename() == module) {
      found = true;
    }
  });
  return found;
}

}  // namespace faultline::faults
