// lb_timeout: sets one of a load balancer's timeouts far too low, the
// "timeout in the wrong unit" mistake: slow-enough responses become 504s
// (server), connections fail (connect), idle clients are cut (client), or
// queued requests get 503 (queue, HAProxy only).
// HAProxy: the `timeout <which>` line of the defaults (queue: backend)
// section; nginx: proxy_connect_timeout / proxy_read_timeout and
// proxy_send_timeout / client_*_timeout. Rewritten, checked, reloaded.
// On a team's own config: HAProxy's line goes into every section that uses
// it (backend and listen sections; client: frontend and listen), replacing
// the section's own, so that neither a defaults section nor a section's own
// line keeps the old value; nginx's directives change wherever the file
// writes them, and the http block gets them when it has none.

#include <fmt/format.h>

#include "faults/common/lb_measures.h"
#include "faults/common/lb_reconfig.h"
#include "faults/common/lb_team_edit.h"
#include "faults/fault_type.h"
#include "harness/stack/render_util.h"

namespace faultline::faults {
namespace {

class LbTimeout final : public ReconfigFault {
 public:
  static constexpr const char* kName = "lb_timeout";
  static constexpr const char* kSummary =
      "Set one of a load balancer's timeouts too low (504s, failed connects, 503s), restore on revert";
  static Needs needs() { return lb_needs(); }

  struct Params {
    std::optional<std::string> timeout;
    std::optional<Duration> value;
  };
  static const ParamTable<Params>& params() {
    using namespace std::chrono_literals;
    static const ParamTable<Params> table{{
        param(&Params::timeout, "timeout", kind::choice({"connect", "server", "client", "queue"}))
            .required()
            .doc("which timeout (queue: HAProxy only)"),
        param(&Params::value, "value", kind::duration(1ms, 1h)).required().doc("its new value, e.g. 1ms"),
    }};
    return table;
  }
  static std::unique_ptr<Fault> make(const Params& p, ParamReader& params, const experiment::Experiment& exp);

  LbTimeout(FaultSite site, std::string which, Duration value, std::string team_config)
      : ReconfigFault(kName, std::move(site), std::move(team_config)),
        which_(std::move(which)),
        value_(value) {}

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
  // nginx's directives for the timeout.
  std::vector<std::string> nginx_directives() const {
    if (which_ == "connect") {
      return {"proxy_connect_timeout"};
    }
    if (which_ == "server") {
      return {"proxy_read_timeout", "proxy_send_timeout"};
    }
    return {"client_header_timeout", "client_body_timeout", "send_timeout"};
  }

  Status edit_team(const stack::RunningStack& /*stack*/, TeamConfig& config) const override {
    const std::string v = stack::detail::ms(value_);
    if (!config.is_haproxy()) {
      for (const auto& d : nginx_directives()) {
        if (auto st = set_everywhere(config, d, {v}); !st) {
          return st;
        }
      }
      return {};
    }
    const auto sections =
        haproxy_sections(config, which_ == "client" ? std::vector<std::string>{"frontend", "listen"}
                                                    : std::vector<std::string>{"backend", "listen"});
    if (sections.empty()) {
      return Error{fmt::format("the configuration has no {} section for `timeout {}`",
                               which_ == "client" ? "frontend or listen" : "backend or listen", which_)};
    }
    for (const auto& section : sections) {
      if (auto st =
              set_in_section(config, section, "timeout " + which_, fmt::format("timeout {} {}", which_, v));
          !st) {
        return st;
      }
    }
    return {};
  }

  Result<std::string> edit(const stack::RunningStack& /*stack*/, experiment::ServiceKind kind,
                           const std::string& text) const override {
    const std::string v = stack::detail::ms(value_);
    if (kind == experiment::ServiceKind::haproxy) {
      return set_directive(kind, text, which_ == "queue" ? "backend" : "defaults", "timeout " + which_,
                           fmt::format("timeout {} {}", which_, v));
    }
    Result<std::string> out = text;
    for (const auto& d : nginx_directives()) {
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

std::unique_ptr<Fault> LbTimeout::make(const Params& p, ParamReader& params,
                                       const experiment::Experiment& exp) {
  const auto* lb = lb_target(params.step(), exp, params.diags());
  if (p.timeout && *p.timeout == "queue" && lb != nullptr && lb->kind == experiment::ServiceKind::nginx) {
    params.error_at("timeout", "nginx has no request queue, so no queue timeout",
                    "use connect, server or client for an nginx load balancer");
  }
  if (!params.ok() || !p.timeout || !p.value || lb == nullptr) {
    return nullptr;
  }
  return std::make_unique<LbTimeout>(fault_site(params.step(), exp), *p.timeout, *p.value,
                                     team_config_of(lb));
}

const Registration registration{fault_type<LbTimeout>()};

}  // namespace
}  // namespace faultline::faults
