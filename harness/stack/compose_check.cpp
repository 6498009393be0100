// runtime compose: validation against the running project (compose_check.h).

#include "harness/stack/compose_check.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <filesystem>

#include "harness/common/text.h"
#include "harness/platform/container_files.h"
#include "harness/platform/docker_api.h"
#include "harness/stack/compose_discovery.h"
#include "harness/stack/compose_stack.h"

namespace faultline::stack::compose {

namespace {

// The method's fault steps on `service` that work through its server: the
// load-balancer and HTTP faults (HAProxy's runtime API, or an nginx config
// edit), as "lb_drain at 5s".
std::vector<std::string> server_steps(const experiment::Experiment& exp, const std::string& service) {
  std::vector<std::string> out;
  for (const auto& step : exp.method) {
    if (step.target == service && (starts_with(step.fault, "lb_") || starts_with(step.fault, "http_"))) {
      out.push_back(step.fault);
    }
  }
  return out;
}

// The mount a file inside the container comes from: the bind mount of the
// file itself or of the nearest folder above it; nullptr when none.
const platform::ContainerMount* mount_of(const platform::ContainerInfo& info, const std::string& file) {
  const platform::ContainerMount* best = nullptr;
  for (const auto& m : info.mounts) {
    const bool holds = file == m.destination || starts_with(file, m.destination + "/");
    if (holds && (best == nullptr || m.destination.size() > best->destination.size())) {
      best = &m;
    }
  }
  return best;
}

}  // namespace

void check_project(const experiment::Experiment& exp, experiment::Diagnostics& diags,
                   const std::string& socket) {
  if (exp.stack.runtime != experiment::kRuntimeCompose || exp.stack.project.empty()) {
    return;
  }
  const std::string& project = exp.stack.project;
  platform::DockerApi api(socket);
  if (auto st = api.ping(); !st) {
    diags.warning(
        exp.stack.project_pos,
        fmt::format("Compose project '{}' not checked: no Docker daemon answers at {}", project, socket),
        "faultline run attaches to the project through the daemon and checks it then");
    return;
  }
  auto containers = list_project(api, project);
  std::vector<std::string> names;
  for (const auto& s : exp.stack.services) {
    names.push_back(s.name);
  }
  std::vector<std::string> others;
  if (containers && containers->empty()) {
    if (auto listed = list_projects(api)) {
      others = *listed;
    }
  }
  auto attached = containers ? attach_services(project, *containers, names, others)
                             : Result<std::vector<AttachedContainer>>(containers.error());
  if (!attached) {
    diags.warning(exp.stack.project_pos, attached.error().message,
                  "faultline run refuses to start until it runs as the experiment names it");
    return;
  }
  for (const auto& a : *attached) {
    const experiment::Service* svc = exp.stack.find(a.service);
    if (svc == nullptr ||
        (svc->kind != experiment::ServiceKind::haproxy && svc->kind != experiment::ServiceKind::nginx)) {
      continue;
    }
    auto info = api.inspect(a.id);
    if (!info || !info->state.running || info->state.pid <= 0) {
      continue;  // stopped since it was listed: the run will say so
    }
    const std::string root = fmt::format("/proc/{}/root", info->state.pid);
    const std::string config = server_config_file(svc->kind, info->state.pid, root);
    const auto steps = server_steps(exp, a.service);
    if (svc->kind == experiment::ServiceKind::haproxy) {
      if (!admin_socket_of(platform::read_confined(root + config).value_or("")).empty()) {
        continue;
      }
      const std::string needs =
          steps.empty() ? std::string("the run's view of its servers and of the backend shares needs it")
                        : fmt::format("the steps {} on it need it", fmt::join(steps, ", "));
      const std::string message = fmt::format(
          "service '{}': its HAProxy config ({} in container {}) declares no `stats socket ... level admin`: "
          "on "
          "an attached container faultline changes HAProxy only through the runtime-API socket the config "
          "declares, and {}",
          a.service, config, a.name, needs);
      const std::string hint =
          "add a line such as `stats socket /run/haproxy/admin.sock mode 600 level admin` to its global "
          "section "
          "and recreate the service";
      if (steps.empty()) {
        diags.warning(svc->pos, message, hint);
      } else {
        diags.error(svc->pos, message, hint);
      }
      continue;
    }
    const auto* mount = mount_of(*info, config);
    if (!steps.empty() && mount != nullptr && !mount->rw) {
      diags.error(
          svc->pos,
          fmt::format("service '{}': its nginx config {} is mounted read-only in container {} (from {}), "
                      "and the steps {} on it edit that config inside the container",
                      a.service, config, a.name, mount->source, fmt::join(steps, ", ")),
          "mount it read-write for the drill (faultline puts it back byte for byte), or drop those steps");
    }
  }
}

}  // namespace faultline::stack::compose
