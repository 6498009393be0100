// DockerStack::server_software: which server a container ran, for the
// journal. The host's haproxy and nginx (if any) did not serve a request
// of a docker run; the image's own binary is asked, inside the container.

#include <fmt/format.h>

#include "harness/platform/command.h"
#include "harness/stack/docker_stack.h"

namespace faultline::stack::docker {

std::optional<RunningStack::ServerSoftware> DockerStack::server_software(const std::string& service) {
  const auto i = index_of(service);
  if (!i || *i >= images_.size() || images_[*i].empty()) {
    return std::nullopt;
  }
  ServerSoftware out;
  out.image = images_[*i];
  const bool haproxy = services_[*i].planned.kind == experiment::ServiceKind::haproxy;
  // Both print one line first that names the program and its version;
  // nginx prints it on stderr.
  auto ran = api_.exec(containers_[*i], {haproxy ? "haproxy" : "nginx", "-v"}, std::chrono::seconds(5));
  if (!ran) {
    out.why = fmt::format("`{} -v` could not run in its container: {}", haproxy ? "haproxy" : "nginx",
                          ran.error().describe());
    return out;
  }
  out.version = platform::first_line_of(ran->out, ran->err);
  if (out.version.empty()) {
    out.why = fmt::format("`{} -v` in its container said nothing (exit code {})",
                          haproxy ? "haproxy" : "nginx", ran->exit_code);
  }
  return out;
}

}  // namespace faultline::stack::docker
