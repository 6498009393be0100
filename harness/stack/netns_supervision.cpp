// The netns stack's servers as children of faultline: start, readiness,
// crashes noticed, restarts, and stopping them.

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
#include "harness/stack/render.h"
#include "harness/stack/run_registry.h"
#include "harness/stack/stack.h"

namespace faultline::stack::netns {

Status NetnsStack::start(size_t i) {
  platform::ProcessSpec spec = specs_[i];
  spec.netns_fd = netns_fds_[i].get();
  auto process = platform::start_process(spec);
  if (!process) {
    return Error{fmt::format("service {}: {}", services_[i].planned.name, process.error().message)};
  }
  children_[i] = Child{(*process)->pid(), true, -1, false, children_[i].may_crash, children_[i].ready};
  services_[i].pid = (*process)->pid();
  services_[i].process = *process;
  return {};
}

bool NetnsStack::is_balancer(size_t i) const {
  // A rendered nginx balancer has an upstream block's name; one run from
  // the team's config has the upstream log faultline added for it.
  return services_[i].planned.kind == experiment::ServiceKind::haproxy ||
         !services_[i].backend_name.empty() || !services_[i].upstream_log.empty();
}

std::string NetnsStack::probe_path(size_t i) const {
  // Backends are probed on their health path, which never counts against
  // a capacity limit; load balancers on `/`, through to a backend; the
  // team's program where its `ready:` says.
  const auto& ps = services_[i].planned;
  if (children_[i].ready) {
    return children_[i].ready->http_path;
  }
  if (is_balancer(i) || ps.health_paths.empty()) {
    return "/";
  }
  return ps.health_paths.front();
}

Result<HttpResponse> NetnsStack::probe_inside(size_t i, std::chrono::milliseconds timeout) {
  const auto& ps = services_[i].planned;
  Result<HttpResponse> resp = Error{"not probed"};
  const bool tcp_only = children_[i].ready && children_[i].ready->tcp;
  auto st = platform::run_in_netns(netns_fds_[i].get(), [&]() -> Status {
    if (!tcp_only) {
      resp = http_get(ps.address, ps.port, probe_path(i), timeout, ps.tls);
    } else if (auto connected = tcp_connect(ps.address, ps.port, timeout); connected) {
      resp = HttpResponse{};  // accepting a connection is all `ready: { tcp: true }` asks
    } else {
      resp = connected.error();
    }
    return {};
  });
  if (!st) {
    return st.error();
  }
  return resp;
}

std::string NetnsStack::logs_of(size_t i, size_t lines) const {
  std::string out;
  for (const char* file : {"error.log", "stderr.log", "stdout.log"}) {
    const std::string path = dirs_[i] + "/" + file;
    const std::string tail = platform::tail_lines(path, lines);
    if (tail.empty()) {
      continue;
    }
    out += fmt::format("\n  last lines of {}:", path);
    size_t pos = 0;
    while (pos <= tail.size()) {
      auto next = tail.find('\n', pos);
      if (next == std::string::npos) {
        next = tail.size();
      }
      out += "\n    " + tail.substr(pos, next - pos);
      pos = next + 1;
    }
  }
  return out;
}

Status NetnsStack::wait_ready(const std::vector<size_t>& which, Clock::time_point deadline,
                              bool need_backend) {
  std::vector<size_t> pending = which;
  std::vector<std::string> last_error(services_.size());
  while (!pending.empty()) {
    for (auto it = pending.begin(); it != pending.end();) {
      const size_t i = *it;
      const auto& ps = services_[i].planned;
      if (auto status = platform::reap_if_exited(children_[i].pid)) {
        children_[i].running = false;
        children_[i].wait_status = *status;
        return Error{fmt::format("service {} ({}) {} during startup{}", ps.name,
                                 experiment::to_string(ps.kind), platform::describe_exit(*status),
                                 logs_of(i, 10))};
      }
      // From inside: the service's own readiness, whatever the host's
      // firewall does (check_reachable_from_host judges that separately).
      auto resp = probe_inside(i, kProbeTimeout);
      if (!resp) {
        last_error[i] = resp.error().message;
        ++it;
      } else if (children_[i].ready && !children_[i].ready->tcp && resp->status >= 500) {
        last_error[i] = fmt::format("GET {} answered {} (ready when below 500)", probe_path(i), resp->status);
        ++it;
      } else if (need_backend && is_balancer(i) && !services_[i].team_config.empty() && resp->status >= 500) {
        // The team's config sends no header faultline could look for: its
        // load balancer is ready once it answers without a server error.
        last_error[i] = fmt::format("it answers {}: it reaches none of its backends yet", resp->status);
        ++it;
      } else if (need_backend && is_balancer(i) && services_[i].team_config.empty() && resp->status >= 500 &&
                 resp->header(backend_header_).empty()) {
        // A load balancer that answers but reaches no backend (5xx without
        // a backend's header) is not ready: the stack would fail every
        // request of the experiment for a reason unrelated to its faults.
        // faultline opens iptables' FORWARD for its bridge when that
        // would drop (host_firewall.h); what is left is another firewall.
        last_error[i] = fmt::format(
            "it answers {} without a backend's {} header: it cannot reach its backends (is a firewall "
            "on the host dropping traffic across bridge {}? `faultline doctor` shows iptables' FORWARD; "
            "check `nft list ruleset` for other forward hooks)",
            resp->status, backend_header_, plan_.bridge);
        ++it;
      } else {
        it = pending.erase(it);
      }
    }
    if (pending.empty()) {
      break;
    }
    if (Clock::now() >= deadline) {
      const size_t i = pending.front();
      const auto& ps = services_[i].planned;
      return Error{
          fmt::format("service {} ({}) did not answer HTTP on {}:{} within {} s (last attempt: {}){}",
                      ps.name, experiment::to_string(ps.kind), ps.address, ps.port,
                      std::chrono::duration_cast<std::chrono::seconds>(kReadyTimeout).count(), last_error[i],
                      logs_of(i, 10))};
    }
    std::this_thread::sleep_for(5ms);
  }
  return {};
}

Status NetnsStack::start_and_wait(const ProgressFn& progress, Clock::time_point deadline) {
  // Backends first, so a load balancer's first health checks find them up.
  std::vector<size_t> backends;
  std::vector<size_t> balancers;
  for (size_t i = 0; i < services_.size(); ++i) {
    (is_balancer(i) ? balancers : backends).push_back(i);
  }
  for (const auto* group : {&backends, &balancers}) {
    if (group->empty()) {
      continue;
    }
    const auto t0 = Clock::now();
    for (size_t i : *group) {
      if (auto st = start(i); !st) {
        return st;
      }
    }
    if (auto st = wait_ready(*group, deadline); !st) {
      return st;
    }
    if (progress) {
      for (size_t i : *group) {
        const auto& s = services_[i];
        progress(fmt::format("{}: {} (pid {}) answers on {}:{}", s.planned.name,
                             experiment::to_string(s.planned.kind), s.pid, s.planned.address,
                             s.planned.port));
      }
      progress(fmt::format("{} {} ready in {:.0f} ms", group->size(),
                           group == &backends ? "backend(s)" : "load balancer(s)", seconds_since(t0) * 1000));
    }
  }
  return {};
}

Status NetnsStack::check_alive() {
  reap_retired(false);
  for (size_t i = 0; i < children_.size(); ++i) {
    auto& c = children_[i];
    if (c.running) {
      if (auto status = platform::reap_if_exited(c.pid)) {
        c.running = false;
        c.wait_status = *status;
        if (c.may_crash && c.ready && !c.expected_down) {
          // The team's own program ended: what it does under the fault is
          // what the experiment observes, so the run goes on without it.
          c.expected_down = true;
          const auto& ps = services_[i].planned;
          service_exits_.push_back(
              {ps.name,
               fmt::format("the program (pid {}) {} during the run", c.pid, platform::describe_exit(*status)),
               false});
        } else if (c.may_crash && WIFEXITED(*status) && WEXITSTATUS(*status) == app::kCrashExitStatus) {
          // The overload the experiment is about, not a harness failure.
          c.expected_down = true;
          const auto& ps = services_[i].planned;
          service_exits_.push_back(
              {ps.name,
               fmt::format("the app (pid {}) exited when a request found its queue full, as its "
                           "capacity's on_overflow: crash asks",
                           c.pid),
               false});
        }
      }
    }
    if (!c.running && c.pid > 0 && !c.expected_down) {
      const auto& ps = services_[i].planned;
      // For the timeline: which service and when, not only the message;
      // handed out once per process.
      if (std::find(deaths_reported_.begin(), deaths_reported_.end(), c.pid) == deaths_reported_.end()) {
        deaths_reported_.push_back(c.pid);
        service_exits_.push_back(
            {ps.name,
             fmt::format("the {} process (pid {}) {} during the run, and faultline stopped the run",
                         experiment::to_string(ps.kind), c.pid, platform::describe_exit(c.wait_status)),
             true});
      }
      return Error{fmt::format("service {} ({}, pid {}) {}{}", ps.name, experiment::to_string(ps.kind), c.pid,
                               platform::describe_exit(c.wait_status), logs_of(i, 5))};
    }
  }
  return {};
}

Status NetnsStack::restart(const std::string& service) {
  auto i = index_for_change(service);
  if (!i) {
    return i.error();
  }
  auto& c = children_[*i];
  if (c.running) {
    c.wait_status = platform::stop_process_group(c.pid, kStopGrace);
    c.running = false;
  }
  if (auto st = start(*i); !st) {
    return st;
  }
  return wait_ready({*i}, Clock::now() + kReadyTimeout);
}

void NetnsStack::reap_retired(bool stop) {
  for (auto it = retired_.begin(); it != retired_.end();) {
    if (stop) {
      platform::stop_process_group(*it, kStopGrace);
      it = retired_.erase(it);
    } else if (platform::reap_if_exited(*it)) {
      it = retired_.erase(it);
    } else {
      ++it;
    }
  }
}

void NetnsStack::stop_children() {
  reap_retired(true);
  // All at once: SIGTERM every group, then one shared grace period.
  for (size_t i = 0; i < children_.size(); ++i) {
    if (children_[i].running) {
      services_[i].process->signal(SIGTERM, platform::SignalScope::group);
    }
  }
  const auto deadline = Clock::now() + kStopGrace;
  for (auto& c : children_) {
    while (c.running && !platform::has_exited(c.pid) && Clock::now() < deadline) {
      std::this_thread::sleep_for(2ms);
    }
  }
  for (auto& c : children_) {
    if (c.running) {
      c.wait_status = platform::stop_process_group(c.pid, 0ms);
      c.running = false;
    }
  }
}

}  // namespace faultline::stack::netns
