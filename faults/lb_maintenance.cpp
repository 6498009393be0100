// lb_maintenance: puts a server into maintenance: it leaves the rotation at once
// and its health checks stop; the "forgot to take it out of maintenance"
// mistake.
// HAProxy: `set server <be>/<srv> state maint` on the runtime API, no
// reload; revert puts back the admin state the server had before.
// nginx: the server is marked `down` in the upstream and nginx reloads.

#include <fmt/format.h>

#include "faults/common/lb_admin_state.h"
#include "faults/registry.h"

namespace faultline::faults {
namespace {

class LbMaintenance final : public LbAdminStateFault {
 public:
  LbMaintenance(std::string lb, std::string server)
      : LbAdminStateFault("lb_maintenance", "maint", std::move(lb), std::move(server)) {}

  std::string describe() const override {
    return fmt::format("server {} on load balancer {} was put into maintenance: it received no traffic",
                       server(), lb());
  }

  std::vector<std::string> suggested_measures() const override {
    return {
        "Track maintenance windows with an owner and an end time; alert on servers left in maintenance",
        "Alert on each backend's share of traffic dropping to zero",
        "Keep enough spare capacity (N+1) that one server in maintenance does not overload the rest",
    };
  }
};

std::unique_ptr<Fault> parse(const experiment::MethodStep& step, const experiment::Experiment& exp,
                             experiment::Diagnostics& diags);

const Registration registration{FaultType{
    .name = "lb_maintenance",
    .summary = "Put a load-balancer server into maintenance (out of rotation), restore on revert",
    .params = {{"server", "string", "", "backend service taken out"}},
    .needs = lb_needs(),
    .parse = parse,
}};

std::unique_ptr<Fault> parse(const experiment::MethodStep& step, const experiment::Experiment& exp,
                             experiment::Diagnostics& diags) {
  auto server = parse_admin_state_server("lb_maintenance", step, exp, diags);
  if (!server) {
    return nullptr;
  }
  return std::make_unique<LbMaintenance>(step.target, *server);
}

}  // namespace
}  // namespace faultline::faults
