#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "harness/common/result.h"
#include "harness/experiment/model.h"
#include "harness/platform/run_ca.h"
#include "harness/platform/subnet.h"
#include "harness/stack/service_hold.h"

namespace faultline::platform {
class ServerProcess;  // harness/platform/process.h
}  // namespace faultline::platform

namespace faultline::stack {

// Who a run is: every resource it creates carries `run_id` in its name, and
// its files live under `run_dir` (e.g. /run/faultline/<run_id>).
struct RunIdentity {
  std::string run_id;   // 6 lowercase hex digits
  std::string run_dir;  // absolute, created by the caller
};

// Where each service lives, decided before anything is created
// (`faultline plan` stops here).
struct PlannedService {
  std::string name;
  experiment::ServiceKind kind = experiment::ServiceKind::nginx;
  std::string address;  // dotted quad inside the subnet
  int port = 80;
  std::string netns;      // namespace name (under /run/netns)
  std::string host_veth;  // root-side veth name (<= 15 chars)
  // URL paths that load balancers probe on this service (their health
  // checks); a backend answers them without counting them against its
  // capacity. Always holds at least "/health".
  std::vector<std::string> health_paths;
  // It answers on its port with TLS only: a load balancer with tls: true,
  // or the load's target when the load is HTTPS (a team's own config).
  // Readiness probes then speak TLS to it.
  bool tls = false;
};

struct Plan {
  std::string subnet;  // CIDR, e.g. 10.213.7.0/24
  int prefix_len = 24;
  std::string bridge;          // bridge name in the root namespace
  std::string bridge_address;  // the host's address on the bridge (.1)
  std::vector<PlannedService> services;

  const PlannedService* find(const std::string& name) const;
};

// Assigns names and addresses. When the experiment names no subnet, picks a
// /24 inside 10.213.0.0/16 that no interface on the host uses.
Result<Plan> make_plan(const experiment::Experiment& exp, const RunIdentity& id);

// The subnet make_plan would use: stack.subnet if it is free, else a free
// /24 of 10.213.0.0/16; neither an address of the host nor one a live run
// of the same registry (the parent of id.run_dir) has claimed. Reads only.
Result<platform::Ipv4Net> choose_subnet(const experiment::Experiment& exp, const RunIdentity& id);

// One started service.
struct ServiceInstance {
  PlannedService planned;
  std::string config_path;     // rendered config file
  std::string log_dir;         // the folder of its stdout.log, stderr.log and error.log
  std::string runtime_socket;  // HAProxy stats socket (level admin); empty for others
  std::string backend_name;    // HAProxy backend section holding the servers
  // The team's own config file the running copy (config_path) was made
  // from; empty when faultline rendered the config.
  std::string team_config;
  // nginx running a team's config: the file its copy of that config logs
  // each request's upstream to (`$msec $upstream_addr $status`, the
  // faultline_upstream log format the stack adds), which the runner reads
  // for the per-backend shares, since the team's servers send no backend
  // header. Empty when there is none (faultline's own configs, HAProxy).
  std::string upstream_log;
  // What faultline changed in the copy of the team's config, one line
  // each with its reason (for the journal).
  std::vector<std::string> config_changes;
  // The CA certificate (PEM file) the load trusts for this service: the
  // run's CA, for a rendered load balancer with tls: true; else empty.
  std::string tls_ca;
  // That load balancer's certificate files as its config names them (the
  // lb_cert fault serves a broken twin in their place): HAProxy's combined
  // PEM, nginx's certificate and key. Empty for every other service.
  std::string tls_combined;
  std::string tls_cert;
  std::string tls_key;
  pid_t pid = -1;  // main process (nginx master, haproxy)
  // The same process, for signals: they reach it (or the process group it
  // leads) only while it is still the run's, never a process that got its
  // pid after it was reaped. Null before the service starts.
  std::shared_ptr<const platform::ServerProcess> process;
};

// One file of a service's running config and the text it is to have.
struct ConfigFileText {
  std::string path;  // absolute
  std::string text;
};

// A stack that is up. Tearing it down kills its processes and removes every
// namespace, link and file it made; teardown is idempotent and also runs in
// the destructor, so no exit path leaves anything behind.
class RunningStack {
 public:
  virtual ~RunningStack() = default;

  virtual const Plan& plan() const = 0;
  // The run this stack belongs to: faults name what they make after its id
  // and keep their files under its run_dir.
  virtual const RunIdentity& identity() const = 0;
  virtual const std::vector<ServiceInstance>& services() const = 0;
  const ServiceInstance* find(const std::string& name) const;

  // The run's throwaway CA (certificate and key, in memory only), made when
  // the first load balancer with tls: true came up; null when none did or
  // the runtime makes none (an attached project's servers bring their own
  // certificates). The lb_cert fault signs its broken certificates with it.
  virtual const platform::PemPair* run_ca() const { return nullptr; }

  // An error naming the first service whose process has exited.
  virtual Status check_alive() = 0;

  // Services that died as the system under test may (an app crashing on
  // a full queue, `on_overflow: crash`): check_alive does not count them as
  // a harness failure; each is handed out here once, for the timeline.
  // A server whose exit check_alive does report is handed out here too,
  // once, with `fatal` set, so the timeline shows which one died and when.
  struct ServiceExit {
    std::string service;
    std::string text;
    bool fatal = false;
  };
  virtual std::vector<ServiceExit> take_service_exits() { return {}; }

  // Runs `fn` with the calling thread inside the service's network
  // namespace, then returns the thread to where it was.
  virtual Status in_netns(const std::string& service, const std::function<Status()>& fn) = 0;

  virtual void teardown() = 0;

  // Starts the service's server again (same config, same namespace) after
  // it has died or was killed, and waits until it answers. For process
  // faults; a runtime that cannot do this says so.
  virtual Status restart(const std::string& service);

  // Replaces the service's config with `new_config_text` and has its
  // server pick it up without dropping traffic: nginx re-reads it on SIGHUP
  // (old workers finish their requests), HAProxy is replaced by a new
  // process taking over with `-sf`. The caller validates the text first.
  // Main thread only (servers die with the thread that started them).
  virtual Status reload(const std::string& service, const std::string& /*new_config_text*/) {
    return Error{"service " + service + ": this stack runtime cannot reload a service's config"};
  }

  // Judges `text` as the service's next config with the server's own check
  // mode (`haproxy -c`, `nginx -t`) where the server runs, before a reload:
  // the error carries the checker's complaints. By default, this machine's
  // server in the service's network namespace (nginx -t binds the listen
  // addresses, which exist only there), on a candidate file beside the
  // running config; a runtime whose servers come from images checks with
  // the image's own binary instead.
  virtual Status check_config(const std::string& service, const std::string& text);

  // reload for a config of several files: a copy of a team's own config,
  // whose edits may land in a copy of a file the main one includes. Writes
  // each of `files` (files of the service's running copy, inside its run
  // folder: never a team's file, nor a link to one), checks the whole copy
  // with the server's own check mode as the server reads it (its namespace,
  // the stack's names in /etc/hosts, its working directory), and reloads as
  // reload() does. A copy the check rejects is put back as it was, file by
  // file, and the server is not reloaded: the error gives the checker's
  // complaints at the team's file and line. Main thread only.
  virtual Status reload_files(const std::string& service, const std::vector<ConfigFileText>& /*files*/) {
    return Error{"service " + service + ": this stack runtime cannot reload a service's config"};
  }

  // What a container runtime's service runs: the image, and the first line
  // the image's own server says of its version (`haproxy -v`, `nginx -v`),
  // asked where it runs. nullopt on the netns runtime, whose servers are
  // this machine's (the journal's environment names those). A version that
  // could not be asked is empty, with `why` saying so.
  struct ServerSoftware {
    std::string image;
    std::string version;
    std::string why;
  };
  virtual std::optional<ServerSoftware> server_software(const std::string& /*service*/) {
    return std::nullopt;
  }

  // Tells check_alive that the service's server is down on purpose (a
  // process fault killed it), so its absence is not a harness failure.
  virtual void set_expected_down(const std::string& service, bool down) = 0;

  // The process faults (kill, pause, cpu_limit, memory_limit) act on a
  // service's processes only through the next four. The defaults are the
  // netns runtime's, whose servers are faultline's children, each leading a
  // process group (ServiceInstance::process); a runtime whose processes are
  // not (containers) overrides all four. Errors name the service, not the
  // fault: the fault puts its own name in front.

  // Whether `service` has a server that is the run's and alive, so that a
  // kill with SIG`signal_name` can reach it: the words the journal gives
  // for how the kill is done and undone, or why it cannot be. Changes
  // nothing. (process_seam.cpp)
  virtual Result<std::string> kill_mechanism(const std::string& service,
                                             const std::string& signal_name) const;
  // Sends `signal` to every process of the service's server. The caller
  // has told set_expected_down first; restart() brings the server back.
  virtual Status kill_service(const std::string& service, int signal);
  // Freezes every process of the service: it keeps its connections but
  // runs nothing until the hold is released.
  virtual Result<std::unique_ptr<ServiceHold>> freeze_service(const std::string& service);
  // A handle on the cgroup of `controller` ("cpu", "memory") that the
  // service's processes are to be charged to, for the fault to write its
  // limits into; nothing is in force until it writes them.
  virtual Result<std::unique_ptr<ServiceLimit>> limit_service(const std::string& service,
                                                              const std::string& controller);
};

// What a runtime says while it brings a stack up, one line at a time.
using ProgressFn = std::function<void(const std::string&)>;

}  // namespace faultline::stack
