// What a parsed haproxy.cfg holds: its backends and servers, its frontends
// and their routing, the global settings faultline has to change in a copy.

#include <fmt/format.h>

#include <algorithm>

#include "harness/stack/haproxy_conf.h"
#include "harness/stack/haproxy_conf_detail.h"

namespace faultline::stack::haproxy_conf {

namespace {

using detail::listing;

// The statements of section `index`, in order.
std::vector<const Line*> statements(const Config& cfg, size_t index) {
  std::vector<const Line*> out;
  const Section& s = cfg.sections.at(index);
  for (size_t n = s.first_line + 1; n <= s.last_line; ++n) {
    const Line& line = cfg.line(n);
    if (line.kind == LineKind::statement) {
      out.push_back(&line);
    }
  }
  return out;
}

// The statements of every global section ("global" may be repeated).
std::vector<const Line*> global_statements(const Config& cfg) {
  std::vector<const Line*> out;
  for (size_t i = 0; i < cfg.sections.size(); ++i) {
    if (cfg.sections[i].keyword == "global") {
      for (const Line* line : statements(cfg, i)) {
        out.push_back(line);
      }
    }
  }
  return out;
}

bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::optional<int> port_number(const std::string& s) {
  if (!all_digits(s) || s.size() > 5) {
    return std::nullopt;
  }
  const int port = std::stoi(s);
  return port <= 65535 ? std::optional<int>(port) : std::nullopt;
}

// The address prefixes of HAProxy 2.6 (str2sa_range()), each optionally
// after "stream+" or "dgram+", without their '@'.
bool is_prefix(std::string s) {
  for (const char* socket_type : {"stream+", "dgram+"}) {
    if (s.rfind(socket_type, 0) == 0) {
      s.erase(0, std::string(socket_type).size());
    }
  }
  static const std::vector<std::string> families = {"ip",   "ipv4",  "ipv6",  "unix", "uxst",    "uxdg",
                                                    "abns", "tcp",   "tcp4",  "tcp6", "udp",     "udp4",
                                                    "udp6", "quic4", "quic6", "fd",   "sockpair"};
  return std::find(families.begin(), families.end(), s) != families.end();
}

Server server_of(const std::string& backend, const Line& line) {
  Server s;
  s.backend = backend;
  s.name = line.words.at(1).text;
  s.address = line.words.at(2).text;
  const Address a = split_address(s.address);
  s.host = a.host;
  s.port = a.port;
  s.options = line.args(3);
  s.uses_variables = !line.words[2].variables.empty();
  s.line = line.number;
  return s;
}

// The defaults section a proxy takes its settings from: the one its
// "from NAME" names, else the last one before it.
const Section* defaults_of(const Config& cfg, size_t index) {
  const Section& proxy = cfg.sections[index];
  const Section* found = nullptr;
  for (size_t i = 0; i < index; ++i) {
    const Section& s = cfg.sections[i];
    if (s.keyword == "defaults" && (proxy.from.empty() || s.name == proxy.from)) {
      found = &s;
    }
  }
  return found;
}

void add_binds(Frontend& fe, const Line& line) {
  if (line.words.size() < 2) {
    return;
  }
  // One word may list several addresses, separated by commas.
  const std::string& all = line.words[1].text;
  size_t start = 0;
  while (start <= all.size()) {
    const size_t comma = std::min(all.find(',', start), all.size());
    const std::string one = all.substr(start, comma - start);
    if (!one.empty()) {
      const Address a = split_address(one);
      fe.binds.push_back(Bind{one, a.host, a.port, a.port_last, line.number});
    }
    start = comma + 1;
  }
}

}  // namespace

Address split_address(const std::string& address) {
  Address a;
  std::string rest = address;
  const size_t at = address.find('@');
  if (at != std::string::npos && is_prefix(address.substr(0, at))) {
    a.prefix = address.substr(0, at + 1);
    rest = address.substr(at + 1);
  }
  // "stream+unix@" forces a socket type on a family: the family decides.
  std::string family;
  if (!a.prefix.empty()) {
    family = a.prefix.substr(0, a.prefix.size() - 1);
    const size_t plus = family.find('+');
    if (plus != std::string::npos) {
      family = family.substr(plus + 1);
    }
  }
  if ((!rest.empty() && rest.front() == '/') || family == "unix" || family == "uxst" || family == "uxdg") {
    a.unix_path = true;
    a.host = rest;
    return a;
  }
  if (family == "abns" || family == "fd" || family == "sockpair") {
    a.host = rest;  // a socket name or a file descriptor: no port
    return a;
  }
  // As HAProxy's str2sa_range(): the port follows the last colon, unless a
  // closing bracket comes after it ("[::1]" has no port).
  const size_t k = rest.find_last_of(":]");
  if (k != std::string::npos && rest[k] == ':') {
    a.host = rest.substr(0, k);
    a.port_text = rest.substr(k + 1);
  } else {
    a.host = rest;
  }
  if (a.host.size() >= 2 && a.host.front() == '[' && a.host.back() == ']') {
    a.host = a.host.substr(1, a.host.size() - 2);
  }
  const size_t dash = a.port_text.find('-');
  if (dash == std::string::npos) {
    a.port = port_number(a.port_text);
  } else if (dash > 0) {
    a.port = port_number(a.port_text.substr(0, dash));
    a.port_last = port_number(a.port_text.substr(dash + 1));
    if (!a.port || !a.port_last) {
      a.port.reset();
      a.port_last.reset();
    }
  }
  return a;
}

std::vector<Backend> backends(const Config& config) {
  std::vector<Backend> out;
  for (size_t i = 0; i < config.sections.size(); ++i) {
    const Section& s = config.sections[i];
    if (s.keyword != "backend" && s.keyword != "listen") {
      continue;
    }
    Backend be{s.keyword, s.name, s.first_line, {}, {}, {}};
    for (const Line* line : statements(config, i)) {
      const std::string& kw = line->keyword();
      if (kw == "server") {
        be.servers.push_back(server_of(s.name, *line));
      } else if (kw == "default-server") {
        be.default_server = line->args();
      } else if (kw == "server-template") {
        be.templates.push_back(ServerTemplate{s.name, line->words[1].text, line->words[2].text,
                                              line->words[3].text, line->number});
      }
    }
    out.push_back(std::move(be));
  }
  return out;
}

Result<Server> find_server(const Config& config, const ServerRef& ref) {
  const auto all = backends(config);
  const std::string& file = config.file_name;
  if (ref.backend) {
    const auto be =
        std::find_if(all.begin(), all.end(), [&](const Backend& b) { return b.name == *ref.backend; });
    if (be == all.end()) {
      std::vector<std::string> names;
      for (const auto& b : all) {
        names.push_back(b.keyword + " " + b.name);
      }
      return Error{fmt::format("{}: no backend or listen section '{}'; {}", file, *ref.backend,
                               names.empty() ? "the file has none" : "it has " + listing(names))};
    }
    std::vector<std::string> names;
    for (const auto& s : be->servers) {
      if (s.name == ref.server) {
        return s;
      }
      names.push_back(s.name);
    }
    return Error{fmt::format("{}: {} {} has no server '{}'; {}", file, be->keyword, be->name, ref.server,
                             names.empty() ? "it has no server lines" : "its servers are " + listing(names))};
  }
  std::vector<Server> found;
  std::vector<std::string> every;
  bool templates = false;
  for (const auto& be : all) {
    templates = templates || !be.templates.empty();
    for (const auto& s : be.servers) {
      every.push_back(be.name + "/" + s.name);
      if (s.name == ref.server) {
        found.push_back(s);
      }
    }
  }
  if (found.size() == 1) {
    return found.front();
  }
  if (found.empty()) {
    return Error{
        fmt::format("{}: no server '{}'; {}{}", file, ref.server,
                    every.empty() ? "the file has no server lines" : "the servers are " + listing(every),
                    templates ? " (server-template lines name servers faultline cannot see yet)" : "")};
  }
  std::vector<std::string> holders;
  for (const auto& s : found) {
    holders.push_back(s.backend);
  }
  return Error{fmt::format("{}: server '{}' is in {} backends ({}); name the backend as well", file,
                           ref.server, found.size(), listing(holders))};
}

std::vector<std::string> Frontend::reached_backends() const {
  std::vector<std::string> out;
  auto add = [&out](const std::string& backend) {
    if (std::find(out.begin(), out.end(), backend) == out.end()) {
      out.push_back(backend);
    }
  };
  for (const auto& r : routes) {
    if (!r.dynamic) {
      add(r.backend);
    }
  }
  if (default_backend) {
    add(*default_backend);
  }
  return out;
}

std::vector<Frontend> frontends(const Config& config) {
  std::vector<Frontend> out;
  for (size_t i = 0; i < config.sections.size(); ++i) {
    const Section& s = config.sections[i];
    if (s.keyword != "frontend" && s.keyword != "listen") {
      continue;
    }
    Frontend fe;
    fe.keyword = s.keyword;
    fe.name = s.name;
    fe.line = s.first_line;
    for (const Line* line : statements(config, i)) {
      const std::string& kw = line->keyword();
      if (kw == "bind") {
        add_binds(fe, *line);
      } else if (kw == "default_backend" && line->words.size() > 1) {
        fe.default_backend = line->words[1].text;
        fe.default_backend_line = line->number;
      } else if (kw == "use_backend" && line->words.size() > 1) {
        const std::string& target = line->words[1].text;
        fe.routes.push_back(Route{target, detail::joined(line->args(2)),
                                  target.find("%[") != std::string::npos, line->number});
      }
    }
    const Section* defaults = fe.default_backend ? nullptr : defaults_of(config, i);
    if (defaults != nullptr) {
      for (size_t n = defaults->first_line + 1; n <= defaults->last_line; ++n) {
        const Line& line = config.line(n);
        if (line.kind == LineKind::statement && line.keyword() == "default_backend" &&
            line.words.size() > 1) {
          fe.default_backend = line.words[1].text;
          fe.default_backend_line = line.number;
          fe.default_backend_inherited = true;
        }
      }
    }
    out.push_back(std::move(fe));
  }
  return out;
}

std::vector<StatsSocket> stats_sockets(const Config& config) {
  std::vector<StatsSocket> out;
  for (const Line* line : global_statements(config)) {
    if (line->keyword() != "stats" || line->words.size() < 3 || line->words[1].text != "socket") {
      continue;
    }
    StatsSocket s;
    s.address = line->words[2].text;
    const Address a = split_address(s.address);
    s.path = a.unix_path ? a.host : "";
    s.level = "operator";
    for (size_t i = 3; i + 1 < line->words.size(); ++i) {
      if (line->words[i].text == "level") {
        s.level = line->words[i + 1].text;
      }
    }
    s.line = line->number;
    out.push_back(std::move(s));
  }
  return out;
}

std::optional<Setting> pidfile(const Config& config) {
  std::optional<Setting> out;
  for (const Line* line : global_statements(config)) {
    if (line->keyword() == "pidfile" && line->words.size() > 1) {
      out = Setting{line->words[1].text, line->number};
    }
  }
  return out;
}

ProcessMode process_mode(const Config& config) {
  ProcessMode mode;
  for (const Line* line : global_statements(config)) {
    if (line->keyword() == "daemon") {
      mode.daemon_line = line->number;
    } else if (line->keyword() == "master-worker") {
      mode.master_worker_line = line->number;
    }
  }
  return mode;
}

std::vector<ServerTemplate> server_templates(const Config& config) {
  std::vector<ServerTemplate> out;
  for (const auto& be : backends(config)) {
    out.insert(out.end(), be.templates.begin(), be.templates.end());
  }
  return out;
}

Status check_server_templates(const Config& config) {
  std::string message;
  for (const auto& t : server_templates(config)) {
    const Line& line = config.line(t.line);
    if (!message.empty()) {
      message += '\n';
    }
    message +=
        detail::located(
            config.file_name, t.line, line.words.front().column,
            fmt::format("backend {}: 'server-template {} {} {}' makes servers whose names "
                        "the file does not write, which faultline cannot map to stack "
                        "services yet",
                        t.backend, t.prefix, t.count, t.address),
            fmt::format("write them out as 'server {}1 <host>:<port>' lines, one per service", t.prefix))
            .message;
  }
  if (message.empty()) {
    return {};
  }
  return Error{message};
}

}  // namespace faultline::stack::haproxy_conf
