#include "harness/runner/phases/environment.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <array>

#include "harness/platform/command.h"

namespace faultline::runner {

RunEnvironment probe_environment() {
  RunEnvironment env;
  utsname uts{};
  uname(&uts);
  // One byte short of the buffer, so the name stays terminated even when
  // gethostname truncates it.
  std::array<char, 256> host{};
  gethostname(host.data(), host.size() - 1);
  env.hostname = host.data();
  env.kernel = std::string(uts.sysname) + " " + uts.release;
  env.haproxy = platform::first_output_line({"haproxy", "-v"});
  env.nginx = platform::first_output_line({"nginx", "-v"});
  return env;
}

std::vector<RunEnvironment::Server> probe_servers(stack::RunningStack& stack) {
  std::vector<RunEnvironment::Server> out;
  for (const auto& inst : stack.services()) {
    const auto kind = inst.planned.kind;
    if (kind != experiment::ServiceKind::haproxy && kind != experiment::ServiceKind::nginx) {
      continue;
    }
    if (auto sw = stack.server_software(inst.planned.name)) {
      out.push_back({inst.planned.name, sw->image, sw->version, sw->why});
    }
  }
  return out;
}

}  // namespace faultline::runner
