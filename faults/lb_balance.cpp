// lb_balance: changes a load balancer's balancing algorithm. The incident it
// stands for: switching to `source` hashing for stickiness, when few client
// addresses (a NAT, a partner's proxy, here the load generator's single
// host) then concentrate on one server.
// No runtime API can change it: HAProxy's `balance` line in the backend and
// nginx's upstream directive are rewritten, checked and reloaded.

#include <fmt/format.h>

#include "faults/common/lb_reconfig.h"
#include "faults/registry.h"
#include "harness/stack/render.h"

namespace faultline::faults {
namespace {

class LbBalance final : public Fault {
 public:
  LbBalance(std::string lb, std::string algorithm)
      : lb_(std::move(lb)), algorithm_(std::move(algorithm)), reconfig_(lb_) {}

  std::string describe() const override {
    return fmt::format(
        "the balancing algorithm of load balancer {} was changed to {}{}", lb_, algorithm_,
        algorithm_ == "source" ? " (client address hashing: one client address, one server)" : "");
  }

  Status inject(stack::RunningStack& stack) override {
    const auto* lb = stack.find(lb_);
    if (lb == nullptr) {
      return Error{fmt::format("lb_balance: no service {}", lb_)};
    }
    auto text = current_lb_config(stack, lb_);
    if (!text) {
      return text.error();
    }
    if (lb->planned.kind == experiment::ServiceKind::haproxy) {
      text = set_directive(lb->planned.kind, *text, "backend", "balance",
                           "balance " + stack::haproxy_balance(algorithm_).value_or(algorithm_));
    } else {
      // nginx's balancing directives are separate keywords; round robin is
      // the absence of all of them.
      const std::string plain = remove_directives(*text, {"least_conn", "ip_hash", "hash", "random"});
      const auto directive = stack::nginx_balance_directive(algorithm_).value_or("");
      text = directive.empty() ? Result<std::string>(plain)
                               : add_to_section(lb->planned.kind, plain, "backend", directive);
    }
    if (!text) {
      return text.error();
    }
    return reconfig_.apply(stack, *text);
  }

  Status revert(stack::RunningStack& stack) override { return reconfig_.restore(stack); }

  std::vector<std::string> suggested_measures() const override {
    return {
        "Before switching to address-based stickiness, check how many distinct client addresses reach the "
        "load balancer (NATs and proxies collapse many users into one)",
        "Prefer cookie-based stickiness, or none, over source hashing",
        "Alert on the largest backend share (max_backend_share), not only on errors and latency",
    };
  }

 private:
  std::string lb_;
  std::string algorithm_;
  LbReconfig reconfig_;
};

std::unique_ptr<Fault> parse(const experiment::MethodStep& step, const experiment::Experiment& exp,
                             experiment::Diagnostics& diags);

const Registration registration{FaultType{
    .name = "lb_balance",
    .summary = "Change a load balancer's balancing algorithm (e.g. to source hashing), restore on revert",
    .params = {{"algorithm", "source|roundrobin|leastconn|uri|random", "", "the new algorithm"}},
    .needs = {.root = true,
              .target_kinds = {experiment::ServiceKind::haproxy, experiment::ServiceKind::nginx},
              .kernel_feature = ""},
    .parse = parse,
}};

std::unique_ptr<Fault> parse(const experiment::MethodStep& step, const experiment::Experiment& exp,
                             experiment::Diagnostics& diags) {
  ParamReader params(step, *Registry::instance().find("lb_balance"), diags);
  auto algorithm = params.choice("algorithm", {"source", "roundrobin", "leastconn", "uri", "random"}, true);
  const auto* lb = lb_target(step, exp, diags);
  if (!params.ok() || !algorithm || lb == nullptr) {
    return nullptr;
  }
  return std::make_unique<LbBalance>(step.target, *algorithm);
}

}  // namespace
}  // namespace faultline::faults
