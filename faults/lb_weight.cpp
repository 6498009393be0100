// lb_weight: skews the weights of a load balancer's servers, the classic
// "routine weight change sends most traffic to one backend" misconfiguration.
// HAProxy: through the runtime API (`set weight`), no reload, so existing
// connections and the health-check state are kept. nginx: the upstream's
// server lines get the new weights and nginx reloads (SIGHUP: old workers finish
// their requests); nginx has no weight 0, so 0 marks the server `down`.
// On a team's own config the server is named as the file names it, and the
// pool `others` changes is the backend (nginx: upstream) that holds it.

#include <fmt/format.h>

#include <map>

#include "faults/common/lb_measures.h"
#include "faults/common/lb_reconfig.h"
#include "faults/common/lb_team_edit.h"
#include "faults/fault_type.h"
#include "harness/platform/haproxy_runtime_api.h"

namespace faultline::faults {
namespace {

class LbWeight final : public Fault {
 public:
  static constexpr const char* kName = "lb_weight";
  static constexpr const char* kSummary =
      "Change a load-balancer server's weight (and optionally all others'), restore on revert";
  static Needs needs() { return lb_needs(); }

  struct Params {
    std::optional<std::string> server;
    std::optional<std::string> backend;
    std::optional<int> weight;
    std::optional<int> others;
  };
  static const ParamTable<Params>& params() {
    static const ParamTable<Params> table{{
        param(&Params::server, "server", kind::text())
            .required()
            .doc("backend service whose weight changes; on the team's own config, a server as its file "
                 "names it"),
        backend_param(&Params::backend),
        param(&Params::weight, "weight", kind::integer(0, 256))
            .required()
            .doc("its new weight (0 takes it out of rotation)"),
        param(&Params::others, "others", kind::integer(0, 256))
            .absent_means("unchanged")
            .doc("new weight for every other server of the pool (on the team's own config: of its backend)"),
    }};
    return table;
  }
  static std::unique_ptr<Fault> make(const Params& p, ParamReader& params, const experiment::Experiment& exp);

  // `pool`: the servers `others` applies to, `server` among them;
  // `team_config`: the team's file the load balancer runs a copy of, empty
  // when faultline renders its config.
  LbWeight(const experiment::Service& lb, FaultSite site, TeamServer server, int weight,
           std::optional<int> others, std::vector<TeamServer> pool, std::string team_config)
      : site_(std::move(site)),
        lb_(lb.name),
        server_(std::move(server)),
        weight_(weight),
        others_(others),
        all_servers_(std::move(pool)),
        team_config_(std::move(team_config)),
        reconfig_(lb_) {}

  std::string describe() const override {
    std::string text =
        fmt::format("the weight of {} on load balancer {} was set to {}", label(server_), lb_, weight_);
    if (others_) {
      text += fmt::format(" and the weight of every other server to {}", *others_);
    }
    return text;
  }

  Status inject(stack::RunningStack& stack) override {
    const auto* lb = stack.find(lb_);
    if (lb != nullptr && lb->planned.kind == experiment::ServiceKind::nginx) {
      return team_config_.empty() ? inject_nginx(stack) : inject_nginx_team(stack, *lb);
    }
    if (lb == nullptr || lb->runtime_socket.empty()) {
      return Error{fmt::format("lb_weight: {} has no HAProxy runtime API socket", lb_)};
    }
    platform::HaproxyRuntimeApi api(lb->runtime_socket);
    for (const auto& server : all_servers_) {
      const bool is_target = is_the_server(server);
      if (!is_target && !others_) {
        continue;
      }
      const std::string backend = haproxy_backend(*lb, server);
      // Remember the weight in force before the first change so revert puts
      // back what was there, not what the config file said.
      if (!original_.count(server.label())) {
        auto current = api.get_weight(backend, server.server);
        if (!current) {
          return current.error();
        }
        original_[server.label()] = {server, *current};
      }
      if (auto st = api.set_weight(backend, server.server, is_target ? weight_ : *others_); !st) {
        return st;
      }
    }
    return {};
  }

  Status revert(stack::RunningStack& stack) override {
    if (auto st = reconfig_.restore(stack); !st) {
      return st;
    }
    if (original_.empty()) {
      return {};
    }
    const auto* lb = stack.find(lb_);
    if (lb == nullptr || lb->runtime_socket.empty()) {
      return Error{fmt::format("lb_weight: {} has no HAProxy runtime API socket", lb_)};
    }
    platform::HaproxyRuntimeApi api(lb->runtime_socket);
    Status result;
    for (auto it = original_.begin(); it != original_.end();) {
      const TeamServer& server = it->second.first;
      if (auto st = api.set_weight(haproxy_backend(*lb, server), server.server, it->second.second); !st) {
        result = st;  // keep going: restore every server we can
        ++it;
      } else {
        it = original_.erase(it);
      }
    }
    return result;
  }

  // HAProxy: the weight of each server it sets; nginx: the configuration.
  std::vector<std::string> restores() const override {
    if (site_.target_kind == experiment::ServiceKind::nginx) {
      return {config_state(lb_)};
    }
    std::vector<std::string> out;
    for (const auto& server : all_servers_) {
      if (is_the_server(server) || others_) {
        out.push_back(fmt::format("the weight of {} on {}", label(server), lb_));
      }
    }
    return out;
  }

  std::string mechanism() const override {
    if (site_.target_kind == experiment::ServiceKind::nginx && !team_config_.empty()) {
      return fmt::format(
          "the `server` entries of {}'s upstream {} rewritten (`weight=`, or `down` for 0): {}", lb_,
          server_.backend, team_rewrite_mechanism(lb_, site_.target_kind, team_config_));
    }
    if (site_.target_kind == experiment::ServiceKind::nginx) {
      return fmt::format(
          "a rewrite of the `server` lines of {}'s upstream (`weight=`, or `down` for 0), checked with "
          "`nginx -t` and reloaded gracefully",
          lb_);
    }
    return fmt::format("HAProxy's runtime API on {}: `set weight`, no reload", lb_);
  }

  std::vector<Measure> suggested_measures() const override {
    const Balancer lb = site_.itself();
    return {
        {"Validate load-balancer weights before a change is applied: compute each server's resulting share "
         "of the traffic and refuse a change that gives any server more than its capacity can serve",
         MeasureType::prevent},
        limit_per_server(lb),
        retry_on_another_server(lb),
        {"Alert on each backend's share of traffic, not only on the pool's totals", MeasureType::detect},
        {"Review weight changes like code: diff, second pair of eyes, staged rollout", MeasureType::process},
    };
  }

 private:
  // nginx has no weight 0: the server is marked `down` instead.
  static ServerEdit weight_edit(int w) {
    ServerEdit edit;
    if (w == 0) {
      edit.flags.push_back("down");
    } else {
      edit.set.emplace_back("weight", std::to_string(w));
    }
    return edit;
  }

  bool is_the_server(const TeamServer& s) const {
    return s.server == server_.server && s.backend == server_.backend;
  }
  std::string label(const TeamServer& s) const { return team_config_.empty() ? s.server : s.label(); }
  std::string haproxy_backend(const stack::ServiceInstance& lb, const TeamServer& s) const {
    return team_config_.empty() ? lb.backend_name : s.backend;
  }

  Status inject_nginx(stack::RunningStack& stack) {
    auto text = current_lb_config(stack, lb_);
    for (const auto& server : all_servers_) {
      const bool is_target = is_the_server(server);
      if (!text || (!is_target && !others_)) {
        continue;
      }
      text = edit_server_line(stack, lb_, *text, server.server, weight_edit(is_target ? weight_ : *others_));
    }
    if (!text) {
      return text.error();
    }
    return reconfig_.apply(stack, *text);
  }

  Status inject_nginx_team(stack::RunningStack& stack, const stack::ServiceInstance& lb) {
    auto config = TeamConfig::load(lb);
    if (!config) {
      return config.error();
    }
    for (const auto& server : all_servers_) {
      const bool is_target = is_the_server(server);
      if (!is_target && !others_) {
        continue;
      }
      if (auto st = edit_team_server(*config, server, weight_edit(is_target ? weight_ : *others_)); !st) {
        return Error{fmt::format("lb_weight: {}", st.error().message)};
      }
    }
    return reconfig_.apply_files(stack, config->changed_files());
  }

  FaultSite site_;
  std::string lb_;
  TeamServer server_;
  int weight_;
  std::optional<int> others_;
  std::vector<TeamServer> all_servers_;
  std::string team_config_;
  // HAProxy: each server changed (by its label), and its weight before.
  std::map<std::string, std::pair<TeamServer, int>> original_;
  LbReconfig reconfig_;
};

std::unique_ptr<Fault> LbWeight::make(const Params& p, ParamReader& params,
                                      const experiment::Experiment& exp) {
  const auto* lb = lb_target(params.step(), exp, params.diags());
  if (!p.server) {
    return nullptr;
  }
  const auto server = named_servers(params, exp, lb, p.backend, p.server);
  if (!params.ok() || !server || !p.weight || lb == nullptr) {
    return nullptr;
  }
  // The pool: the backend services, or the servers of the team's backend
  // that holds the server.
  const auto pool = lb->has_own_config()
                        ? team_servers(params, exp, *lb, server->front().backend, std::nullopt)
                        : named_servers(params, exp, lb, std::nullopt, std::nullopt);
  if (!pool) {
    return nullptr;
  }
  return std::make_unique<LbWeight>(*lb, fault_site(params.step(), exp), server->front(), *p.weight, p.others,
                                    *pool, team_config_of(lb));
}

const Registration registration{fault_type<LbWeight>()};

}  // namespace
}  // namespace faultline::faults
