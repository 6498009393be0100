#include "faults/common/lb_admin_state.h"

#include <fmt/format.h>

#include "faults/registry.h"
#include "harness/stack/haproxy_runtime_api.h"

namespace faultline::faults {

Status LbAdminStateFault::inject(stack::RunningStack& stack) {
  const auto* lb = stack.find(lb_);
  if (lb == nullptr) {
    return Error{fmt::format("{}: no service {}", fault_type_, lb_)};
  }
  if (lb->planned.kind == experiment::ServiceKind::nginx) {
    auto text = current_lb_config(stack, lb_);
    if (text) {
      text =
          edit_server_line(stack, lb_, *text, server_,
                           ServerEdit{.address = {}, .port = {}, .set = {}, .flags = {"down"}, .remove = {}});
    }
    if (!text) {
      return text.error();
    }
    return reconfig_.apply(stack, *text);
  }
  stack::HaproxyRuntimeApi api(lb->runtime_socket);
  if (!original_) {
    auto state = api.admin_state(lb->backend_name, server_);
    if (!state) {
      return state.error();
    }
    original_ = *state;
  }
  return api.set_state(lb->backend_name, server_, haproxy_state_);
}

Status LbAdminStateFault::revert(stack::RunningStack& stack) {
  if (auto st = reconfig_.restore(stack); !st) {
    return st;
  }
  if (!original_) {
    return {};
  }
  const auto* lb = stack.find(lb_);
  if (lb == nullptr) {
    return Error{fmt::format("{}: no service {}", fault_type_, lb_)};
  }
  if (auto st = stack::HaproxyRuntimeApi(lb->runtime_socket).set_state(lb->backend_name, server_, *original_);
      !st) {
    return st;
  }
  original_.reset();
  return {};
}

std::optional<std::string> parse_admin_state_server(const std::string& fault_type,
                                                    const experiment::MethodStep& step,
                                                    const experiment::Experiment& exp,
                                                    experiment::Diagnostics& diags) {
  ParamReader params(step, *Registry::instance().find(fault_type), diags);
  auto server = params.text("server", true);
  const auto* lb = lb_target(step, exp, diags);
  check_backend(params, "server", lb, server);
  if (!params.ok() || !server || lb == nullptr) {
    return std::nullopt;
  }
  return server;
}

}  // namespace faultline::faults
