#pragma once

#include <optional>
#include <string>

#include "faults/common/fault_site.h"
#include "faults/common/lb_reconfig.h"
#include "faults/common/lb_team_config.h"
#include "faults/common/measures.h"
#include "faults/common/param_table.h"
#include "faults/fault.h"

// Taking one server of a load balancer out of rotation by its admin state,
// what lb_drain and lb_maintenance share.
// HAProxy: `set server <be>/<srv> state <state>` on the runtime API, no
// reload; revert puts back the admin state the server had before.
// nginx: the server is marked `down` in the upstream and nginx reloads
// gracefully; revert restores the config found.
// On a team's own config the server is named as the file names it, in the
// backend (nginx: upstream) that holds it (lb_team_config.h).
namespace faultline::faults {

// One server put into an admin state; subclasses give the state, their
// wording and their measures. The HAProxy state in force before the first
// inject is what revert puts back, so a server already in maintenance stays
// there.
class LbAdminStateFault : public Fault {
 public:
  Status inject(stack::RunningStack& stack) override;
  // Idempotent, as Fault requires.
  Status revert(stack::RunningStack& stack) override;
  // HAProxy's runtime API command, or nginx's `down` and reload.
  std::string mechanism() const override;
  // HAProxy: the server's admin state; nginx: the whole configuration.
  std::vector<std::string> restores() const override;

 protected:
  // `fault_type` prefixes errors; `haproxy_state` is the runtime API's
  // state name ("drain", "maint"); `site` is the load balancer's (the
  // step's target); `team_config` the team's file it runs a copy of, empty
  // when faultline renders its config (and `server.backend` with it).
  LbAdminStateFault(std::string fault_type, std::string haproxy_state, FaultSite site, TeamServer server,
                    std::string team_config)
      : fault_type_(std::move(fault_type)),
        haproxy_state_(std::move(haproxy_state)),
        site_(std::move(site)),
        lb_(site_.target),
        server_(std::move(server)),
        team_config_(std::move(team_config)),
        reconfig_(lb_) {}

  const std::string& lb() const { return lb_; }
  // The server in words: the backend service, or on a team's config
  // "be_api/api1".
  std::string server() const { return team_config_.empty() ? server_.server : server_.label(); }
  // The load balancer as its measures name it (its kind's settings).
  Balancer balancer() const { return site_.itself(); }

 private:
  // The HAProxy backend holding the server.
  std::string haproxy_backend(const stack::ServiceInstance& lb) const;

  std::string fault_type_;
  std::string haproxy_state_;
  FaultSite site_;
  std::string lb_;
  TeamServer server_;
  std::string team_config_;
  std::optional<std::string> original_;  // HAProxy admin state before inject
  LbReconfig reconfig_;
};

// How a server left out of rotation gets seen: HAProxy reports each
// server's admin state; nginx has none, only the `down` flag in its config.
Measure admin_state_visible(const Balancer& lb);

// The parameters of both admin-state faults: the server taken out, and on
// a team's config the backend holding it.
struct AdminStateParams {
  std::optional<std::string> server;
  std::optional<std::string> backend;
};
const ParamTable<AdminStateParams>& admin_state_params();

// The server, which must be a backend of the load balancer the step
// targets (on a team's config, a server of its file); nullopt (with every
// problem in `params`) when it is not.
std::optional<TeamServer> check_admin_state_server(const AdminStateParams& values, ParamReader& params,
                                                   const experiment::Experiment& exp);

}  // namespace faultline::faults
