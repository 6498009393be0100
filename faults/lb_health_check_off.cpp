// lb_health_check_off: turns a load balancer's health checks off, so a
// dead or misrouted backend stays in rotation and its share keeps failing.
// HAProxy: `check` comes off the server lines (a server without checks is
// always up) and HAProxy reloads; it is a config change, like the
// wrong-backend mistake it is meant to combine with, so the two compose
// (runtime API state would not survive the other's reload). nginx has
// passive checks only: `max_fails=0` never takes a server out; nginx reloads.
// On a team's own config the servers are named as the file names them; an
// HAProxy server checked through its `default-server` line gets `no-check`.

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "faults/common/lb_measures.h"
#include "faults/common/lb_reconfig.h"
#include "faults/common/lb_team_edit.h"
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
    std::optional<std::string> backend;
  };
  static const ParamTable<Params>& params() {
    static const ParamTable<Params> table{{
        param(&Params::server, "server", kind::text())
            .absent_means("all servers")
            .doc(
                "backend service whose checks are turned off; on the team's own config, a server as its file "
                "names it"),
        backend_param(&Params::backend, "every backend")
            .doc("on the team's own config only: the backend (nginx: upstream) whose servers' checks are "
                 "turned off, or that holds the server"),
    }};
    return table;
  }
  static std::unique_ptr<Fault> make(const Params& p, ParamReader& params, const experiment::Experiment& exp);
  // make() for a load balancer run from the team's own config, which has no
  // health_check key: the file says which servers are checked.
  static std::unique_ptr<Fault> make_on_team_config(const experiment::MethodStep& step,
                                                    const experiment::Experiment& exp,
                                                    const experiment::Service& lb,
                                                    const std::optional<std::vector<TeamServer>>& servers,
                                                    const Params& p, ParamReader& params);

  LbHealthCheckOff(FaultSite site, std::vector<TeamServer> servers, bool all,
                   std::optional<std::string> backend, std::string team_config)
      : ReconfigFault(kName, std::move(site), std::move(team_config)),
        servers_(std::move(servers)),
        all_(all),
        backend_(std::move(backend)) {}

  std::string describe() const override {
    const std::string who = all_               ? (backend_ ? "every server of " + *backend_ : "every server")
                            : on_team_config() ? servers_.front().label()
                                               : servers_.front().server;
    return fmt::format(
        "health checks on load balancer {} were turned off for {}, so a failing server stayed in "
        "rotation",
        lb(), who);
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
      out = edit_server_line(stack, lb(), *out, server.server, server_edit);
    }
    return out;
  }

  Status edit_team(const stack::RunningStack& /*stack*/, TeamConfig& config) const override {
    for (const auto& server : servers_) {
      if (!config.is_haproxy()) {
        if (auto st = edit_team_server(
                config, server,
                ServerEdit{
                    .address = {}, .port = {}, .set = {{"max_fails", "0"}}, .flags = {}, .remove = {}});
            !st) {
          return st;
        }
        continue;
      }
      if (!haproxy_server_checked(config, server)) {
        continue;
      }
      if (auto st = edit_team_server(
              config, server,
              ServerEdit{.address = {}, .port = {}, .set = {}, .flags = {}, .remove = {"check"}});
          !st) {
        return st;
      }
      // Checked through a `default-server` line: only `no-check` undoes it.
      if (haproxy_server_checked(config, server)) {
        if (auto st = edit_team_server(
                config, server,
                ServerEdit{.address = {}, .port = {}, .set = {}, .flags = {"no-check"}, .remove = {}});
            !st) {
          return st;
        }
      }
    }
    return {};
  }

  std::vector<TeamServer> servers_;  // backend empty on a rendered config
  bool all_;
  std::optional<std::string> backend_;
};

std::unique_ptr<Fault> LbHealthCheckOff::make(const Params& p, ParamReader& params,
                                              const experiment::Experiment& exp) {
  const experiment::MethodStep& step = params.step();
  const auto* lb = lb_target(step, exp, params.diags());
  auto servers = named_servers(params, exp, lb, p.backend, p.server);
  if (lb != nullptr && lb->has_own_config()) {
    return make_on_team_config(step, exp, *lb, servers, p, params);
  }
  if (lb != nullptr && !lb->health_check) {
    params.diags().error(
        step.target_pos, fmt::format("load balancer {} has no health_check to turn off", step.target),
        "give the service a health_check: { path: /health, interval: 500ms, fall: 2, rise: 2 }");
    return nullptr;
  }
  if (!params.ok() || !servers || lb == nullptr) {
    return nullptr;
  }
  return std::make_unique<LbHealthCheckOff>(fault_site(step, exp), std::move(*servers), !p.server,
                                            std::nullopt, std::string());
}

std::unique_ptr<Fault> LbHealthCheckOff::make_on_team_config(
    const experiment::MethodStep& step, const experiment::Experiment& exp, const experiment::Service& lb,
    const std::optional<std::vector<TeamServer>>& servers, const Params& p, ParamReader& params) {
  if (!params.ok() || !servers) {
    return nullptr;
  }
  if (lb.kind == experiment::ServiceKind::haproxy) {
    // HAProxy checks only the servers with `check`: with none of them
    // checked, there is nothing to turn off.
    auto config = read_team_config(exp, lb);
    const bool any = config && std::any_of(servers->begin(), servers->end(), [&](const TeamServer& s) {
                       return haproxy_server_checked(*config, s);
                     });
    if (config && !any) {
      params.error_at(
          p.server || !p.backend ? "server" : "backend",
          fmt::format("no server named here has health checks to turn off in {} (no `check` on its "
                      "line or its backend's `default-server` line)",
                      shown_path(exp, lb.own.config)),
          "name a server with `check`, or leave this fault out");
      return nullptr;
    }
  }
  return std::make_unique<LbHealthCheckOff>(fault_site(step, exp), *servers, !p.server, p.backend,
                                            lb.own.config);
}

const Registration registration{fault_type<LbHealthCheckOff>()};

}  // namespace
}  // namespace faultline::faults
