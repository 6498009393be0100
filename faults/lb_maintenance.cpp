// lb_maintenance: puts a server into maintenance: it leaves the rotation at once
// and its health checks stop; the "forgot to take it out of maintenance"
// mistake.
// HAProxy: `set server <be>/<srv> state maint` on the runtime API, no
// reload; revert puts back the admin state the server had before.
// nginx: the server is marked `down` in the upstream and nginx reloads.

#include <fmt/format.h>

#include "faults/common/haproxy_runtime_api.h"
#include "faults/common/lb_reconfig.h"
#include "faults/registry.h"

namespace faultline::faults {
namespace {

class LbMaintenance final : public Fault {
 public:
  LbMaintenance(std::string lb, std::string server)
      : lb_(std::move(lb)), server_(std::move(server)), reconfig_(lb_) {}

  std::string describe() const override {
    return fmt::format("server {} on load balancer {} was put into maintenance: it received no traffic",
                       server_, lb_);
  }

  Status inject(stack::RunningStack& stack) override {
    const auto* lb = stack.find(lb_);
    if (lb == nullptr) {
      return Error{fmt::format("lb_maintenance: no service {}", lb_)};
    }
    if (lb->planned.kind == experiment::ServiceKind::nginx) {
      auto text = current_lb_config(stack, lb_);
      if (text) {
        text = edit_server_line(
            stack, lb_, *text, server_,
            ServerEdit{.address = {}, .port = {}, .set = {}, .flags = {"down"}, .remove = {}});
      }
      if (!text) {
        return text.error();
      }
      return reconfig_.apply(stack, *text);
    }
    HaproxyRuntimeApi api(lb->runtime_socket);
    if (!original_) {
      auto state = api.admin_state(lb->backend_name, server_);
      if (!state) {
        return state.error();
      }
      original_ = *state;
    }
    return api.set_state(lb->backend_name, server_, "maint");
  }

  Status revert(stack::RunningStack& stack) override {
    if (auto st = reconfig_.restore(stack); !st) {
      return st;
    }
    if (!original_) {
      return {};
    }
    const auto* lb = stack.find(lb_);
    if (lb == nullptr) {
      return Error{fmt::format("lb_maintenance: no service {}", lb_)};
    }
    if (auto st = HaproxyRuntimeApi(lb->runtime_socket).set_state(lb->backend_name, server_, *original_);
        !st) {
      return st;
    }
    original_.reset();
    return {};
  }

  std::vector<std::string> suggested_measures() const override {
    return {
        "Track maintenance windows with an owner and an end time; alert on servers left in maintenance",
        "Alert on each backend's share of traffic dropping to zero",
        "Keep enough spare capacity (N+1) that one server in maintenance does not overload the rest",
    };
  }

 private:
  std::string lb_;
  std::string server_;
  std::optional<std::string> original_;  // HAProxy admin state before inject
  LbReconfig reconfig_;
};

std::unique_ptr<Fault> parse(const experiment::MethodStep& step, const experiment::Experiment& exp,
                             experiment::Diagnostics& diags);

const Registration registration{FaultType{
    .name = "lb_maintenance",
    .summary = "Put a load-balancer server into maintenance (out of rotation), restore on revert",
    .params = {{"server", "string", "", "backend service taken out"}},
    .needs = {.root = true,
              .target_kinds = {experiment::ServiceKind::haproxy, experiment::ServiceKind::nginx},
              .kernel_feature = ""},
    .parse = parse,
}};

std::unique_ptr<Fault> parse(const experiment::MethodStep& step, const experiment::Experiment& exp,
                             experiment::Diagnostics& diags) {
  ParamReader params(step, *Registry::instance().find("lb_maintenance"), diags);
  auto server = params.text("server", true);
  const auto* lb = lb_target(step, exp, diags);
  check_backend(params, "server", lb, server);
  if (!params.ok() || !server || lb == nullptr) {
    return nullptr;
  }
  return std::make_unique<LbMaintenance>(step.target, *server);
}

}  // namespace
}  // namespace faultline::faults
