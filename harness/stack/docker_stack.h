#pragma once

// The docker runtime's stack: each service is a container the run created
// from the service's image, on a Docker network of the run's own, with the
// plan's address. faultline talks to the daemon through the Engine API
// (platform/docker_api.h) and finds everything it made by the run's label,
// so teardown removes exactly that. docker_runtime.cpp brings it up.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "harness/common/result.h"
#include "harness/experiment/model.h"
#include "harness/platform/docker_api.h"
#include "harness/stack/docker_spec.h"
#include "harness/stack/run_tls.h"
#include "harness/stack/stack.h"

namespace faultline::stack::docker {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Longer than the netns runtime's 10 s: a container start is a few hundred
// milliseconds of the daemon's work before the server even runs.
inline constexpr auto kReadyTimeout = 30s;
inline constexpr auto kProbeTimeout = 250ms;

class DockerStack final : public RunningStack {
 public:
  DockerStack(platform::DockerApi api, RunIdentity id, Plan plan)
      : api_(std::move(api)), id_(std::move(id)), plan_(std::move(plan)) {}
  DockerStack(const DockerStack&) = delete;
  DockerStack& operator=(const DockerStack&) = delete;
  ~DockerStack() override { teardown(); }

  const Plan& plan() const override { return plan_; }
  const RunIdentity& identity() const override { return id_; }
  const std::vector<ServiceInstance>& services() const override { return services_; }
  const platform::PemPair* run_ca() const override { return tls_.ca_if_made(); }
  Status check_alive() override;
  std::vector<ServiceExit> take_service_exits() override { return std::exchange(service_exits_, {}); }
  Status in_netns(const std::string& service, const std::function<Status()>& fn) override;
  void teardown() override;
  Status restart(const std::string& service) override;
  // docker_reload.cpp: the config written in place into the bind-mounted
  // file, checked by the image's own server inside the container, and the
  // server signalled from the host.
  Status reload(const std::string& service, const std::string& new_config_text) override;
  Status reload_files(const std::string& service, const std::vector<ConfigFileText>& files) override;
  Status check_config(const std::string& service, const std::string& text) override;
  void set_expected_down(const std::string& service, bool down) override;
  // docker_software.cpp: the image, and `-v` of its server by an exec.
  std::optional<ServerSoftware> server_software(const std::string& service) override;
  // The process faults' seam (docker_process.cpp): a kill through the
  // Engine API (restart() starts the container again), pause and unpause,
  // and limits written into the container's own cgroup.
  Result<std::string> kill_mechanism(const std::string& service,
                                     const std::string& signal_name) const override;
  Status kill_service(const std::string& service, int signal) override;
  Result<std::unique_ptr<ServiceHold>> freeze_service(const std::string& service) override;
  Result<std::unique_ptr<ServiceLimit>> limit_service(const std::string& service,
                                                      const std::string& controller) override;

  // The run's network, labelled with the run.
  Status create_network(const ProgressFn& progress);
  // Each service's folder in the run folder and its rendered config there.
  Status write_configs(const experiment::Experiment& exp);
  // Creates and starts one container per service and reads its pid.
  Status start_containers(const experiment::Experiment& exp, const ProgressFn& progress);
  // Until every service answers HTTP from the host (through the bridge,
  // whose address is the network's gateway), or the deadline.
  Status wait_ready(Clock::time_point deadline);
  // The same for some services only (by index), e.g. one wave of the start.
  Status wait_ready(const std::vector<size_t>& which, Clock::time_point deadline);
  // Teardown that reports what it could not remove.
  std::vector<std::string> teardown_collect();

 private:
  std::optional<size_t> index_of(const std::string& service) const;
  // The services' indexes in waves, in the order their containers start:
  // each in the wave after its backends'.
  std::vector<std::vector<size_t>> start_waves(const experiment::Experiment& exp) const;
  std::vector<size_t> all_services() const;
  // check_alive for some services only (a created container not started
  // yet is not a dead one).
  Status check_alive(const std::vector<size_t>& which);
  // index_of for a process fault: an error when there is no such service,
  // the stack is torn down, or its container was never made.
  Result<size_t> container_of(const std::string& service) const;
  bool is_balancer(size_t i) const;
  std::string probe_path(size_t i) const;
  std::string logs_of(size_t i, int lines) const;

  // docker_reload.cpp.
  // index_of for a change: an error when there is no such service or the
  // stack is torn down.
  Result<size_t> index_for_change(const std::string& service) const;
  // The host pid of the container's docker-init, read afresh (a restarted
  // container has a new one); an error when it is not running.
  Result<pid_t> init_pid(size_t i) const;
  // The server's check mode run inside the container on `path` (a path as
  // the container sees it); the error carries the checker's complaints.
  Status check_in_container(size_t i, const std::string& path) const;
  Status reload_haproxy(size_t i, pid_t init);
  Status reload_nginx(size_t i, pid_t init);
  // Until the service answers HTTP at all (a reload may be a fault meant to
  // make it answer errors), or the deadline.
  Status wait_answering(size_t i, Clock::time_point deadline) const;

  platform::DockerApi api_;
  RunIdentity id_;
  Plan plan_;
  std::string backend_header_ = "X-Backend";
  std::vector<ServiceInstance> services_;
  std::vector<std::string> containers_;  // ids, by service index; empty until created
  std::vector<std::string> images_;      // by service index, once the containers are made
  // How each service's server runs: its config as the container sees it,
  // and a team config's folders.
  std::vector<ServerSetup> setups_;
  std::vector<bool> expected_down_;
  std::vector<bool> exit_reported_;  // a dead server is handed to the timeline once
  std::vector<ServiceExit> service_exits_;
  std::vector<std::string> dirs_made_;
  bool network_made_ = false;
  bool torn_down_ = false;
  // The run's CA and the certificates of load balancers with tls: true.
  RunTls tls_;
};

// Why a stack cannot run on the docker runtime, or nothing: kinds other
// than haproxy and nginx, a service without an image.
// The preflight asks it too, so `faultline plan` and `run` refuse before
// anything is made.
Status validate_for_docker(const experiment::Stack& stack);

}  // namespace faultline::stack::docker
