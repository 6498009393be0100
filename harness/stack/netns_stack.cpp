// The netns runtime: each service is a host of its own (a network namespace
// with a veth into one bridge per run), its server a child of faultline.

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
#include "harness/stack/render.h"
#include "harness/stack/run_registry.h"
#include "harness/stack/stack.h"

namespace faultline::stack {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr auto kReadyTimeout = 10s;
constexpr auto kStopGrace = 2s;
constexpr auto kProbeTimeout = 250ms;
// How long the load target may take to answer from the host once it
// answers inside its namespace (a SYN dropped on the way times out).
constexpr auto kHostReachTimeout = 2s;
constexpr auto kHostProbeTimeout = 500ms;
constexpr const char* kPeerName = "eth0";

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

std::string errno_text(int err) {
  return std::system_category().message(err);
}

Status write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  out.close();
  if (!out) {
    return Error{"cannot write " + path};
  }
  return {};
}

// Runs the steps in order and stops at the first that fails.
Status in_order(std::initializer_list<std::function<Status()>> steps) {
  for (const auto& step : steps) {
    if (auto st = step(); !st) {
      return st;
    }
  }
  return {};
}

// Serialises subnet choice between runs of one registry: the subnet is
// recorded in the manifest before the lock is released, so the next run
// planning sees it even before the bridge exists.
class RegistryLock {
 public:
  explicit RegistryLock(const std::string& registry_dir) {
    const std::string path = registry_dir + "/.subnet.lock";
    fd_.reset(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
    if (fd_.valid()) {
      while (::flock(fd_.get(), LOCK_EX) != 0 && errno == EINTR) {
      }
    }
  }

 private:
  platform::UniqueFd fd_;  // closing it releases the lock
};

struct Child {
  pid_t pid = -1;
  bool running = false;
  int wait_status = -1;        // valid once it has exited
  bool expected_down = false;  // stopped on purpose by a fault: not a failure
  bool may_crash = false;      // an app with on_overflow: crash
};

class NetnsStack final : public RunningStack {
 public:
  NetnsStack(RunIdentity id, Plan plan, platform::UniqueFd host_netns)
      : id_(std::move(id)), plan_(std::move(plan)), host_netns_(std::move(host_netns)) {}
  NetnsStack(const NetnsStack&) = delete;
  NetnsStack& operator=(const NetnsStack&) = delete;
  ~NetnsStack() override { teardown(); }

  const Plan& plan() const override { return plan_; }
  const RunIdentity& identity() const override { return id_; }
  const std::vector<ServiceInstance>& services() const override { return services_; }
  Status check_alive() override;
  std::vector<ServiceExit> take_service_exits() override { return std::exchange(service_exits_, {}); }
  Status in_netns(const std::string& service, const std::function<Status()>& fn) override;
  void teardown() override;
  Status restart(const std::string& service) override;
  Status reload(const std::string& service, const std::string& new_config_text) override;
  void set_expected_down(const std::string& service, bool down) override {
    if (auto i = index_of(service)) {
      children_[*i].expected_down = down;
    }
  }

  // `routes_out`: networks outside the run (the external targets a run was
  // allowed) each namespace gets a route to, through the host; without
  // them a namespace reaches only the run's subnet.
  Status build_network(const ProgressFn& progress, const std::vector<experiment::AddressRange>& routes_out);
  // When the host's FORWARD chain would drop traffic across the bridge
  // (Docker's host: policy DROP, bridge-nf-call-iptables=1), inserts the
  // one ACCEPT rule for this run's bridge (see host_firewall.h).
  Status open_host_forwarding(const ProgressFn& progress);
  Status write_configs(const experiment::Experiment& exp, const std::string& nginx,
                       const std::string& haproxy);
  Status start_and_wait(const ProgressFn& progress, Clock::time_point deadline);
  // The load runs in the host's namespace, while readiness is probed inside
  // each service's own: this probes the load target from the host as the
  // load will, so a host that cannot reach the subnet (a firewall rule)
  // fails the bring-up with that cause instead of failing every request.
  Status check_reachable_from_host(const std::string& target, const ProgressFn& progress);
  // Teardown that reports what it could not remove.
  std::vector<std::string> teardown_collect();

 private:
  std::optional<size_t> index_of(const std::string& service) const;
  bool is_balancer(size_t i) const;
  Status start(size_t i);
  // `need_backend`: a load balancer counts as ready only once it reaches a
  // backend. Off after a reload, whose new config may be a fault that is
  // meant to break exactly that (a 1 ms timeout, a wrong address).
  Status wait_ready(const std::vector<size_t>& which, Clock::time_point deadline, bool need_backend = true);
  std::string logs_of(size_t i, size_t lines) const;
  std::string probe_path(size_t i) const;
  // An HTTP GET of the service's own address from inside its namespace.
  Result<HttpResponse> probe_inside(size_t i, std::chrono::milliseconds timeout);
  void stop_children();
  void kill_leftovers_in_namespaces(std::vector<std::string>& errors);
  Status reload_haproxy(size_t i);
  Status reload_nginx(size_t i);
  void reap_retired(bool stop);

  RunIdentity id_;
  Plan plan_;
  platform::UniqueFd host_netns_;  // where the bridge and host veths live
  std::string backend_header_ = "X-Backend";
  std::vector<ServiceInstance> services_;
  std::vector<platform::ProcessSpec> specs_;
  std::vector<std::string> dirs_;
  std::vector<Child> children_;
  std::vector<platform::UniqueFd> netns_fds_;
  // HAProxy processes replaced by a reload: they finish their connections
  // and exit; reaped by check_alive, stopped by teardown.
  std::vector<pid_t> retired_;
  std::vector<ServiceExit> service_exits_;
  std::vector<pid_t> deaths_reported_;  // servers whose unexpected exit is in service_exits_

  // What this object created, and so will remove (never anything else).
  bool bridge_made_ = false;
  std::optional<HostRule> bridge_rule_;  // set before it is inserted
  std::vector<std::string> veths_made_;
  std::vector<std::string> netns_made_;
  std::vector<std::string> dirs_made_;
  bool torn_down_ = false;
};

std::optional<size_t> NetnsStack::index_of(const std::string& service) const {
  for (size_t i = 0; i < services_.size(); ++i) {
    if (services_[i].planned.name == service) {
      return i;
    }
  }
  return std::nullopt;
}

Status NetnsStack::build_network(const ProgressFn& progress,
                                 const std::vector<experiment::AddressRange>& routes_out) {
  const auto t0 = Clock::now();
  auto sock = platform::RouteSocket::open();
  if (!sock) {
    return sock.error();
  }
  const std::string alias = link_alias(id_.run_id);
  const auto bridge_addr = platform::parse_ipv4(plan_.bridge_address);
  if (!bridge_addr) {
    return Error{"bad bridge address " + plan_.bridge_address};
  }
  if (auto st = record_resource(id_, "bridge", plan_.bridge); !st) {
    return st;
  }
  if (auto st = sock->create_bridge(plan_.bridge); !st) {
    return st;
  }
  bridge_made_ = true;
  // The alias names the owner, so `faultline cleanup` can tell a live run's
  // links from a dead one's even without its registry directory.
  auto& s = *sock;
  if (auto st = in_order({[&] { return s.set_alias(plan_.bridge, alias); },
                          [&] { return s.add_address(plan_.bridge, *bridge_addr, plan_.prefix_len); },
                          [&] { return s.set_up(plan_.bridge); }});
      !st) {
    return st;
  }
  auto bridge_index = s.ifindex(plan_.bridge);
  if (!bridge_index) {
    return bridge_index.error();
  }
  if (auto st = open_host_forwarding(progress); !st) {
    return st;
  }

  for (size_t i = 0; i < plan_.services.size(); ++i) {
    const auto& ps = plan_.services[i];
    const auto address = platform::parse_ipv4(ps.address);
    if (!address) {
      return Error{"bad service address " + ps.address};
    }
    if (auto st = record_resource(id_, "netns", ps.netns); !st) {
      return st;
    }
    if (auto st = platform::create_named_netns(ps.netns); !st) {
      return st;
    }
    netns_made_.push_back(ps.netns);
    auto fd = platform::open_named_netns(ps.netns);
    if (!fd) {
      return fd.error();
    }
    netns_fds_.push_back(std::move(*fd));
    const int ns_fd = netns_fds_.back().get();

    if (auto st = record_resource(id_, "link", ps.host_veth); !st) {
      return st;
    }
    if (auto st = s.create_veth(ps.host_veth, kPeerName, ns_fd, *bridge_index); !st) {
      return st;
    }
    veths_made_.push_back(ps.host_veth);
    if (auto st = in_order(
            {[&] { return s.set_alias(ps.host_veth, alias); }, [&] { return s.set_up(ps.host_veth); }});
        !st) {
      return st;
    }
    auto inside = platform::run_in_netns(ns_fd, [&]() -> Status {
      // Opened in here, the socket acts on the service's namespace.
      auto ns_sock = platform::RouteSocket::open();
      if (!ns_sock) {
        return ns_sock.error();
      }
      // eth0 must be up before any route through it: the kernel refuses a
      // gateway on a link that is down.
      auto& n = *ns_sock;
      if (auto st = in_order({[&] { return n.set_up("lo"); }, [&] { return n.set_alias(kPeerName, alias); },
                              [&] { return n.add_address(kPeerName, *address, plan_.prefix_len); },
                              [&] { return n.set_up(kPeerName); }});
          !st) {
        return st;
      }
      // Blast radius, enforced by the kernel: no default route, so a server
      // (or a fault's fragment naming a host) that tries an address outside
      // the subnet and the allowed targets gets "network unreachable" and
      // nothing leaves the namespace, whatever the host's forwarding says.
      for (const auto& net : routes_out) {
        if (auto st = n.add_route(net.base, net.prefix_len, *bridge_addr, kPeerName); !st) {
          return st;
        }
      }
      return Status{};
    });
    if (!inside) {
      return Error{fmt::format("service {}: namespace {}: {}", ps.name, ps.netns, inside.error().message)};
    }
  }
  if (progress) {
    progress(fmt::format("network: bridge {} {}/{}, {} namespaces ({:.0f} ms)", plan_.bridge,
                         plan_.bridge_address, plan_.prefix_len, plan_.services.size(),
                         seconds_since(t0) * 1000));
  }
  return {};
}

Status NetnsStack::open_host_forwarding(const ProgressFn& progress) {
  const BridgeFiltering filtering = probe_bridge_filtering();
  if (!filtering.needs_accept_rule()) {
    if (!filtering.problem.empty()) {
      // Not fatal: on most hosts FORWARD lets bridged traffic through; if
      // it does not, the readiness check says so with this hint.
      spdlog::warn("run {}: {}", id_.run_id, describe(filtering));
    }
    return {};
  }
  HostRule rule = bridge_accept_rule(filtering.rule_chain(), id_.run_id, plan_.bridge, owner_token());
  if (auto st = record_resource(id_, "iptables", rule.chain + "/" + plan_.bridge); !st) {
    return st;
  }
  // From here on teardown must try to delete it, even if the insert
  // failed halfway.
  bridge_rule_ = rule;
  if (auto st = insert_rule(rule); !st) {
    return Error{fmt::format(
        "the host's FORWARD chain drops traffic across bridges ({}), and the ACCEPT rule for {} could not be "
        "added: {}",
        describe(filtering), plan_.bridge, st.error().message)};
  }
  if (progress) {
    progress(
        fmt::format("host firewall: FORWARD policy {}, bridge-nf-call-iptables=1: ACCEPT for {} added to {} "
                    "(removed at the end)",
                    filtering.forward_policy, plan_.bridge, rule.chain));
  }
  return {};
}

Status NetnsStack::write_configs(const experiment::Experiment& exp, const std::string& nginx,
                                 const std::string& haproxy) {
  backend_header_ = exp.load.backend_header;
  for (const auto& ps : plan_.services) {
    const experiment::Service* svc = exp.stack.find(ps.name);
    ServiceInstance inst;
    inst.planned = ps;
    const std::string dir = id_.run_dir + "/" + ps.name;
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) {
      return Error{fmt::format("service {}: cannot create {}: {}", ps.name, dir, ec.message())};
    }
    dirs_made_.push_back(dir);
    RenderPaths paths{dir, {}};
    std::string text;
    platform::ProcessSpec spec;
    spec.stdout_path = dir + "/stdout.log";
    spec.stderr_path = dir + "/stderr.log";
    if (ps.kind == experiment::ServiceKind::haproxy) {
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
      text = render_haproxy(*svc, plan_, paths);
      spec.executable = haproxy;
      // -db: stay in the foreground, a child we can watch and reap.
      spec.args = {"-f", inst.config_path, "-db"};
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
    children_.back().may_crash =
        svc->kind == experiment::ServiceKind::app && svc->capacity && svc->capacity->crash_on_overflow;
  }
  return {};
}

Status NetnsStack::start(size_t i) {
  platform::ProcessSpec spec = specs_[i];
  spec.netns_fd = netns_fds_[i].get();
  auto process = platform::start_process(spec);
  if (!process) {
    return Error{fmt::format("service {}: {}", services_[i].planned.name, process.error().message)};
  }
  children_[i] = Child{(*process)->pid(), true, -1, false, children_[i].may_crash};
  services_[i].pid = (*process)->pid();
  services_[i].process = *process;
  return {};
}

bool NetnsStack::is_balancer(size_t i) const {
  return services_[i].planned.kind == experiment::ServiceKind::haproxy || !services_[i].backend_name.empty();
}

std::string NetnsStack::probe_path(size_t i) const {
  // Backends are probed on their health path, which never counts against
  // a capacity limit; load balancers on `/`, through to a backend.
  const auto& ps = services_[i].planned;
  if (is_balancer(i) || ps.health_paths.empty()) {
    return "/";
  }
  return ps.health_paths.front();
}

Result<HttpResponse> NetnsStack::probe_inside(size_t i, std::chrono::milliseconds timeout) {
  const auto& ps = services_[i].planned;
  Result<HttpResponse> resp = Error{"not probed"};
  auto st = platform::run_in_netns(netns_fds_[i].get(), [&]() -> Status {
    resp = http_get(ps.address, ps.port, probe_path(i), timeout);
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
      } else if (need_backend && is_balancer(i) && resp->status >= 500 &&
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

Status NetnsStack::check_reachable_from_host(const std::string& target, const ProgressFn& progress) {
  const auto i = index_of(target);
  if (!i) {
    return {};  // no load through the stack (a stack brought up on its own, in tests)
  }
  const auto& ps = services_[*i].planned;
  const auto t0 = Clock::now();
  const auto deadline = t0 + kHostReachTimeout;
  std::string last_error;
  while (true) {
    auto resp = http_get(ps.address, ps.port, probe_path(*i), kHostProbeTimeout);
    if (resp) {
      if (progress) {
        progress(fmt::format("load target {} answers from the host on {}:{} ({:.0f} ms)", ps.name, ps.address,
                             ps.port, seconds_since(t0) * 1000));
      }
      return {};
    }
    last_error = resp.error().message;
    if (Clock::now() >= deadline) {
      break;
    }
    std::this_thread::sleep_for(20ms);
  }
  const std::string what = is_balancer(*i) ? "the load balancer" : "the service";
  if (auto inside = probe_inside(*i, kHostProbeTimeout); inside) {
    return Error{fmt::format(
        "{} {} answers inside its namespace but not from the host at {}:{} ({}): the load runs in the "
        "host's namespace and would fail every request; check the host's firewall (nft list ruleset, "
        "iptables -S) for {}",
        what, ps.name, ps.address, ps.port, last_error, plan_.subnet)};
  } else {
    return Error{
        fmt::format("{} {} stopped answering: from the host at {}:{} ({}), and inside its namespace "
                    "({}){}",
                    what, ps.name, ps.address, ps.port, last_error, inside.error().message, logs_of(*i, 10))};
  }
}

Status NetnsStack::check_alive() {
  reap_retired(false);
  for (size_t i = 0; i < children_.size(); ++i) {
    auto& c = children_[i];
    if (c.running) {
      if (auto status = platform::reap_if_exited(c.pid)) {
        c.running = false;
        c.wait_status = *status;
        if (c.may_crash && WIFEXITED(*status) && WEXITSTATUS(*status) == app::kCrashExitStatus) {
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

Status NetnsStack::in_netns(const std::string& service, const std::function<Status()>& fn) {
  auto i = index_of(service);
  if (!i) {
    return Error{"no service named " + service + " in the stack"};
  }
  if (torn_down_) {
    return Error{"service " + service + ": the stack has been torn down"};
  }
  return platform::run_in_netns(netns_fds_[*i].get(), fn);
}

Status NetnsStack::restart(const std::string& service) {
  auto i = index_of(service);
  if (!i) {
    return Error{"no service named " + service + " in the stack"};
  }
  if (torn_down_) {
    return Error{"service " + service + ": the stack has been torn down"};
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

Status NetnsStack::reload(const std::string& service, const std::string& new_config_text) {
  auto i = index_of(service);
  if (!i) {
    return Error{"no service named " + service + " in the stack"};
  }
  if (torn_down_) {
    return Error{"service " + service + ": the stack has been torn down"};
  }
  auto& c = children_[*i];
  if (!c.running || platform::has_exited(c.pid)) {
    return Error{"service " + service + ": its server is not running, there is nothing to reload"};
  }
  if (auto st = write_text(services_[*i].config_path, new_config_text); !st) {
    return st;
  }
  auto st =
      services_[*i].planned.kind == experiment::ServiceKind::haproxy ? reload_haproxy(*i) : reload_nginx(*i);
  if (!st) {
    return Error{fmt::format("service {}: reload: {}", service, st.error().message)};
  }
  return wait_ready({*i}, Clock::now() + kReadyTimeout, false);
}

Status NetnsStack::reload_haproxy(size_t i) {
  // A new process takes over: it binds (or, with -x, receives the old
  // one's listening sockets over the stats socket, so no connection is
  // refused), then tells the old one (-sf) to stop accepting and to exit
  // once its connections are done.
  const pid_t old_pid = children_[i].pid;
  platform::ProcessSpec spec = specs_[i];
  spec.netns_fd = netns_fds_[i].get();
  spec.stdout_path = dirs_[i] + "/stdout.reload.log";
  spec.stderr_path = dirs_[i] + "/stderr.reload.log";
  if (!services_[i].runtime_socket.empty()) {
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
  const std::string socket = services_[i].runtime_socket;
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
  children_[i] = Child{pid, true, -1, false, children_[i].may_crash};
  services_[i].pid = pid;
  services_[i].process = *process;
  reap_retired(false);
  return {};
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

void NetnsStack::kill_leftovers_in_namespaces(std::vector<std::string>& errors) {
  // Whatever still lives in our namespaces (a worker whose master was
  // killed, something a fault started) is not our child: find it by
  // namespace and kill it, or the namespace would outlive the run.
  std::vector<platform::NetnsId> ids;
  for (const auto& name : netns_made_) {
    if (auto id = platform::netns_id_of_path(platform::netns_path(name))) {
      ids.push_back(*id);
    }
  }
  auto found = platform::pids_in_netns(ids);
  if (found.empty()) {
    return;
  }
  for (const auto& [pid, idx] : found) {
    platform::kill_in_netns(pid, ids[idx]);
  }
  const auto deadline = Clock::now() + 1s;
  while (!found.empty() && Clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
    found = platform::pids_in_netns(ids);
  }
  for (const auto& [pid, idx] : found) {
    errors.push_back(fmt::format("process {} ({}) in namespace {} did not exit", pid,
                                 platform::process_name(pid), netns_made_[idx]));
  }
}

std::vector<std::string> NetnsStack::teardown_collect() {
  std::vector<std::string> errors;
  if (torn_down_) {
    return errors;
  }
  torn_down_ = true;
  stop_children();
  kill_leftovers_in_namespaces(errors);

  // Links are deleted from the namespace they were made in, whichever
  // namespace the calling thread is in now. The host side of each veth is
  // deleted explicitly: removing the namespace alone leaves it behind for a
  // while, and a quick next run would trip over it.
  auto remove_links = [&]() -> Status {
    auto sock = platform::RouteSocket::open();
    if (!sock) {
      return sock.error();
    }
    for (const auto& veth : veths_made_) {
      if (auto st = sock->delete_link(veth); !st) {
        errors.push_back(st.error().message);
      }
    }
    if (bridge_made_) {
      if (auto st = sock->delete_link(plan_.bridge); !st) {
        errors.push_back(st.error().message);
      }
    }
    return {};
  };
  // The rule before the links (made after the bridge, removed before it):
  // the servers are stopped, and a rule never outlives the bridge it names.
  auto remove_rule = [&]() -> Status { return delete_rule(*bridge_rule_); };
  if (bridge_rule_) {
    Status st = host_netns_.valid() ? platform::run_in_netns(host_netns_.get(), remove_rule) : remove_rule();
    if (!st) {
      errors.push_back(fmt::format("iptables rule for {} in {}: {}", plan_.bridge, bridge_rule_->chain,
                                   st.error().message));
    }
    bridge_rule_.reset();
  }
  if (veths_made_.size() > 0 || bridge_made_) {
    Status st =
        host_netns_.valid() ? platform::run_in_netns(host_netns_.get(), remove_links) : remove_links();
    if (!st) {
      errors.push_back(st.error().message);
    }
  }
  veths_made_.clear();
  bridge_made_ = false;

  netns_fds_.clear();
  for (const auto& name : netns_made_) {
    if (auto st = platform::delete_named_netns(name); !st) {
      errors.push_back(st.error().message);
    }
  }
  netns_made_.clear();

  for (const auto& dir : dirs_made_) {
    std::error_code ec;
    fs::remove_all(dir, ec);
    if (ec) {
      errors.push_back(fmt::format("cannot remove {}: {}", dir, ec.message()));
    }
  }
  dirs_made_.clear();
  for (const auto& e : errors) {
    spdlog::warn("run {}: teardown: {}", id_.run_id, e);
  }
  return errors;
}

void NetnsStack::teardown() {
  teardown_collect();
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

}  // namespace

Result<std::unique_ptr<RunningStack>> bring_up(const experiment::Experiment& exp, const RunIdentity& id,
                                               const ProgressFn& progress) {
  const auto t0 = Clock::now();
  const auto deadline = t0 + kReadyTimeout;
  if (auto st = validate_for_netns(exp); !st) {
    return st.error();
  }
  if (::geteuid() != 0) {
    return Error{"the netns runtime needs root (it creates namespaces, links and a bridge)"};
  }
  if (id.run_dir.empty() || !fs::is_directory(id.run_dir)) {
    return Error{fmt::format("run directory '{}' does not exist (create_run makes it)", id.run_dir)};
  }
  auto nginx = executable_for(exp, experiment::ServiceKind::nginx, "nginx");
  if (!nginx) {
    return nginx.error();
  }
  auto haproxy = executable_for(exp, experiment::ServiceKind::haproxy, "haproxy");
  if (!haproxy) {
    return haproxy.error();
  }

  Plan plan;
  {
    RegistryLock lock(fs::path(id.run_dir).parent_path().string());
    auto planned = make_plan(exp, id);
    if (!planned) {
      return planned.error();
    }
    plan = std::move(*planned);
    if (auto st = record_resource(id, "subnet", plan.subnet); !st) {
      return st.error();
    }
  }

  platform::UniqueFd host_netns(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!host_netns.valid()) {
    return Error{"cannot open the current network namespace: " + errno_text(errno)};
  }
  auto stack = std::make_unique<NetnsStack>(id, plan, std::move(host_netns));
  auto fail = [&](const Error& e) -> Error {
    auto leftovers = stack->teardown_collect();
    std::string msg = e.message;
    for (const auto& l : leftovers) {
      msg += "\n  cleanup after the failure also failed: " + l;
    }
    return Error{msg};
  };
  std::vector<experiment::AddressRange> routes_out;
  if (exp.allow_external) {
    for (const auto& target : exp.stack.external_targets) {
      const auto range = experiment::parse_address_range(target.address);
      const bool listed_twice =
          range && std::any_of(routes_out.begin(), routes_out.end(), [&](const auto& r) {
            return r.base == range->base && r.prefix_len == range->prefix_len;
          });
      if (range && !listed_twice) {
        routes_out.push_back(*range);
      }
    }
  }
  if (auto st = stack->build_network(progress, routes_out); !st) {
    return fail(st.error());
  }
  if (auto st = stack->write_configs(exp, *nginx, *haproxy); !st) {
    return fail(st.error());
  }
  if (auto st = stack->start_and_wait(progress, deadline); !st) {
    return fail(st.error());
  }
  if (auto st = stack->check_reachable_from_host(exp.load.target, progress); !st) {
    return fail(st.error());
  }
  if (progress) {
    progress(fmt::format("stack up in {:.0f} ms: {} services on {}", seconds_since(t0) * 1000,
                         stack->services().size(), stack->plan().subnet));
  }
  return std::unique_ptr<RunningStack>(std::move(stack));
}

}  // namespace faultline::stack
