// The docker runtime's names and specs (see docker_spec.h).

#include "harness/stack/docker_spec.h"

#include <fmt/format.h>

#include <utility>

#include "harness/stack/run_registry.h"

namespace faultline::stack::docker {

namespace {

// The labels of everything a run makes: its run id, and this process as
// its owner.
platform::Labels run_labels(const RunIdentity& id) {
  return {{kRunLabel, id.run_id}, {kOwnerLabel, owner_token()}};
}

}  // namespace

std::string network_name(const std::string& run_id) {
  return "faultline-" + run_id;
}

std::string docker_bridge_name(const std::string& run_id) {
  return "fld-" + run_id;
}

std::string container_name(const std::string& run_id, const std::string& service) {
  return fmt::format("faultline-{}-{}", run_id, service);
}

Plan docker_plan(Plan plan, const std::string& run_id) {
  plan.bridge = docker_bridge_name(run_id);
  for (auto& s : plan.services) {
    s.netns.clear();
    s.host_veth.clear();
  }
  return plan;
}

platform::NetworkSpec network_spec(const Plan& plan, const RunIdentity& id) {
  platform::NetworkSpec spec;
  spec.name = network_name(id.run_id);
  spec.labels = run_labels(id);
  spec.subnet = plan.subnet;
  spec.gateway = plan.bridge_address;
  spec.bridge_name = plan.bridge;
  return spec;
}

ServerSetup rendered_setup(const experiment::Service& svc, const std::string& host_config) {
  ServerSetup setup;
  setup.config = config_path_in_container(svc);
  setup.host_config = host_config;
  return setup;
}

std::vector<std::string> server_command(experiment::ServiceKind kind, const ServerSetup& setup,
                                        const std::string& log_dir) {
  if (kind == experiment::ServiceKind::haproxy) {
    // -W: master-worker, so a later reload is a signal to the master inside
    // the container; -db: in the foreground, the container's own process.
    std::vector<std::string> cmd = {"haproxy", "-W", "-db", "-f", setup.config};
    if (!setup.base_dir.empty()) {
      cmd.insert(cmd.end(), {"-C", setup.base_dir});
    }
    return cmd;
  }
  std::vector<std::string> cmd = {"nginx", "-c", setup.config};
  if (!setup.base_dir.empty()) {
    cmd.insert(cmd.end(), {"-p", setup.base_dir + "/"});
  }
  if (!log_dir.empty()) {
    // nginx opens its compiled-in error log before it reads the config;
    // point it at the run folder, as on the netns runtime.
    cmd.insert(cmd.end(), {"-e", log_dir + "/error.log"});
  }
  return cmd;
}

std::string config_path_in_container(const experiment::Service& svc) {
  return svc.config_path.empty() ? experiment::default_config_path(svc.kind) : svc.config_path;
}

platform::ContainerSpec container_spec(const experiment::Service& svc, const PlannedService& planned,
                                       const RunIdentity& id, const ServerSetup& setup,
                                       const std::string& log_dir) {
  platform::ContainerSpec spec;
  spec.name = container_name(id.run_id, svc.name);
  spec.image = svc.image;
  spec.cmd = server_command(svc.kind, setup, log_dir);
  spec.labels = run_labels(id);
  spec.labels[kServiceLabel] = svc.name;
  // The run folder at the same path: the rendered config names its pid
  // file, logs and HAProxy's stats socket there, and the host reaches them
  // where it wrote them.
  if (!setup.host_config.empty()) {
    spec.binds.push_back(setup.host_config + ":" + setup.config + ":ro");
  }
  spec.binds.push_back(id.run_dir + ":" + id.run_dir);
  if (!setup.team_dir.empty()) {
    spec.binds.push_back(setup.team_dir + ":" + setup.team_dir + ":ro");
  }
  // docker-init reaps and passes signals on; the server is its child.
  spec.init = true;
  spec.network = network_name(id.run_id);
  spec.ipv4 = planned.address;
  // The service's name resolves on the network as it does under Compose.
  spec.aliases = {svc.name};
  return spec;
}

}  // namespace faultline::stack::docker
