// lb_balance: changes a load balancer's balancing algorithm. The incident it
// stands for: switching to `source` hashing for stickiness, when few client
// addresses (a NAT, a partner's proxy, here the load generator's single
// host) then concentrate on one server.
// No runtime API can change it: HAProxy's `balance` line in the backend and
// nginx's upstream directive are rewritten, checked and reloaded.

#include <fmt/format.h>

#include "faults/common/lb_measures.h"
#include "faults/common/lb_reconfig.h"
#include "faults/fault_type.h"
#include "harness/stack/render.h"

namespace faultline::faults {
namespace {

class LbBalance final : public ReconfigFault {
 public:
  static constexpr const char* kName = "lb_balance";
  static constexpr const char* kSummary =
      "Change a load balancer's balancing algorithm (e.g. to source hashing), restore on revert";
  static Needs needs() { return lb_needs(); }

  struct Params {
    std::optional<std::string> algorithm;
  };
  static const ParamTable<Params>& params() {
    static const ParamTable<Params> table{{
        param(&Params::algorithm, "algorithm",
              kind::choice({"source", "roundrobin", "leastconn", "uri", "random"}))
            .required()
            .doc("the new algorithm"),
    }};
    return table;
  }
  static std::unique_ptr<Fault> make(const Params& p, ParamReader& params, const experiment::Experiment& exp);

  LbBalance(FaultSite site, std::string algorithm)
      : ReconfigFault(kName, std::move(site)), algorithm_(std::move(algorithm)) {}

  std::string describe() const override {
    return fmt::format(
        "the balancing algorithm of load balancer {} was changed to {}{}", lb(), algorithm_,
        algorithm_ == "source" ? " (client address hashing: one client address, one server)" : "");
  }

  std::vector<Measure> suggested_measures() const override {
    const Balancer lb = balancer();
    return {
        {"Before switching to address-based stickiness, check how many distinct client addresses reach the "
         "load balancer (NATs and proxies collapse many users into one)",
         MeasureType::process},
        {by_kind(
             lb,
             fmt::format("Prefer a cookie to the client address for stickiness (`cookie SRV insert indirect "
                         "nocache` in the backend of {}, a `cookie` name on each server); where hashing "
                         "is needed, `hash-type consistent` with `hash-balance-factor 150` bounds each "
                         "server's load",
                         lb.name_text()),
             fmt::format("Prefer no stickiness at {}, or hash on a key with many values (`hash "
                         "$cookie_session consistent;` in the upstream) rather than the client address: "
                         "open-source nginx has no bounded-load hashing and no cookie stickiness of its own",
                         lb.name_text()),
             "Prefer cookie-based stickiness, or none, over source hashing"),
         MeasureType::prevent},
        limit_per_server(lb),
        {"Alert on the largest backend share (max_backend_share), not only on errors and latency",
         MeasureType::detect},
    };
  }

 private:
  Result<std::string> edit(const stack::RunningStack& /*stack*/, experiment::ServiceKind kind,
                           const std::string& text) const override {
    if (kind == experiment::ServiceKind::haproxy) {
      return set_directive(kind, text, "backend", "balance",
                           "balance " + stack::haproxy_balance(algorithm_).value_or(algorithm_));
    }
    // nginx's balancing directives are separate keywords; round robin is
    // the absence of all of them.
    const std::string plain = remove_directives(text, {"least_conn", "ip_hash", "hash", "random"});
    const auto directive = stack::nginx_balance_directive(algorithm_).value_or("");
    return directive.empty() ? Result<std::string>(plain) : add_to_section(kind, plain, "backend", directive);
  }

  std::string algorithm_;
};

std::unique_ptr<Fault> LbBalance::make(const Params& p, ParamReader& params,
                                       const experiment::Experiment& exp) {
  const auto* lb = lb_target(params.step(), exp, params.diags());
  if (!params.ok() || !p.algorithm || lb == nullptr) {
    return nullptr;
  }
  return std::make_unique<LbBalance>(fault_site(params.step(), exp), *p.algorithm);
}

const Registration registration{fault_type<LbBalance>()};

}  // namespace
}  // namespace faultline::faults
