// lb_health_check_off: turns a load balancer's health checks off, so a
// dead or misrouted backend stays in rotation and its share keeps failing.
// HAProxy: `check` comes off the server lines (a server without checks is
// always up) and HAProxy reloads; it is a config change, like the
// wrong-backend mistake it is meant to combine with, so the two compose
// (runtime API state would not survive the other's reload). nginx has
// passive checks only: `max_fails=0` never takes a server out; nginx reloads.

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "faults/common/lb_reconfig.h"
#include "faults/registry.h"

namespace faultline::faults {
namespace {

class LbHealthCheckOff final : public Fault {
 public:
  LbHealthCheckOff(std::string lb, std::vector<std::string> servers, bool all)
      : lb_(std::move(lb)), servers_(std::move(servers)), all_(all), reconfig_(lb_) {}

  std::string describe() const override {
    return fmt::format(
        "health checks on load balancer {} were turned off for {}, so a failing server stayed in "
        "rotation",
        lb_, all_ ? "every server" : fmt::format("{}", fmt::join(servers_, ", ")));
  }

  Status inject(stack::RunningStack& stack) override {
    const auto* lb = stack.find(lb_);
    if (lb == nullptr) {
      return Error{fmt::format("lb_health_check_off: no service {}", lb_)};
    }
    const bool haproxy = lb->planned.kind == experiment::ServiceKind::haproxy;
    auto text = current_lb_config(stack, lb_);
    for (const auto& server : servers_) {
      if (!text) {
        break;
      }
      ServerEdit edit;
      if (haproxy) {
        edit.remove.push_back("check");
      } else {
        edit.set.emplace_back("max_fails", "0");
      }
      text = edit_server_line(stack, lb_, *text, server, edit);
    }
    if (!text) {
      return text.error();
    }
    return reconfig_.apply(stack, *text);
  }

  Status revert(stack::RunningStack& stack) override { return reconfig_.restore(stack); }

  std::vector<std::string> suggested_measures() const override {
    return {
        "Never run a production pool without active health checks; alert when a server's checks are disabled",
        "Check the application path (not only the TCP port) so a broken server is detected",
        "Alert on 5xx per backend server, which shows one bad server hidden in a healthy-looking pool",
    };
  }

 private:
  std::string lb_;
  std::vector<std::string> servers_;
  bool all_;
  LbReconfig reconfig_;
};

std::unique_ptr<Fault> parse(const experiment::MethodStep& step, const experiment::Experiment& exp,
                             experiment::Diagnostics& diags);

const Registration registration{FaultType{
    .name = "lb_health_check_off",
    .summary =
        "Turn a load balancer's health checks off (a failing server stays in rotation), restore on revert",
    .params = {{"server", "string", "all servers", "backend service whose checks are turned off"}},
    .needs = {.root = true,
              .target_kinds = {experiment::ServiceKind::haproxy, experiment::ServiceKind::nginx},
              .kernel_feature = ""},
    .parse = parse,
}};

std::unique_ptr<Fault> parse(const experiment::MethodStep& step, const experiment::Experiment& exp,
                             experiment::Diagnostics& diags) {
  ParamReader params(step, *Registry::instance().find("lb_health_check_off"), diags);
  auto server = params.text("server", false);
  const auto* lb = lb_target(step, exp, diags);
  check_backend(params, "server", lb, server);
  if (lb != nullptr && !lb->health_check) {
    diags.error(step.target_pos, fmt::format("load balancer {} has no health_check to turn off", step.target),
                "give the service a health_check: { path: /health, interval: 500ms, fall: 2, rise: 2 }");
    return nullptr;
  }
  if (!params.ok() || lb == nullptr) {
    return nullptr;
  }
  std::vector<std::string> servers = server ? std::vector<std::string>{*server} : lb->backends;
  return std::make_unique<LbHealthCheckOff>(step.target, std::move(servers), !server);
}

}  // namespace
}  // namespace faultline::faults
