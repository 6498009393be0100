#include "faults/common/lb_admin_state.h"

#include <fmt/format.h>

#include "faults/common/lb_team_edit.h"
#include "harness/platform/haproxy_runtime_api.h"
#include "harness/stack/render.h"

namespace faultline::faults {

Status LbAdminStateFault::inject(stack::RunningStack& stack) {
  const auto* lb = stack.find(lb_);
  if (lb == nullptr) {
    return Error{fmt::format("{}: no service {}", fault_type_, lb_)};
  }
  if (lb->planned.kind == experiment::ServiceKind::nginx && !lb->team_config.empty()) {
    auto config = TeamConfig::load(*lb);
    if (!config) {
      return config.error();
    }
    if (auto st = edit_team_server(
            *config, server_,
            ServerEdit{.address = {}, .port = {}, .set = {}, .flags = {"down"}, .remove = {}});
        !st) {
      return Error{fmt::format("{}: {}", fault_type_, st.error().message)};
    }
    return reconfig_.apply_files(stack, config->changed_files());
  }
  if (lb->planned.kind == experiment::ServiceKind::nginx) {
    auto text = current_lb_config(stack, lb_);
    if (text) {
      text =
          edit_server_line(stack, lb_, *text, server_.server,
                           ServerEdit{.address = {}, .port = {}, .set = {}, .flags = {"down"}, .remove = {}});
    }
    if (!text) {
      return text.error();
    }
    return reconfig_.apply(stack, *text);
  }
  platform::HaproxyRuntimeApi api(lb->runtime_socket);
  const std::string backend = haproxy_backend(*lb);
  if (!original_) {
    auto state = api.admin_state(backend, server_.server);
    if (!state) {
      return state.error();
    }
    original_ = *state;
  }
  return api.set_state(backend, server_.server, haproxy_state_);
}

std::string LbAdminStateFault::haproxy_backend(const stack::ServiceInstance& lb) const {
  return team_config_.empty() ? lb.backend_name : server_.backend;
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
  if (auto st = platform::HaproxyRuntimeApi(lb->runtime_socket)
                    .set_state(haproxy_backend(*lb), server_.server, *original_);
      !st) {
    return st;
  }
  original_.reset();
  return {};
}

std::vector<std::string> LbAdminStateFault::restores() const {
  if (site_.target_kind == experiment::ServiceKind::nginx) {
    return {config_state(lb_)};
  }
  return {fmt::format("the admin state of {} on {}", server(), lb_)};
}

std::string LbAdminStateFault::mechanism() const {
  if (site_.target_kind == experiment::ServiceKind::nginx && !team_config_.empty()) {
    return fmt::format("{} marked `down` in upstream {} of {}; {}", server_.server, server_.backend, lb_,
                       team_rewrite_mechanism(lb_, site_.target_kind, team_config_));
  }
  if (site_.target_kind == experiment::ServiceKind::nginx) {
    // nginx has no admin state: inject's `down` flag and reload.
    return fmt::format(
        "{} marked `down` in {}'s upstream, the configuration checked with `nginx -t` and reloaded "
        "gracefully",
        server_.server, lb_);
  }
  return fmt::format("HAProxy's runtime API on {}: `set server {}/{} state {}`, no reload", lb_,
                     team_config_.empty() ? stack::haproxy_backend_name(lb_) : server_.backend,
                     server_.server, haproxy_state_);
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
      param(&AdminStateParams::server, "server", kind::text())
          .required()
          .doc("backend service taken out; on the team's own config, a server as its file names it"),
      backend_param(&AdminStateParams::backend),
  }};
  return table;
}

std::optional<TeamServer> check_admin_state_server(const AdminStateParams& values, ParamReader& params,
                                                   const experiment::Experiment& exp) {
  const auto* lb = lb_target(params.step(), exp, params.diags());
  if (!values.server) {
    return std::nullopt;
  }
  auto servers = named_servers(params, exp, lb, values.backend, values.server);
  if (!params.ok() || !servers || servers->size() != 1) {
    return std::nullopt;
  }
  return servers->front();
}

}  // namespace faultline::faults
