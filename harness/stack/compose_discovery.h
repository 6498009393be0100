#pragma once

// runtime compose: finding the containers of a Compose project the team
// already runs, by the labels Compose puts on them, never by their names
// (which differ between Compose v1, `<p>_<svc>_<n>`, and v2, `<p>-<svc>-<n>`).
// Nothing here changes a container: it lists and reads.

#include <string>
#include <vector>

#include "harness/common/result.h"
#include "harness/platform/docker_api.h"

namespace faultline::stack::compose {

inline constexpr const char* kProjectLabel = "com.docker.compose.project";
inline constexpr const char* kServiceLabel = "com.docker.compose.service";
inline constexpr const char* kNumberLabel = "com.docker.compose.container-number";
// "True" on a `docker-compose run` container: a one-off command, not the
// project's service, so never a container to drill.
inline constexpr const char* kOneoffLabel = "com.docker.compose.oneoff";

// One container of the project, as the list gives it.
struct ProjectContainer {
  std::string id;
  std::string name;
  std::string service;
  int number = 1;     // its container-number label
  std::string state;  // running, exited, paused, restarting...
};

// One container faultline attaches to as a service of the stack: `instance`
// is the service's name, or `<service>-<n>` when Compose runs more than
// one container of it (a scaled service: web-1, web-2 ...).
struct AttachedContainer {
  std::string service;
  std::string instance;
  int number = 1;
  std::string id;
  std::string name;
};

// Every container of `project` but one-off ones, stopped ones included.
Result<std::vector<ProjectContainer>> list_project(const platform::DockerApi& api,
                                                   const std::string& project);

// A container of `project` read again: by `id`, else, when the daemon has
// no container of that id (`docker compose up` may have recreated it), by
// its service and container number, which is the same service to a drill;
// `id` and `name` then become that container's. `gone`, when given, is set
// when the project has no such container any more, as opposed to a daemon
// that did not answer. ComposeStack and `faultline cleanup` both find an
// attached container by this.
Result<platform::ContainerInfo> inspect_again(const platform::DockerApi& api, const std::string& project,
                                              const std::string& service, int number, std::string& id,
                                              std::string& name, bool* gone = nullptr);

// The projects that have containers on this daemon, sorted, for the message
// that the one asked for is not running.
Result<std::vector<std::string>> list_projects(const platform::DockerApi& api);

// The containers of each service in `services`, in that order and by
// container number. An error, listing what exists, when the project has no
// container running, when a service named is not in the project, or when
// none of a service's containers is running.
Result<std::vector<AttachedContainer>> attach_services(const std::string& project,
                                                       const std::vector<ProjectContainer>& containers,
                                                       const std::vector<std::string>& services,
                                                       const std::vector<std::string>& other_projects = {});

// The instance names a service of `replicas` running containers gives:
// {service} for one, {service-1, service-2, ...} for more.
std::string instance_name(const std::string& service, int number, size_t replicas);

}  // namespace faultline::stack::compose
