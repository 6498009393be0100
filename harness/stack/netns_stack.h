#pragma once

// The netns runtime's stack: each service is a host of its own (a network
// namespace with a veth into one bridge per run), its server a child of
// faultline. The class is defined here and its work split by job:
// netns_network.cpp (bridge, veths, routes, reaching the stack from the
// host), netns_configs.cpp (what each server is started with),
// netns_supervision.cpp (start, readiness, crashes, restarts, stop),
// netns_reload.cpp (HAProxy's and nginx's seamless reloads),
// netns_reload_files.cpp (a reload of a team config's copy, file by file) and
// netns_stack.cpp (lookup and teardown). netns_runtime.cpp brings it up.

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "harness/common/result.h"
#include "harness/experiment/blast_radius.h"
#include "harness/experiment/model.h"
#include "harness/platform/process.h"
#include "harness/platform/unique_fd.h"
#include "harness/stack/host_firewall.h"
#include "harness/stack/http_probe.h"
#include "harness/stack/run_tls.h"
#include "harness/stack/stack.h"

namespace faultline::stack::netns {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

inline constexpr auto kReadyTimeout = 10s;
inline constexpr auto kStopGrace = 2s;
inline constexpr auto kProbeTimeout = 250ms;
// How long the load target may take to answer from the host once it
// answers inside its namespace (a SYN dropped on the way times out).
inline constexpr auto kHostReachTimeout = 2s;
inline constexpr auto kHostProbeTimeout = 500ms;
inline constexpr const char* kPeerName = "eth0";

inline double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

inline std::string errno_text(int err) {
  return std::system_category().message(err);
}

inline Status write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  out.close();
  if (!out) {
    return Error{"cannot write " + path};
  }
  return {};
}

// Runs the steps in order and stops at the first that fails.
inline Status in_order(std::initializer_list<std::function<Status()>> steps) {
  for (const auto& step : steps) {
    if (auto st = step(); !st) {
      return st;
    }
  }
  return {};
}

struct Child {
  pid_t pid = -1;
  bool running = false;
  int wait_status = -1;        // valid once it has exited
  bool expected_down = false;  // stopped on purpose by a fault: not a failure
  bool may_crash = false;      // an app with on_overflow: crash, or the team's own program
  // kind process: how it counts as up (ready:); unset for the servers
  // faultline knows, which are probed over HTTP.
  std::optional<experiment::Readiness> ready;
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
  const platform::PemPair* run_ca() const override { return tls_.ca_if_made(); }
  Status check_alive() override;
  std::vector<ServiceExit> take_service_exits() override { return std::exchange(service_exits_, {}); }
  Status in_netns(const std::string& service, const std::function<Status()>& fn) override;
  void teardown() override;
  Status restart(const std::string& service) override;
  Status reload(const std::string& service, const std::string& new_config_text) override;
  Status reload_files(const std::string& service, const std::vector<ConfigFileText>& files) override;
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
  // The run's hosts file (service name -> address), bind-mounted on
  // /etc/hosts for every server it starts; its path.
  Result<std::string> write_hosts_file() const;
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
  // index_of for a change to the service: an error when there is no such
  // service or the stack is already torn down.
  Result<size_t> index_for_change(const std::string& service) const;
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
  // The server's reload once its new config is written, and its wait until
  // it answers again.
  Status reload_written(size_t i);
  Status reload_haproxy(size_t i);
  // `path` when it is a file of service i's running config that a reload
  // may write: a regular file (not a link) inside the service's run folder.
  Result<std::string> writable_config_file(size_t i, const std::string& path) const;
  // The server's check mode on service i's config as written now, run as
  // the server reads it: in its namespace, with the run's hosts file, from
  // its working directory.
  Status check_in_place(size_t i) const;
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
  // The run's CA and the certificates of load balancers with tls: true.
  RunTls tls_;
};

// A `kind: process` service's command with its program resolved to a path
// (PATH, or the service's workdir for a relative path); an error naming
// the program when there is none.
Result<std::vector<std::string>> process_command(const experiment::Service& svc);

// Why `exp` cannot run on this runtime (its runtime name, a balance
// algorithm the server has no word for), or nothing.
Status validate_for_netns(const experiment::Experiment& exp);
// The path of `name` when the stack has a service of `kind`, "" when it
// has none; an error naming the package when it is needed and missing.
Result<std::string> executable_for(const experiment::Experiment& exp, experiment::ServiceKind kind,
                                   const std::string& name);

}  // namespace faultline::stack::netns
