// Reloads on the docker runtime: a service's config changed while its
// container runs, as a fault rewrites it (see docker_stack.h).
//
// The check runs inside the container through an Engine API exec, not with
// this machine's server nor by entering the container's namespaces from
// here: the exec runs the image's own binary (whose version and modules may
// differ from any on the host, or there may be none on the host), with the
// image's environment and the container's mounts, namespaces and cgroup,
// so it reads the file exactly as the server will; and it needs no setns
// into a mount namespace, which a threaded process such as faultline
// cannot do for itself.
//
// The config is written in place into the file bind-mounted into the
// container: renaming a new file over it would detach the mount, and the
// server would go on reading the old one. The reload itself is a signal
// sent from the host with kill(2) to the container's docker-init, which
// hands it to the server: a signal sent through the Engine API would count
// as a stop by hand and disable the container's restart policy.

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "harness/common/text.h"
#include "harness/platform/container_files.h"
#include "harness/platform/haproxy_runtime_api.h"
#include "harness/platform/haproxy_runtime_state.h"
#include "harness/stack/config_edit.h"
#include "harness/stack/docker_stack.h"
#include "harness/stack/http_probe.h"
#include "harness/stack/own_config_running.h"

namespace faultline::stack::docker {

namespace {

namespace fs = std::filesystem;

// How long a new nginx worker generation or a new HAProxy worker may take
// to appear after the signal, as on the netns runtime.
constexpr auto kReloadTimeout = 10s;

// The pids of a process's children: docker-init's is the server, the nginx
// master's are its workers.
std::vector<pid_t> children_of(pid_t pid) {
  std::vector<pid_t> out;
  std::ifstream in(fmt::format("/proc/{}/task/{}/children", pid, pid));
  pid_t child = 0;
  while (in >> child) {
    out.push_back(child);
  }
  return out;
}

bool alive(pid_t pid) {
  return ::kill(pid, 0) == 0 || errno == EPERM;
}

// The pid HAProxy's stats socket reports (`show info`), as the container's
// pid namespace numbers it; -1 when it does not answer.
long serving_pid(const std::string& socket) {
  auto answer = platform::HaproxyRuntimeApi(socket, 1000ms).command("show info");
  if (!answer) {
    return -1;
  }
  const auto at = answer->find("\nPid: ");
  return at == std::string::npos ? -1 : std::atol(answer->c_str() + at + 6);
}

}  // namespace

Result<size_t> DockerStack::index_for_change(const std::string& service) const {
  auto i = index_of(service);
  if (!i) {
    return Error{"no service named " + service + " in the stack"};
  }
  if (torn_down_) {
    return Error{"service " + service + ": the stack has been torn down"};
  }
  return *i;
}

Result<pid_t> DockerStack::init_pid(size_t i) const {
  const std::string& service = services_[i].planned.name;
  if (containers_[i].empty()) {
    return Error{fmt::format("service {}: it has no container", service)};
  }
  auto info = api_.inspect(containers_[i]);
  if (!info) {
    return Error{fmt::format("service {}: {}", service, info.error().describe())};
  }
  if (!info->state.running || info->state.pid <= 0) {
    return Error{fmt::format("service {}: its container is {}, there is nothing to reload", service,
                             info->state.status)};
  }
  return static_cast<pid_t>(info->state.pid);
}

Status DockerStack::check_in_container(size_t i, const std::string& path) const {
  const bool haproxy = services_[i].planned.kind == experiment::ServiceKind::haproxy;
  const std::string checker = haproxy ? "haproxy -c" : "nginx -t";
  // The names the server runs with (the image's PATH finds them); nginx's
  // error log of the check goes beside the server's, not into it.
  // A team config's copy reads its relative paths from the same folders as
  // the server does (-C, -p).
  const std::string& base = setups_[i].base_dir;
  std::vector<std::string> argv =
      haproxy ? std::vector<std::string>{"haproxy", "-c", "-f", path}
              : std::vector<std::string>{
                    "nginx", "-t", "-q", "-c", path, "-e", services_[i].log_dir + "/check.log"};
  if (!base.empty()) {
    argv.insert(argv.end(), {haproxy ? "-C" : "-p", haproxy ? base : base + "/"});
  }
  auto ran = api_.exec(containers_[i], argv);
  if (!ran) {
    return Error{fmt::format("{} could not run in its container: {}", checker, ran.error().describe())};
  }
  if (ran->exit_code == 0) {
    return {};
  }
  std::string said =
      rejection(checker, config_check_complaints(services_[i].planned.kind, ran->out + ran->err));
  if (!services_[i].team_config.empty()) {
    // The copy's file and line, said as the team's.
    said = in_team_terms(copy_as_written(services_[i]), said);
  }
  return Error{said};
}

Status DockerStack::check_config(const std::string& service, const std::string& text) {
  auto i = index_for_change(service);
  if (!i) {
    return i.error();
  }
  if (auto pid = init_pid(*i); !pid) {
    return pid.error();
  }
  // A candidate beside the running config (in the service's folder, or a
  // team config's copy folder, so that its relative includes resolve as the
  // running one's): the run folder is mounted at the same path, so the
  // container reads it where it is written here.
  const bool haproxy = services_[*i].planned.kind == experiment::ServiceKind::haproxy;
  const std::string candidate = fs::path(services_[*i].config_path).parent_path().string() +
                                (haproxy ? "/candidate.cfg" : "/candidate.conf");
  {
    std::ofstream out(candidate, std::ios::trunc);
    out << text;
    if (!out) {
      return Error{"cannot write " + candidate};
    }
  }
  auto st = check_in_container(*i, candidate);
  std::error_code ec;
  fs::remove(candidate, ec);
  return st;
}

Status DockerStack::reload(const std::string& service, const std::string& new_config_text) {
  auto i = index_for_change(service);
  if (!i) {
    return i.error();
  }
  return reload_files(service, {{services_[*i].config_path, new_config_text}});
}

Status DockerStack::reload_files(const std::string& service, const std::vector<ConfigFileText>& files) {
  auto i = index_for_change(service);
  if (!i) {
    return i.error();
  }
  const ServiceInstance& inst = services_[*i];
  // faultline's rendered config is one file, the one mounted into the
  // container. A team config's copy may change in any of its files, but
  // only in files of the copy: never a link to the team's own file.
  std::vector<ConfigFileText> before;
  for (const auto& f : files) {
    if (inst.team_config.empty() && f.path != inst.config_path) {
      return Error{fmt::format("service {}: {} is not its config file {}, so faultline does not write it",
                               service, f.path, inst.config_path)};
    }
    if (!inst.team_config.empty()) {
      if (auto ok = writable_copy_file(service, inst.log_dir, f.path); !ok) {
        return ok.error();
      }
    }
    before.push_back({f.path, read_text(f.path)});
  }
  auto init = init_pid(*i);
  if (!init) {
    return init.error();
  }
  Status st;
  for (const auto& f : files) {
    if (st = platform::write_in_place(f.path, f.text); !st) {
      break;
    }
  }
  // Checked as the server will read it: the mounted file, inside the
  // container.
  if (st) {
    st = check_in_container(*i, setups_[*i].config);
  }
  if (!st) {
    // The server still runs the config it read before; its files say so
    // again, and it is not signalled.
    std::string failed;
    for (const auto& b : before) {
      if (auto back = platform::write_in_place(b.path, b.text); !back) {
        failed += (failed.empty() ? "" : "; ") + back.error().message;
      }
    }
    if (!failed.empty()) {
      return Error{fmt::format("service {}: {}; putting its config back also failed: {}", service,
                               st.error().message, failed)};
    }
    return Error{fmt::format("service {}: {}", service, st.error().message)};
  }
  st = inst.planned.kind == experiment::ServiceKind::haproxy ? reload_haproxy(*i, *init)
                                                             : reload_nginx(*i, *init);
  if (!st) {
    return Error{fmt::format("service {}: reload: {}", service, st.error().message)};
  }
  return wait_answering(*i, Clock::now() + kReadyTimeout);
}

Status DockerStack::reload_haproxy(size_t i, pid_t init) {
  // SIGUSR2 to the master of `haproxy -W`: it starts a worker on the new
  // config, which takes the listeners over, and the old worker finishes its
  // connections and exits. The new worker is the one whose pid the stats
  // socket reports once it has bound it.
  const std::string socket = services_[i].runtime_socket;
  // A drain or a weight a fault set through the runtime API lives in the
  // old worker alone: read it now, set it again on the new one.
  auto overrides = platform::read_runtime_overrides(platform::HaproxyRuntimeApi(socket));
  if (!overrides) {
    return Error{"cannot read the runtime API settings to carry over the reload: " +
                 overrides.error().message};
  }
  // The worker serving now: without it, the old worker's next answer would
  // pass for the new one's, and the overrides would go to a worker about to
  // exit. The overrides were just read through the same socket, so a
  // silence here is a busy HAProxy: it is asked again, bounded.
  long old_pid = serving_pid(socket);
  for (int tries = 1; old_pid <= 0 && tries < 5; ++tries) {
    old_pid = serving_pid(socket);
  }
  if (old_pid <= 0) {
    return Error{
        fmt::format("the stats socket {} did not say which worker serves (show info), so a new "
                    "worker could not be told from the old one; nothing was reloaded",
                    socket)};
  }
  if (::kill(init, SIGUSR2) != 0) {
    return Error{fmt::format("cannot signal the container's init (pid {}): {}", init, std::strerror(errno))};
  }
  const auto deadline = Clock::now() + kReloadTimeout;
  while (true) {
    const long now = serving_pid(socket);
    if (now > 0 && now != old_pid) {
      break;
    }
    if (!alive(init)) {
      return Error{"the container's server exited on the reload"};
    }
    if (Clock::now() >= deadline) {
      return Error{
          fmt::format("no new haproxy worker answered on {} within 10 s\n{}", socket, logs_of(i, 5))};
    }
    std::this_thread::sleep_for(5ms);
  }
  return platform::apply_runtime_overrides(platform::HaproxyRuntimeApi(socket), *overrides);
}

Status DockerStack::reload_nginx(size_t i, pid_t init) {
  // SIGHUP, which docker-init hands to the nginx master: it re-reads the
  // config, starts workers of the new generation and lets the old ones
  // finish their requests. Done once a worker that was not there before
  // runs and the old ones are gone (bounded).
  const auto servers = children_of(init);
  if (servers.empty()) {
    return Error{fmt::format("the container's init (pid {}) has no server process", init)};
  }
  const pid_t master = servers.front();
  const auto before = children_of(master);
  if (::kill(init, SIGHUP) != 0) {
    return Error{fmt::format("cannot signal the container's init (pid {}): {}", init, std::strerror(errno))};
  }
  auto is_old = [&](pid_t p) { return std::find(before.begin(), before.end(), p) != before.end(); };
  const auto deadline = Clock::now() + kReloadTimeout;
  while (Clock::now() < deadline) {
    if (!alive(master)) {
      return Error{"the nginx master exited on SIGHUP"};
    }
    const auto now = children_of(master);
    if (std::any_of(now.begin(), now.end(), [&](pid_t p) { return !is_old(p); })) {
      const auto old_deadline = Clock::now() + 2s;
      while (Clock::now() < old_deadline) {
        const auto current = children_of(master);
        if (std::none_of(current.begin(), current.end(), is_old)) {
          break;
        }
        std::this_thread::sleep_for(2ms);
      }
      return {};
    }
    std::this_thread::sleep_for(2ms);
  }
  return Error{fmt::format("nginx started no worker of the new configuration within 10 s (see {}/error.log)",
                           services_[i].log_dir)};
}

Status DockerStack::wait_answering(size_t i, Clock::time_point deadline) const {
  const auto& ps = services_[i].planned;
  std::string last = "no answer yet";
  while (true) {
    auto resp = http_get(ps.address, ps.port, probe_path(i), kProbeTimeout, ps.tls);
    if (resp) {
      return {};
    }
    last = resp.error().message;
    if (Clock::now() >= deadline) {
      return Error{fmt::format("service {} did not answer at {}:{} after its reload: {}\n{}", ps.name,
                               ps.address, ps.port, last, logs_of(i, 10))};
    }
    std::this_thread::sleep_for(20ms);
  }
}

}  // namespace faultline::stack::docker
