// What `faultline validate` checks of a team's own configs and programs
// before anything starts: names, routes, ports, and the server's own check
// mode on the copy the run would use.

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>

#include "harness/common/scratch_dir.h"
#include "harness/common/text.h"
#include "harness/platform/command.h"
#include "harness/platform/hosts_view.h"
#include "harness/platform/process.h"
#include "harness/stack/haproxy_conf.h"
#include "harness/stack/netns_stack.h"
#include "harness/stack/nginx_conf.h"
#include "harness/stack/own_config.h"

namespace faultline::stack {

namespace fs = std::filesystem;
using experiment::Diagnostics;
using experiment::Service;
using experiment::SourcePos;

namespace {

// "file:line:col: message" as the config readers word their errors, into
// a position and the rest; the service's `config:` value when the message
// names no position.
std::pair<SourcePos, std::string> split_position(const std::string& message, const SourcePos& fallback,
                                                 const std::string& folder) {
  static const std::regex kAt(R"(^([^:\s]+):(\d+):(\d+): (.*)$)");
  std::smatch m;
  if (std::regex_match(message, m, kAt)) {
    // The readers name a file inside the team's folder relative to it.
    const fs::path file =
        fs::path(m[1].str()).is_absolute() ? fs::path(m[1].str()) : fs::path(folder) / m[1].str();
    return {SourcePos{file.string(), std::stoi(m[2]), std::stoi(m[3])}, m[4]};
  }
  return {fallback, message};
}

std::vector<std::string> service_names(const experiment::Experiment& exp) {
  std::vector<std::string> names;
  for (const auto& s : exp.stack.services) {
    names.push_back(s.name);
  }
  return names;
}

bool is_service(const experiment::Experiment& exp, const std::string& host) {
  return exp.stack.find(host) != nullptr;
}

// The hosts a load balancer's config sends traffic to, and where each is
// written; reported against `backends` and the stack's services.
struct Routes {
  std::vector<std::pair<std::string, SourcePos>> servers;  // every server host written
  std::set<std::string> reached;                           // hosts routing can reach
  std::vector<std::pair<int, SourcePos>> ports;            // listening ports
};

Routes haproxy_routes(const haproxy_conf::Config& config, const std::string& file) {
  Routes r;
  const auto backends = haproxy_conf::backends(config);
  const auto frontends = haproxy_conf::frontends(config);
  std::set<std::string> reached_backends;
  bool dynamic = false;
  for (const auto& f : frontends) {
    for (const auto& b : f.reached_backends()) {
      reached_backends.insert(b);
    }
    for (const auto& route : f.routes) {
      dynamic = dynamic || route.dynamic;
    }
    if (f.keyword == "listen") {
      reached_backends.insert(f.name);  // a listen section serves from its own servers
    }
    for (const auto& bind : f.binds) {
      if (bind.port) {
        const auto& words = config.line(bind.line).words;
        const int col = words.size() > 1 ? static_cast<int>(words[1].column) : 1;
        r.ports.emplace_back(*bind.port, SourcePos{file, static_cast<int>(bind.line), col});
      }
    }
  }
  for (const auto& b : backends) {
    for (const auto& s : b.servers) {
      const auto& words = config.line(s.line).words;
      const int col = words.size() > 2 ? static_cast<int>(words[2].column) : 1;
      if (!s.uses_variables) {
        r.servers.emplace_back(s.host, SourcePos{file, static_cast<int>(s.line), col});
      }
      // A use_backend built per request (%[...]) may reach any backend.
      if (dynamic || reached_backends.count(b.name) != 0) {
        r.reached.insert(s.host);
      }
    }
  }
  return r;
}

Routes nginx_routes(const nginx_conf::Config& config) {
  Routes r;
  auto pos_of = [&](const nginx_conf::Directive& d, const nginx_conf::Word& w) {
    return SourcePos{config.files[d.file].path, static_cast<int>(w.at.line), static_cast<int>(w.at.column)};
  };
  const auto ups = nginx_conf::upstreams(config);
  for (const auto& u : ups) {
    for (const auto& s : u.servers) {
      if (!starts_with(s.address, "unix:")) {
        r.servers.emplace_back(s.host, pos_of(*s.directive, s.directive->args.front()));
      }
    }
  }
  for (const auto& p : nginx_conf::proxy_passes(config)) {
    if (p.names_upstream) {
      for (const auto& u : ups) {
        if (u.name == p.target) {
          for (const auto& s : u.servers) {
            r.reached.insert(s.host);
          }
        }
      }
    } else {
      const std::string host = p.target.substr(0, p.target.rfind(':'));
      // proxy_pass http://$backend: known only per request.
      if (host.find('$') == std::string::npos && !host.empty()) {
        r.servers.emplace_back(host, pos_of(*p.directive, p.directive->args.front()));
        r.reached.insert(host);
      }
    }
  }
  for (const auto& b : nginx_conf::server_blocks(config)) {
    for (const auto& l : b.listens) {
      if (l.port) {
        r.ports.emplace_back(*l.port, pos_of(*l.directive, l.directive->args.front()));
      }
    }
  }
  return r;
}

// Names, routes and the port of one service run from its own config.
void check_routes(const experiment::Experiment& exp, const Service& svc, const Routes& routes,
                  Diagnostics& diags) {
  const std::string services = fmt::format("{}", fmt::join(service_names(exp), ", "));
  for (const auto& [host, pos] : routes.servers) {
    if (!is_service(exp, host)) {
      diags.error(
          pos,
          fmt::format("'{}' is no service of the stack: in a run, {}'s servers are the stack's services",
                      host, svc.name),
          fmt::format("write a service's name, which resolves to its address in the run (services: {})",
                      services));
    }
  }
  for (const auto& backend : svc.backends) {
    if (routes.reached.count(backend) == 0) {
      std::vector<std::string> reached(routes.reached.begin(), routes.reached.end());
      diags.error(svc.pos,
                  fmt::format("backend '{}' of '{}' is never routed to by {}", backend, svc.name,
                              experiment::shown_path(exp, svc.own.config)),
                  reached.empty() ? std::string("the config routes to no service of the stack")
                                  : fmt::format("its routing reaches: {}", fmt::join(reached, ", ")));
    }
  }
  const bool listens = std::any_of(routes.ports.begin(), routes.ports.end(),
                                   [&](const auto& p) { return p.first == svc.port; });
  if (!listens && !routes.ports.empty()) {
    std::vector<std::string> ports;
    for (const auto& [port, pos] : routes.ports) {
      ports.push_back(fmt::format("{} (line {})", port, pos.line));
    }
    diags.error(svc.pos,
                fmt::format("'{}' has port {}, but {} listens on no such port", svc.name, svc.port,
                            experiment::shown_path(exp, svc.own.config)),
                fmt::format("set port: to one it listens on: {}", fmt::join(ports, ", ")));
  }
}

// The server's own check mode on the prepared copy, with the stack's names
// in /etc/hosts; its complaints at the team's file and line.
void run_checker(const OwnConfigCopy& copy, const std::string& hosts, const std::string& scratch,
                 const SourcePos& fallback, Diagnostics& diags) {
  const bool haproxy = copy.kind == experiment::ServiceKind::haproxy;
  const std::string checker = haproxy ? "haproxy -c" : "nginx -t";
  auto exe = platform::find_executable(haproxy ? "haproxy" : "nginx");
  if (!exe) {
    diags.warning(fallback,
                  fmt::format("{} was not checked: {} is not installed here", copy.team_file,
                              haproxy ? "haproxy" : "nginx"),
                  "scripts/setup.sh installs it; a run needs it anyway");
    return;
  }
  const std::vector<std::string> argv = haproxy ? std::vector<std::string>{*exe, "-c", "-f", copy.main_copy}
                                                : std::vector<std::string>{*exe,
                                                                           "-t",
                                                                           "-q",
                                                                           "-c",
                                                                           copy.main_copy,
                                                                           "-p",
                                                                           copy.copy_dir + "/",
                                                                           "-e",
                                                                           scratch + "/check.log"};
  Result<platform::CommandOutput> ran = Error{"not run"};
  auto st = platform::run_with_hosts(hosts, -1, [&]() -> Status {
    // This thread's working directory is its own (the mount namespace
    // came with a private one): HAProxy reads relative paths from it.
    if (::chdir(copy.working_dir.c_str()) != 0) {
      return Error{"cannot enter " + copy.working_dir};
    }
    ran = platform::run_command(argv, std::chrono::seconds(20));
    return {};
  });
  if (!st) {
    diags.warning(fallback,
                  fmt::format("{} was not checked with {}: {}", copy.team_file, checker, st.error().message));
    return;
  }
  if (!ran) {
    diags.warning(fallback, fmt::format("{} was not checked: {}", copy.team_file, ran.error().message));
    return;
  }
  if (ran->succeeded()) {
    return;
  }
  static const std::regex kTeamAt(R"((/[^\s:\]]+):(\d+))");
  // HAProxy: "[ALERT]    (123) : config : parsing [file:14] : unknown
  // keyword ..."; nginx: "nginx: [emerg] unknown directive ... in
  // file:12". The position goes to the diagnostic, the words stay.
  static const std::regex kHaproxyHead(
      R"(^\[ALERT\]\s*\(\d+\)\s*:\s*(config\s*:\s*)?(parsing \[[^\]]*\]\s*:\s*)?)");
  static const std::regex kNginxHead(R"(^(nginx: )?\[emerg\]\s*(\d+#\d+: )?)");
  static const std::regex kNginxTail(R"( in /[^\s]+:\d+$)");
  std::vector<std::pair<SourcePos, std::string>> positioned;
  std::vector<std::string> general;
  for (const auto& raw : split_lines(ran->out + ran->err)) {
    const std::string line = trim(raw);
    if (line.find(haproxy ? "[ALERT]" : "[emerg]") == std::string::npos) {
      continue;
    }
    const std::string said = in_team_terms(copy, line);
    std::smatch m;
    if (std::regex_search(said, m, kTeamAt) && m[1] != copy.main_copy) {
      std::string words = std::regex_replace(said, haproxy ? kHaproxyHead : kNginxHead, "");
      if (!haproxy) {
        words = std::regex_replace(words, kNginxTail, "");
      }
      positioned.emplace_back(SourcePos{m[1], std::stoi(m[2]), 1}, words);
    } else {
      general.push_back(std::regex_replace(said, haproxy ? kHaproxyHead : kNginxHead, ""));
    }
  }
  const std::string hint =
      "this is the team's file as faultline runs it; `faultline plan` shows the copy and what faultline "
      "changed in it";
  for (const auto& [pos, words] : positioned) {
    diags.error(pos, fmt::format("{} rejects it: {}", checker, words), hint);
  }
  // HAProxy's closing "Fatal errors found in configuration" says nothing
  // the positioned complaints did not.
  if (positioned.empty()) {
    const std::string all = general.empty() ? trim(in_team_terms(copy, ran->out + ran->err))
                                            : fmt::format("{}", fmt::join(general, "; "));
    diags.error(fallback, fmt::format("{} rejects {}: {}", checker, copy.team_file, all), hint);
  }
}

}  // namespace

void check_own_configs(const experiment::Experiment& exp, Diagnostics& diags,
                       std::vector<std::pair<std::string, std::vector<std::string>>>* changes) {
  std::vector<const Service*> own;
  for (const auto& s : exp.stack.services) {
    if (s.kind == experiment::ServiceKind::process) {
      if (auto command = netns::process_command(s); !command) {
        diags.error(s.own.command_pos, command.error().message,
                    "install the program, or write its path (relative paths are taken from workdir)");
      }
    }
    if (s.has_own_config()) {
      own.push_back(&s);
    }
  }
  if (own.empty()) {
    return;
  }
  ScratchDir scratch("faultline-validate");
  if (scratch.path().empty()) {
    diags.warning(own.front()->own.config_pos, "the team's configs were not checked: no scratch folder");
    return;
  }
  // Stand-in addresses: the check needs every name to resolve, not the
  // addresses a run will pick.
  std::string hosts_text = "127.0.0.1\tlocalhost\n";
  for (size_t i = 0; i < exp.stack.services.size(); ++i) {
    hosts_text += fmt::format("10.213.255.{}\t{}\n", i + 2, exp.stack.services[i].name);
  }
  const std::string hosts = scratch.path() + "/hosts";
  {
    std::ofstream out(hosts);
    out << hosts_text;
  }
  const std::string experiment_dir = fs::path(exp.source_file).parent_path().string();
  for (const Service* svc : own) {
    const std::string dir = scratch.path() + "/" + svc->name;
    auto copy = prepare_own_config(*svc, dir);
    if (!copy) {
      auto [pos, message] = split_position(copy.error().message, svc->own.config_pos,
                                           fs::path(svc->own.config).parent_path().string());
      diags.error(pos, message);
      continue;
    }
    if (svc->kind == experiment::ServiceKind::haproxy) {
      if (auto config = haproxy_conf::parse(read_text(svc->own.config), svc->own.config)) {
        check_routes(exp, *svc, haproxy_routes(*config, svc->own.config), diags);
      }
    } else if (auto config = nginx_conf::load(svc->own.config)) {
      check_routes(exp, *svc, nginx_routes(*config), diags);
    }
    if (changes != nullptr) {
      // The scratch folder stands in for the run's: say so, not where it is.
      auto lines = describe_changes(*copy, experiment_dir);
      for (auto& l : lines) {
        for (size_t at = l.find(dir); at != std::string::npos; at = l.find(dir, at)) {
          l.replace(at, dir.size(), "<run folder>/" + svc->name);
        }
      }
      changes->emplace_back(svc->name, std::move(lines));
    }
    if (auto st = write_own_config(*copy); !st) {
      diags.warning(svc->own.config_pos, st.error().message);
      continue;
    }
    if (::geteuid() != 0) {
      diags.warning(
          svc->own.config_pos,
          fmt::format("{} was not checked with {}: the check needs root (it reads the copy with the "
                      "stack's service names in a private /etc/hosts)",
                      svc->own.config,
                      svc->kind == experiment::ServiceKind::haproxy ? "haproxy -c" : "nginx -t"),
          "run `faultline validate` as root, as `faultline run` is");
      continue;
    }
    run_checker(*copy, hosts, dir, svc->own.config_pos, diags);
  }
}

}  // namespace faultline::stack
