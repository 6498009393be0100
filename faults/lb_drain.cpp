// lb_drain: drains a server: it gets no new sessions, existing ones finish;
// the "someone drained the wrong server" mistake.
// HAProxy: `set server <be>/<srv> state drain` on the runtime API, no
// reload; revert puts back the admin state the server had before.
// nginx: has no drain state (and no weight 0); the nearest equivalent is
// marking the server `down` with a graceful reload: old workers finish the
// requests in flight, new ones send nothing to the server.

#include <fmt/format.h>

#include "faults/common/lb_admin_state.h"
#include "faults/fault_type.h"

namespace faultline::faults {
namespace {

class LbDrain final : public LbAdminStateFault {
 public:
  static constexpr const char* kName = "lb_drain";
  static constexpr const char* kSummary =
      "Drain a load-balancer server (no new sessions, existing ones finish), restore on revert";
  static Needs needs() { return lb_needs(); }

  using Params = AdminStateParams;
  static const ParamTable<Params>& params() { return admin_state_params(); }
  static std::unique_ptr<Fault> make(const Params& p, ParamReader& params, const experiment::Experiment& exp);

  LbDrain(FaultSite site, TeamServer server, std::string team_config)
      : LbAdminStateFault(kName, "drain", std::move(site), std::move(server), std::move(team_config)) {}

  std::string describe() const override {
    return fmt::format("server {} on load balancer {} was set to drain: it received no new sessions",
                       server(), lb());
  }

  std::vector<Measure> suggested_measures() const override {
    return {
        {"Require a capacity check before draining a server: the rest of the pool must carry its share",
         MeasureType::process},
        {"Alert when a pool serves with fewer servers than planned for longer than a maintenance window",
         MeasureType::detect},
        {"Automate drain with a timeout that puts the server back in rotation unless renewed",
         MeasureType::prevent},
        admin_state_visible(balancer()),
    };
  }
};

std::unique_ptr<Fault> LbDrain::make(const Params& p, ParamReader& params,
                                     const experiment::Experiment& exp) {
  auto server = check_admin_state_server(p, params, exp);
  if (!server) {
    return nullptr;
  }
  return std::make_unique<LbDrain>(fault_site(params.step(), exp), *server,
                                   team_config_of(exp.stack.find(params.step().target)));
}

const Registration registration{fault_type<LbDrain>()};

}  // namespace
}  // namespace faultline::faults
