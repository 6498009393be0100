// lb_drain: drains a server: it gets no new sessions, existing ones finish;
// the "someone drained the wrong server" mistake.
// HAProxy: `set server <be>/<srv> state drain` on the runtime API, no
// reload; revert puts back the admin state the server had before.
// nginx: has no drain state (and no weight 0); the nearest equivalent is
// marking the server `down` with a graceful reload: old workers finish the
// requests in flight, new ones send nothing to the server.

#include <fmt/format.h>

#include "faults/common/haproxy_runtime_api.h"
#include "faults/common/lb_reconfig.h"
#include "faults/registry.h"

namespace faultline::faults {
namespace {

class LbDrain final : public Fault {
 public:
  LbDrain(std::string lb, std::string server)
      : lb_(std::move(lb)), server_(std::move(server)), reconfig_(lb_) {}

  std::string describe() const override {
    return fmt::format("server {} on load balancer {} was set to drain: it received no new sessions", server_,
                       lb_);
  }

  Status inject(stack::RunningStack& stack) override {
    const auto* lb = stack.find(lb_);
    if (lb == nullptr) {
      return Error{fmt::format("lb_drain: no service {}", lb_)};
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
    return api.set_state(lb->backend_name, server_, "drain");
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
      return Error{fmt::format("lb_drain: no service {}", lb_)};
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
        "Require a capacity check before draining a server: the rest of the pool must carry its share",
        "Alert when a pool serves with fewer servers than planned for longer than a maintenance window",
        "Automate drain with a timeout that puts the server back in rotation unless renewed",
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
    .name = "lb_drain",
    .summary = "Drain a load-balancer server (no new sessions, existing ones finish), restore on revert",
    .params = {{"server", "string", "", "backend service taken out"}},
    .needs = {.root = true,
              .target_kinds = {experiment::ServiceKind::haproxy, experiment::ServiceKind::nginx},
              .kernel_feature = ""},
    .parse = parse,
}};

std::unique_ptr<Fault> parse(const experiment::MethodStep& step, const experiment::Experiment& exp,
                             experiment::Diagnostics& diags) {
  ParamReader params(step, *Registry::instance().find("lb_drain"), diags);
  auto server = params.text("server", true);
  const auto* lb = lb_target(step, exp, diags);
  check_backend(params, "server", lb, server);
  if (!params.ok() || !server || lb == nullptr) {
    return nullptr;
  }
  return std::make_unique<LbDrain>(step.target, *server);
}

}  // namespace
}  // namespace faultline::faults
