// lb_maxconn: sets a per-server connection limit far too low, the "limit
// copied from a staging config" mistake: under load requests queue and fail.
// HAProxy: `maxconn N` on the server lines and a short `timeout queue` in the
// backend: requests that wait longer get 503. nginx: `max_conns=N`; open
// source nginx has no queue, so requests beyond the limit of every server
// get 502 at once. Both are rewritten, checked and reloaded.
// On a team's own config the servers are named as the file names them, and
// `timeout queue` goes into each backend section holding one.

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "faults/common/lb_measures.h"
#include "faults/common/lb_reconfig.h"
#include "faults/common/lb_team_edit.h"
#include "faults/fault_type.h"
#include "harness/stack/render_util.h"

namespace faultline::faults {
namespace {

class LbMaxconn final : public ReconfigFault {
 public:
  static constexpr const char* kName = "lb_maxconn";
  static constexpr const char* kSummary =
      "Set a load balancer's per-server connection limit too low (queueing, 503/502), restore on revert";
  static Needs needs() { return lb_needs(); }

  struct Params {
    std::optional<int> maxconn;
    std::optional<std::string> server;
    std::optional<std::string> backend;
    std::optional<Duration> queue_timeout;
  };
  static const ParamTable<Params>& params() {
    using namespace std::chrono_literals;
    static const ParamTable<Params> table{{
        param(&Params::maxconn, "maxconn", kind::integer(1, 100000))
            .required()
            .doc("connections each server may have at once"),
        param(&Params::server, "server", kind::text())
            .absent_means("all servers")
            .doc("the one backend service to limit; on the team's own config, a server as its file names it"),
        backend_param(&Params::backend, "every backend")
            .doc("on the team's own config only: the backend (nginx: upstream) whose servers are limited, "
                 "or that holds the server"),
        // HAProxy: without a queue timeout of its own a request waits
        // `timeout connect` (1 s by default) for a slot; 10 ms makes the
        // limit show.
        param(&Params::queue_timeout, "queue_timeout", kind::duration(1ms, 1h))
            .defaults_to(10ms)
            .doc("HAProxy only: how long a request may wait for a slot"),
    }};
    return table;
  }
  static std::unique_ptr<Fault> make(const Params& p, ParamReader& params, const experiment::Experiment& exp);

  // `all`: no server was named (`backend` alone names the one whose servers
  // are all limited, on a team's config).
  LbMaxconn(FaultSite site, std::vector<TeamServer> servers, bool all, std::optional<std::string> backend,
            int maxconn, std::optional<Duration> queue_timeout, std::string team_config)
      : ReconfigFault(kName, std::move(site), std::move(team_config)),
        servers_(std::move(servers)),
        all_(all),
        backend_(std::move(backend)),
        maxconn_(maxconn),
        queue_timeout_(queue_timeout) {}

  std::string describe() const override {
    const std::string who = all_               ? (backend_ ? "every server of " + *backend_ : "every server")
                            : on_team_config() ? servers_.front().label()
                                               : servers_.front().server;
    if (!queue_timeout_) {
      return fmt::format(
          "the connection limit of {} on load balancer {} was set to {} (requests beyond it failed)", who,
          lb(), maxconn_);
    }
    return fmt::format(
        "the connection limit of {} on load balancer {} was set to {} (requests beyond it queued "
        "for at most {} and then failed)",
        who, lb(), maxconn_, stack::detail::ms(*queue_timeout_));
  }

  std::vector<Measure> suggested_measures() const override {
    const Balancer lb = balancer();
    return {
        {"Derive connection limits from load tests of each server, and review them with the capacity plan",
         MeasureType::prevent},
        {by_kind(
             lb,
             fmt::format("Alert on requests queued at {} (`qcur` and `qtime` in its stats) and on the 503s "
                         "it answers itself after a queue timeout (termination state `sQ` in its log)",
                         lb.name_text()),
             fmt::format("Alert on the 502s {} answers itself when every server is at its `max_conns` "
                         "(its error log says there are no live upstreams)",
                         lb.name_text()),
             "Alert on queued requests and 503s from the load balancer itself (not only from the backends)"),
         MeasureType::detect},
        {"Keep limits in one reviewed place instead of per-environment copies", MeasureType::process},
    };
  }

 private:
  Result<std::string> edit(const stack::RunningStack& stack, experiment::ServiceKind kind,
                           const std::string& text) const override {
    const bool haproxy = kind == experiment::ServiceKind::haproxy;
    Result<std::string> out = text;
    for (const auto& server : servers_) {
      if (out) {
        out = edit_server_line(
            stack, lb(), *out, server.server,
            ServerEdit{.address = {},
                       .port = {},
                       .set = {{haproxy ? "maxconn" : "max_conns", std::to_string(maxconn_)}},
                       .flags = {},
                       .remove = {}});
      }
    }
    if (out && haproxy && queue_timeout_) {
      const std::string queue = "timeout queue " + stack::detail::ms(*queue_timeout_);
      out = set_directive(kind, *out, "backend", "timeout queue", queue);
    }
    return out;
  }

  Status edit_team(const stack::RunningStack& /*stack*/, TeamConfig& config) const override {
    const bool haproxy = config.is_haproxy();
    std::vector<std::string> backends;
    for (const auto& server : servers_) {
      const ServerEdit edit{.address = {},
                            .port = {},
                            .set = {{haproxy ? "maxconn" : "max_conns", std::to_string(maxconn_)}},
                            .flags = {},
                            .remove = {}};
      if (auto st = edit_team_server(config, server, edit); !st) {
        return st;
      }
      if (std::find(backends.begin(), backends.end(), server.backend) == backends.end()) {
        backends.push_back(server.backend);
      }
    }
    if (!haproxy || !queue_timeout_) {
      return {};
    }
    const std::string queue = "timeout queue " + stack::detail::ms(*queue_timeout_);
    for (const auto& backend : backends) {
      if (auto st = set_in_section(config, haproxy_backend_selector(config, backend), "timeout queue", queue);
          !st) {
        return st;
      }
    }
    return {};
  }

  std::vector<TeamServer> servers_;  // backend empty on a rendered config
  bool all_;
  std::optional<std::string> backend_;
  int maxconn_;
  std::optional<Duration> queue_timeout_;  // HAProxy only
};

std::unique_ptr<Fault> LbMaxconn::make(const Params& p, ParamReader& params,
                                       const experiment::Experiment& exp) {
  const auto* lb = lb_target(params.step(), exp, params.diags());
  auto servers = named_servers(params, exp, lb, p.backend, p.server);
  if (params.given("queue_timeout") && p.queue_timeout && lb != nullptr &&
      lb->kind == experiment::ServiceKind::nginx) {
    params.error_at("queue_timeout", "nginx has no request queue (requests beyond the limit fail at once)",
                    "leave queue_timeout out for an nginx load balancer");
  }
  if (!params.ok() || !servers || !p.maxconn || !p.queue_timeout || lb == nullptr) {
    return nullptr;
  }
  std::optional<Duration> queue_timeout;
  if (lb->kind == experiment::ServiceKind::haproxy) {
    queue_timeout = p.queue_timeout;
  }
  return std::make_unique<LbMaxconn>(fault_site(params.step(), exp), std::move(*servers), !p.server,
                                     p.backend, *p.maxconn, queue_timeout, team_config_of(lb));
}

const Registration registration{fault_type<LbMaxconn>()};

}  // namespace
}  // namespace faultline::faults
