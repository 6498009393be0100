// lb_weight: skews the weights of a load balancer's servers, the classic
// "routine weight change sends most traffic to one backend" misconfiguration.
// HAProxy: through the runtime API (`set weight`), no reload, so existing
// connections and the health-check state are kept.

#include <fmt/format.h>

#include <map>

#include "faults/common/haproxy_runtime_api.h"
#include "faults/common/params.h"
#include "faults/registry.h"

namespace faultline::faults {
namespace {

class LbWeight final : public Fault {
 public:
  LbWeight(std::string lb, std::string server, int weight, std::optional<int> others,
           std::vector<std::string> all_servers)
      : lb_(std::move(lb)),
        server_(std::move(server)),
        weight_(weight),
        others_(others),
        all_servers_(std::move(all_servers)) {}

  std::string describe() const override {
    std::string text = fmt::format("the weight of {} on load balancer {} was set to {}", server_, lb_, weight_);
    if (others_) {
      text += fmt::format(" and the weight of every other server to {}", *others_);
    }
    return text;
  }

  Status inject(stack::RunningStack& stack) override {
    const auto* lb = stack.find(lb_);
    if (lb == nullptr || lb->runtime_socket.empty()) {
      return Error{fmt::format("lb_weight: {} has no HAProxy runtime API socket", lb_)};
    }
    HaproxyRuntimeApi api(lb->runtime_socket);
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
    if (original_.empty()) {
      return {};
    }
    const auto* lb = stack.find(lb_);
    if (lb == nullptr || lb->runtime_socket.empty()) {
      return Error{fmt::format("lb_weight: {} has no HAProxy runtime API socket", lb_)};
    }
    HaproxyRuntimeApi api(lb->runtime_socket);
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

  std::vector<std::string> suggested_measures() const override {
    return {
        "Validate load-balancer weights before a change is applied (e.g. reject a ratio above 4:1 between servers "
        "of one pool without an explicit override)",
        "Alert on each backend's share of traffic, not only on the pool's totals",
        "Review weight changes like code: diff, second pair of eyes, staged rollout",
    };
  }

 private:
  std::string lb_;
  std::string server_;
  int weight_;
  std::optional<int> others_;
  std::vector<std::string> all_servers_;
  std::map<std::string, int> original_;
};

std::unique_ptr<Fault> parse(const experiment::MethodStep& step, const experiment::Experiment& exp,
                             experiment::Diagnostics& diags);

const Registration registration{FaultType{
    .name = "lb_weight",
    .summary = "Change a load-balancer server's weight (and optionally all others'), restore on revert",
    .params =
        {
            {"server", "string", "", "backend service whose weight changes"},
            {"weight", "int 0..256", "", "its new weight (0 takes it out of rotation)"},
            {"others", "int 0..256", "unchanged", "new weight for every other server of the pool"},
        },
    .needs = {.root = true, .target_kinds = {experiment::ServiceKind::haproxy}, .kernel_feature = ""},
    .parse = parse,
}};

std::unique_ptr<Fault> parse(const experiment::MethodStep& step, const experiment::Experiment& exp,
                             experiment::Diagnostics& diags) {
  ParamReader params(step, *Registry::instance().find("lb_weight"), diags);
  auto server = params.text("server", true);
  auto weight = params.integer("weight", 0, 256, true);
  auto others = params.integer("others", 0, 256, false);
  const auto* lb = exp.stack.find(step.target);
  if (server && lb != nullptr) {
    bool known = false;
    for (const auto& b : lb->backends) {
      known = known || b == *server;
    }
    if (!known) {
      params.error_at("server", fmt::format("'{}' is not a backend of {}", *server, step.target),
                      fmt::format("{}'s backends are: {}", step.target, fmt::join(lb->backends, ", ")));
    }
  }
  if (!params.ok() || !server || !weight || lb == nullptr) {
    return nullptr;
  }
  return std::make_unique<LbWeight>(step.target, *server, *weight, others, lb->backends);
}

}  // namespace
}  // namespace faultline::faults
