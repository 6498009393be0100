#pragma once

// runtime compose: a RunningStack over the containers of a Compose project
// the team already runs. faultline created none of them and removes none:
// it reads where each one is, enters its network namespace for network
// faults, reaches its files and sockets through /proc/<pid>/root, and at
// teardown puts back byte for byte any config file it still has changed.
//
// A container restarted by its restart policy keeps its id but gets a new
// pid and a new network namespace, so nothing here keeps a pid between
// calls: each call reads the container again (by id, and by its Compose
// labels when the id is gone), and the paths in services() are rewritten
// with the pid found.
//
// Every change to a container is recorded in the run's folder before it is
// made and the record dropped once it is undone (compose_undo.h), so that
// `faultline cleanup` can undo what a killed run left (compose_sweep.h).

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "harness/common/result.h"
#include "harness/platform/docker_api.h"
#include "harness/stack/compose_discovery.h"
#include "harness/stack/compose_undo.h"
#include "harness/stack/stack.h"

namespace faultline::stack::compose {

// One attached container as faultline found it.
struct Attached {
  AttachedContainer container;
  std::string config_file;   // the server's config inside the container; empty for kind process
  std::string admin_socket;  // HAProxy's `stats socket ... level admin` path inside it; empty when none
  int pid = 0;               // State.Pid when last read
};

class ComposeStack final : public RunningStack {
 public:
  ComposeStack(platform::DockerApi api, RunIdentity id, std::string project, Plan plan,
               std::vector<ServiceInstance> services, std::vector<Attached> attached);
  ComposeStack(const ComposeStack&) = delete;
  ComposeStack& operator=(const ComposeStack&) = delete;
  ~ComposeStack() override { teardown(); }

  const Plan& plan() const override { return plan_; }
  const RunIdentity& identity() const override { return id_; }
  const std::vector<ServiceInstance>& services() const override { return services_; }
  Status check_alive() override;
  std::vector<ServiceExit> take_service_exits() override { return std::exchange(service_exits_, {}); }
  // `service` is an instance (lb, web-1) or a scaled service's name (web),
  // which runs `fn` in each of its containers' namespaces in turn.
  Status in_netns(const std::string& service, const std::function<Status()>& fn) override;
  // Thaws what faultline paused, puts back every config file still
  // changed, removes what a network fault left in a namespace it entered
  // (tables and rules named after the run, a qdisc it added) and sets
  // HAProxy's servers back to their weights and states at attach where
  // they differ; removes no container.
  void teardown() override;
  // Starts the container through the API unless its restart policy has
  // brought it back already, then waits until it answers HTTP. Drops the
  // record of a kill.
  Status restart(const std::string& service) override;
  // nginx only: the file written in place inside the container, checked
  // with `nginx -t` in the container's namespaces, then SIGHUP from the
  // host to the nginx master. HAProxy's config is not reloaded on an
  // attached container (its runtime API is what faults use).
  Status reload(const std::string& service, const std::string& new_config_text) override;
  Status reload_files(const std::string& service, const std::vector<ConfigFileText>& files) override;
  void set_expected_down(const std::string& service, bool down) override;

  // The process seam (compose_process.cpp): a kill is signal(), a freeze
  // pause() and unpause(), a limit the container's own cgroup files.
  Result<std::string> kill_mechanism(const std::string& service,
                                     const std::string& signal_name) const override;
  Status kill_service(const std::string& service, int signal) override;
  Result<std::unique_ptr<ServiceHold>> freeze_service(const std::string& service) override;
  Result<std::unique_ptr<ServiceLimit>> limit_service(const std::string& service,
                                                      const std::string& controller) override;

  // A signal from the host with kill(2) to the container's first process
  // (docker-init passes it on to the server): never the Engine API's kill,
  // after which the daemon would no longer apply the restart policy.
  Status signal(const std::string& service, int sig);
  // The Engine API's pause and unpause (the freezer cgroup); an unpause of
  // a container that is not paused counts as done.
  Status pause(const std::string& service);
  Status unpause(const std::string& service);

  // The container's first process now, read afresh; 0 when it is not
  // running. Updates services()' paths when the pid changed.
  Result<int> current_pid(size_t i);
  // current_pid of a running container, else an error naming `service`
  // and the container.
  Result<int> running_pid(size_t i, const std::string& service);

  // compose_software.cpp: the container's image, and its server's `-v`
  // run in the container's mount namespace (nsenter, as the config check):
  // an Engine API exec would leave an exec record on the team's container.
  std::optional<ServerSoftware> server_software(const std::string& service) override;

 private:
  std::optional<size_t> index_of(const std::string& instance) const;
  std::vector<size_t> indexes_of(const std::string& service) const;
  // The names of the containers of a service (an instance, or all of a
  // scaled one's), for the journal.
  std::string containers_of(const std::string& service) const;
  Result<platform::ContainerInfo> read(size_t i);
  void set_pid(size_t i, int pid);
  Status write_files(size_t i, int pid, const std::vector<std::pair<std::string, std::string>>& files);
  Status check_and_signal(size_t i, int pid);
  Status put_back(size_t i);
  // The originals of instance i's config files, as they are now, into its
  // undo record.
  Status record_originals(size_t i);
  // First entry into instance i's namespace: eth0's root qdisc as found,
  // recorded before any fault acts there.
  Status record_netns(size_t i, int netns_fd);
  void undo_network(size_t i);
  void undo_servers(size_t i);

  platform::DockerApi api_;
  RunIdentity id_;
  std::string project_;
  Plan plan_;
  std::vector<ServiceInstance> services_;
  std::vector<Attached> attached_;
  std::vector<bool> expected_down_;
  std::vector<bool> exit_reported_;
  std::vector<ServiceExit> service_exits_;
  std::vector<bool> paused_by_us_;  // teardown thaws what a fault left frozen
  // By instance index, then path inside the container: the bytes found
  // before faultline's first write, which teardown and a failed check put
  // back.
  std::map<size_t, std::map<std::string, std::string>> originals_;
  std::vector<UndoRecord> records_;   // by instance index: <run dir>/<instance>
  std::vector<bool> netns_recorded_;  // undo.netns written this run
  bool torn_down_ = false;
};

// nginx's own check of `config_file` inside the container of `pid` (its
// mount and network namespaces: its root, its includes, the project's DNS),
// then a SIGHUP from the host to the nginx master. `container` names the
// container in errors.
Status check_and_reload_nginx(int pid, const std::string& config_file, const std::string& container);

// The config file a server's command line names: `-f` (HAProxy) or `-c`
// (nginx) after the server's own program among `args` (a command behind
// docker-init or tini counts too); nullopt when it names none.
std::optional<std::string> config_file_in_command(experiment::ServiceKind kind,
                                                  const std::vector<std::string>& args);

// The config file the server in the container reads: config_file_in_command
// of the container's first process or one of its children (through /proc),
// else the first of the kind's Debian path and the official image's that
// exists under `root` (/proc/<pid>/root).
std::string server_config_file(experiment::ServiceKind kind, int pid, const std::string& root);

// The path inside the container of HAProxy's first `stats socket` with
// `level admin` in `config_text`; empty when the config declares none.
std::string admin_socket_of(const std::string& config_text);

}  // namespace faultline::stack::compose
