// http_abort: the load balancer answers a share of requests itself with an
// error status, never passing them on: a bad routing rule, a WAF rule gone
// wrong, a "maintenance" switch left on for some paths.
// HAProxy: an `http-request return` rule in the frontend, taken for a
// random share of requests; nginx: a `split_clients` share and an `if` that
// returns the status at the server level. Both by config rewrite, check and
// reload; revert restores the config found. On a team's own config the
// rule goes into every frontend or listen section (nginx: server block)
// listening on the load balancer's port, where the load enters.

#include <fmt/format.h>

#include "faults/common/lb_measures.h"
#include "faults/common/lb_reconfig.h"
#include "faults/common/lb_team_edit.h"
#include "faults/common/lb_team_http.h"
#include "faults/common/request_sample.h"
#include "faults/fault_type.h"

namespace faultline::faults {
namespace {

// The body of an aborted response says who answered, for whoever reads it
// in a capture or a log.
constexpr const char* kBody = "aborted by faultline http_abort";

class HttpAbort final : public ReconfigFault {
 public:
  static constexpr const char* kName = "http_abort";
  static constexpr const char* kSummary =
      "The load balancer answers a share of requests itself with an error status";
  static Needs needs() { return lb_needs(); }

  struct Params {
    std::optional<double> percent;
    std::optional<int> status;
    std::optional<std::string> path;
  };
  static const ParamTable<Params>& params() {
    static const ParamTable<Params> table{{
        param(&Params::percent, "percent", kind::percent())
            .defaults_to(1.0)
            .doc("share of requests aborted, chosen per request (0.01% steps)"),
        param(&Params::status, "status", kind::integer(400, 599))
            .defaults_to(503)
            .doc("the HTTP status they get"),
        param(&Params::path, "path", kind::text("path prefix"))
            .absent_means("every path")
            .doc("only requests whose path starts with this prefix are aborted, e.g. /checkout"),
    }};
    return table;
  }
  static std::unique_ptr<Fault> make(const Params& p, ParamReader& params, const experiment::Experiment& exp);

  HttpAbort(FaultSite site, double fraction, int status, std::string path, std::string tag,
            std::string team_config)
      : ReconfigFault(kName, std::move(site), std::move(team_config)),
        fraction_(fraction),
        status_(status),
        path_(std::move(path)),
        tag_(std::move(tag)) {}

  std::string describe() const override {
    return fmt::format("load balancer {} answered {} of requests{} itself with HTTP {}", lb(),
                       percent_text(fraction_), path_text(path_), status_);
  }

  std::vector<Measure> suggested_measures() const override {
    const Balancer lb = balancer();
    return {
        {by_kind(lb,
                 fmt::format("Count the errors {} answers itself apart from those the backends send, and "
                             "alert on them: HAProxy logs `<NOSRV>` as the server of a request it answered "
                             "without passing it on",
                             lb.name_text()),
                 fmt::format("Count the errors {} answers itself apart from those the backends send, and "
                             "alert on them: `$upstream_addr` is empty in the access log of a request nginx "
                             "answered without passing it on",
                             lb.name_text()),
                 "Count the errors the load balancer answers itself apart from those the backends send, and "
                 "alert on them"),
         MeasureType::detect},
        {"Review and test routing and filtering rules against recorded production traffic before rollout",
         MeasureType::process},
        {"Let clients retry idempotent requests with backoff and a retry budget", MeasureType::mitigate},
    };
  }

 private:
  std::string haproxy_rule() const {
    return fmt::format("http-request return status {} content-type text/plain string \"{}\"{}", status_,
                       kBody, haproxy_request_condition(fraction_, path_));
  }
  std::string nginx_var() const { return "faultline_abort_" + tag_; }
  // At the server level the rewrite phase answers before any location is
  // chosen, whatever the path.
  std::string nginx_rule() const {
    return fmt::format("if (${}) {{ return {} \"{}\\n\"; }}", nginx_var(), status_, kBody);
  }

  Result<std::string> edit(const stack::RunningStack& /*stack*/, experiment::ServiceKind kind,
                           const std::string& text) const override {
    if (kind == experiment::ServiceKind::haproxy) {
      return add_to_section(kind, text, "frontend", haproxy_rule());
    }
    auto out = add_to_section(kind, text, "defaults", nginx_request_block(nginx_var(), fraction_, path_));
    if (out) {
      out = add_to_section(kind, *out, "frontend", nginx_rule());
    }
    return out;
  }

  Status edit_team(const stack::RunningStack& stack, TeamConfig& config) const override {
    auto port = lb_port(stack, lb());
    if (!port) {
      return port.error();
    }
    if (config.is_haproxy()) {
      return add_http_request_rule(config, *port, haproxy_rule());
    }
    if (auto put = insert_team_fragment(config, "http", nginx_request_block(nginx_var(), fraction_, path_));
        !put) {
      return put.error();
    }
    return insert_in_entry_servers(config, *port, nginx_rule());
  }

  double fraction_;
  int status_;
  std::string path_;  // prefix; empty: every path
  std::string tag_;
};

std::unique_ptr<Fault> HttpAbort::make(const Params& p, ParamReader& params,
                                       const experiment::Experiment& exp) {
  const experiment::MethodStep& step = params.step();
  const auto* lb = lb_target(step, exp, params.diags());
  check_path_prefix(p.path, params);
  if (!params.ok() || !p.percent || !p.status || lb == nullptr) {
    return nullptr;
  }
  return std::make_unique<HttpAbort>(fault_site(step, exp), *p.percent, *p.status, p.path.value_or(""),
                                     step_tag(step), team_config_of(lb));
}

const Registration registration{fault_type<HttpAbort>()};

}  // namespace
}  // namespace faultline::faults
