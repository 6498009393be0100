// Seamless reloads of the netns stack's servers with a new config: HAProxy
// (-sf: the new process takes over, the old finishes its connections) and
// nginx (SIGHUP: new workers, the old ones finish).

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
#include <filesystem>
#include <fstream>
#include <thread>
#include <utility>

#include "harness/app/app_server.h"
#include "harness/common/text.h"
#include "harness/common/units.h"
#include "harness/experiment/blast_radius.h"
#include "harness/platform/haproxy_runtime_api.h"
#include "harness/platform/haproxy_runtime_state.h"
#include "harness/platform/netlink.h"
#include "harness/platform/netns.h"
#include "harness/platform/process.h"
#include "harness/platform/subnet.h"
#include "harness/stack/haproxy_conf.h"
#include "harness/stack/host_firewall.h"
#include "harness/stack/http_probe.h"
#include "harness/stack/names.h"
#include "harness/stack/netns_stack.h"
#include "harness/stack/render.h"
#include "harness/stack/run_registry.h"
#include "harness/stack/stack.h"

namespace faultline::stack::netns {

namespace {

// The pids of a process's children (nginx: the master's workers).
std::vector<pid_t> children_of(pid_t pid) {
  std::vector<pid_t> out;
  std::ifstream in(fmt::format("/proc/{}/task/{}/children", pid, pid));
  pid_t child = 0;
  while (in >> child) {
    out.push_back(child);
  }
  return out;
}

// The pid HAProxy's stats socket reports (`show info`), -1 when it does
// not answer.
pid_t stats_socket_pid(const std::string& path) {
  auto answer = platform::HaproxyRuntimeApi(path, std::chrono::milliseconds(1000)).command("show info");
  if (!answer) {
    return -1;
  }
  const auto at = answer->find("\nPid: ");
  if (at == std::string::npos) {
    return -1;
  }
  return static_cast<pid_t>(std::atoi(answer->c_str() + at + 6));
}

// Whether the new HAProxy of a reload can take the old one's listening
// sockets over its stats socket (-x): only when that socket says
// `expose-fd listeners`, which faultline's rendered config always does, and
// so does the copy of a team's (prepare_for_run adds it to the socket it
// takes for the runtime API). Without it, `-x` makes the new process exit;
// it then binds the ports itself beside the old one (SO_REUSEPORT), and
// only the connections still queued on the old listeners when it stops are
// lost.
bool exposes_listeners(const ServiceInstance& inst) {
  if (inst.runtime_socket.empty()) {
    return false;
  }
  if (inst.team_config.empty()) {
    return true;
  }
  auto config = haproxy_conf::parse(read_text(inst.config_path), inst.config_path);
  if (!config) {
    return false;
  }
  for (const auto& socket : haproxy_conf::stats_sockets(*config)) {
    if (socket.path != inst.runtime_socket) {
      continue;
    }
    const auto words = config->line(socket.line).args(0);
    for (size_t k = 0; k + 1 < words.size(); ++k) {
      if (words[k] == "expose-fd" && words[k + 1] == "listeners") {
        return true;
      }
    }
  }
  return false;
}

}  // namespace

Status NetnsStack::reload(const std::string& service, const std::string& new_config_text) {
  auto i = index_for_change(service);
  if (!i) {
    return i.error();
  }
  auto& c = children_[*i];
  if (!c.running || platform::has_exited(c.pid)) {
    return Error{"service " + service + ": its server is not running, there is nothing to reload"};
  }
  if (auto st = write_text(services_[*i].config_path, new_config_text); !st) {
    return st;
  }
  return reload_written(*i);
}

Status NetnsStack::reload_written(size_t i) {
  auto st =
      services_[i].planned.kind == experiment::ServiceKind::haproxy ? reload_haproxy(i) : reload_nginx(i);
  if (!st) {
    return Error{fmt::format("service {}: reload: {}", services_[i].planned.name, st.error().message)};
  }
  return wait_ready({i}, Clock::now() + kReadyTimeout, false);
}

Status NetnsStack::reload_haproxy(size_t i) {
  // A new process takes over: it binds (or, with -x, receives the old
  // one's listening sockets over the stats socket, so no connection is
  // refused), then tells the old one (-sf) to stop accepting and to exit
  // once its connections are done.
  const pid_t old_pid = children_[i].pid;
  const std::string socket = services_[i].runtime_socket;
  // A drain or a weight a fault set through the runtime API lives in the
  // old process alone: read it now, set it again on the new one.
  std::vector<std::string> overrides;
  if (!socket.empty()) {
    auto read = platform::read_runtime_overrides(platform::HaproxyRuntimeApi(socket));
    if (!read) {
      return Error{"cannot read the runtime API settings to carry over the reload: " + read.error().message};
    }
    overrides = std::move(*read);
  }
  platform::ProcessSpec spec = specs_[i];
  spec.netns_fd = netns_fds_[i].get();
  if (exposes_listeners(services_[i])) {
    spec.args.insert(spec.args.end(), {"-x", services_[i].runtime_socket});
  }
  spec.args.insert(spec.args.end(), {"-sf", std::to_string(old_pid)});
  auto process = platform::start_process(spec);
  if (!process) {
    return process.error();
  }
  const pid_t pid = (*process)->pid();
  // The new process signals the old one right after it has its listeners
  // and its stats socket: once that socket answers with the new pid, new
  // connections get the new configuration (the old process only finishes
  // the connections it has).
  const auto deadline = Clock::now() + kReadyTimeout;
  while (Clock::now() < deadline && !platform::has_exited(pid)) {
    if (socket.empty() ? platform::has_exited(old_pid) : stats_socket_pid(socket) == pid) {
      break;
    }
    std::this_thread::sleep_for(5ms);
  }
  if (auto status = platform::reap_if_exited(pid)) {
    return Error{fmt::format("the new haproxy {}: {}", platform::describe_exit(*status),
                             platform::tail_lines(spec.stderr_path, 5))};
  }
  if (Clock::now() >= deadline) {
    (*process)->signal(SIGKILL, platform::SignalScope::group);
    platform::reap_if_exited(pid);
    return Error{"the new haproxy did not take over within 10 s"};
  }
  retired_.push_back(old_pid);
  children_[i] = Child{pid, true, -1, false, children_[i].may_crash, children_[i].ready};
  services_[i].pid = pid;
  services_[i].process = *process;
  reap_retired(false);
  return platform::apply_runtime_overrides(platform::HaproxyRuntimeApi(socket), overrides);
}

Status NetnsStack::reload_nginx(size_t i) {
  // SIGHUP: the master re-reads the config, starts workers of the new
  // generation and lets the old ones finish their requests. Ready once a
  // worker that was not there before runs.
  const pid_t master = children_[i].pid;
  const auto before = children_of(master);
  if (auto st = services_[i].process->signal(SIGHUP, platform::SignalScope::process); !st) {
    return Error{"cannot signal the nginx master: " + st.error().message};
  }
  const auto deadline = Clock::now() + 5s;
  while (Clock::now() < deadline) {
    if (platform::has_exited(master)) {
      return Error{"the nginx master exited on SIGHUP"};
    }
    const auto now = children_of(master);
    const bool new_worker = std::any_of(now.begin(), now.end(), [&](pid_t p) {
      return std::find(before.begin(), before.end(), p) == before.end();
    });
    if (new_worker) {
      // Then until the old workers are gone (they close idle keep-alive
      // connections and finish requests in flight), bounded: from here on
      // only the new configuration serves.
      const auto old_deadline = Clock::now() + 2s;
      while (Clock::now() < old_deadline) {
        const auto current = children_of(master);
        const bool old_left = std::any_of(current.begin(), current.end(), [&](pid_t p) {
          return std::find(before.begin(), before.end(), p) != before.end();
        });
        if (!old_left) {
          break;
        }
        std::this_thread::sleep_for(2ms);
      }
      return {};
    }
    std::this_thread::sleep_for(2ms);
  }
  return Error{fmt::format("nginx started no worker of the new configuration within 5 s (see {}/error.log)",
                           dirs_[i])};
}

}  // namespace faultline::stack::netns
