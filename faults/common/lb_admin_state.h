#pragma once

#include <optional>
#include <string>

#include "faults/common/fault_site.h"
#include "faults/common/lb_reconfig.h"
#include "faults/common/measures.h"
#include "faults/common/param_table.h"
#include "faults/fault.h"

// Taking one server of a load balancer out of rotation by its admin state,
// what lb_drain and lb_maintenance share.
// HAProxy: `set server <be>/<srv> state <state>` on the runtime API, no
// reload; revert puts back the admin state the server had before.
// nginx: the server is marked `down` in the upstream and nginx reloads
// gracefully; revert restores the config found.
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

 protected:
  // `fault_type` prefixes errors; `haproxy_state` is the runtime API's
  // state name ("drain", "maint"); `site` is the load balancer's (the
  // step's target).
  LbAdminStateFault(std::string fault_type, std::string haproxy_state, FaultSite site, std::string server)
      : fault_type_(std::move(fault_type)),
        haproxy_state_(std::move(haproxy_state)),
        site_(std::move(site)),
        lb_(site_.target),
        server_(std::move(server)),
        reconfig_(lb_) {}

  const std::string& lb() const { return lb_; }
  const std::string& server() const { return server_; }
  // The load balancer as its measures name it (its kind's settings).
  Balancer balancer() const { return site_.itself(); }

 private:
  std::string fault_type_;
  std::string haproxy_state_;
  FaultSite site_;
  std::string lb_;
  std::string server_;
  std::optional<std::string> original_;  // HAProxy admin state before inject
  LbReconfig reconfig_;
};

// How a server left out of rotation gets seen: HAProxy reports each
// server's admin state; nginx has none, only the `down` flag in its config.
Measure admin_state_visible(const Balancer& lb);

// The one parameter of both admin-state faults: the server taken out.
struct AdminStateParams {
  std::optional<std::string> server;
};
const ParamTable<AdminStateParams>& admin_state_params();

// The server, which must be a backend of the load balancer the step
// targets; nullopt (with every problem in `params`) when it is not.
std::optional<std::string> check_admin_state_server(const AdminStateParams& values, ParamReader& params,
                                                    const experiment::Experiment& exp);

}  // namespace faultline::faults
