// HAProxy configuration for a load-balancer service.

#include <fmt/format.h>

#include <array>

#include "harness/stack/render.h"
#include "harness/stack/render_util.h"

namespace faultline::stack {

std::optional<std::string> haproxy_balance(const std::string& balance) {
  if (balance == "least_conn") {
    return "leastconn";
  }
  static const std::array<const char*, 7> known = {"roundrobin", "static-rr", "leastconn", "first",
                                                   "source",     "uri",       "random"};
  for (const char* k : known) {
    if (balance == k) {
      return balance;
    }
  }
  return std::nullopt;
}

std::string render_haproxy(const experiment::Service& lb, const Plan& plan, const RenderPaths& paths) {
  using detail::ms;
  const PlannedService* self = plan.find(lb.name);
  const std::string address = self != nullptr ? self->address : "0.0.0.0";
  const std::string backend = haproxy_backend_name(lb.name);

  std::string out;
  auto line = [&out](const std::string& text) {
    out += text;
    out += '\n';
  };
  line(fmt::format("# HAProxy for service {} (rendered by faultline; edits are lost at the next run)",
                   lb.name));
  line("global");
  // Well below the open-files limit (20000 here, root lacks
  // CAP_SYS_RESOURCE to raise it): HAProxy needs about two fds per connection.
  line("  maxconn 4096");
  line(fmt::format("  pidfile {}/haproxy.pid", paths.dir));
  if (!paths.runtime_socket.empty()) {
    // level admin: faults change weights, states and addresses at runtime.
    line(fmt::format("  stats socket {} mode 600 level admin expose-fd listeners", paths.runtime_socket));
    line("  stats timeout 30s");
  }
  // Notice and above only: server state changes (a health check taking a
  // backend out) land in the log, per-request lines do not.
  line("  log stderr format raw daemon notice");
  line("");
  line("defaults");
  line("  mode http");
  line("  log global");
  line(fmt::format("  timeout connect {}", ms(lb.timeouts.connect)));
  line(fmt::format("  timeout client {}", ms(lb.timeouts.client)));
  line(fmt::format("  timeout server {}", ms(lb.timeouts.server)));
  if (lb.timeouts.queue) {
    line(fmt::format("  timeout queue {}", ms(*lb.timeouts.queue)));
  }
  line(fmt::format("  retries {}", lb.retries));
  if (lb.retries > 0 && !lb.retry_on.empty()) {
    // Layer-7 retries: HAProxy keeps the request so it can send it again.
    std::string conditions;
    for (const auto& r : lb.retry_on) {
      conditions += " ";
      conditions += r == "connect-failure" ? "conn-failure" : r == "timeout" ? "response-timeout" : r;
    }
    line("  retry-on" + conditions);
  }
  if (lb.redispatch) {
    line("  option redispatch");
  }
  line("");
  line(fmt::format("frontend fe_{}", lb.name));
  if (lb.tls) {
    // HTTP/1.1 only: the load generator offers nothing else (HTTP/2 is
    // not built yet), and ALPN keeps a client from asking for it.
    line(fmt::format("  bind {}:{} ssl crt {} alpn http/1.1", address, lb.port, paths.tls_combined));
  } else {
    line(fmt::format("  bind {}:{}", address, lb.port));
  }
  line(fmt::format("  default_backend {}", backend));
  line("");
  line(fmt::format("backend {}", backend));
  line(fmt::format("  balance {}", haproxy_balance(lb.balance).value_or(lb.balance)));
  if (lb.health_check) {
    const auto& hc = *lb.health_check;
    line(fmt::format("  option httpchk GET {}", hc.path));
    line(fmt::format("  default-server inter {} fall {} rise {}", ms(hc.interval), hc.fall, hc.rise));
  }
  if (lb.hash_balance_factor > 0) {
    // Bounded-load consistent hashing: a server above this share of the
    // average load is skipped, whatever the hash says.
    line("  hash-type consistent");
    line(fmt::format("  hash-balance-factor {}", lb.hash_balance_factor));
  }
  for (const auto& name : lb.backends) {
    const PlannedService* b = plan.find(name);
    if (b == nullptr) {
      continue;
    }
    // The server is named after the service: faults address it by that name.
    line(fmt::format("  server {} {}:{} weight {}{}{}", name, b->address, b->port,
                     detail::weight_of(lb, name),
                     lb.maxconn > 0 ? fmt::format(" maxconn {}", lb.maxconn) : std::string(),
                     lb.health_check ? " check" : ""));
  }
  return out;
}

}  // namespace faultline::stack
