// lb_weight: skews the weights of a load balancer's servers, the classic
// "routine weight change sends most traffic to one backend" misconfiguration.
// HAProxy: through the runtime API (`set weight`), no reload, so existing
// connections and the health-check state are kept. nginx: the upstream's
// server lines get the new weights and nginx reloads (SIGHUP: old workers finish
// their requests); nginx has no weight 0, so 0 marks the server `down`.

#include <fmt/format.h>

#include <map>

#include "faults/common/lb_measures.h"
#include "faults/common/lb_reconfig.h"
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
    std::optional<int> weight;
    std::optional<int> others;
  };
  static const ParamTable<Params>& params() {
    static const ParamTable<Params> table{{
        param(&Params::server, "server", kind::text()).required().doc("backend service whose weight changes"),
        param(&Params::weight, "weight", kind::integer(0, 256))
            .required()
            .doc("its new weight (0 takes it out of rotation)"),
        param(&Params::others, "others", kind::integer(0, 256))
            .absent_means("unchanged")
            .doc("new weight for every other server of the pool"),
    }};
    return table;
  }
  static std::unique_ptr<Fault> make(const Params& p, ParamReader& params, const experiment::Experiment& exp);

  LbWeight(const experiment::Service& lb, FaultSite site, std::string server, int weight,
           std::optional<int> others)
      : site_(std::move(site)),
        lb_(lb.name),
        server_(std::move(server)),
        weight_(weight),
        others_(others),
        all_servers_(lb.backends),
        reconfig_(lb_) {}

  std::string describe() const override {
    std::string text =
        fmt::format("the weight of {} on load balancer {} was set to {}", server_, lb_, weight_);
    if (others_) {
      text += fmt::format(" and the weight of every other server to {}", *others_);
    }
    return text;
  }

  Status inject(stack::RunningStack& stack) override {
    const auto* lb = stack.find(lb_);
    if (lb != nullptr && lb->planned.kind == experiment::ServiceKind::nginx) {
      return inject_nginx(stack);
    }
    if (lb == nullptr || lb->runtime_socket.empty()) {
      return Error{fmt::format("lb_weight: {} has no HAProxy runtime API socket", lb_)};
    }
    platform::HaproxyRuntimeApi api(lb->runtime_socket);
    for (const auto& server : all_servers_) {
      const bool is_target = server == server_;
      if (!is_target && !others_) {
        continue;
      }
      // Remember the weight in force before the first change so revert puts
      // back what was there, not what the config file said.
      if (!original_.count(server)) {
        auto current = api.get_weight(lb->backend_name, server);
        if (!current) {
          return current.error();
        }
        original_[server] = *current;
      }
      if (auto st = api.set_weight(lb->backend_name, server, is_target ? weight_ : *others_); !st) {
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
      if (auto st = api.set_weight(lb->backend_name, it->first, it->second); !st) {
        result = st;  // keep going: restore every server we can
        ++it;
      } else {
        it = original_.erase(it);
      }
    }
    return result;
  }

  std::string mechanism() const override {
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
  Status inject_nginx(stack::RunningStack& stack) {
    auto text = current_lb_config(stack, lb_);
    for (const auto& server : all_servers_) {
      const bool is_target = server == server_;
      if (!text || (!is_target && !others_)) {
        continue;
      }
      const int w = is_target ? weight_ : *others_;
      ServerEdit edit;
      if (w == 0) {
        edit.flags.push_back("down");
      } else {
        edit.set.emplace_back("weight", std::to_string(w));
      }
      text = edit_server_line(stack, lb_, *text, server, edit);
    }
    if (!text) {
      return text.error();
    }
    return reconfig_.apply(stack, *text);
  }

  FaultSite site_;
  std::string lb_;
  std::string server_;
  int weight_;
  std::optional<int> others_;
  std::vector<std::string> all_servers_;
  std::map<std::string, int> original_;
  LbReconfig reconfig_;
};

std::unique_ptr<Fault> LbWeight::make(const Params& p, ParamReader& params,
                                      const experiment::Experiment& exp) {
  const auto* lb = lb_target(params.step(), exp, params.diags());
  check_backend(params, "server", lb, p.server);
  if (!params.ok() || !p.server || !p.weight || lb == nullptr) {
    return nullptr;
  }
  return std::make_unique<LbWeight>(*lb, fault_site(params.step(), exp), *p.server, *p.weight, p.others);
}

const Registration registration{fault_type<LbWeight>()};

}  // namespace
}  // namespace faultline::faults
