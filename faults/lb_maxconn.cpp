// lb_maxconn: sets a per-server connection limit far too low, the "limit
// copied from a staging config" mistake: under load requests queue and fail.
// HAProxy: `maxconn N` on the server lines and a short `timeout queue` in the
// backend: requests that wait longer get 503. nginx: `max_conns=N`; open
// source nginx has no queue, so requests beyond the limit of every server
// get 502 at once. Both are rewritten, checked and reloaded.

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "faults/common/lb_measures.h"
#include "faults/common/lb_reconfig.h"
#include "faults/registry.h"
#include "harness/stack/render_util.h"

namespace faultline::faults {
namespace {

class LbMaxconn final : public ReconfigFault {
 public:
  LbMaxconn(FaultSite site, std::vector<std::string> servers, bool all, int maxconn,
            std::optional<Duration> queue_timeout)
      : ReconfigFault("lb_maxconn", std::move(site)),
        servers_(std::move(servers)),
        all_(all),
        maxconn_(maxconn),
        queue_timeout_(queue_timeout) {}

  std::string describe() const override {
    const std::string who = all_ ? "every server" : fmt::format("{}", fmt::join(servers_, ", "));
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
            stack, lb(), *out, server,
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

  std::vector<std::string> servers_;
  bool all_;
  int maxconn_;
  std::optional<Duration> queue_timeout_;  // HAProxy only
};

std::unique_ptr<Fault> parse(const experiment::MethodStep& step, const experiment::Experiment& exp,
                             experiment::Diagnostics& diags);

const Registration registration{FaultType{
    .name = "lb_maxconn",
    .summary =
        "Set a load balancer's per-server connection limit too low (queueing, 503/502), restore on revert",
    .params =
        {
            {"maxconn", "int 1..100000", "", "connections each server may have at once"},
            {"server", "string", "all servers", "the one backend service to limit"},
            {"queue_timeout", "duration", "10ms", "HAProxy only: how long a request may wait for a slot"},
        },
    .needs = lb_needs(),
    .parse = parse,
}};

std::unique_ptr<Fault> parse(const experiment::MethodStep& step, const experiment::Experiment& exp,
                             experiment::Diagnostics& diags) {
  using namespace std::chrono_literals;
  ParamReader params(step, *Registry::instance().find("lb_maxconn"), diags);
  auto maxconn = params.integer("maxconn", 1, 100000, true);
  auto server = params.text("server", false);
  auto queue = params.duration("queue_timeout", 1ms, 1h, false);
  const auto* lb = lb_target(step, exp, diags);
  check_backend(params, "server", lb, server);
  if (queue && lb != nullptr && lb->kind == experiment::ServiceKind::nginx) {
    params.error_at("queue_timeout", "nginx has no request queue (requests beyond the limit fail at once)",
                    "leave queue_timeout out for an nginx load balancer");
  }
  if (!params.ok() || !maxconn || lb == nullptr) {
    return nullptr;
  }
  std::vector<std::string> servers = server ? std::vector<std::string>{*server} : lb->backends;
  // HAProxy: without a queue timeout of its own a request waits `timeout
  // connect` (1 s by default) for a slot; 10 ms makes the limit show.
  std::optional<Duration> queue_timeout;
  if (lb->kind == experiment::ServiceKind::haproxy) {
    queue_timeout = queue.value_or(Duration(10ms));
  }
  return std::make_unique<LbMaxconn>(fault_site(step, exp), std::move(servers), !server, *maxconn,
                                     queue_timeout);
}

}  // namespace
}  // namespace faultline::faults
