#pragma once

#include <string>
#include <vector>

#include "harness/experiment/model.h"
#include "harness/platform/docker_types.h"
#include "harness/stack/stack.h"

// The docker runtime's names and what it asks the daemon for, as pure
// functions of the experiment, the plan and the run: no daemon is needed to
// see (or test) which network and containers a run would create.
namespace faultline::stack::docker {

// The labels every network and container of a run carries: cleanup finds a
// run's leftovers by them, never by name alone.
inline constexpr const char* kRunLabel = "org.faultline.run";
inline constexpr const char* kServiceLabel = "org.faultline.service";
// "<pid>:<start time>" of the faultline process that owns the run, as in the
// netns runtime's link aliases: `faultline cleanup` removes the containers
// and network of a run whose registry directory is gone only once that
// process has exited.
inline constexpr const char* kOwnerLabel = "org.faultline.owner";

// faultline-<run id>: the run's network, as `docker network ls` shows it.
std::string network_name(const std::string& run_id);
// fld-<run id>: the host's name for the network's bridge (at most 15
// characters, and apart from the netns runtime's flbr-<id>).
std::string docker_bridge_name(const std::string& run_id);
// faultline-<run id>-<service>.
std::string container_name(const std::string& run_id, const std::string& service);

// make_plan's plan with what the docker runtime names differently: the
// bridge is Docker's, and a service has no namespace name or host veth of
// its own (Docker makes and names those).
Plan docker_plan(Plan plan, const std::string& run_id);

// The run's network: the plan's subnet with the bridge's address as
// gateway, so the host reaches the services as it does on the netns runtime.
platform::NetworkSpec network_spec(const Plan& plan, const RunIdentity& id);

// How a service's server runs in its container. faultline's rendered
// config is one file, mounted read-only at the image's config path. A
// team's own config runs as on the netns runtime, from the copy
// own_config.h prepares in the run folder (mounted at its own path), with
// the team's folder mounted read-only at its own path too, so the copy's
// links to the files faultline does not copy resolve in the container as
// on the host, and the copy's relative paths resolve from the same folders.
struct ServerSetup {
  std::string config;       // the file the server reads, as the container sees it
  std::string host_config;  // the host file mounted read-only at `config`; empty for a team config's copy
  std::string base_dir;     // nginx -p (the copy's folder), HAProxy -C (the team's folder); empty: none
  std::string team_dir;     // the team's folder, mounted read-only at its own path; empty: none
};

// The rendered config `host_config` mounted at the service's config_path.
ServerSetup rendered_setup(const experiment::Service& svc, const std::string& host_config);

// The server's foreground command line reading setup.config. Both the
// rendered config and a team config's copy say `daemon off;` already, and
// nginx refuses a directive given twice.
std::vector<std::string> server_command(experiment::ServiceKind kind, const ServerSetup& setup,
                                        const std::string& log_dir);

// One service's container: its image, its config as `setup` says, the run
// folder mounted at the same path (its sockets, logs and pid files are
// where the config says), docker-init as pid 1, the planned address on the
// run's network with the service's name as alias, and the run's labels
// with the service's.
platform::ContainerSpec container_spec(const experiment::Service& svc, const PlannedService& planned,
                                       const RunIdentity& id, const ServerSetup& setup,
                                       const std::string& log_dir);

// The config path inside the container: the service's config_path, else
// the default for its kind.
std::string config_path_in_container(const experiment::Service& svc);

}  // namespace faultline::stack::docker
