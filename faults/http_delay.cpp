// http_delay: the load balancer holds a share of requests for a while
// before passing them on: a slow auth or rate-limit hook, a DNS lookup on
// the request path, a GC-bound sidecar.
// HAProxy: a Lua action (`core.msleep`, which parks only that request) run
// by an `http-request` rule for a random share of requests. nginx: the echo
// module (a dependency of Debian's nginx packages) sleeps without blocking
// the worker, then hands the request to a named copy of the proxying
// location. Both by config rewrite, check and reload; revert restores the
// config found.
// On a team's own config the hold goes where the load enters: HAProxy's
// rule into every frontend or listen section on the load balancer's port;
// nginx's into every server block on it, as an `auth_request` whose
// internal location sleeps for the chosen share. A subrequest holds the
// request before any location's content runs, so the team's locations are
// held as written (regex ones, proxy_pass with a URI part, included files)
// without copying any of them; a location with an `auth_request` of its own
// overrides the server's and is not held.

#include <fmt/format.h>

#include <filesystem>
#include <fstream>

#include "faults/common/lb_measures.h"
#include "faults/common/lb_reconfig.h"
#include "faults/common/lb_team_edit.h"
#include "faults/common/lb_team_http.h"
#include "faults/common/request_sample.h"
#include "faults/fault_type.h"
#include "harness/stack/render_util.h"

namespace faultline::faults {
namespace {

constexpr const char* kEchoModule = "/usr/lib/nginx/modules/ngx_http_echo_module.so";

class HttpDelay final : public ReconfigFault {
 public:
  static constexpr const char* kName = "http_delay";
  static constexpr const char* kSummary =
      "The load balancer holds a share of requests for a fixed time before passing them on";
  static Needs needs() { return lb_needs(); }

  struct Params {
    std::optional<Duration> delay;
    std::optional<double> percent;
    std::optional<std::string> path;
  };
  static const ParamTable<Params>& params() {
    using namespace std::chrono_literals;
    static const ParamTable<Params> table{{
        param(&Params::delay, "delay", kind::duration(1ms, 60s))
            .required()
            .doc("how long each chosen request is held"),
        param(&Params::percent, "percent", kind::percent())
            .defaults_to(1.0)
            .doc("share of requests delayed, chosen per request (0.01% steps)"),
        param(&Params::path, "path", kind::text("path prefix"))
            .absent_means("every path")
            .doc("only requests whose path starts with this prefix are delayed, e.g. /checkout"),
    }};
    return table;
  }
  static std::unique_ptr<Fault> make(const Params& p, ParamReader& params, const experiment::Experiment& exp);

  HttpDelay(FaultSite site, double fraction, Duration delay, std::string path, std::string tag,
            std::string team_config)
      : ReconfigFault(kName, std::move(site), std::move(team_config)),
        fraction_(fraction),
        delay_(delay),
        path_(std::move(path)),
        tag_(std::move(tag)) {}

  std::string describe() const override {
    return fmt::format("load balancer {} held {} of requests{} for {} before passing them on", lb(),
                       percent_text(fraction_), path_text(path_), stack::detail::ms(delay_));
  }

  std::vector<Measure> suggested_measures() const override {
    const Balancer lb = balancer();
    return {
        {by_kind(
             lb,
             fmt::format("Alert on the time {} itself adds to a request: log `%Ta` (total) beside `%Tr` "
                         "(the server's response time) and watch the difference, not only backend latency",
                         lb.name_text()),
             fmt::format("Alert on the time {} itself adds to a request: log `$request_time` beside "
                         "`$upstream_response_time` and watch the difference, not only backend latency",
                         lb.name_text()),
             "Alert on latency measured at the load balancer, not only at the backends"),
         MeasureType::detect},
        {"Give every hook on the request path (auth, rate limits, lookups) its own timeout and latency "
         "metric",
         MeasureType::prevent},
        {"Set client timeouts and retry budgets with the latency a slow hop can add in mind",
         MeasureType::mitigate},
    };
  }

 private:
  Result<std::string> edit(const stack::RunningStack& stack, experiment::ServiceKind kind,
                           const std::string& text) const override {
    return kind == experiment::ServiceKind::haproxy ? haproxy_config(stack, text) : nginx_config(text);
  }

  long long delay_ms() const { return std::chrono::duration_cast<std::chrono::milliseconds>(delay_).count(); }

  // The Lua action that sleeps, written beside the config so that
  // `haproxy -c` on the candidate finds it and teardown removes it with the
  // rest of the run; the `lua-load` line that loads it, and the
  // `http-request` rule that calls it.
  struct HaproxyHold {
    std::string lua_load;
    std::string rule;
  };
  Result<HaproxyHold> haproxy_hold(const stack::RunningStack& stack) const {
    auto dir = lb_dir(stack, lb());
    if (!dir) {
      return dir.error();
    }
    const std::string action = "faultline_delay_" + tag_;
    const std::string script = *dir + "/" + action + ".lua";
    {
      std::ofstream out(script, std::ios::trunc);
      out << "-- written by faultline's http_delay fault\n"
          << fmt::format("core.register_action(\"{}\", {{ \"http-req\" }}, function(txn, ms)\n", action)
          << "  core.msleep(tonumber(ms))\n"
          << "end, 1)\n";
      if (!out) {
        return Error{fmt::format("http_delay: cannot write {}", script)};
      }
    }
    return HaproxyHold{"lua-load " + script, fmt::format("http-request lua.{} {}{}", action, delay_ms(),
                                                         haproxy_request_condition(fraction_, path_))};
  }

  Result<std::string> haproxy_config(const stack::RunningStack& stack, const std::string& text) const {
    auto hold = haproxy_hold(stack);
    if (!hold) {
      return hold.error();
    }
    auto out = add_to_section(experiment::ServiceKind::haproxy, text, "global", hold->lua_load);
    if (out) {
      out = add_to_section(experiment::ServiceKind::haproxy, *out, "frontend", hold->rule);
    }
    return out;
  }

  static Status echo_module_present() {
    if (std::filesystem::exists(kEchoModule)) {
      return {};
    }
    return Error{
        fmt::format("http_delay on nginx needs the echo module ({}), which is missing; install it with: "
                    "apt-get install libnginx-mod-http-echo",
                    kEchoModule)};
  }

  std::string nginx_var() const { return "faultline_delay_" + tag_; }
  std::string seconds() const { return fmt::format("{:.3f}", static_cast<double>(delay_ms()) / 1000.0); }

  Result<std::string> nginx_config(const std::string& text) const {
    if (auto st = echo_module_present(); !st) {
      return st.error();
    }
    const std::string named = "@faultline_delayed_" + tag_;
    std::string out = text;
    // load_module must come before the events block; once is enough when
    // several delays share a load balancer.
    if (out.find(kEchoModule) == std::string::npos) {
      out = fmt::format("load_module {};\n", kEchoModule) + out;
    }
    auto with_sample = add_to_section(experiment::ServiceKind::nginx, out, "defaults",
                                      nginx_request_block(nginx_var(), fraction_, path_));
    if (!with_sample) {
      return with_sample;
    }
    return nginx_fork_location(
        *with_sample, "/",
        {fmt::format("if (${}) {{ echo_sleep {}; echo_exec {}; }}", nginx_var(), seconds(), named)}, named);
  }

  Status edit_team(const stack::RunningStack& stack, TeamConfig& config) const override {
    auto port = lb_port(stack, lb());
    if (!port) {
      return port.error();
    }
    if (config.is_haproxy()) {
      auto hold = haproxy_hold(stack);
      if (!hold) {
        return hold.error();
      }
      if (auto st = add_to_haproxy_global(config, hold->lua_load); !st) {
        return st;
      }
      return add_http_request_rule(config, *port, hold->rule);
    }
    if (auto st = echo_module_present(); !st) {
      return st;
    }
    // Debian's nginx.conf loads the module already (modules-enabled/), and
    // loading it twice is an error.
    if (!nginx_loads_module(config, std::filesystem::path(kEchoModule).filename().string())) {
      if (auto put = insert_team_fragment(config, "main", fmt::format("load_module {};", kEchoModule));
          !put) {
        return put.error();
      }
    }
    if (auto put = insert_team_fragment(config, "http", nginx_request_block(nginx_var(), fraction_, path_));
        !put) {
      return put.error();
    }
    // The subrequest's answer is discarded; only its time counts. Its own
    // `auth_request off` keeps it from asking itself.
    const std::string hold = "/faultline_hold_" + tag_;
    return insert_in_entry_servers(config, *port,
                                   fmt::format("auth_request {0};\n"
                                               "location = {0} {{\n"
                                               "    internal;\n"
                                               "    auth_request off;\n"
                                               "    if (${1}) {{\n"
                                               "        echo_sleep {2};\n"
                                               "    }}\n"
                                               "    echo \"\";\n"
                                               "}}",
                                               hold, nginx_var(), seconds()));
  }

  double fraction_;
  Duration delay_;
  std::string path_;  // prefix; empty: every path
  std::string tag_;
};

std::unique_ptr<Fault> HttpDelay::make(const Params& p, ParamReader& params,
                                       const experiment::Experiment& exp) {
  const experiment::MethodStep& step = params.step();
  const auto* lb = lb_target(step, exp, params.diags());
  check_path_prefix(p.path, params);
  if (!params.ok() || !p.delay || !p.percent || lb == nullptr) {
    return nullptr;
  }
  return std::make_unique<HttpDelay>(fault_site(step, exp), *p.percent, *p.delay, p.path.value_or(""),
                                     step_tag(step), team_config_of(lb));
}

const Registration registration{fault_type<HttpDelay>()};

}  // namespace
}  // namespace faultline::faults
