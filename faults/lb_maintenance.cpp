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
  LbMaintenance(FaultSite site, std::string server)
      : LbAdminStateFault("lb_maintenance", "maint", std::move(site), std::move(server)) {}

  std::string describe() const override {
    return fmt::format("server {} on load balancer {} was put into maintenance: it received no traffic",
                       server(), lb());
  }

  std::vector<Measure> suggested_measures() const override {
    return {
        {"Track maintenance windows with an owner and an end time; alert on servers left in maintenance",
         MeasureType::process},
        {"Alert on each backend's share of traffic dropping to zero", MeasureType::detect},
        {"Keep enough spare capacity (N+1) that one server in maintenance does not overload the rest",
         MeasureType::prevent},
        admin_state_visible(balancer()),
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
  return std::make_unique<LbMaintenance>(fault_site(step, exp), *server);
}

}  // namespace
}  // namespace faultline::faults
