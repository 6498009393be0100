// ComposeStack::server_software: which server an attached container runs,
// for the journal: the image it was created from, and the first line of
// its own binary's `-v`, run inside its mount namespace as the config check
// is (compose_stack.cpp), from the host's nsenter.

#include <fmt/format.h>

#include "harness/platform/command.h"
#include "harness/stack/compose_stack.h"

namespace faultline::stack::compose {

std::optional<RunningStack::ServerSoftware> ComposeStack::server_software(const std::string& service) {
  const auto i = index_of(service);
  if (!i) {
    return std::nullopt;
  }
  ServerSoftware out;
  auto info = read(*i);
  if (!info) {
    out.why = info.error().message;
    return out;
  }
  out.image = info->image;
  if (!info->state.running || info->state.pid <= 0) {
    out.why = fmt::format("container {} is not running", attached_[*i].container.name);
    return out;
  }
  const bool haproxy = services_[*i].planned.kind == experiment::ServiceKind::haproxy;
  const std::string program = haproxy ? "haproxy" : "nginx";
  auto ran = platform::run_command(
      {"nsenter", fmt::format("--target={}", info->state.pid), "--mount", "--root", "--wd", program, "-v"},
      std::chrono::seconds(5));
  if (!ran) {
    out.why = fmt::format("`{} -v` could not run in container {}: {}", program, attached_[*i].container.name,
                          ran.error().message);
    return out;
  }
  // Both print the program and its version first; nginx on stderr.
  out.version = platform::first_line_of(ran->out, ran->err);
  if (out.version.empty()) {
    out.why = fmt::format("`{} -v` in container {} said nothing", program, attached_[*i].container.name);
  }
  return out;
}

}  // namespace faultline::stack::compose
