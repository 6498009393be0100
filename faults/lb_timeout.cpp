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
// writes them, and the http block gets them when it has none. With
// `backend`, only that backend or listen section changes (nginx: the
// locations whose proxy_pass names that upstream); a client timeout is a
// frontend's, so `backend` is refused with it.

#include <fmt/format.h>

#include <optional>

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
    std::optional<std::string> backend;
  };
  static const ParamTable<Params>& params() {
    using namespace std::chrono_literals;
    static const ParamTable<Params> table{{
        param(&Params::timeout, "timeout", kind::choice({"connect", "server", "client", "queue"}))
            .required()
            .doc("which timeout (queue: HAProxy only)"),
        param(&Params::value, "value", kind::duration(1ms, 1h)).required().doc("its new value, e.g. 1ms"),
        backend_param(&Params::backend, "everywhere it applies")
            .doc("on the team's own config only: the backend or listen section whose timeout changes (nginx: "
                 "the locations whose proxy_pass names this upstream); not with client"),
    }};
    return table;
  }
  static std::unique_ptr<Fault> make(const Params& p, ParamReader& params, const experiment::Experiment& exp);

  // `backend`: on a team's config, the one backend (nginx: upstream) whose
  // timeout changes; none for every section that uses it.
  LbTimeout(FaultSite site, std::string which, Duration value, std::optional<std::string> backend,
            std::string team_config)
      : ReconfigFault(kName, std::move(site), std::move(team_config)),
        which_(std::move(which)),
        value_(value),
        backend_(std::move(backend)) {}

  std::string describe() const override {
    return fmt::format("the {} timeout of {}load balancer {} was set to {}", which_,
                       backend_ ? *backend_ + " on " : "", lb(), stack::detail::ms(value_));
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
    if (backend_) {
      return edit_team_backend(config, v);
    }
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

  // The timeout of the one backend `backend` names: its section's line
  // (HAProxy), or the proxy_* directives of the locations passing to that
  // upstream (nginx; 60s, nginx's default for each, is what a location
  // nested in one of them keeps when nothing around it sets one).
  Status edit_team_backend(TeamConfig& config, const std::string& v) const {
    if (config.is_haproxy()) {
      return set_in_section(config, haproxy_backend_selector(config, *backend_), "timeout " + which_,
                            fmt::format("timeout {} {}", which_, v));
    }
    for (const auto& d : nginx_directives()) {
      if (auto st = set_for_upstream(config, *backend_, d, {v}, {"60s"}); !st) {
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
  std::optional<std::string> backend_;
};

// `backend` on a team's config: a backend (nginx: an upstream some
// location passes to) the file has, and not for the client timeout, which
// belongs to the client's side. Errors at the parameter; false after one.
bool check_team_backend(const LbTimeout::Params& p, ParamReader& params, const experiment::Experiment& exp,
                        const experiment::Service& lb) {
  if (p.timeout && *p.timeout == "client") {
    params.error_at(
        "backend",
        lb.kind == experiment::ServiceKind::nginx
            ? "the client timeouts (client_header_timeout, client_body_timeout, send_timeout) are about the "
              "clients' side of a connection, and 'backend' names an upstream"
            : "`timeout client` belongs to the frontends (and listen sections) that take the clients' "
              "connections, and 'backend' names a backend",
        "leave 'backend' out: the client timeout then changes wherever it applies");
    return false;
  }
  if (!team_backends(params, exp, lb, p.backend)) {
    return false;
  }
  if (lb.kind != experiment::ServiceKind::nginx) {
    return true;
  }
  auto config = read_team_config(exp, lb);
  if (config && locations_passing_to(*config, *p.backend) == 0) {
    params.error_at(
        "backend",
        fmt::format("{}: no location passes requests to upstream '{}' (a proxy_pass naming it), so "
                    "it has no proxy timeouts to change",
                    shown_path(exp, lb.own.config), *p.backend),
        "name an upstream a location's proxy_pass names, or leave 'backend' out");
    return false;
  }
  return true;
}

std::unique_ptr<Fault> LbTimeout::make(const Params& p, ParamReader& params,
                                       const experiment::Experiment& exp) {
  const auto* lb = lb_target(params.step(), exp, params.diags());
  if (p.timeout && *p.timeout == "queue" && lb != nullptr && lb->kind == experiment::ServiceKind::nginx) {
    params.error_at("timeout", "nginx has no request queue, so no queue timeout",
                    "use connect, server or client for an nginx load balancer");
  }
  refuse_backend_param(params, lb, p.backend);
  if (p.backend && lb != nullptr && lb->has_own_config() && !check_team_backend(p, params, exp, *lb)) {
    return nullptr;
  }
  if (!params.ok() || !p.timeout || !p.value || lb == nullptr) {
    return nullptr;
  }
  return std::make_unique<LbTimeout>(fault_site(params.step(), exp), *p.timeout, *p.value,
                                     lb->has_own_config() ? p.backend : std::nullopt, team_config_of(lb));
}

const Registration registration{fault_type<LbTimeout>()};

}  // namespace
}  // namespace faultline::faults
