// lb_timeout: sets one of a load balancer's timeouts far too low, the
// "timeout in the wrong unit" mistake: slow-enough responses become 504s
// (server), connections fail (connect), idle clients are cut (client), or
// queued requests get 503 (queue, HAProxy only).
// HAProxy: the `timeout <which>` line of the defaults (queue: backend)
// section; nginx: proxy_connect_timeout / proxy_read_timeout and
// proxy_send_timeout / client_*_timeout. Rewritten, checked, reloaded.

#include <fmt/format.h>

#include "faults/common/lb_measures.h"
#include "faults/common/lb_reconfig.h"
#include "faults/registry.h"
#include "harness/stack/render_util.h"

namespace faultline::faults {
namespace {

class LbTimeout final : public ReconfigFault {
 public:
  LbTimeout(FaultSite site, std::string which, Duration value)
      : ReconfigFault("lb_timeout", std::move(site)), which_(std::move(which)), value_(value) {}

  std::string describe() const override {
    return fmt::format("the {} timeout of load balancer {} was set to {}", which_, lb(),
                       stack::detail::ms(value_));
  }

  std::vector<Measure> suggested_measures() const override {
    const Balancer lb = balancer();
    return {
        {by_kind(
             lb,
             "Set timeouts from measured latency percentiles (p99.9 with margin), and always write the "
             "unit: HAProxy reads a bare number as milliseconds (`timeout server 5s`, not `timeout server "
             "5`)",
             "Set timeouts from measured latency percentiles (p99.9 with margin), and always write the "
             "unit: nginx reads a bare number as seconds (`proxy_read_timeout 500ms`, not "
             "`proxy_read_timeout 500`)",
             "Set timeouts from measured latency percentiles (p99.9 with margin), and write units "
             "explicitly"),
         MeasureType::prevent},
        {by_kind(lb,
                 fmt::format("Alert on 504s and failed connections per server at {} (its log's termination "
                             "state: `sH` for a response that timed out, `sC` or `SC` for a connection that "
                             "failed)",
                             lb.name_text()),
                 fmt::format("Alert on 504s and failed connections per server at {} (log `$upstream_status` "
                             "and `$upstream_addr`)",
                             lb.name_text()),
                 "Alert on 504s and on connection errors at the load balancer per backend"),
         MeasureType::detect},
        {"Test timeout changes under production-like load before rollout", MeasureType::process},
    };
  }

 private:
  Result<std::string> edit(const stack::RunningStack& /*stack*/, experiment::ServiceKind kind,
                           const std::string& text) const override {
    const std::string v = stack::detail::ms(value_);
    if (kind == experiment::ServiceKind::haproxy) {
      return set_directive(kind, text, which_ == "queue" ? "backend" : "defaults", "timeout " + which_,
                           fmt::format("timeout {} {}", which_, v));
    }
    std::vector<std::string> directives;
    if (which_ == "connect") {
      directives = {"proxy_connect_timeout"};
    } else if (which_ == "server") {
      directives = {"proxy_read_timeout", "proxy_send_timeout"};
    } else {
      directives = {"client_header_timeout", "client_body_timeout", "send_timeout"};
    }
    Result<std::string> out = text;
    for (const auto& d : directives) {
      if (out) {
        out = set_directive(kind, *out, which_ == "client" ? "defaults" : "frontend", d,
                            fmt::format("{} {};", d, v));
      }
    }
    return out;
  }

  std::string which_;
  Duration value_;
};

std::unique_ptr<Fault> parse(const experiment::MethodStep& step, const experiment::Experiment& exp,
                             experiment::Diagnostics& diags);

const Registration registration{FaultType{
    .name = "lb_timeout",
    .summary =
        "Set one of a load balancer's timeouts too low (504s, failed connects, 503s), restore on revert",
    .params =
        {
            {"timeout", "connect|server|client|queue", "", "which timeout (queue: HAProxy only)"},
            {"value", "duration", "", "its new value, e.g. 1ms"},
        },
    .needs = lb_needs(),
    .parse = parse,
}};

std::unique_ptr<Fault> parse(const experiment::MethodStep& step, const experiment::Experiment& exp,
                             experiment::Diagnostics& diags) {
  using namespace std::chrono_literals;
  ParamReader params(step, *Registry::instance().find("lb_timeout"), diags);
  auto which = params.choice("timeout", {"connect", "server", "client", "queue"}, true);
  auto value = params.duration("value", 1ms, 1h, true);
  const auto* lb = lb_target(step, exp, diags);
  if (which && *which == "queue" && lb != nullptr && lb->kind == experiment::ServiceKind::nginx) {
    params.error_at("timeout", "nginx has no request queue, so no queue timeout",
                    "use connect, server or client for an nginx load balancer");
  }
  if (!params.ok() || !which || !value || lb == nullptr) {
    return nullptr;
  }
  return std::make_unique<LbTimeout>(fault_site(step, exp), *which, *value);
}

}  // namespace
}  // namespace faultline::faults
