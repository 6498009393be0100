// lb_maintenance: puts a server into maintenance: it leaves the rotation at once
// and its health checks stop; the "forgot to take it out of maintenance"
// mistake.
// HAProxy: `set server <be>/<srv> state maint` on the runtime API, no
// reload; revert puts back the admin state the server had before.
// nginx: the server is marked `down` in the upstream and nginx reloads.

#include <fmt/format.h>

#include "faults/common/lb_admin_state.h"
#include "faults/fault_type.h"

namespace faultline::faults {
namespace {

class LbMaintenance final : public LbAdminStateFault {
 public:
  static constexpr const char* kName = "lb_maintenance";
  static constexpr const char* kSummary =
      "Put a load-balancer server into maintenance (out of rotation), restore on revert";
  static Needs needs() { return lb_needs(); }

  using Params = AdminStateParams;
  static const ParamTable<Params>& params() { return admin_state_params(); }
  static std::unique_ptr<Fault> make(const Params& p, ParamReader& params, const experiment::Experiment& exp);

  LbMaintenance(FaultSite site, TeamServer server, std::string team_config)
      : LbAdminStateFault(kName, "maint", std::move(site), std::move(server), std::move(team_config)) {}

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

std::unique_ptr<Fault> LbMaintenance::make(const Params& p, ParamReader& params,
                                           const experiment::Experiment& exp) {
  auto server = check_admin_state_server(p, params, exp);
  if (!server) {
    return nullptr;
  }
  return std::make_unique<LbMaintenance>(fault_site(params.step(), exp), *server,
                                         team_config_of(exp.stack.find(params.step().target)));
}

const Registration registration{fault_type<LbMaintenance>()};

}  // namespace
}  // namespace faultline::faults
