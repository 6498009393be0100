#include "faults/common/lb_admin_state.h"

#include <fmt/format.h>

#include "harness/platform/haproxy_runtime_api.h"
#include "harness/stack/render.h"

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
  platform::HaproxyRuntimeApi api(lb->runtime_socket);
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
  if (auto st =
          platform::HaproxyRuntimeApi(lb->runtime_socket).set_state(lb->backend_name, server_, *original_);
      !st) {
    return st;
  }
  original_.reset();
  return {};
}

std::string LbAdminStateFault::mechanism() const {
  if (site_.target_kind == experiment::ServiceKind::nginx) {
    // nginx has no admin state: inject's `down` flag and reload.
    return fmt::format(
        "{} marked `down` in {}'s upstream, the configuration checked with `nginx -t` and reloaded "
        "gracefully",
        server_, lb_);
  }
  return fmt::format("HAProxy's runtime API on {}: `set server {}/{} state {}`, no reload", lb_,
                     stack::haproxy_backend_name(lb_), server_, haproxy_state_);
}

Measure admin_state_visible(const Balancer& lb) {
  if (lb.is(experiment::ServiceKind::nginx)) {
    return {fmt::format("Keep the upstream of {} under version control and review every `down` flag in it: "
                        "nginx has no drain or maintenance state, so a server marked `down` stays out until "
                        "the configuration changes again",
                        lb.name_text()),
            MeasureType::process};
  }
  if (lb.is(experiment::ServiceKind::haproxy)) {
    return {fmt::format("Alert on servers of {} left in DRAIN or MAINT past their window: the runtime API's "
                        "`show servers state` and the stats page report each server's admin state",
                        lb.name_text()),
            MeasureType::detect};
  }
  return {fmt::format("Alert on servers of {} left out of rotation past their window", lb.name_text()),
          MeasureType::detect};
}

const ParamTable<AdminStateParams>& admin_state_params() {
  static const ParamTable<AdminStateParams> table{{
      param(&AdminStateParams::server, "server", kind::text()).required().doc("backend service taken out"),
  }};
  return table;
}

std::optional<std::string> check_admin_state_server(const AdminStateParams& values, ParamReader& params,
                                                    const experiment::Experiment& exp) {
  const auto* lb = lb_target(params.step(), exp, params.diags());
  check_backend(params, "server", lb, values.server);
  if (!params.ok() || !values.server || lb == nullptr) {
    return std::nullopt;
  }
  return values.server;
}

}  // namespace faultline::faults
