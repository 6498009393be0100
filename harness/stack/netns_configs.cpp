// What each server of the netns stack is started with: its rendered config,
// folders and command line; and what this runtime refuses to run.

#include <fcntl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>
#include <utility>

#include "harness/app/app_server.h"
#include "harness/common/text.h"
#include "harness/common/units.h"
#include "harness/experiment/blast_radius.h"
#include "harness/platform/haproxy_runtime_api.h"
#include "harness/platform/netlink.h"
#include "harness/platform/netns.h"
#include "harness/platform/process.h"
#include "harness/platform/subnet.h"
#include "harness/stack/host_firewall.h"
#include "harness/stack/http_probe.h"
#include "harness/stack/names.h"
#include "harness/stack/netns_stack.h"
#include "harness/stack/own_config.h"
#include "harness/stack/own_config_running.h"
#include "harness/stack/render.h"
#include "harness/stack/run_registry.h"
#include "harness/stack/stack.h"

namespace faultline::stack::netns {

Result<std::vector<std::string>> process_command(const experiment::Service& svc) {
  std::vector<std::string> command = svc.own.command;
  if (command.empty()) {
    return Error{fmt::format("service {}: kind process needs a command", svc.name)};
  }
  // As a shell would: a name without a slash is looked up in PATH, a
  // relative path is taken from the service's working directory.
  const std::string& program = command.front();
  std::optional<std::string> exe;
  if (program.find('/') == std::string::npos) {
    exe = platform::find_executable(program);
  } else {
    const fs::path p = fs::path(program).is_absolute() || svc.own.workdir.empty()
                           ? fs::path(program)
                           : fs::path(svc.own.workdir) / program;
    exe = platform::find_executable(p.lexically_normal().string());
  }
  if (!exe) {
    return Error{fmt::format("service {}: cannot run '{}': {}", svc.name, program,
                             program.find('/') == std::string::npos
                                 ? "no such program in PATH or the sbin directories"
                                 : "no such executable file (from the service's workdir)")};
  }
  command.front() = *exe;
  return command;
}

Result<std::string> NetnsStack::write_hosts_file() const {
  // Every service's name to its address, as a Compose network resolves
  // them, so a team's `server api1 api1:9000` works unchanged.
  std::string text = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n";
  for (const auto& ps : plan_.services) {
    text += fmt::format("{}\t{}\n", ps.address, ps.name);
  }
  const std::string path = id_.run_dir + "/hosts";
  if (auto st = write_text(path, text); !st) {
    return st.error();
  }
  return path;
}

Status NetnsStack::write_configs(const experiment::Experiment& exp, const std::string& nginx,
                                 const std::string& haproxy) {
  backend_header_ = exp.load.backend_header;
  auto hosts = write_hosts_file();
  if (!hosts) {
    return hosts.error();
  }
  for (const auto& ps : plan_.services) {
    const experiment::Service* svc = exp.stack.find(ps.name);
    ServiceInstance inst;
    inst.planned = ps;
    const std::string dir = id_.run_dir + "/" + ps.name;
    inst.log_dir = dir;
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) {
      return Error{fmt::format("service {}: cannot create {}: {}", ps.name, dir, ec.message())};
    }
    dirs_made_.push_back(dir);
    RenderPaths paths;
    paths.dir = dir;
    std::string text;
    platform::ProcessSpec spec;
    std::optional<experiment::Readiness> ready;
    spec.stdout_path = dir + "/stdout.log";
    spec.stderr_path = dir + "/stderr.log";
    spec.hosts_file = *hosts;
    if (svc->has_own_config()) {
      auto copy = run_own_copy(*svc, dir, exp.source_file, inst);
      if (!copy) {
        return copy.error();
      }
      text = copy->files.front().second;
      spec.workdir = copy->working_dir;
      if (ps.kind == experiment::ServiceKind::haproxy) {
        spec.executable = haproxy;
        spec.args = {"-f", inst.config_path, "-db"};
      } else {
        spec.executable = nginx;
        spec.args = {"-c", inst.config_path, "-p", copy->copy_dir + "/", "-e", dir + "/error.log"};
        spec.own_pid_namespace = true;
      }
    } else if (ps.kind == experiment::ServiceKind::haproxy) {
      paths.runtime_socket = dir + "/admin.sock";
      if (paths.runtime_socket.size() >= sizeof(sockaddr_un::sun_path)) {
        return Error{
            fmt::format("service {}: the stats socket path {} is too long for a unix socket; use a "
                        "shorter run registry path",
                        ps.name, paths.runtime_socket)};
      }
      inst.config_path = dir + "/haproxy.cfg";
      inst.runtime_socket = paths.runtime_socket;
      inst.backend_name = haproxy_backend_name(ps.name);
      if (svc->tls) {
        if (auto st = tls_.prepare(ps, dir, paths, inst); !st) {
          return st;
        }
      }
      text = render_haproxy(*svc, plan_, paths);
      spec.executable = haproxy;
      // -db: stay in the foreground, a child we can watch and reap.
      spec.args = {"-f", inst.config_path, "-db"};
    } else if (ps.kind == experiment::ServiceKind::process) {
      auto command = process_command(*svc);
      if (!command) {
        return command.error();
      }
      spec.executable = command->front();
      spec.args.assign(command->begin() + 1, command->end());
      spec.workdir = svc->own.workdir;
      spec.env.assign(svc->own.env.begin(), svc->own.env.end());
      ready = svc->own.ready;
      // Its command line is its "config", for the record, as for the app.
      inst.config_path = dir + "/command";
      text = shell_words(*command) + "\n";
    } else if (ps.kind == experiment::ServiceKind::app) {
      // The synthetic app is faultline itself (`faultline app`): nothing to
      // install, and its capacity comes from the experiment. Its command
      // line is kept as its "config", for the record and for a person
      // reproducing the run by hand.
      const experiment::Capacity capacity = svc->capacity.value_or(experiment::Capacity{});
      // FAULTLINE_EXE names the faultline binary when the stack is brought
      // up from another program (the test binaries).
      std::error_code exe_ec;
      const char* exe_env = std::getenv("FAULTLINE_EXE");
      const fs::path self =
          exe_env != nullptr ? fs::path(exe_env) : fs::read_symlink("/proc/self/exe", exe_ec);
      if (exe_ec) {
        return Error{fmt::format("service {}: cannot find faultline's own executable to run the app: {}",
                                 ps.name, exe_ec.message())};
      }
      spec.executable = self.string();
      spec.args = {"app",
                   "--name",
                   ps.name,
                   "--backend-header",
                   exp.load.backend_header,
                   "--listen",
                   fmt::format("{}:{}", ps.address, ps.port),
                   "--service-time",
                   format_duration(capacity.service_time),
                   "--workers",
                   std::to_string(capacity.workers),
                   "--queue",
                   std::to_string(capacity.queue),
                   "--health-path",
                   ps.health_paths.empty() ? std::string("/health") : ps.health_paths.front()};
      if (capacity.crash_on_overflow) {
        spec.args.push_back("--crash-on-overflow");
      }
      inst.config_path = dir + "/app.args";
      text = spec.executable;
      for (const auto& arg : spec.args) {
        text += " " + arg;
      }
      text += "\n";
    } else {
      inst.config_path = dir + "/nginx.conf";
      if (svc->is_load_balancer()) {
        inst.backend_name = haproxy_backend_name(ps.name);  // the upstream block's name
        if (svc->tls) {
          if (auto st = tls_.prepare(ps, dir, paths, inst); !st) {
            return st;
          }
        }
        text = render_nginx_lb(*svc, plan_, paths);
      } else {
        text = render_nginx_backend(*svc, plan_, paths, exp.load.backend_header);
      }
      spec.executable = nginx;
      // -e: nginx opens its compiled-in error log before reading the config
      // and complains when it cannot; point it at ours from the start.
      spec.args = {"-c", inst.config_path, "-p", dir + "/", "-e", dir + "/error.log"};
      // Its workers then die with the master, even when faultline is
      // SIGKILLed (the master itself has PR_SET_PDEATHSIG).
      spec.own_pid_namespace = true;
    }
    if (auto st = write_text(inst.config_path, text); !st) {
      return st;
    }
    services_.push_back(std::move(inst));
    specs_.push_back(std::move(spec));
    dirs_.push_back(dir);
    children_.emplace_back();
    children_.back().ready = ready;
    // The team's own program exiting is the system under test failing, a
    // timeline event; so is the app's crash when its capacity asks for it.
    children_.back().may_crash =
        svc->kind == experiment::ServiceKind::process ||
        (svc->kind == experiment::ServiceKind::app && svc->capacity && svc->capacity->crash_on_overflow);
  }
  return {};
}

Status validate_for_netns(const experiment::Experiment& exp) {
  if (exp.stack.runtime != "netns") {
    return Error{
        fmt::format("stack.runtime '{}' is not supported by this build yet (use netns)", exp.stack.runtime)};
  }
  for (const auto& s : exp.stack.services) {
    switch (s.kind) {
      case experiment::ServiceKind::app:
        break;
      case experiment::ServiceKind::process:
        break;
      case experiment::ServiceKind::haproxy:
        if (!s.is_load_balancer()) {
          return Error{
              fmt::format("service {}: kind 'haproxy' is a load balancer and needs backends", s.name)};
        }
        if (!haproxy_balance(s.balance)) {
          return Error{
              fmt::format("service {}: HAProxy has no balance algorithm '{}' (use roundrobin, static-rr, "
                          "leastconn, first, source, uri or random)",
                          s.name, s.balance)};
        }
        break;
      case experiment::ServiceKind::nginx:
        if (s.is_load_balancer() && !nginx_balance_directive(s.balance)) {
          return Error{
              fmt::format("service {}: nginx has no balance algorithm '{}' (use roundrobin, leastconn, "
                          "source, uri or random)",
                          s.name, s.balance)};
        }
        break;
    }
  }
  return {};
}

Result<std::string> executable_for(const experiment::Experiment& exp, experiment::ServiceKind kind,
                                   const std::string& name) {
  bool needed = false;
  for (const auto& s : exp.stack.services) {
    needed = needed || s.kind == kind;
  }
  if (!needed) {
    return std::string{};
  }
  auto path = platform::find_executable(name);
  if (!path) {
    return Error{
        fmt::format("{} is not installed (not found in PATH or the sbin directories); "
                    "scripts/setup.sh installs it",
                    name)};
  }
  return *path;
}

}  // namespace faultline::stack::netns
