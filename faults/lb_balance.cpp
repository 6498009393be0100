// lb_balance: changes a load balancer's balancing algorithm. The incident it
// stands for: switching to `source` hashing for stickiness, when few client
// addresses (a NAT, a partner's proxy, here the load generator's single
// host) then concentrate on one server.
// No runtime API can change it: HAProxy's `balance` line in the backend and
// nginx's upstream directive are rewritten, checked and reloaded.
// On a team's own config the change goes into every backend section
// (nginx: upstream block) of the file, or the one `backend` names.

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "faults/common/lb_measures.h"
#include "faults/common/lb_reconfig.h"
#include "faults/common/lb_team_edit.h"
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
    std::optional<std::string> backend;
  };
  static const ParamTable<Params>& params() {
    static const ParamTable<Params> table{{
        param(&Params::algorithm, "algorithm",
              kind::choice({"source", "roundrobin", "leastconn", "uri", "random"}))
            .required()
            .doc("the new algorithm"),
        backend_param(&Params::backend, "every backend")
            .doc("on the team's own config only: the backend (nginx: upstream) whose algorithm changes"),
    }};
    return table;
  }
  static std::unique_ptr<Fault> make(const Params& p, ParamReader& params, const experiment::Experiment& exp);

  // `backends`: on a team's config, the backend sections (nginx: upstream
  // blocks) that change; empty on a rendered config.
  LbBalance(FaultSite site, std::string algorithm, std::vector<std::string> backends, std::string team_config)
      : ReconfigFault(kName, std::move(site), std::move(team_config)),
        algorithm_(std::move(algorithm)),
        backends_(std::move(backends)) {}

  std::string describe() const override {
    // On a team's config, the sections that changed, as the file names them.
    const std::string where =
        backends_.empty() ? std::string() : fmt::format(" in {}", fmt::join(backends_, ", "));
    return fmt::format(
        "the balancing algorithm of load balancer {} was changed to {}{}{}", lb(), algorithm_, where,
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

  Status edit_team(const stack::RunningStack& /*stack*/, TeamConfig& config) const override {
    for (const auto& backend : backends_) {
      if (config.is_haproxy()) {
        const std::string line = "balance " + stack::haproxy_balance(algorithm_).value_or(algorithm_);
        if (auto st = set_in_section(config, haproxy_backend_selector(config, backend), "balance", line);
            !st) {
          return st;
        }
        continue;
      }
      if (auto st = remove_from_upstream(config, backend, {"least_conn", "ip_hash", "hash", "random"}); !st) {
        return st;
      }
      // Before any `keepalive`, which must follow the balancing directive.
      const auto directive = stack::nginx_balance_directive(algorithm_).value_or("");
      if (!directive.empty()) {
        if (auto put = insert_team_fragment(config, "upstream " + backend, directive); !put) {
          return put.error();
        }
      }
    }
    return {};
  }

  std::string algorithm_;
  std::vector<std::string> backends_;
};

std::unique_ptr<Fault> LbBalance::make(const Params& p, ParamReader& params,
                                       const experiment::Experiment& exp) {
  const auto* lb = lb_target(params.step(), exp, params.diags());
  refuse_backend_param(params, lb, p.backend);
  std::optional<std::vector<std::string>> backends = std::vector<std::string>{};
  if (lb != nullptr && lb->has_own_config()) {
    backends = team_backends(params, exp, *lb, p.backend);
  }
  if (!params.ok() || !p.algorithm || !backends || lb == nullptr) {
    return nullptr;
  }
  return std::make_unique<LbBalance>(fault_site(params.step(), exp), *p.algorithm, std::move(*backends),
                                     team_config_of(lb));
}

const Registration registration{fault_type<LbBalance>()};

}  // namespace
}  // namespace faultline::faults
