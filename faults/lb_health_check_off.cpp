// lb_health_check_off: turns a load balancer's health checks off, so a
// dead or misrouted backend stays in rotation and its share keeps failing.
// HAProxy: `check` comes off the server lines (a server without checks is
// always up) and HAProxy reloads; it is a config change, like the
// wrong-backend mistake it is meant to combine with, so the two compose
// (runtime API state would not survive the other's reload). nginx has
// passive checks only: `max_fails=0` never takes a server out; nginx reloads.

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "faults/common/lb_measures.h"
#include "faults/common/lb_reconfig.h"
#include "faults/fault_type.h"

namespace faultline::faults {
namespace {

class LbHealthCheckOff final : public ReconfigFault {
 public:
  static constexpr const char* kName = "lb_health_check_off";
  static constexpr const char* kSummary =
      "Turn a load balancer's health checks off (a failing server stays in rotation), restore on revert";
  static Needs needs() { return lb_needs(); }

  struct Params {
    std::optional<std::string> server;
  };
  static const ParamTable<Params>& params() {
    static const ParamTable<Params> table{{
        param(&Params::server, "server", kind::text())
            .absent_means("all servers")
            .doc("backend service whose checks are turned off"),
    }};
    return table;
  }
  static std::unique_ptr<Fault> make(const Params& p, ParamReader& params, const experiment::Experiment& exp);

  LbHealthCheckOff(FaultSite site, std::vector<std::string> servers, bool all)
      : ReconfigFault(kName, std::move(site)), servers_(std::move(servers)), all_(all) {}

  std::string describe() const override {
    return fmt::format(
        "health checks on load balancer {} were turned off for {}, so a failing server stayed in "
        "rotation",
        lb(), all_ ? "every server" : fmt::format("{}", fmt::join(servers_, ", ")));
  }

  std::vector<Measure> suggested_measures() const override {
    const Balancer lb = balancer();
    const std::string name = lb.name_text();
    std::vector<Measure> out{
        {by_kind(
             lb,
             fmt::format("Never run the pool of {} without `check` on its `server` lines; alert when a "
                         "server's checks are off (an empty `check_status` in the runtime API's `show stat`)",
                         name),
             fmt::format("Never set `max_fails=0` on the servers of {}: it turns off the only failure "
                         "detection open-source nginx has (no active health checks); probe each server's "
                         "health path from outside if a dead server must be seen before users hit it",
                         name),
             "Never run a production pool without health checks; alert when a server's checks are "
             "disabled"),
         MeasureType::prevent},
    };
    if (lb.is(experiment::ServiceKind::nginx)) {
      // Passive checks see the application through its answers.
      out.push_back(take_erroring_server_out(lb));
    } else {
      out.push_back(
          {by_kind(lb,
                   fmt::format("Check the application path, not only the TCP port: `option httpchk` "
                               "with `http-check send meth GET uri /health` in the backend of {}",
                               name),
                   "",
                   "Check the application path (not only the TCP port) so a broken server is "
                   "detected"),
           MeasureType::mitigate});
    }
    out.push_back(
        {"Alert on 5xx per backend server, which shows one bad server hidden in a healthy-looking pool",
         MeasureType::detect});
    return out;
  }

 private:
  Result<std::string> edit(const stack::RunningStack& stack, experiment::ServiceKind kind,
                           const std::string& text) const override {
    ServerEdit server_edit;
    if (kind == experiment::ServiceKind::haproxy) {
      server_edit.remove.push_back("check");
    } else {
      server_edit.set.emplace_back("max_fails", "0");
    }
    Result<std::string> out = text;
    for (const auto& server : servers_) {
      if (!out) {
        break;
      }
      out = edit_server_line(stack, lb(), *out, server, server_edit);
    }
    return out;
  }

  std::vector<std::string> servers_;
  bool all_;
};

std::unique_ptr<Fault> LbHealthCheckOff::make(const Params& p, ParamReader& params,
                                              const experiment::Experiment& exp) {
  const experiment::MethodStep& step = params.step();
  const auto* lb = lb_target(step, exp, params.diags());
  check_backend(params, "server", lb, p.server);
  if (lb != nullptr && !lb->health_check) {
    params.diags().error(
        step.target_pos, fmt::format("load balancer {} has no health_check to turn off", step.target),
        "give the service a health_check: { path: /health, interval: 500ms, fall: 2, rise: 2 }");
    return nullptr;
  }
  if (!params.ok() || lb == nullptr) {
    return nullptr;
  }
  std::vector<std::string> servers = p.server ? std::vector<std::string>{*p.server} : lb->backends;
  return std::make_unique<LbHealthCheckOff>(fault_site(step, exp), std::move(servers), !p.server);
}

const Registration registration{fault_type<LbHealthCheckOff>()};

}  // namespace
}  // namespace faultline::faults
